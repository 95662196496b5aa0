/** plivo-config: holds a Plivo account's credentials and its API client. */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { resolveAccount } from './lib/account';
import { ConfigError } from './lib/errors';
import { PlivoClient } from './lib/plivo-client';

const REQUEST_TIMEOUT_MS = 10_000;
const pkg = require('../../package.json') as { name: string; version: string };

interface PlivoConfigDef extends NodeDef {
  baseUrl?: string;
}

interface PlivoCredentials {
  authId?: string;
  authToken?: string;
}

export interface PlivoConfigNode extends Node<PlivoCredentials> {
  /** The account's client; throws a ConfigError when the account cannot be used. */
  client(): PlivoClient;
}

export default function register(RED: NodeAPI): void {
  function PlivoConfig(this: PlivoConfigNode, def: PlivoConfigDef): void {
    RED.nodes.createNode(this, def);
    let client: PlivoClient | undefined;
    let problem: ConfigError | undefined;
    try {
      const account = resolveAccount({ baseUrl: def.baseUrl, ...this.credentials });
      client = new PlivoClient(account, {
        timeoutMs: REQUEST_TIMEOUT_MS,
        userAgent: `${pkg.name}/${pkg.version}`,
      });
    } catch (error) {
      problem = error as ConfigError;
    }
    this.client = () => {
      if (!client) throw problem ?? new ConfigError('the account is not usable');
      return client;
    };
    this.on('close', (done: () => void) => {
      client?.close();
      done();
    });
  }

  RED.nodes.registerType<PlivoConfigNode, PlivoConfigDef, unknown, PlivoCredentials>('plivo-config', PlivoConfig, {
    credentials: {
      authId: { type: 'text' },
      authToken: { type: 'password' },
    },
  });
}
