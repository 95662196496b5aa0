'use strict';
/**
 * The sandbox's calls and their state: the live ones (who, since when, recordings, digits sent,
 * what their XML did), the ones that ended, and the signed webhooks posted about them.
 */
const { randomUUID } = require('node:crypto');
const { sendWebhook } = require('./signing.js');

/**
 * The calls of one sandbox. `account` signs the webhooks. A call is
 * {from, to, direction, callerName, started, hangupUrl, hangupMethod, requestUuid (a call the API placed),
 * answeredAt, recordings (URL to id), digits (sent by the API), log (what its XML did, in order),
 * waiting (set while its XML waits for the caller's keys)}.
 */
function createCalls(account) {
  const live = new Map();
  /** Every call, live or not, for what its XML did. */
  const history = new Map();
  /** Calls that ended: UUID to when. */
  const ended = new Map();
  /** Webhooks posted as Plivo would: {url, params, method, status or error, answer}. */
  const webhooks = [];
  const pending = new Set();
  /** Called with (uuid, call) when a call ends, so whatever runs it stops. */
  const endListeners = [];

  function add(uuid, details = {}) {
    const call = {
      from: details.from ?? '+14155550100',
      to: details.to ?? '+14155550111',
      direction: details.direction ?? 'inbound',
      callerName: 'Sandbox Caller',
      started: new Date().toISOString(),
      hangupUrl: details.hangupUrl,
      hangupMethod: details.hangupMethod ?? 'POST',
      requestUuid: details.requestUuid,
      answeredAt: undefined,
      recordings: new Map(),
      digits: [],
      log: [],
      waiting: undefined,
    };
    live.set(uuid, call);
    history.set(uuid, call);
    return uuid;
  }

  function params(uuid, call) {
    const placed = call.requestUuid === undefined ? {} : { RequestUUID: call.requestUuid };
    return { CallUUID: uuid, From: call.from, To: call.to, Direction: call.direction, CallerName: call.callerName, ...placed };
  }

  /** How long an answered call lasted, as Plivo's hangup callback says it (seconds; billed by the minute is Plivo's business). */
  function durations(call, endedAt) {
    if (call.answeredAt === undefined) return {};
    const seconds = String(Math.round((endedAt - call.answeredAt) / 1000));
    const time = (at) => new Date(at).toISOString().replace('T', ' ').slice(0, 19);
    return { Duration: seconds, BillDuration: seconds, AnswerTime: time(call.answeredAt), EndTime: time(endedAt) };
  }

  /** Posts a signed webhook; resolves with Plivo's view of the answer {status, body}, and keeps it in `webhooks`. */
  function post(url, fields, method = 'POST') {
    const sent = { url, params: fields, method };
    webhooks.push(sent);
    const done = sendWebhook(account.authToken, url, fields, { method }).then(
      (answer) => {
        sent.status = answer.status;
        sent.answer = answer.body;
        sent.answeredAt = Date.now();
        return answer;
      },
      (error) => {
        sent.error = error.message;
        throw error;
      },
    );
    pending.add(done);
    done.catch(() => {}).finally(() => pending.delete(done));
    return done;
  }

  /** Posts a signed webhook without holding anything up. */
  function deliver(url, fields, method = 'POST') {
    post(url, fields, method).catch(() => {});
  }

  /**
   * The call ends: every request for it is answered 404 from now on, and its hangup URL (if any)
   * is told, unless `tell` is false (a call that ends unseen).
   */
  function end(uuid, { tell = true, cause = 'NORMAL_CLEARING' } = {}) {
    const call = live.get(uuid);
    if (!call) return;
    live.delete(uuid);
    ended.set(uuid, Date.now());
    call.log.push({ element: 'end', cause, at: Date.now() });
    for (const listener of endListeners) listener(uuid, call);
    if (call.hangupUrl && tell) {
      deliver(call.hangupUrl, {
        ...params(uuid, call), CallStatus: 'completed', Event: 'Hangup', HangupCause: cause, ...durations(call, Date.now()),
      }, call.hangupMethod);
    }
  }

  return {
    live,
    history,
    ended,
    webhooks,
    add,
    params,
    post,
    deliver,
    end,
    onEnd(listener) {
      endListeners.push(listener);
    },
    /** A new call's UUID. */
    newUuid: randomUUID,
    async settled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

module.exports = { createCalls };
