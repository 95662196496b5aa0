'use strict';
/**
 * Outbound calls as Plivo places them (Plivo's "Make an outbound call" and "Account limits"
 * pages): `POST Call/` is accepted at once (201, a request UUID per destination) and queued;
 * calls start at the account's calls per second (`cps`, 2 by default, counted per destination);
 * over an optional cap of concurrent calls (`maxConcurrent`) a call fails at once, as India's
 * cap does (Plivo's error 5030). A started call rings (its ring URL is told), then ends as its
 * destination says:
 *
 * | the number ends in | what happens                          | hangup callback               |
 * | ---                | ---                                   | ---                           |
 * | 0001               | busy                                  | CallStatus busy, USER_BUSY    |
 * | 0002               | rings until ring_timeout, no answer   | no-answer, NO_ANSWER          |
 * | 0003               | a machine answers (Machine=true)      | completed, as its XML ends    |
 * | 0004               | the number does not exist             | failed, UNALLOCATED_NUMBER    |
 * | 0005 / 0006        | a person answers and presses 1 / 2 at | completed, as its XML ends    |
 * |                    | the first GetDigits or GetInput       |                               |
 * | anything else      | a person answers (Machine=false)      | completed, as its XML ends    |
 *
 * Answered calls fetch their answer URL (signed) and run its XML (xml-runner.js). Every callback
 * carries RequestUUID, CallUUID and Direction=outbound. `GET Call/?status=queued` lists the
 * requests not yet started; `DELETE Request/{request_uuid}/` cancels one queued or ringing.
 */
const { randomUUID } = require('node:crypto');
const { json, apiError } = require('./http.js');
const { makeCallBodyError } = require('./api-checks.js');

/** Seconds a call rings before it is answered (or found busy), before timeScale. */
const RING_SECONDS = 1;
/** Plivo's default ring_timeout. */
const DEFAULT_RING_TIMEOUT = 120;

/** What a destination does, by the digits it ends in. */
function outcomeOf(to) {
  const ending = to.replace(/@.*$/, '').slice(-4);
  return { '0001': 'busy', '0002': 'no-answer', '0003': 'machine', '0004': 'failed' }[ending] ?? 'person';
}

/** The key a person answering `to` presses when asked (numbers ending 0005 and 0006), if any. */
function keyPressedBy(to) {
  return { '0005': '1', '0006': '2' }[to.replace(/@.*$/, '').slice(-4)];
}

/** How often, and how many times, a person who presses a key looks whether the call asks for one. */
const KEY_POLL_MS = 50;
const KEY_POLLS = 200;

