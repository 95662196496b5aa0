'use strict';
/**
 * plivo conference: each operation's request (unit), the checks bad input gets, the account's
 * memory of members by call (unit), and the node in a flow against the sandbox's conferences:
 * members named by call from the enter events a plivo webhook node heard (no lookup), by one
 * details lookup otherwise, members who left or whose call ended skipped unsent, stops that
 * name members otherwise than their start refused, and hang up all only when allowed.
 */
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { startSandbox } = require('../sandbox/plivo-sandbox.js');
const { buildConferenceRequest, memberPath } = require('../dist/nodes/lib/call/conference-request.js');
const { ConferenceMembers } = require('../dist/nodes/lib/plivo/conference-members.js');
const { InputError } = require('../dist/nodes/lib/common/errors.js');
const conferenceNode = require('../dist/nodes/plivo-conference.js').default;
const webhookNode = require('../dist/nodes/plivo-webhook.js').default;
const {
  helper, configNode, Outcomes, startOwnSandbox, credentialsFor, nodeRoutes, callbackServer, CATCH_COPIES_CODE,
} = require('./support.js');
const { waitFor } = require('./webhook-support.js');

const CALL = '2d6a3c4e-1f0b-4c8e-9a55-0c1d2e3f4a5b';
const OTHER = '9f8e7d6c-5b4a-4321-8fed-cba987654321';

