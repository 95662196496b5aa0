'use strict';
/**
 * The sandbox runs conferences as Plivo does (sandbox/conferences.js): calls whose XML reaches
 * `<Conference>` join the room as members with IDs, the element's callbackUrl hears enter, exit and
 * digits (signed), and the Conference API lists, details, records, mutes, deafens, plays and speaks
 * to members, kicks them (their XML goes on) and hangs them up; unknown rooms and members are 404;
 * a stop that names members otherwise than its start stops nothing, as on Plivo.
 */
const assert = require('node:assert/strict');
const { startSandbox } = require('../sandbox/plivo-sandbox.js');
const { plivoClientFor } = require('../scripts/runtime-process.js');
const { startOwnSandbox, sandboxApi, callbackServer } = require('./support.js');
const { waitFor } = require('./webhook-support.js');

/** The room's XML at /answer, whose callbackUrl is /events on the same server. */
const roomXml = (path, base) => (path === '/answer'
  ? `<Response><Conference callbackUrl="${base}/events" digitsMatch="*1">incident</Conference><Speak>You left the bridge</Speak></Response>`
  : undefined);

describe('the sandbox runs conferences as Plivo does', function () {
  this.timeout(20_000);
  let sandbox;
  let room;
  let calls;

  beforeEach(async () => {
    sandbox = await startOwnSandbox(startSandbox, { timeScale: 0.01 });
    room = await callbackServer(sandbox.account.authToken, roomXml);
    room.events = () => room.heard.filter((one) => one.path === '/events').map((one) => ({ ...one.params, signed: one.signed }));
    calls = [];
    for (let i = 0; i < 3; i += 1) {
      const answer = await fetch(`${sandbox.url}/sandbox/calls`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ answer_url: `${room.base}/answer` }),
      });
      calls.push((await answer.json()).call_uuid);
    }
    await waitFor(() => room.events().filter((event) => event.ConferenceAction === 'enter').length === 3, 'three enter events');
  });
  afterEach(async () => {
    await sandbox.close();
    await room.close();
  });

  const api = (method, path, body) => sandboxApi(sandbox, method, path, body);
  const view = async () => (await fetch(`${sandbox.url}/sandbox/conferences/incident`)).json();
  const memberOf = (callUuid) => room.events().find((event) => event.ConferenceAction === 'enter' && event.CallUUID === callUuid).ConferenceMemberID;

  it('each call joins as a member; enter is told, signed, naming room, member and call; list and details show them', async () => {
    const enters = room.events().filter((event) => event.ConferenceAction === 'enter');
    assert.ok(enters.every((event) => event.signed && event.ConferenceName === 'incident' && /^[0-9a-f-]{36}$/.test(event.ConferenceUUID)));
    assert.deepEqual(enters.map((event) => event.CallUUID).sort(), [...calls].sort());
    assert.equal(new Set(enters.map((event) => event.ConferenceMemberID)).size, 3);
    assert.deepEqual((await api('GET', 'Conference/')).body.conferences, ['incident']);
    const details = (await api('GET', 'Conference/incident/')).body;
    assert.equal(details.conference_member_count, '3');
    assert.deepEqual(details.members.map((member) => member.call_uuid).sort(), [...calls].sort());
  });

  it('mute, deaf, play and speak to members by ID, a list or all, each visible in the room\'s view; unknown room or member is 404', async () => {
    const [first, second] = calls.map(memberOf);
    assert.equal((await api('POST', `Conference/incident/Member/${first}/Mute/`)).status, 202);
    assert.equal((await api('POST', 'Conference/incident/Member/all/Deaf/')).status, 202);
    assert.deepEqual((await api('POST', `Conference/incident/Member/${first},${second}/Play/`, { url: 'https://media.example.com/a.mp3' })).body.member_id, [first, second]);
    assert.equal((await api('POST', 'Conference/incident/Member/all/Speak/', { text: 'Bridge is recorded' })).status, 202);
    let state = await view();
    assert.deepEqual(state.members.map((member) => [member.muted, member.deaf]), [[true, true], [false, true], [false, true]]);
    assert.equal(state.members[0].playing.what, 'https://media.example.com/a.mp3');
    assert.equal((await api('DELETE', `Conference/incident/Member/${first}/Mute/`)).status, 204);
    // As on Plivo, a stop by all does not stop a play started by IDs: the node must refuse such a stop (issue 32).
    assert.equal((await api('DELETE', 'Conference/incident/Member/all/Play/')).status, 204);
    state = await view();
    assert.equal(state.members[0].muted, false);
    assert.ok(state.members[0].playing, 'still playing');
    assert.equal((await api('DELETE', `Conference/incident/Member/${first},${second}/Play/`)).status, 204);
    assert.equal((await api('DELETE', 'Conference/incident/Member/all/Speak/')).status, 204);
    state = await view();
    assert.ok(state.members.every((member) => member.playing === null && member.speaking === null));
    assert.equal((await api('POST', 'Conference/nowhere/Member/all/Mute/')).status, 404);
    assert.equal((await api('POST', `Conference/incident/Member/${first},9999/Mute/`)).status, 404);
  });

  it('records the room; kicks a member, whose XML goes on; a member\'s keys matching digitsMatch are told', async () => {
    const recording = await api('POST', 'Conference/incident/Record/', { file_format: 'wav' });
    assert.equal(recording.status, 202);
    assert.match(recording.body.url, /\.wav$/);
    assert.equal((await view()).recording.recording_id, recording.body.recording_id);
    assert.equal((await api('DELETE', 'Conference/incident/Record/')).status, 204);
    const press = await fetch(`${sandbox.url}/sandbox/digits`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ call_uuid: calls[1], digits: '*1' }) });
    assert.equal(press.status, 200);
    await waitFor(() => room.events().some((event) => event.ConferenceAction === 'digits'), 'the digits event');
    assert.equal(room.events().find((event) => event.ConferenceAction === 'digits').ConferenceDigitsMatch, '*1');
    const kicked = memberOf(calls[0]);
    assert.deepEqual((await api('POST', `Conference/incident/Member/${kicked}/Kick/`)).body.member_id, [kicked]);
    await waitFor(() => sandbox.callLog(calls[0]).at(-1).element === 'end', 'the kicked call\'s XML to go on and end');
    assert.deepEqual(sandbox.callLog(calls[0]).map((step) => step.element), ['Conference', 'Speak', 'end']);
    await waitFor(() => room.events().some((event) => event.ConferenceAction === 'exit' && event.ConferenceMemberID === kicked), 'the kicked member\'s exit');
    assert.equal((await view()).members.length, 2);
  });

  it('hangs up a member, then the room: every call ends, each exit is told, the room is gone', async () => {
    assert.equal((await api('DELETE', `Conference/incident/Member/${memberOf(calls[2])}/`)).status, 204);
    assert.equal(sandbox.call(calls[2]), undefined, 'the member\'s call ended');
    assert.equal((await api('DELETE', 'Conference/incident/')).status, 204);
    assert.ok(calls.every((uuid) => sandbox.call(uuid) === undefined));
    await waitFor(() => room.events().filter((event) => event.ConferenceAction === 'exit').length === 3, 'three exits');
    assert.deepEqual((await api('GET', 'Conference/')).body.conferences, []);
    assert.equal((await api('GET', 'Conference/incident/')).status, 404);
  });

  it('takes the official SDK\'s conferences calls', async () => {
    const { authId, authToken } = sandbox.account;
    const sdk = plivoClientFor({ url: sandbox.url, authId, authToken });
    const member = memberOf(calls[0]);
    assert.equal((await sdk.conferences.get('incident')).conferenceMemberCount, '3');
    assert.equal((await sdk.conferences.muteMember('incident', member)).message, 'muted');
    assert.equal((await sdk.conferences.speakTextToMember('incident', 'all', 'Hello')).message, 'speak queued into conference');
    assert.equal((await sdk.conferences.record('incident', { fileFormat: 'mp3' })).message, 'conference recording started');
    await sdk.conferences.hangupAll();
    assert.deepEqual((await sdk.conferences.list()).conferences, []);
  });
});
