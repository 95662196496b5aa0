/** plivo-config: a Plivo account's credentials, its API client and its shared request engine. */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { parseRedisUrl, resolveAccount, resolveRequestPolicy, type EngineSettings, type PlivoAccount } from './lib/plivo/account';
import { acquireAccount, releaseAccount } from './lib/plivo/shared-accounts';
import { text } from './lib/common/messages';
import { PlivoClient } from './lib/plivo/client';
import { ConfigError } from './lib/common/errors';
import { proxyFor, type ProxySettings } from './lib/plivo/proxy';
import type { RedisLog } from './lib/redis/connection';
import { registerVerifyEndpoint } from './shared/config-verify';
import type { PlivoConfigNode, PlivoCredentials } from './shared/deployed-nodes';

const pkg = require('../../package.json') as { name: string; version: string };
const USER_AGENT = `${pkg.name}/${pkg.version}`;

interface PlivoConfigDef extends NodeDef, EngineSettings {
  baseUrl?: string;
  /** An `http proxy` config node (Node-RED's own); blank: the environment's proxy variables. */
  proxy?: string;
  /** Shares the limit with other Node-RED instances; blank: this one only. */
  redisUrl?: string;
  /** false: send requests for calls that have ended anyway (tests that reuse call UUIDs); absent in older flows: skip them. */
  skipEndedCalls?: boolean;
}

/** Node-RED's `http proxy` config node, as its http request node reads it. */
interface HttpProxyNode extends Node<{ username?: string; password?: string }> {
  url?: string;
  noproxy?: string[];
}

export default function register(RED: NodeAPI): void {
  /** The settings of the `http proxy` node `id` names; undefined when none is named. */
  function proxySettings(id: unknown): ProxySettings | undefined {
    // '_ADD_' is the editor's "add new http proxy" choice: no proxy node yet.
    if (typeof id !== 'string' || id === '' || id === '_ADD_') return undefined;
    const proxyNode = RED.nodes.getNode(id) as HttpProxyNode | null;
    // A proxy that was set but is gone must not silently become a direct connection.
    if (!proxyNode || proxyNode.type !== 'http proxy') throw new ConfigError(text('proxy-missing'));
    return {
      url: proxyNode.url ?? '',
      noProxy: proxyNode.noproxy ?? [],
      username: proxyNode.credentials?.username,
      password: proxyNode.credentials?.password,
    };
  }

  function PlivoConfig(this: PlivoConfigNode, def: PlivoConfigDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    node.baseUrl = def.baseUrl;
    /** The account, or why it cannot be used (a ConfigError naming what is missing). */
    let account: PlivoAccount | Error;
    let authId = '';
    const log: RedisLog = (level, message) => RED.log[level](`[plivo-config:${node.name || node.id}] ${message}`);
    try {
      const resolved = resolveAccount({ baseUrl: def.baseUrl, ...node.credentials });
      const policy = resolveRequestPolicy(def);
      const redisUrl = parseRedisUrl(def.redisUrl);
      const redisPassword = node.credentials?.redisPassword || undefined;
      authId = resolved.authId;
      const shared = acquireAccount(authId, resolved.baseUrl, node, policy.limits, policy.calls, redisUrl ? { url: redisUrl, password: redisPassword } : undefined, log);
      account = {
        client: new PlivoClient(resolved, {
          timeoutMs: policy.limits.timeoutMs,
          userAgent: USER_AGENT,
          proxy: proxyFor(resolved.baseUrl, proxySettings(def.proxy)),
        }),
        engine: shared.engine,
        policy,
        webhook: { authToken: resolved.authToken, replay: shared.replay },
        endedCalls: shared.ended,
        skipEndedCalls: def.skipEndedCalls !== false,
        calls: shared.calls,
        live: shared.live,
        placed: shared.placed,
        members: shared.members,
      };
    } catch (error) {
      account = error as Error;
    }
    node.account = () => {
      if (account instanceof Error) throw account;
      return account;
    };
    node.on('close', (done: () => void) => {
      if (account instanceof Error) {
        done();
        return;
      }
      void Promise.all([releaseAccount(authId, node, log), account.client.close()]).then(() => done());
    });
  }

  RED.nodes.registerType<PlivoConfigNode, PlivoConfigDef, unknown, PlivoCredentials>('plivo-config', PlivoConfig, {
    credentials: {
      authId: { type: 'text' },
      authToken: { type: 'password' },
      redisPassword: { type: 'password' },
    },
  });

  registerVerifyEndpoint(RED, {
    proxySettings,
    // Only a deployed account node's own token and base URL: never another node type's credentials.
    storedAccount(id) {
      const deployed = RED.nodes.getNode(id) as PlivoConfigNode | null;
      if (deployed?.type !== 'plivo-config') return undefined;
      const credentials = RED.nodes.getCredentials(id) as PlivoCredentials | undefined;
      return { authToken: credentials?.authToken, baseUrl: deployed.baseUrl };
    },
  }, USER_AGENT);
}
