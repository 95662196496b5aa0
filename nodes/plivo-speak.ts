/** plivo-speak: speaks text into (or stops speech on) a live Plivo call and sends Plivo's answer on. */
import type { NodeAPI } from 'node-red';
import { registerCallNode, type CallNodeDef } from './shared/call-node';
import { buildSpeakRequest, SPEAK_TYPED_FIELDS, type SpeakRequest, type SpeakSettings } from './lib/call/speak-request';
import { successView } from './lib/call/status';
import { aLegOnly } from './lib/call/fields';

type PlivoSpeakDef = CallNodeDef & SpeakSettings;

export default function register(RED: NodeAPI): void {
  registerCallNode<PlivoSpeakDef, SpeakRequest>(RED, 'plivo-speak', {
    typedFields: SPEAK_TYPED_FIELDS,
    build: buildSpeakRequest,
    send: ({ client }, request, signal) => (request.action === 'speak'
      ? client.speak(request.callUuid, request.body, signal)
      : client.stopSpeak(request.callUuid, signal)),
    subject: (request) => ({
      callUuid: request.callUuid,
      skippedWhenEnded: true,
      notFoundMeansEnded: request.action === 'speak' && aLegOnly(request.body.legs),
      endsCall: false,
    }),
    atMostOnce: () => false,
    succeeded: (request) => successView(request.action === 'speak' ? 'speaking' : 'speech-stopped'),
  });
}
