/** plivo-play: plays audio into a live Plivo call and sends Plivo's acknowledgement on. */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow, NodeStatus } from 'node-red';
import { ConfigError, InputError, PlivoApiError } from './lib/errors';
import type { PlivoClient } from './lib/plivo-client';
import { buildPlayRequest, type PlaySettings } from './lib/play-request';
import type { PlivoConfigNode } from './plivo-config';

interface PlivoPlayDef extends NodeDef, PlaySettings {
  account?: string;
}

type Send = (msg: NodeMessageInFlow) => void;
type Done = (error?: Error) => void;

export default function register(RED: NodeAPI): void {
  function PlivoPlay(this: Node, def: PlivoPlayDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const settings: PlaySettings = {
      callUuid: def.callUuid,
      urls: def.urls,
      legs: def.legs,
      loop: def.loop,
      mix: def.mix,
      length: def.length,
    };
    const account = def.account ? (RED.nodes.getNode(def.account) as PlivoConfigNode | null) : null;
    if (!account) {
      node.status({ fill: 'red', shape: 'ring', text: 'plivo-play.status.no-account' });
    }

    function errorStatus(error: unknown): NodeStatus {
      if (error instanceof InputError) {
        return { fill: 'red', shape: 'ring', text: RED._('plivo-play.status.invalid', { field: error.field }) };
      }
      if (error instanceof PlivoApiError && error.statusCode !== undefined) {
        return { fill: 'red', shape: 'ring', text: RED._('plivo-play.status.api-error', { status: error.statusCode }) };
      }
      if (error instanceof PlivoApiError) {
        return { fill: 'red', shape: 'ring', text: 'plivo-play.status.unreachable' };
      }
      return { fill: 'red', shape: 'ring', text: 'plivo-play.status.account-error' };
    }

    function fail(msg: NodeMessageInFlow, error: Error, done: Done): void {
      if (error instanceof PlivoApiError && error.statusCode !== undefined) {
        msg.statusCode = error.statusCode;
      }
      node.status(errorStatus(error));
      done(error);
    }

    function clientOf(): PlivoClient {
      if (!account) {
        throw new ConfigError('no account is selected: pick or add one in the node\'s Account setting');
      }
      return account.client();
    }

    async function play(msg: NodeMessageInFlow, send: Send, done: Done): Promise<void> {
      let built;
      let client;
      try {
        built = buildPlayRequest(settings, msg.payload);
        client = clientOf();
      } catch (error) {
        fail(msg, error as Error, done);
        return;
      }
      if (built.ignoredFields.length > 0) {
        node.warn(RED._('plivo-play.warn.ignored', { fields: built.ignoredFields.join(', ') }));
      }
      let response;
      try {
        response = await client.play(built.request.callUuid, built.request.body);
      } catch (error) {
        fail(msg, error as Error, done);
        return;
      }
      msg.payload = response.body;
      msg.statusCode = response.statusCode;
      node.status({ fill: 'green', shape: 'dot', text: 'plivo-play.status.played' });
      send(msg);
      done();
    }

    node.on('input', (msg, send, done) => {
      void play(msg, send, done);
    });
  }

  RED.nodes.registerType('plivo-play', PlivoPlay);
}
