/** plivo-call: hangs up, transfers, sends digits into, records or asks about a live Plivo call, and sends Plivo's answer on. */
import type { NodeAPI } from 'node-red';
import { registerCallNode, type CallNodeDef } from './shared/call-node';
import {
  buildCallOperation, CALL_TYPED_FIELDS, fieldsForOperation, notFoundMeansEnded, sentAtMostOnce, skippedWhenEnded, type CallOperationRequest, type CallSettings,
} from './lib/call/call-request';
import { successView } from './lib/call/status';

type PlivoCallDef = CallNodeDef & CallSettings;

export default function register(RED: NodeAPI): void {
  registerCallNode<PlivoCallDef, CallOperationRequest>(RED, 'plivo-call', {
    typedFields: CALL_TYPED_FIELDS,
    fieldsFor: fieldsForOperation,
    build: buildCallOperation,
    send: ({ client }, request, signal) => client.request(request.method, request.path, { json: request.body, query: request.query, signal }),
    subject: (request) => (request.callUuid === undefined ? undefined : {
      callUuid: request.callUuid,
      skippedWhenEnded: skippedWhenEnded(request),
      notFoundMeansEnded: notFoundMeansEnded(request),
      endsCall: request.operation === 'hangup',
    }),
    atMostOnce: (request) => sentAtMostOnce(request.operation),
    succeeded: (request) => successView(request.operation),
  });
}
