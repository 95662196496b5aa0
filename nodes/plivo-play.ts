/** plivo-play: plays audio into (or stops audio on) a live Plivo call and sends Plivo's answer on. */
import type { NodeAPI } from 'node-red';
import { registerCallNode, type CallNodeDef } from './shared/call-node';
import { buildCallRequest, PLAY_TYPED_FIELDS, type CallRequest, type PlaySettings } from './lib/call/play-request';
import { successView } from './lib/call/status';
import { aLegOnly } from './lib/call/fields';

type PlivoPlayDef = CallNodeDef & PlaySettings;

export default function register(RED: NodeAPI): void {
  registerCallNode<PlivoPlayDef, CallRequest>(RED, 'plivo-play', {
    typedFields: PLAY_TYPED_FIELDS,
    build: buildCallRequest,
    send: ({ client }, request, signal) => (request.action === 'play'
      ? client.play(request.callUuid, request.body, signal)
      : client.stopPlay(request.callUuid, signal)),
    subject: (request) => ({
      callUuid: request.callUuid,
      skippedWhenEnded: true,
      notFoundMeansEnded: request.action === 'play' && aLegOnly(request.body.legs),
      endsCall: false,
    }),
    atMostOnce: () => false,
    succeeded: (request) => successView(request.action === 'play' ? 'played' : 'stopped'),
  });
}
