'use strict';
/**
 * The sandbox places outbound calls as Plivo does (sandbox/outbound.js): accepted at once, started
 * at its calls per second, failed over a cap of concurrent calls, ringing and ending as each
 * destination says, with signed ring, answer and hangup callbacks carrying RequestUUID; queued
 * requests listed and cancelled. The official SDK's own request is accepted.
 */
const assert = require('node:assert/strict');
const { startSandbox } = require('../sandbox/plivo-sandbox.js');
const { plivoClientFor } = require('../scripts/runtime-process.js');
const { startOwnSandbox, sandboxApi, callbackServer, OUTBOUND } = require('./support.js');
const { waitFor: waitUntil } = require('./webhook-support.js');

const waitFor = (check, what, timeoutMs = 5000) => waitUntil(check, what, timeoutMs);

const {
  FROM, PERSON, BUSY, NO_ANSWER, MACHINE, NO_SUCH_NUMBER,
} = OUTBOUND;

const ALARM = '<Response><Speak>Your alarm: disk full</Speak></Response>';
/** The calls' callbacks, with `answerXml` at /answer. */
const hooksFor = (sandbox, answerXml = ALARM) => callbackServer(sandbox.account.authToken, (path) => (path === '/answer' ? answerXml : undefined));

describe('the sandbox places outbound calls as Plivo does', function () {
  this.timeout(20_000);
  let sandbox;
  let hooks;

  async function start(options = {}) {
    sandbox = await startOwnSandbox(startSandbox, { timeScale: 0.05, ...options });
    hooks = await hooksFor(sandbox);
  }
  afterEach(async () => {
    await sandbox?.close();
    await hooks?.close();
  });

  const place = (body) => sandboxApi(sandbox, 'POST', 'Call/', body);
  const api = (method, path) => sandboxApi(sandbox, method, path);
  const call = (to, extra = {}) => ({
    from: FROM, to, answer_url: `${hooks.base}/answer`, ring_url: `${hooks.base}/ring`, hangup_url: `${hooks.base}/hangup`, ...extra,
  });
  const hangups = () => hooks.heard.filter((one) => one.path === '/hangup');

  it('accepts a call at once, rings, answers, runs its XML and hangs up, each callback signed and naming the request', async () => {
    await start();
    const { status, body } = await place(call(PERSON));
    assert.equal(status, 201);
    assert.equal(body.message, 'call fired');
    assert.match(body.request_uuid, /^[0-9a-f-]{36}$/);
    await waitFor(() => hangups().length === 1, 'the hangup');
    assert.deepEqual(hooks.heard.map((one) => one.path), ['/ring', '/answer', '/hangup']);
    assert.ok(hooks.heard.every((one) => one.signed), 'every callback signed as Plivo signs');
    const [ring, answer, hangup] = hooks.heard.map((one) => one.params);
    for (const params of [ring, answer, hangup]) {
      assert.equal(params.RequestUUID, body.request_uuid);
      assert.equal(params.Direction, 'outbound');
      assert.equal(params.To, PERSON);
      assert.equal(params.CallUUID, ring.CallUUID);
    }
    assert.equal(ring.CallStatus, 'ringing');
    assert.equal(answer.CallStatus, 'in-progress');
    assert.equal(hangup.CallStatus, 'completed');
    assert.equal(hangup.HangupCause, 'NORMAL_CLEARING');
    assert.match(hangup.Duration, /^[0-9]+$/);
    assert.match(hangup.AnswerTime, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.deepEqual(sandbox.callLog(ring.CallUUID).map((step) => step.element), ['Speak', 'end'], 'the answer URL\'s XML ran');
  });

  it('each destination ends as its number says: busy, no answer, a machine, no such number', async () => {
    await start();
    const { body } = await place(call([BUSY, NO_ANSWER, MACHINE, NO_SUCH_NUMBER, BUSY].join('<'), { ring_timeout: 2, machine_detection: 'true' }));
    assert.equal(body.request_uuid.length, 4, 'one request a unique destination');
    await waitFor(() => hangups().length === 4, 'four hangups');
    const byNumber = Object.fromEntries(hangups().map((one) => [one.params.To, one.params]));
    assert.deepEqual([BUSY, NO_ANSWER, NO_SUCH_NUMBER].map((to) => [byNumber[to].CallStatus, byNumber[to].HangupCause]),
      [['busy', 'USER_BUSY'], ['no-answer', 'NO_ANSWER'], ['failed', 'UNALLOCATED_NUMBER']]);
    assert.equal(byNumber[MACHINE].CallStatus, 'completed');
    const answered = hooks.heard.filter((one) => one.path === '/answer');
    assert.deepEqual(answered.map((one) => [one.params.To, one.params.Machine]), [[MACHINE, 'true']]);
  });

  it('starts calls at its calls per second, never more in any second, and lists and cancels what is still queued', async () => {
    await start({ cps: 2 });
    const numbers = Array.from({ length: 7 }, (_, i) => `+1415555${String(1000 + i)}`);
    const { body } = await place(call(numbers.join('<')));
    const queued = (await api('GET', 'Call/?status=queued')).body.calls;
    // Two start at once; the others wait their second (the last at least two seconds).
    assert.ok(queued.length >= 3 && queued.length <= 5, `${queued.length} queued`);
    assert.deepEqual(queued, body.request_uuid.slice(7 - queued.length), 'the last ones, in order');
    const cancelled = body.request_uuid.at(-1);
    assert.equal((await api('DELETE', `Request/${cancelled}/`)).status, 204);
    assert.equal((await api('DELETE', `Request/${cancelled}/`)).status, 404, 'once');
    await waitFor(() => sandbox.outbound.started === 6, 'six started', 8000);
    const starts = sandbox.outbound.startedAt;
    for (const at of starts) assert.ok(starts.filter((other) => other >= at && other < at + 1000).length <= 2, `${starts.map((t) => t - starts[0])}`);
    await waitFor(() => hangups().length === 7, 'every hangup');
    const cancel = hangups().find((one) => one.params.RequestUUID === cancelled).params;
    assert.deepEqual([cancel.CallStatus, cancel.HangupCause, cancel.CallUUID], ['canceled', 'ORIGINATOR_CANCEL', undefined]);
  });

  it('a ringing call can be cancelled; an answered one cannot', async () => {
    await start();
    const { body } = await place(call(NO_ANSWER, { ring_timeout: 100 }));
    await waitFor(() => hooks.heard.some((one) => one.path === '/ring'), 'the ring');
    assert.equal((await api('DELETE', `Request/${body.request_uuid}/`)).status, 204);
    await waitFor(() => hangups().length === 1, 'the hangup');
    assert.equal(hangups()[0].params.CallStatus, 'canceled');
    assert.ok(hangups()[0].params.CallUUID, 'a call that rang has its call UUID');
    const answered = await place(call(PERSON));
    await waitFor(() => hangups().length === 2, 'the answered call\'s end');
    assert.equal((await api('DELETE', `Request/${answered.body.request_uuid}/`)).status, 404);
  });

  it('over its cap of concurrent calls a call fails at once (Plivo\'s 5030), none is placed over it', async () => {
    await start({ cps: 10, maxConcurrent: 2 });
    await hooks.close();
    hooks = await hooksFor(sandbox, '<Response><Wait length="10"/></Response>');
    await place(call([PERSON, '+14155558888', '+14155557777', '+14155556666'].join('<')));
    await waitFor(() => hangups().length === 4, 'every hangup');
    const failed = hangups().filter((one) => one.params.HangupCause === 'CALL_LIMIT_EXCEEDED');
    assert.equal(failed.length, 2);
    assert.ok(failed.every((one) => one.params.CallStatus === 'failed' && one.params.HangupCauseCode === '5030'));
    assert.equal(sandbox.outbound.mostConcurrent, 2);
  });

  it('refuses what Plivo\'s page does not allow, naming it (400)', async () => {
    await start();
    const cases = [
      [{ to: PERSON, answer_url: 'https://x.example/a' }, /from must be a phone number/],
      [call('not a number'), /to must be numbers or sip: URIs/],
      [call(PERSON, { answer_url: 'ftp://x.example/a' }), /answer_url must be an http\(s\) URL/],
      [call(PERSON, { caller_name: 'x'.repeat(51) }), /caller_name is at most 50 characters/],
      [call(PERSON, { machine_detection_time: 1000 }), /machine_detection_time must be from 2000 to 10000/],
      [call(PERSON, { answer_method: 'PUT' }), /answer_method must be GET or POST/],
      [call(PERSON, { colour: 'blue' }), /unknown parameter\(s\): colour/],
      [call(Array.from({ length: 1001 }, (_, i) => `+1415${String(i).padStart(7, '0')}`).join('<')), /at most 1000 destinations/],
    ];
    for (const [body, error] of cases) {
      const answer = await place(body);
      assert.equal(answer.status, 400, JSON.stringify(body).slice(0, 80));
      assert.match(answer.body.error, error);
    }
    assert.equal(sandbox.outbound.started, 0);
  });

  it('takes the official SDK\'s calls.create, several destinations and options included', async () => {
    await start();
    const { authId, authToken } = sandbox.account;
    const sdk = plivoClientFor({ url: sandbox.url, authId, authToken });
    const answer = await sdk.calls.create(FROM, [PERSON, BUSY], `${hooks.base}/answer`, {
      hangupUrl: `${hooks.base}/hangup`, ringTimeout: 30, machineDetection: 'true', machineDetectionTime: 3000, callerName: 'Alarm', timeLimit: 60,
    });
    assert.equal(answer.message, 'call fired');
    assert.equal(answer.requestUuid.length, 2);
    await waitFor(() => hangups().length === 2, 'both hangups');
  });
});