describe('plivo conference: the request each operation makes', () => {
  const build = (payload, settings = {}) => buildConferenceRequest(settings, payload).request;

  it('the room\'s operations: list, details, hang up, record and stop; names percent-encoded', () => {
    assert.deepEqual(build({ operation: 'list' }), { operation: 'list', method: 'GET', path: 'Conference/' });
    assert.deepEqual(build({ operation: 'details', conference_name: 'My Conf Room' }),
      { operation: 'details', method: 'GET', path: 'Conference/My%20Conf%20Room/', conference: 'My Conf Room' });
    assert.deepEqual(build({ ConferenceName: 'incident' }, { operation: 'hangup' }),
      { operation: 'hangup', method: 'DELETE', path: 'Conference/incident/', conference: 'incident' });
    assert.deepEqual(build({ conference_name: 'incident', file_format: 'wav', callback_url: 'https://c.example/rec' }, { operation: 'record' }), {
      operation: 'record', method: 'POST', path: 'Conference/incident/Record/', conference: 'incident', body: { file_format: 'wav', callback_url: 'https://c.example/rec' },
    });
    assert.deepEqual(build({ conference_name: 'incident' }, { operation: 'stop-recording' }),
      { operation: 'stop-recording', method: 'DELETE', path: 'Conference/incident/Record/', conference: 'incident' });
    assert.deepEqual(build({}, { operation: 'hangup-all', allowHangupAll: true }), { operation: 'hangup-all', method: 'DELETE', path: 'Conference/' });
  });

  it('member operations: IDs, lists, all, call UUIDs; each operation\'s method, action and body', () => {
    const mute = build({ operation: 'mute', conference_name: 'incident', member_id: '17, 18' });
    assert.deepEqual(mute.members, [{ memberId: '17' }, { memberId: '18' }]);
    assert.equal(memberPath(mute, '17,18'), 'Conference/incident/Member/17,18/Mute/');
    assert.equal(build({ conference_name: 'r', member_id: 'ALL' }, { operation: 'kick' }).members, 'all');
    assert.deepEqual(build({ conference_name: 'r', member_id: [17, CALL.toUpperCase()] }, { operation: 'deaf' }).members, [{ memberId: '17' }, { callUuid: CALL }]);
    // A conference callback's message names its own member; a call's webhook names it by call.
    assert.deepEqual(build({ ConferenceName: 'r', ConferenceMemberID: '21', CallUUID: CALL }, { operation: 'mute' }).members, [{ memberId: '21' }]);
    assert.deepEqual(build({ conference_name: 'r', CallUUID: CALL }, { operation: 'mute' }).members, [{ callUuid: CALL }]);
    const expected = {
      'member-hangup': ['DELETE', ''], kick: ['POST', 'Kick/'], mute: ['POST', 'Mute/'], unmute: ['DELETE', 'Mute/'], deaf: ['POST', 'Deaf/'],
      undeaf: ['DELETE', 'Deaf/'], 'stop-play': ['DELETE', 'Play/'], 'stop-speak': ['DELETE', 'Speak/'],
    };
    for (const [operation, [method, action]] of Object.entries(expected)) {
      const request = build({ operation, conference_name: 'r', member_id: 'all' });
      assert.deepEqual([request.method, memberPath(request, 'all'), request.body], [method, `Conference/r/Member/all/${action}`, undefined], operation);
    }
    assert.deepEqual(build({ conference_name: 'r', member_id: 'all', url: 'https://m.example/alarm.mp3' }, { operation: 'play' }).body, { url: 'https://m.example/alarm.mp3' });
    assert.deepEqual(build({ conference_name: 'r', member_id: 'all', text: ' Major incident ', voice: 'MAN', language: 'en-GB' }, { operation: 'speak' }).body,
      { text: 'Major incident', voice: 'MAN', language: 'en-GB' });
  });

  it('the node\'s fixed values win; the message fields they shadow are reported', () => {
    const built = buildConferenceRequest({ operation: 'mute', conference_name: 'incident', member_id: 'all' }, { operation: 'kick', conference_name: 'other', member_id: '3' });
    assert.equal(built.request.operation, 'mute');
    assert.equal(built.request.path, 'Conference/incident/Member/');
    assert.deepEqual(built.ignoredFields.sort(), ['msg.payload.conference_name', 'msg.payload.member_id', 'msg.payload.operation']);
  });

  const BAD = [
    [{}, {}, /msg\.payload\.operation is missing: send one of list, details/, 'operation'],
    [{ operation: 'explode' }, {}, /msg\.payload\.operation must be one of list, details, hangup, hangup-all/, 'operation'],
    [{ operation: 'hangup-all' }, {}, /msg\.payload\.operation asks to hang up all of the account's conferences, which this node does not allow/, 'operation'],
    [{}, { operation: 'hangup-all', allowHangupAll: 'true' }, /the node's operation setting asks to hang up all/, 'operation'],
    [{ operation: 'details' }, {}, /msg\.payload\.conference_name is missing/, 'conference_name'],
    [{ operation: 'details', conference_name: '../Call' }, {}, /msg\.payload\.conference_name must be a conference name .*\(got "\.\.\/Call"\)/, 'conference_name'],
    [{ operation: 'details', conference_name: '..' }, {}, /must be a conference name/, 'conference_name'],
    [{ operation: 'details', conference_name: 'a%2Fb' }, {}, /must be a conference name/, 'conference_name'],
    [{ operation: 'details', conference_name: 'room?x=1' }, {}, /must be a conference name/, 'conference_name'],
    [{ operation: 'details', conference_name: 'room#x' }, {}, /must be a conference name/, 'conference_name'],
    [{ operation: 'details', conference_name: 'a\\b' }, {}, /must be a conference name/, 'conference_name'],
    [{ operation: 'details', conference_name: 'a\nb' }, {}, /must be a conference name/, 'conference_name'],
    [{ operation: 'details', conference_name: 'x'.repeat(129) }, {}, /1 to 128 characters/, 'conference_name'],
    [{ operation: 'details', conference_name: { name: 'r' } }, {}, /must be a conference name/, 'conference_name'],
    [{ operation: 'mute', conference_name: 'r' }, {}, /msg\.payload\.member_id is missing/, 'member_id'],
    [{ operation: 'mute', conference_name: 'r', member_id: '17/../x' }, {}, /msg\.payload\.member_id must be a member ID \(digits\), a call UUID.*\(got "17\/\.\.\/x"\)/, 'member_id'],
    [{ operation: 'mute', conference_name: 'r', member_id: '17,all' }, {}, /msg\.payload\.member_id \(2\) must be a member ID/, 'member_id'],
    [{ operation: 'mute', conference_name: 'r', member_id: [17, -1] }, {}, /msg\.payload\.member_id\[1\] must be a member ID/, 'member_id'],
    [{ operation: 'mute', conference_name: 'r', member_id: [] }, {}, /msg\.payload\.member_id must be a member ID/, 'member_id'],
    [{ operation: 'mute', conference_name: 'r', member_id: Array(101).fill(1) }, {}, /names 101 members; at most 100/, 'member_id'],
    [{ operation: 'play', conference_name: 'r', member_id: 'all' }, {}, /msg\.payload\.url is missing/, 'url'],
    [{ operation: 'play', conference_name: 'r', member_id: 'all', url: 'ftp://m.example/a.mp3' }, {}, /msg\.payload\.url is not an absolute http\(s\) URL/, 'url'],
    [{ operation: 'speak', conference_name: 'r', member_id: 'all' }, {}, /msg\.payload\.text is missing/, 'text'],
    [{ operation: 'speak', conference_name: 'r', member_id: 'all', text: 'x'.repeat(3001) }, {}, /text .*3001.*3000|3000/, 'text'],
    [{ operation: 'speak', conference_name: 'r', member_id: 'all', text: 'hi', language: 'xx-XX' }, {}, /msg\.payload\.language/, 'language'],
    [{ operation: 'speak', conference_name: 'r', member_id: 'all', text: 'hi', voice: 'ROBOT' }, {}, /msg\.payload\.voice/, 'voice'],
    [{ operation: 'speak', conference_name: 'r', member_id: 'all', text: 'hi', voice: 'MAN', language: 'arb' }, {}, /voice MAN.*arb|arb.*MAN/, 'voice'],
    [{ operation: 'record', conference_name: 'r', file_format: 'ogg' }, {}, /file_format must be mp3 or wav/, 'file_format'],
    [{ operation: 'record', conference_name: 'r', callback_method: 'PUT' }, {}, /callback_method must be GET or POST/, 'callback_method'],
  ];
  for (const [payload, settings, message, field] of BAD) {
    it(`refuses ${JSON.stringify(payload).slice(0, 80)} ${JSON.stringify(settings)}, naming ${field}`, () => {
      assert.throws(() => buildConferenceRequest(settings, payload), (error) => {
        assert.match(error.message, message);
        assert.equal(error.field, field);
        return true;
      });
    });
  }
});

describe('plivo conference: whatever a name or member holds, the request\'s path keeps its structure', () => {
  const name = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('..', '.', '%2e%2e', 'a/b', 'a\\b', 'x?y', 'x#y', ' room ', 'My Conf Room'));
  const member = fc.oneof(fc.string(), fc.integer(), fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(CALL)), { maxLength: 5 }), fc.constantFrom('all', '17,18', CALL));

  it('a request is built with the name percent-encoded as one segment and members as digits or all, or an InputError names the field', () => {
    fc.assert(fc.property(name, member, fc.constantFrom('details', 'mute', 'play'), (conference, members, operation) => {
      let built;
      try {
        built = buildConferenceRequest({}, { operation, conference_name: conference, member_id: members, url: 'https://m.example/a.mp3' }).request;
      } catch (error) {
        assert.ok(error instanceof InputError, String(error));
        assert.ok(['conference_name', 'member_id'].includes(error.field), error.field);
        return;
      }
      const [, segment, rest] = /^Conference\/([^/?#]+)\/(.*)$/.exec(built.path);
      assert.equal(decodeURIComponent(segment), built.conference);
      assert.equal(built.conference, String(conference).trim());
      assert.ok(!/^\.+$/.test(built.conference));
      if (operation === 'details') return assert.equal(rest, '');
      const ids = built.members === 'all' ? 'all' : built.members.map((item) => item.memberId ?? '5').join(',');
      assert.match(memberPath(built, ids), /^Conference\/[^/?#]+\/Member\/(all|[0-9]+(,[0-9]+)*)\/(Mute|Play)\/$/);
      return undefined;
    }), { numRuns: 2000, seed: 20261206 });
  });
});

describe('the account\'s memory of conference members', () => {
  const enter = (memberId, callUuid = CALL, conference = 'incident') => ({ ConferenceAction: 'enter', ConferenceName: conference, ConferenceMemberID: memberId, CallUUID: callUuid });
  const noLookup = { ended: () => undefined, details: () => assert.fail('no lookup expected') };

  it('learns members from enter and exit events; a late enter does not undo its exit; other webhooks teach nothing', async () => {
    const members = new ConferenceMembers();
    members.heard(enter('17'), 1);
    assert.equal(await members.resolve('incident', [{ callUuid: CALL }, { memberId: '3' }], noLookup, () => 2), '17,3');
    members.heard({ ...enter('17'), ConferenceAction: 'exit' }, 3);
    members.heard(enter('17'), 4);
    await assert.rejects(members.resolve('incident', [{ callUuid: CALL }], noLookup, () => 5), (error) => error.code === 'MEMBER_LEFT' && /left conference incident at/.test(error.message));
    members.heard({ CallUUID: OTHER, CallStatus: 'in-progress' }, 6);
    members.heard({ ...enter('x18', OTHER) }, 6);
    assert.equal(members.local(OTHER, 7), undefined);
  });

  it('a call not heard of costs one details lookup, for all the calls it names, and is then remembered', async () => {
    const members = new ConferenceMembers();
    let lookups = 0;
    const lookup = {
      ended: () => undefined,
      details: async () => {
        lookups += 1;
        return { members: [{ member_id: '5', call_uuid: CALL }, { member_id: '6', call_uuid: OTHER }] };
      },
    };
    assert.equal(await members.resolve('incident', [{ callUuid: CALL }, { callUuid: OTHER }], lookup, () => 1), '5,6');
    assert.equal(await members.resolve('incident', [{ callUuid: OTHER }], lookup, () => 2), '6');
    assert.equal(lookups, 1);
    assert.equal(await members.resolve('incident', 'all', noLookup, () => 3), 'all');
  });

  it('messages that need the room looked up at the same time share one lookup; when it fails, the next one is shared too', async () => {
    const members = new ConferenceMembers();
    let lookups = 0;
    let fail = true;
    const lookup = {
      ended: () => undefined,
      details: async () => {
        lookups += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (fail) {
          fail = false;
          throw new Error('Plivo unreachable');
        }
        return { members: [{ member_id: '5', call_uuid: CALL }, { member_id: '6', call_uuid: OTHER }] };
      },
    };
    const outcomes = await Promise.allSettled([CALL, OTHER, CALL].map((callUuid) => members.resolve('incident', [{ callUuid }], lookup, Date.now)));
    assert.equal(outcomes[0].reason.message, 'Plivo unreachable');
    assert.deepEqual(outcomes.slice(1).map((outcome) => outcome.value), ['6', '5']);
    assert.equal(lookups, 2, 'the failed lookup, then one shared by the two that waited');
  });

  it('a call the lookup does not list is not in the room; one remembered there but no longer listed has left', async () => {
    const members = new ConferenceMembers();
    members.heard(enter('5'), 1);
    const lookup = { ended: () => undefined, details: async () => ({ members: [] }) };
    await assert.rejects(members.resolve('incident', [{ callUuid: OTHER }], lookup, () => 2), (error) => error.code === 'MEMBER_LEFT' && /is not in conference incident/.test(error.message));
    assert.equal(members.local(CALL, 3).leftAt, 2, 'the room\'s details showed it gone');
  });

  it('a call that has ended is CALL_ENDED, with no lookup', async () => {
    const members = new ConferenceMembers();
    const lookup = { ended: (uuid) => (uuid === CALL ? { at: 1, by: 'webhook' } : undefined), details: () => assert.fail('no lookup') };
    await assert.rejects(members.resolve('incident', [{ callUuid: CALL }], lookup, () => 2), (error) => error.code === 'CALL_ENDED' && error.message.includes(`member call ${CALL}`));
  });

  it('is bounded: past its capacity the oldest memberships are forgotten first', () => {
    const members = new ConferenceMembers(60_000, 3);
    const uuid = (i) => `00000000-0000-4000-8000-00000000000${i}`;
    for (let i = 0; i < 5; i += 1) members.heard(enter(String(i), uuid(i)), i);
    assert.equal(members.size, 3);
    assert.equal(members.local(uuid(0), 5), undefined);
    assert.equal(members.local(uuid(4), 5).memberId, '4');
  });

  it('a stop that names members otherwise than every start is a mismatch; one that matches is not, and forgets its start', () => {
    const members = new ConferenceMembers();
    assert.equal(members.mismatchedStop('play', 'incident', 'all'), undefined, 'nothing known started: the stop may go');
    members.started('play', 'incident', '17');
    assert.deepEqual(members.mismatchedStop('play', 'incident', 'all'), ['17']);
    assert.equal(members.mismatchedStop('speak', 'incident', 'all'), undefined, 'plays and speeches apart');
    assert.equal(members.mismatchedStop('play', 'other', 'all'), undefined, 'rooms apart');
    assert.equal(members.mismatchedStop('play', 'incident', '17'), undefined);
    members.stopped('play', 'incident', '17');
    assert.equal(members.mismatchedStop('play', 'incident', 'all'), undefined);
    members.started('speak', 'incident', 'all');
    members.roomEnded('incident');
    assert.equal(members.mismatchedStop('speak', 'incident', '3'), undefined, 'a room hung up has nothing playing');
  });
});

/**
 * A flow: config -> plivo conference `conf` (-> helper, catch -> helper); a plivo webhook node
 * answering calls with the room's XML, whose callbackUrl is a second webhook node (-> helper).
 */
describe('plivo conference node, against the sandbox', function () {
  this.timeout(20_000);
  let sandbox;
  let outside;
  const routes = nodeRoutes();
  beforeEach(async () => {
    sandbox = await startOwnSandbox(startSandbox, { timeScale: 0.01 });
  });
  afterEach(async () => {
    await helper.unload();
    await sandbox.close();
    await outside?.close();
    outside = undefined;
  });

  const base = () => `http://127.0.0.1:${routes.port}`;
  const roomXml = () => `<Response><Conference callbackUrl="${base()}/plivo/room">incident</Conference><Speak>You left the bridge</Speak></Response>`;

  async function load(conferenceProps = {}) {
    const flow = [
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 'cfg', type: 'plivo-config', name: 'account', baseUrl: sandbox.url },
      { id: 'conf', type: 'plivo-conference', z: 'tab', account: 'cfg', wires: [['out']], ...conferenceProps },
      { id: 'out', type: 'helper', z: 'tab', wires: [] },
      { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab', wires: [] },
      { id: 'answer', type: 'plivo-webhook', z: 'tab', account: 'cfg', url: '/plivo/answer', method: 'post', publicUrl: base(), answerXml: roomXml(), wires: [[]] },
      { id: 'room', type: 'plivo-webhook', z: 'tab', account: 'cfg', url: '/plivo/room', method: 'post', publicUrl: base(), answerXml: '<Response/>', wires: [['events']] },
      { id: 'events', type: 'helper', z: 'tab', wires: [] },
    ];
    await helper.load([configNode, conferenceNode, webhookNode, routes.capture], flow, credentialsFor(sandbox));
    const run = new Outcomes(helper.getNode('conf'), helper.getNode('out'), helper.getNode('caught'));
    run.events = [];
    helper.getNode('events').on('input', (msg) => run.events.push(msg.payload));
    return run;
  }

  /** Calls that join the room through `answerUrl`; resolves with their UUIDs once each is a member and `heard` says its enter arrived. */
  async function join(count, answerUrl, heard = () => true) {
    const calls = [];
    for (let i = 0; i < count; i += 1) {
      const answer = await fetch(`${sandbox.url}/sandbox/calls`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ answer_url: answerUrl }),
      });
      calls.push((await answer.json()).call_uuid);
    }
    for (const deadline = Date.now() + 5000; ;) {
      const answer = await fetch(`${sandbox.url}/sandbox/conferences/incident`);
      const room = answer.status === 200 ? await answer.json() : { members: [] };
      if (calls.every((uuid) => room.members.some((member) => member.call_uuid === uuid) && heard(uuid))) return calls;
      if (Date.now() > deadline) throw new Error('the calls did not all enter the room');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  const view = async () => (await fetch(`${sandbox.url}/sandbox/conferences/incident`)).json();
  const sent = () => sandbox.requests.filter((request) => request.path.startsWith('/v1/')).map((r) => `${r.method} ${r.path.replace(`/v1/Account/${sandbox.account.authId}/`, '')}`);
  const enteredIn = (run) => (uuid) => run.events.some((event) => event.ConferenceAction === 'enter' && event.CallUUID === uuid);

  it('names members by call from the enter events its webhook heard: mute, speak, play, no lookup', async () => {
    const run = await load({ operation: 'msg', conference_name: 'incident' });
    const [lead, second] = await join(2, `${base()}/plivo/answer`, enteredIn(run));
    const leadId = run.events.find((event) => event.CallUUID === lead).ConferenceMemberID;
    const mute = await run.send({ payload: { operation: 'mute', call_uuid: second } });
    assert.equal(mute.output.statusCode, 202);
    const speak = await run.send({ payload: { operation: 'speak', CallUUID: lead, text: 'Major incident', language: 'en-GB' } });
    assert.equal(speak.output.statusCode, 202);
    const room = await view();
    assert.equal(room.members.find((m) => m.call_uuid === second).muted, true);
    assert.equal(room.members.find((m) => m.call_uuid === lead).muted, false);
    assert.deepEqual(room.members.find((m) => m.call_uuid === lead).speaking, { namedAs: leadId, what: 'Major incident' });
    const secondId = room.members.find((m) => m.call_uuid === second).member_id;
    assert.deepEqual(sent(), [`POST Conference/incident/Member/${secondId}/Mute/`, `POST Conference/incident/Member/${leadId}/Speak/`]);
  });

  it('a call not heard of costs one details lookup through the account\'s queue; the next request for the room none', async () => {
    outside = await callbackServer(sandbox.account.authToken, (path) => (path === '/answer' ? '<Response><Conference>incident</Conference></Response>' : undefined));
    const run = await load({ operation: 'deaf', conference_name: 'incident' });
    const calls = await join(2, `${outside.base}/answer`);
    const first = await run.send({ payload: { call_uuid: calls[0] } });
    assert.equal(first.output.statusCode, 202);
    const second = await run.send({ payload: { member_id: calls[1] } });
    assert.equal(second.output.statusCode, 202);
    const ids = (await view()).members.map((m) => m.member_id);
    assert.deepEqual(sent(), ['GET Conference/incident/', `POST Conference/incident/Member/${ids[0]}/Deaf/`, `POST Conference/incident/Member/${ids[1]}/Deaf/`]);
  });

  it('a member who left, or whose call ended, ends the message unsent: MEMBER_LEFT, CALL_ENDED', async () => {
    const run = await load({ operation: 'msg', conference_name: 'incident' });
    const [kicked, hungUp, stays] = await join(3, `${base()}/plivo/answer`, enteredIn(run));
    assert.equal((await run.send({ payload: { operation: 'kick', call_uuid: kicked } })).output.statusCode, 202);
    await waitFor(() => run.events.some((event) => event.ConferenceAction === 'exit' && event.CallUUID === kicked), 'the exit event');
    // The caller hangs up; its hangup webhook reaches a plivo webhook node of the account.
    const hangup = await fetch(`${sandbox.url}/sandbox/hangups`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ call_uuid: hungUp, hangup_url: `${base()}/plivo/room` }),
    });
    assert.equal(hangup.status, 200);
    const before = sent().length;
    const left = await run.send({ payload: { operation: 'mute', call_uuid: kicked } });
    assert.match(left.error.error.message, new RegExp(`call ${kicked} left conference incident at \\d\\d:\\d\\d:\\d\\d: no request was sent`));
    if (CATCH_COPIES_CODE) assert.equal(left.error.error.code, 'MEMBER_LEFT');
    const both = await run.send({ payload: { operation: 'unmute', call_uuid: [stays, hungUp] } });
    assert.match(both.error.error.message, new RegExp(`member call ${hungUp}: Not sent: the call has ended|member call ${hungUp}: the call has ended`));
    if (CATCH_COPIES_CODE) assert.equal(both.error.error.code, 'CALL_ENDED');
    assert.equal(sent().length, before, 'nothing sent');
    assert.equal((await run.send({ payload: { operation: 'mute', call_uuid: stays } })).output.statusCode, 202);
  });

  it('a stop that names members otherwise than the start is refused with the naming to use; the matching one stops it', async () => {
    const run = await load({ operation: 'msg', conference_name: 'incident' });
    const [lead] = await join(2, `${base()}/plivo/answer`, enteredIn(run));
    const leadId = run.events.find((event) => event.CallUUID === lead).ConferenceMemberID;
    assert.equal((await run.send({ payload: { operation: 'play', call_uuid: lead, url: 'https://media.example.com/alarm.mp3' } })).output.statusCode, 202);
    const before = sent().length;
    const wrong = await run.send({ payload: { operation: 'stop-play', member_id: 'all' } });
    assert.match(wrong.error.error.message, new RegExp(`started for members ${leadId}; .* would stop nothing for all: send member_id ${leadId}`));
    assert.equal(sent().length, before, 'nothing sent');
    const right = await run.send({ payload: { operation: 'stop-play', call_uuid: lead } });
    assert.equal(right.output.statusCode, 204);
    assert.equal((await view()).members.find((m) => m.call_uuid === lead).playing, null, 'the play stopped');
  });

  it('lists, details, records and stops; hangs up all only when the node allows it', async () => {
    const run = await load({ operation: 'msg', conference_name: 'incident' });
    const calls = await join(2, `${base()}/plivo/answer`, enteredIn(run));
    assert.deepEqual((await run.send({ payload: { operation: 'list' } })).output.payload.conferences, ['incident']);
    const details = (await run.send({ payload: { operation: 'details' } })).output.payload;
    assert.deepEqual(details.members.map((m) => m.call_uuid).sort(), [...calls].sort());
    const record = await run.send({ payload: { operation: 'record', file_format: 'wav' } });
    assert.match(record.output.payload.url, /\.wav$/);
    assert.equal((await view()).recording.url, record.output.payload.url);
    assert.equal((await run.send({ payload: { operation: 'stop-recording' } })).output.statusCode, 204);
    const refused = await run.send({ payload: { operation: 'hangup-all' } });
    assert.match(refused.error.error.message, /does not allow: tick "Allow hang up all"/);
    assert.ok(!sent().includes('DELETE Conference/'));
    await helper.unload();
    const allowed = await load({ operation: 'msg', allowHangupAll: true });
    assert.equal((await allowed.send({ payload: { operation: 'hangup-all' } })).output.statusCode, 204);
    assert.equal((await fetch(`${sandbox.url}/sandbox/conferences/incident`)).status, 404, 'the room is gone');
  });

  it('bad input ends as an error naming the field and value, at Catch, and sends nothing', async () => {
    const run = await load({ operation: 'mute' });
    const { error } = await run.send({ payload: { conference_name: 'a/../../Call', member_id: 'all' } });
    assert.match(error.error.message, /msg\.payload\.conference_name must be a conference name .*\(got "a\/\.\.\/\.\.\/Call"\)/);
    assert.equal(sent().length, 0);
  });
});
