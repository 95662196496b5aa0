/** plivo-conference: runs a Plivo conference (its members named by member ID or by their call), and sends Plivo's answer on. */
import type { NodeAPI } from 'node-red';
import { registerCallNode, type CallNodeDef } from './shared/call-node';
import {
  buildConferenceRequest, CONFERENCE_TYPED_FIELDS, conferenceFieldsFor, conferencePath, conferenceSentAtMostOnce, mediaStarted, mediaStopped, memberPath,
  type ConferenceRequest, type ConferenceSettings,
} from './lib/call/conference-request';
import { InputError } from './lib/common/errors';
import { successView } from './lib/call/status';

type PlivoConferenceDef = CallNodeDef & ConferenceSettings;

export default function register(RED: NodeAPI): void {
  registerCallNode<PlivoConferenceDef, ConferenceRequest>(RED, 'plivo-conference', {
    typedFields: CONFERENCE_TYPED_FIELDS,
    fieldsFor: conferenceFieldsFor,
    build: buildConferenceRequest,
    async resolve(account, request, lookup) {
      const { conference, members } = request;
      if (conference === undefined || members === undefined) return request;
      const ids = await account.members.resolve(conference, members, {
        ended: (callUuid) => (account.skipEndedCalls ? account.endedCalls.get(callUuid, Date.now()) : undefined),
        details: async () => (await lookup((signal) => account.client.request('GET', conferencePath(conference), { signal }))).body,
      }, Date.now);
      const stopped = mediaStopped(request.operation);
      const started = stopped && account.members.mismatchedStop(stopped, conference, ids);
      if (stopped && started) {
        throw new InputError('member_id', ids, `conference.stop-${stopped}-mismatch`, { conference, started: started.join(' | '), named: ids });
      }
      return { ...request, memberIds: ids, path: memberPath(request, ids) };
    },
    send: ({ client }, request, signal) => client.request(request.method, request.path, { json: request.body, signal }),
    subject: () => undefined,
    atMostOnce: (request) => conferenceSentAtMostOnce(request.operation),
    accepted(account, request) {
      const { conference, operation, memberIds } = request;
      if (conference === undefined) return;
      if (operation === 'hangup') account.members.roomEnded(conference);
      if (memberIds === undefined) return;
      const started = mediaStarted(operation);
      if (started) account.members.started(started, conference, memberIds);
      const stopped = mediaStopped(operation);
      if (stopped) account.members.stopped(stopped, conference, memberIds);
    },
    succeeded: (request) => successView(`conference.${request.operation}`),
  });
}