function createOutbound(calls, runner, options = {}) {
  const cps = options.cps ?? 2;
  const timeScale = options.timeScale ?? 1;
  /** Requests by request UUID: {requestUuid, body, to, state: queued | ringing | live | done, timer, callUuid}. */
  const requests = new Map();
  const queue = [];
  /** When calls started, in the last second: at most `cps` of them. */
  const starts = [];
  let starter;
  /**
   * What a test or benchmark reads: calls started (and when), failed for the cap, the most concurrent
   * calls seen, and each call's [start, end] once it is over.
   */
  const stats = { started: 0, startedAt: [], failedForCap: 0, mostConcurrent: 0, spans: [] };

  /** The call is over (from ringing or live). */
  function over(request) {
    if (request.state === 'done') return;
    if (request.state === 'ringing' || request.state === 'live') stats.spans.push([request.startedAt, Date.now()]);
    request.state = 'done';
  }

  const concurrent = () => [...requests.values()].filter((request) => request.state === 'ringing' || request.state === 'live').length;

  function callbackParams(request, extra) {
    const { body } = request;
    // A request cancelled while queued never had a call.
    const call = request.callUuid === undefined ? {} : { CallUUID: request.callUuid };
    return { RequestUUID: request.requestUuid, ...call, From: body.from, To: request.to, Direction: 'outbound', ...extra };
  }

  /** The call ends before it was answered: its hangup URL is told why. */
  function endUnanswered(request, status, cause, extra = {}) {
    clearTimeout(request.timer);
    over(request);
    const url = request.body.hangup_url;
    if (url) calls.deliver(url, callbackParams(request, { CallStatus: status, HangupCause: cause, Duration: '0', BillDuration: '0', ...extra }), request.body.hangup_method ?? 'POST');
  }

  function answer(request, machine) {
    const { body } = request;
    request.state = 'live';
    calls.add(request.callUuid, {
      from: body.from, to: request.to, direction: 'outbound', hangupUrl: body.hangup_url, hangupMethod: body.hangup_method, requestUuid: request.requestUuid,
    });
    const call = calls.live.get(request.callUuid);
    call.answeredAt = Date.now();
    const detection = body.machine_detection === undefined ? {} : { Machine: machine ? 'true' : 'false' };
    const params = { ...calls.params(request.callUuid, call), CallStatus: 'in-progress', Event: 'StartApp', ...detection };
    calls.post(body.answer_url, params, body.answer_method ?? 'POST').then(
      (answered) => {
        if (answered.status === 200) {
          pressWhenAsked(request);
          return runner.runXml(request.callUuid, answered.body, body.answer_url);
        }
        calls.end(request.callUuid, { cause: 'XML_FETCH_FAILED' });
        return undefined;
      },
      () => calls.end(request.callUuid, { cause: 'XML_FETCH_FAILED' }),
    ).catch(() => {});
  }

  /** A person who presses a key (keyPressedBy) does at the first GetDigits or GetInput the call's XML reaches. */
  function pressWhenAsked(request) {
    const key = keyPressedBy(request.to);
    if (key === undefined) return;
    let polls = 0;
    const look = () => {
      polls += 1;
      if (request.state !== 'live' || runner.press(request.callUuid, key) || polls >= KEY_POLLS) return;
      request.timer = setTimeout(look, KEY_POLL_MS);
    };
    request.timer = setTimeout(look, KEY_POLL_MS);
  }

  /** The call starts: over the cap it fails at once; else it rings, and its destination decides the rest. */
  function start(request, now) {
    const { body } = request;
    request.callUuid = randomUUID();
    if (options.maxConcurrent !== undefined && concurrent() >= options.maxConcurrent) {
      stats.failedForCap += 1;
      endUnanswered(request, 'failed', 'CALL_LIMIT_EXCEEDED', { HangupCauseCode: '5030' });
      return;
    }
    stats.started += 1;
    // The time the CPS window counted it at, so what a benchmark reads is what the window held.
    request.startedAt = now;
    stats.startedAt.push(request.startedAt);
    request.state = 'ringing';
    stats.mostConcurrent = Math.max(stats.mostConcurrent, concurrent());
    if (body.ring_url) calls.deliver(body.ring_url, callbackParams(request, { CallStatus: 'ringing', Event: 'Ring' }), body.ring_method ?? 'POST');
    const outcome = outcomeOf(request.to);
    if (outcome === 'failed') {
      endUnanswered(request, 'failed', 'UNALLOCATED_NUMBER');
      return;
    }
    const ringMs = (outcome === 'no-answer' ? Number(body.ring_timeout ?? DEFAULT_RING_TIMEOUT) : RING_SECONDS) * 1000 * timeScale;
    request.timer = setTimeout(() => {
      if (outcome === 'busy') endUnanswered(request, 'busy', 'USER_BUSY');
      else if (outcome === 'no-answer') endUnanswered(request, 'no-answer', 'NO_ANSWER');
      else answer(request, outcome === 'machine');
    }, ringMs);
  }

  /** Starts what the last second's starts allow, then waits for the next free slot. */
  function startQueued() {
    starter = undefined;
    const now = Date.now();
    while (starts.length > 0 && starts[0] <= now - 1000) starts.shift();
    while (queue.length > 0 && starts.length < cps) {
      starts.push(now);
      start(queue.shift(), now);
    }
    if (queue.length > 0) starter = setTimeout(startQueued, starts[0] + 1000 - now);
  }

  /** POST Call/: one request per unique destination, accepted at once. */
  function place(res, body) {
    const invalid = makeCallBodyError(body);
    if (invalid) return apiError(res, 400, invalid);
    const made = [...new Set(body.to.split('<'))].map((to) => ({ requestUuid: randomUUID(), body, to, state: 'queued' }));
    for (const request of made) {
      requests.set(request.requestUuid, request);
      queue.push(request);
    }
    if (starter === undefined) startQueued();
    const uuids = made.map((request) => request.requestUuid);
    return json(res, 201, { api_id: randomUUID(), message: 'call fired', request_uuid: uuids.length === 1 ? uuids[0] : uuids });
  }

  /** GET Call/?status=queued: the requests not started yet. */
  function listQueued(res) {
    return json(res, 200, { api_id: randomUUID(), calls: queue.map((request) => request.requestUuid) });
  }

  /** DELETE Request/{request_uuid}/: a queued request never starts, a ringing call stops ringing. */
  function cancel(res, requestUuid) {
    const request = requests.get(requestUuid);
    if (!request || (request.state !== 'queued' && request.state !== 'ringing')) return apiError(res, 404, 'not found');
    const queuedAt = queue.indexOf(request);
    if (queuedAt !== -1) queue.splice(queuedAt, 1);
    endUnanswered(request, 'canceled', 'ORIGINATOR_CANCEL');
    res.writeHead(204);
    return res.end();
  }

  calls.onEnd((uuid) => {
    for (const request of requests.values()) if (request.callUuid === uuid) over(request);
  });

  return {
    place,
    listQueued,
    cancel,
    stats,
    stop() {
      clearTimeout(starter);
      for (const request of requests.values()) clearTimeout(request.timer);
    },
  };
}

module.exports = { createOutbound, outcomeOf };
