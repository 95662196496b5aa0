/** plivo-play: plays audio into (or stops audio on) a live Plivo call and sends Plivo's answer on. */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { callNodeTexts, runCallNode } from './call-node';
import { buildCallRequest, TYPED_FIELDS, type CallRequest, type PlaySettings } from './lib/call/play-request';
import { successView } from './lib/call/status';
import { typedSettings } from './lib/call/typed-source';

interface PlivoPlayDef extends NodeDef, PlaySettings {
  account?: string;
  errorOutput?: boolean;
  priority?: unknown;
  maxWait?: unknown;
}

export default function register(RED: NodeAPI): void {
  const statusText = callNodeTexts(RED);

  function PlivoPlay(this: Node, def: PlivoPlayDef): void {
    RED.nodes.createNode(this, def);
    const settings: PlaySettings = {
      action: def.action,
      callUuid: def.callUuid,
      urls: def.urls,
      legs: def.legs,
      loop: def.loop,
      mix: def.mix,
      length: def.length,
    };
    runCallNode<CallRequest>(RED, this, statusText, {
      account: def.account,
      errorOutput: def.errorOutput === true,
      priority: def.priority,
      maxWait: def.maxWait,
      typed: typedSettings(def as unknown as Record<string, unknown>, TYPED_FIELDS),
      build: (payload, values) => buildCallRequest(settings, payload, values),
      send: ({ client }, request, signal) => (request.action === 'play'
        ? client.play(request.callUuid, request.body, signal)
        : client.stopPlay(request.callUuid, signal)),
      succeeded: (request) => successView(request.action),
    });
  }

  RED.nodes.registerType('plivo-play', PlivoPlay);
}
