'use strict';
/**
 * The nodes send what Plivo's official Node SDK sends for the same values: both talk to the
 * sandbox, which records the requests; method, path, content type and JSON body must match.
 */
const assert = require('node:assert/strict');
const { startSandbox } = require('../sandbox/plivo-sandbox.js');
const { plivoClientFor } = require('../scripts/runtime-process.js');
const { PlivoClient } = require('../dist/nodes/lib/plivo/client.js');
const { buildSpeakRequest } = require('../dist/nodes/lib/call/speak-request.js');
const { buildCallRequest } = require('../dist/nodes/lib/call/play-request.js');
const { buildCallOperation } = require('../dist/nodes/lib/call/call-request.js');
const { buildMakeCall, callBody } = require('../dist/nodes/lib/call/make-call-request.js');
const { buildConferenceRequest, memberPath } = require('../dist/nodes/lib/call/conference-request.js');
const { callbackServer } = require('./support.js');

describe('the nodes\' requests are the official SDK\'s', function () {
  this.timeout(10_000);
  let sandbox;
  let sdk;
  let ours;
  let callUuid;

  before(async () => {
    sandbox = await startSandbox();
    const { authId, authToken } = sandbox.account;
    sdk = plivoClientFor({ url: sandbox.url, authId, authToken });
    ours = new PlivoClient({ baseUrl: sandbox.url, authId, authToken },
      { timeoutMs: 2000, userAgent: 'parity-test' });
  });
  after(async () => {
    ours.close();
    await sandbox.close();
  });
  beforeEach(() => {
    sandbox.reset();
    callUuid = sandbox.addCall();
  });

  /** The one request `send` made, as the sandbox saw it. */
  async function recorded(send) {
    const before = sandbox.requests.length;
    await send();
    assert.equal(sandbox.requests.length, before + 1, 'one request');
    const { method, path, headers, json, status } = sandbox.requests[before];
    return { method, path, contentType: String(headers['content-type']).split(';')[0], json, status };
  }

  async function same(sdkSend, nodeSend) {
    const theirs = await recorded(sdkSend);
    const mine = await recorded(nodeSend);
    assert.deepEqual(mine, theirs);
    return mine;
  }

  const SPEAK_CASES = [
    {},
    { voice: 'MAN' },
    { voice: 'WOMAN', language: 'de-DE' },
    { language: 'ja-JP', legs: 'both', loop: true, mix: false },
    { legs: 'bleg', loop: false, mix: true },
  ];
  for (const options of SPEAK_CASES) {
    it(`speak ${JSON.stringify(options)}`, async () => {
      const text = 'You are caller number 3';
      const { request } = buildSpeakRequest({}, { call_uuid: callUuid, text, ...options });
      const sent = await same(
        () => sdk.calls.speakText(callUuid, text, { ...options }),
        () => ours.speak(request.callUuid, request.body),
      );
      assert.equal(sent.status, 202);
      assert.equal(sent.path, `/v1/Account/${sandbox.account.authId}/Call/${callUuid}/Speak/`);
    });
  }

  /** Stops go to the same place; the SDK adds an empty JSON body, the nodes send none, as Plivo's own curl example. */
  async function sameStop(sdkSend, nodeSend) {
    const { method, path, status } = await recorded(sdkSend);
    const mine = await recorded(nodeSend);
    assert.deepEqual({ method: mine.method, path: mine.path, status: mine.status }, { method, path, status });
    assert.equal(mine.json, undefined, 'no body');
    assert.equal(method, 'DELETE');
    assert.equal(status, 204);
    return mine;
  }

  it('stop speaking', async () => {
    const { request } = buildSpeakRequest({ action: 'stop' }, { call_uuid: callUuid });
    const sent = await sameStop(() => sdk.calls.stopSpeakingText(callUuid), () => ours.stopSpeak(request.callUuid));
    assert.equal(sent.path, `/v1/Account/${sandbox.account.authId}/Call/${callUuid}/Speak/`);
  });

  it('play, with every option', async () => {
    const urls = 'https://a.example/one.mp3,https://a.example/two.wav';
    const options = { length: 30, legs: 'aleg', loop: true, mix: false };
    const { request } = buildCallRequest({}, { call_uuid: callUuid, urls: urls.split(','), ...options });
    const sent = await same(() => sdk.calls.playMusic(callUuid, urls, { ...options }), () => ours.play(request.callUuid, request.body));
    assert.equal(sent.status, 202);
  });

  it('stop playing', async () => {
    const { request } = buildCallRequest({ action: 'stop' }, { call_uuid: callUuid });
    const sent = await sameStop(() => sdk.calls.stopPlayingMusic(callUuid), () => ours.stopPlay(request.callUuid));
    assert.equal(sent.path, `/v1/Account/${sandbox.account.authId}/Call/${callUuid}/Play/`);
  });

  describe('plivo call\'s operations', () => {
    /** Method, path with query, and JSON body; the content type too when there is a body. */
    // The SDK sends an empty JSON body with a DELETE; the nodes send none, as Plivo's own curl examples.
    const comparable = ({ method, path, json, contentType }) => (json === undefined || (method === 'DELETE' && Object.keys(json).length === 0)
      ? { method, path } : { method, path, json, contentType });
    /** What plivo call sends for `payload`, through the same client method the node uses. */
    const operation = (payload) => {
      const { request } = buildCallOperation({}, payload);
      return () => ours.request(request.method, request.path, { json: request.body, query: request.query });
    };
    const CASES = [
      ['hang up', (uuid) => sdk.calls.hangup(uuid), (uuid) => ({ operation: 'hangup', call_uuid: uuid }), 204],
      ['transfer the A leg', (uuid) => sdk.calls.transfer(uuid, { legs: 'aleg', aleg_url: 'https://a.example/next' }),
        (uuid) => ({ operation: 'transfer', call_uuid: uuid, legs: 'aleg', aleg_url: 'https://a.example/next' }), 202],
      ['transfer both legs, with methods', (uuid) => sdk.calls.transfer(uuid, {
        legs: 'both', aleg_url: 'https://a.example/a', aleg_method: 'GET', bleg_url: 'https://a.example/b', bleg_method: 'POST',
      }), (uuid) => ({
        operation: 'transfer', call_uuid: uuid, legs: 'both', aleg_url: 'https://a.example/a', aleg_method: 'GET', bleg_url: 'https://a.example/b', bleg_method: 'POST',
      }), 202],
      ['send digits', (uuid) => sdk.calls.sendDigits(uuid, '12w#'), (uuid) => ({ operation: 'send-digits', call_uuid: uuid, digits: '12w#' }), 202],
      ['send digits to the B leg', (uuid) => sdk.calls.sendDigits(uuid, '9', { leg: 'bleg' }),
        (uuid) => ({ operation: 'send-digits', call_uuid: uuid, digits: '9', leg: 'bleg' }), 202],
      ['record', (uuid) => sdk.calls.record(uuid), (uuid) => ({ operation: 'record', call_uuid: uuid }), 202],
      ['record, with every option', (uuid) => sdk.calls.record(uuid, {
        time_limit: 120, file_format: 'wav', transcription_type: 'auto', transcription_url: 'https://a.example/t', transcription_method: 'GET',
        callback_url: 'https://a.example/c', callback_method: 'POST',
      }), (uuid) => ({
        operation: 'record', call_uuid: uuid, time_limit: 120, file_format: 'wav', transcription_type: 'auto', transcription_url: 'https://a.example/t',
        transcription_method: 'GET', callback_url: 'https://a.example/c', callback_method: 'POST',
      }), 202],
      ['live details', (uuid) => sdk.calls.getLiveCall(uuid), (uuid) => ({ operation: 'live-details', call_uuid: uuid }), 200],
      ['live calls', () => sdk.calls.listLiveCalls(), () => ({ operation: 'live-calls' }), 200],
      ['live calls, filtered', () => sdk.calls.listLiveCalls({ call_direction: 'inbound', from_number: '+14155550100', to_number: '+14155550111' }),
        () => ({ operation: 'live-calls', call_direction: 'inbound', from_number: '+14155550100', to_number: '+14155550111' }), 200],
    ];
    for (const [name, sdkSend, payload, status] of CASES) {
      it(name, async () => {
        const theirs = await recorded(() => sdkSend(callUuid));
        // Their request may have ended the call (a hang-up): ours goes to a call in the same state.
        callUuid = sandbox.addCall(callUuid);
        const mine = await recorded(operation(payload(callUuid)));
        // For one live call the Node SDK leaves out the slash before ?status=live that Plivo's page (and every other path) has.
        const slashed = name === 'live details' ? { ...comparable(theirs), path: theirs.path.replace('?', '/?') } : comparable(theirs);
        assert.deepEqual(comparable(mine), slashed);
        assert.equal(mine.status, status);
      });
    }

    it('queued calls, and cancel a call request (each cancel of a request of its own, still queued)', async () => {
      const { authId } = sandbox.account;
      const place = () => ours.request('POST', 'Call/', { json: { from: '+14155550100', to: '+14155550002<+14155550102<+14155550202', answer_url: 'https://a.example/answer' } });
      const requestUuids = (await place()).body.request_uuid;
      const queued = buildCallOperation({}, { operation: 'queued-calls' }).request;
      const lists = [await recorded(() => sdk.calls.listQueuedCalls()), await recorded(() => ours.request(queued.method, queued.path, { query: queued.query }))];
      assert.deepEqual(comparable(lists[1]), comparable(lists[0]));
      assert.equal(lists[1].path, `/v1/Account/${authId}/Call/?status=queued`);
      const cancel = buildCallOperation({}, { operation: 'cancel-request', request_uuid: requestUuids[2] }).request;
      const theirs = await recorded(() => sdk.calls.cancel(requestUuids[1]));
      const mine = await recorded(() => ours.request(cancel.method, cancel.path));
      assert.deepEqual(comparable(mine), { ...comparable(theirs), path: theirs.path.replace(requestUuids[1], requestUuids[2]) });
      assert.deepEqual([theirs.status, mine.status], [204, 204]);
    });

    it('stop one recording (URL) and all of them', async () => {
      const start = async () => (await ours.request('POST', `Call/${callUuid}/Record/`, { json: {} })).body.url;
      const urls = [await start(), await start()];
      const stopOne = buildCallOperation({}, { operation: 'stop-recording', call_uuid: callUuid, URL: urls[1] }).request;
      const theirs = await recorded(() => sdk.calls.stopRecording(callUuid, { URL: urls[0] }));
      const mine = await recorded(() => ours.request(stopOne.method, stopOne.path, { json: stopOne.body }));
      // Plivo's page and its Python SDK name the parameter URL; the Node SDK lower-cases every key it sends.
      assert.deepEqual(theirs.json, { url: urls[0] });
      assert.deepEqual(comparable(mine), { ...comparable(theirs), json: { URL: urls[1] } });
      assert.deepEqual([theirs.status, mine.status], [204, 204]);
      const stopAll = buildCallOperation({}, { operation: 'stop-recording', call_uuid: callUuid }).request;
      await sameStop(() => sdk.calls.stopRecording(callUuid), () => ours.request(stopAll.method, stopAll.path));
    });
  });

  describe('plivo make call: each destination\'s request is what calls.create sends for it', () => {
    const ANSWER = 'https://a.example/answer';
    const CASES = [
      ['one destination', { to: '14155559999' }],
      ['machine detection', { to: '14155550003', machine_detection: 'true', machine_detection_time: 3000, machine_detection_url: 'https://a.example/amd',
        machine_detection_method: 'GET', machine_detection_maximum_speech_length: 2000, machine_detection_initial_silence: 3000,
        machine_detection_maximum_words: 4, machine_detection_initial_greeting: 1500, machine_detection_silence: 600 }],
      ['SIP headers', { to: 'sip:alice@phone.plivo.com', sip_headers: 'Campaign=spring,Row=12' }],
      ['ring, hangup and fallback URLs', { to: '14155559999', ring_url: 'https://a.example/ring', ring_method: 'GET', hangup_url: 'https://a.example/hangup',
        hangup_method: 'POST', fallback_url: 'https://a.example/fallback', fallback_method: 'GET', caller_name: 'Alarm desk', ring_timeout: 30,
        time_limit: 600, hangup_on_ring: 45, send_digits: '1w2@500', send_on_preanswer: true }],
    ];
    for (const [title, { to, ...options }] of CASES) {
      it(title, async () => {
        const { request } = buildMakeCall({}, { from: '14155550100', to, answer_url: ANSWER, ...options });
        const sent = await same(() => sdk.calls.create('14155550100', to, ANSWER, { ...options }),
          () => ours.request('POST', 'Call/', { json: callBody(request, request.destinations[0]) }));
        assert.equal(sent.status, 201);
      });
    }

    it('several destinations: the SDK joins them with < in one request; the node sends each alone, as the SDK would for it', async () => {
      const destinations = ['14155559999', '14155550001', 'sip:alice@phone.plivo.com'];
      const { request } = buildMakeCall({}, { from: '14155550100', to: destinations, answer_url: ANSWER });
      const joined = await recorded(() => sdk.calls.create('14155550100', destinations, ANSWER));
      assert.equal(joined.json.to, destinations.join('<'));
      for (const to of destinations) {
        await same(() => sdk.calls.create('14155550100', to, ANSWER), () => ours.request('POST', 'Call/', { json: callBody(request, to) }));
      }
    });
  });
  describe('plivo conference: each operation is what client.conferences sends', () => {
    const ROOM = 'My Conf Room';
    let room;
    let members;
    before(async () => {
      room = await callbackServer(sandbox.account.authToken, (path) => (path === '/answer' ? `<Response><Conference>${ROOM}</Conference></Response>` : undefined));
    });
    after(() => room.close());

    /** Three calls join the room; `members` holds the room's member IDs (a reset sandbox may keep earlier ones there). */
    async function fillRoom() {
      for (let i = 0; i < 3; i += 1) {
        await fetch(`${sandbox.url}/sandbox/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ answer_url: `${room.base}/answer` }) });
      }
      for (const deadline = Date.now() + 5000; ;) {
        const answer = await fetch(`${sandbox.url}/sandbox/conferences/${encodeURIComponent(ROOM)}`);
        members = answer.status === 200 ? (await answer.json()).members.map((member) => member.member_id) : [];
        if (members.length >= 3) return;
        if (Date.now() > deadline) throw new Error('the calls did not enter the room');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    beforeEach(fillRoom);

    /** What plivo conference sends for `payload`, members already member IDs, through the client method the node uses. */
    const operation = (payload, ids) => {
      const { request } = buildConferenceRequest({ allowHangupAll: true }, { conference_name: ROOM, member_id: ids, ...payload });
      const path = request.members ? memberPath(request, ids) : request.path;
      return () => ours.request(request.method, path, { json: request.body });
    };
    // The SDK sends an empty JSON body with a DELETE (and with a member POST that has no parameters); the nodes send none.
    const comparable = ({ method, path, json, contentType }) => (json === undefined || Object.keys(json).length === 0
      ? { method, path } : { method, path, json, contentType });
    const c = () => sdk.conferences;
    // [title, SDK call for the member IDs `id`, the node's payload, Plivo's status]
    const CASES = [
      ['list', () => c().list(), { operation: 'list' }, 200],
      ['details', () => c().get(ROOM), { operation: 'details' }, 200],
      ['record, with every option', () => c().record(ROOM, {
        file_format: 'wav', transcription_type: 'auto', transcription_url: 'https://a.example/t', transcription_method: 'GET', callback_url: 'https://a.example/c', callback_method: 'POST',
      }), {
        operation: 'record', file_format: 'wav', transcription_type: 'auto', transcription_url: 'https://a.example/t', transcription_method: 'GET', callback_url: 'https://a.example/c', callback_method: 'POST',
      }, 202],
      ['stop recording', () => c().stopRecording(ROOM), { operation: 'stop-recording' }, 204],
      ['mute a member', (id) => c().muteMember(ROOM, id), { operation: 'mute' }, 202],
      ['unmute a member', (id) => c().unmuteMember(ROOM, id), { operation: 'unmute' }, 204],
      ['deafen a member', (id) => c().deafMember(ROOM, id), { operation: 'deaf' }, 202],
      ['undeafen a member', (id) => c().undeafMember(ROOM, id), { operation: 'undeaf' }, 204],
      ['play to a member', (id) => c().playAudioToMember(ROOM, id, 'https://a.example/alarm.mp3'), { operation: 'play', url: 'https://a.example/alarm.mp3' }, 202],
      ['stop playing', (id) => c().stopPlayingAudioToMember(ROOM, id), { operation: 'stop-play' }, 204],
      ['speak to a member, with voice and language', (id) => c().speakTextToMember(ROOM, id, 'Major incident', { voice: 'MAN', language: 'en-GB' }),
        { operation: 'speak', text: 'Major incident', voice: 'MAN', language: 'en-GB' }, 202],
      ['stop speaking', (id) => c().stopSpeakingTextToMember(ROOM, id), { operation: 'stop-speak' }, 204],
      ['kick a member', (id) => c().kickMember(ROOM, id), { operation: 'kick' }, 202],
      ['hang up a member', (id) => c().hangupMember(ROOM, id), { operation: 'member-hangup' }, 204],
    ];
    for (const [title, sdkSend, payload, status] of CASES) {
      it(title, async () => {
        // The SDK's request names one member, the node's another: a kick or hang-up leaves the node's member there.
        const theirs = await recorded(() => sdkSend(members[0]));
        const mine = await recorded(operation(payload, members[1]));
        const path = theirs.path.replace(`/Member/${members[0]}/`, `/Member/${members[1]}/`);
        assert.deepEqual(comparable(mine), comparable({ ...theirs, path }));
        assert.deepEqual([theirs.status, mine.status], [status, status]);
      });
    }

    it('members as a comma list and all', async () => {
      const list = `${members[0]},${members[1]}`;
      const theirs = await recorded(() => sdk.conferences.muteMember(ROOM, list));
      assert.deepEqual(comparable(await recorded(operation({ operation: 'unmute' }, list))), { ...comparable(theirs), method: 'DELETE' });
      const all = await recorded(() => sdk.conferences.deafMember(ROOM, 'all'));
      assert.deepEqual(comparable(await recorded(operation({ operation: 'deaf' }, 'all'))), comparable(all));
    });

    for (const [title, sdkSend, payload] of [
      ['hang up the conference', () => sdk.conferences.hangup(ROOM), { operation: 'hangup' }],
      ['hang up all conferences', () => sdk.conferences.hangupAll(), { operation: 'hangup-all' }],
    ]) {
      it(`${title} (each request on a room of its own)`, async () => {
        const theirs = await recorded(sdkSend);
        assert.equal((await fetch(`${sandbox.url}/sandbox/conferences/${encodeURIComponent(ROOM)}`)).status, 404, 'their request ended the room');
        await fillRoom();
        const mine = await recorded(operation(payload));
        assert.deepEqual(comparable(mine), comparable(theirs));
        assert.deepEqual([theirs.status, mine.status], [204, 204]);
        assert.equal(mine.path, `/v1/Account/${sandbox.account.authId}/Conference/${payload.operation === 'hangup' ? 'My%20Conf%20Room/' : ''}`);
      });
    }
  });
});
