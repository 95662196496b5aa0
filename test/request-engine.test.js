'use strict';
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { SlidingWindow } = require('../dist/nodes/lib/sliding-window.js');
const { decideRetry, parseRetryAfter, backoffMs } = require('../dist/nodes/lib/retry-policy.js');
const { RequestEngine } = require('../dist/nodes/lib/request-engine.js');
const { acquireEngine, releaseEngine } = require('../dist/nodes/lib/account-engines.js');
const { PlivoApiError, NotSentError } = require('../dist/nodes/lib/errors.js');

const LIMITS = { rateLimit: 1000, rateWindowMs: 1000, concurrency: 3, queueLimit: 100 };

function apiError(statusCode, retryAfter) {
  return new PlivoApiError(`${statusCode} x`, { statusCode, retryAfter });
}

function networkError(code) {
  return new PlivoApiError(`could not reach: ${code}`, { code });
}

/** An attempt the test finishes by hand. */
function manualAttempts() {
  const pending = [];
  const attempt = (signal) => new Promise((resolve, reject) => {
    const entry = { resolve, reject, signal };
    signal.addEventListener('abort', () => reject(networkError('ERR_ABORTED')));
    pending.push(entry);
  });
  return { pending, attempt };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('SlidingWindow', () => {
  it('holds a slot from the start until a window after the answer', () => {
    const window = new SlidingWindow(3, 1000);
    for (let i = 0; i < 3; i += 1) {
      assert.equal(window.delay(0), 0);
      window.start();
    }
    assert.equal(window.delay(5), undefined, 'only an answer can free a slot');
    window.finish(10);
    window.finish(30);
    window.finish(20);
    assert.equal(window.delay(40), 970);
    assert.equal(window.delay(1010), 0);
    window.start();
    assert.equal(window.delay(1010), 10, 'the next slot frees when the answer at 20 leaves the window');
  });

  it('never lets a server see more than `limit` in any window, whatever the latency (property)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: 10, max: 500 }),
      fc.array(fc.record({ latency: fc.integer({ min: 0, max: 300 }), arrivesAt: fc.double({ min: 0, max: 1, noNaN: true }) }),
        { minLength: 1, maxLength: 200 }),
      (limit, windowMs, requests) => {
        const window = new SlidingWindow(limit, windowMs);
        const inFlight = [];
        const arrivals = [];
        let now = 0;
        let next = 0;
        while (next < requests.length || inFlight.length > 0) {
          inFlight.sort((a, b) => a - b);
          while (inFlight.length > 0 && inFlight[0] <= now) window.finish(inFlight.shift());
          const delay = next < requests.length ? window.delay(now) : undefined;
          if (delay === 0) {
            const { latency, arrivesAt } = requests[next];
            next += 1;
            window.start();
            inFlight.push(now + latency);
            arrivals.push(now + arrivesAt * latency);
            continue;
          }
          now = Math.min(...[delay === undefined ? Infinity : now + delay, inFlight.length ? Math.min(...inFlight) : Infinity]);
        }
        arrivals.sort((a, b) => a - b);
        return arrivals.every((at, i) => i < limit || at - arrivals[i - limit] >= windowMs);
      },
    ), { numRuns: 300 });
  });
});

describe('retry policy', () => {
  const now = Date.parse('2026-11-21T12:00:00Z');
  const noJitter = () => 1;

  it('reads Retry-After as seconds or an HTTP date', () => {
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter('Sat, 21 Nov 2026 12:00:07 GMT', now), 7000);
    assert.equal(parseRetryAfter(undefined, now), undefined);
    assert.equal(parseRetryAfter('soon', now), undefined);
  });

  it('waits Retry-After on 429 and pauses the whole account', () => {
    assert.deepEqual(decideRetry(apiError(429, '2'), 1, 2, now), { retry: true, delayMs: 2000, pauseAccountMs: 2000 });
  });

  it('backs off on 429 without Retry-After, still pausing the account', () => {
    const decision = decideRetry(apiError(429), 1, 2, now, noJitter);
    assert.equal(decision.retry, true);
    assert.equal(decision.delayMs, backoffMs(1, noJitter));
    assert.equal(decision.pauseAccountMs, decision.delayMs);
  });

  it('waits Retry-After on 503; without it, backs off without pausing the account', () => {
    assert.deepEqual(decideRetry(apiError(503, '1'), 1, 2, now), { retry: true, delayMs: 1000, pauseAccountMs: 1000 });
    const decision = decideRetry(apiError(503), 1, 2, now, noJitter);
    assert.equal(decision.retry, true);
    assert.equal(decision.pauseAccountMs, 0);
  });

  it('retries other 5xx and resets and timeouts with growing, jittered backoff', () => {
    for (const error of [apiError(500), apiError(502), apiError(504), networkError('ECONNRESET'), networkError('ETIMEDOUT')]) {
      assert.equal(decideRetry(error, 1, 2, now).retry, true, error.message);
    }
    assert.ok(backoffMs(2, noJitter) > backoffMs(1, noJitter));
    assert.ok(backoffMs(1, () => 0) < backoffMs(1, noJitter));
  });

  it('never retries other 4xx, aborts, or after the last attempt', () => {
    for (const error of [apiError(400), apiError(401), apiError(403), apiError(404), networkError('ERR_ABORTED')]) {
      assert.equal(decideRetry(error, 1, 2, now).retry, false, error.message);
    }
    assert.equal(decideRetry(apiError(500), 3, 2, now).retry, false);
    assert.equal(decideRetry(apiError(500), 1, 0, now).retry, false);
    assert.equal(decideRetry(new Error('not an API error'), 1, 2, now).retry, false);
  });

  it('does not wait for a Retry-After over a minute, and says so', () => {
    const decision = decideRetry(apiError(429, '3600'), 1, 2, now);
    assert.equal(decision.retry, false);
    assert.equal(decision.note, 'Plivo asked to wait 3600 s');
  });
});

describe('RequestEngine', () => {
  it('keeps at most `concurrency` requests in flight and starts the rest in order', async () => {
    const engine = new RequestEngine(LIMITS);
    const owner = {};
    const { pending, attempt } = manualAttempts();
    const results = [1, 2, 3, 4, 5].map(() => engine.submit(owner, 0, attempt));
    await tick();
    assert.equal(pending.length, 3);
    assert.deepEqual(engine.snapshot(owner), { queued: 2, inFlight: 3, pausedMs: 0 });
    pending[0].resolve('a');
    await tick();
    assert.equal(pending.length, 4);
    pending.slice(1).forEach((entry, i) => entry.resolve(String(i)));
    await tick();
    pending[4].resolve('last');
    assert.deepEqual(await Promise.all(results), ['a', '0', '1', '2', 'last']);
    assert.deepEqual(engine.snapshot(owner), { queued: 0, inFlight: 0, pausedMs: 0 });
  });

  it('ends a message that does not fit the queue at once with "queue full"', async () => {
    const engine = new RequestEngine({ ...LIMITS, concurrency: 1, queueLimit: 2 });
    const { pending, attempt } = manualAttempts();
    const accepted = [engine.submit({}, 0, attempt), engine.submit({}, 0, attempt), engine.submit({}, 0, attempt)];
    await tick();
    await assert.rejects(engine.submit({}, 0, attempt), (error) =>
      error instanceof NotSentError && /queue full: 2 messages are already waiting.*queue limit 2/.test(error.message));
    pending[0].resolve(1);
    await tick();
    pending[1].resolve(2);
    await tick();
    pending[2].resolve(3);
    assert.deepEqual(await Promise.all(accepted), [1, 2, 3]);
  });

  it('retries a failed attempt and says how many attempts failed', async () => {
    const engine = new RequestEngine(LIMITS, { now: () => Date.now(), random: () => 0 });
    let calls = 0;
    const result = engine.submit({}, 1, async () => {
      calls += 1;
      throw apiError(500);
    });
    await assert.rejects(result, (error) => error.message === '500 x (after 2 attempts)' && error.statusCode === 500);
    assert.equal(calls, 2);
  });

  it('on close: ends queued messages as not sent, lets in-flight ones finish, and only then resolves', async () => {
    const engine = new RequestEngine({ ...LIMITS, concurrency: 1 });
    const owner = {};
    const other = {};
    const { pending, attempt } = manualAttempts();
    const inFlight = engine.submit(owner, 0, attempt);
    const queued = engine.submit(owner, 0, attempt);
    const othersQueued = engine.submit(other, 0, attempt);
    await tick();
    let closed = false;
    const closing = engine.close(owner, 5000).then(() => { closed = true; });
    await assert.rejects(queued, (error) => error instanceof NotSentError
      && error.message === 'node closed before the request was sent');
    await tick();
    assert.equal(closed, false, 'close waits for the request in flight');
    pending[0].resolve('done');
    assert.equal(await inFlight, 'done');
    await closing;
    await tick();
    pending[1].resolve('other');
    assert.equal(await othersQueued, 'other', 'other owners are untouched');
  });

  it('on close: aborts requests still in flight after the grace period', async () => {
    const engine = new RequestEngine(LIMITS);
    const owner = {};
    const { attempt } = manualAttempts();
    const inFlight = engine.submit(owner, 2, attempt);
    await tick();
    await engine.close(owner, 20);
    await assert.rejects(inFlight, (error) => error.message === 'node closed while waiting for Plivo\'s answer');
  });

  it('on close: a message waiting to retry ends as not sent, with its last error', async () => {
    const engine = new RequestEngine(LIMITS, { now: () => Date.now(), random: () => 1 });
    const owner = {};
    const result = engine.submit(owner, 2, async () => { throw apiError(503); });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(engine.snapshot(owner).queued, 1);
    await engine.close(owner, 10);
    await assert.rejects(result, (error) => error instanceof NotSentError
      && error.message === 'node closed before the request was sent (last attempt: 503 x)' && error.statusCode === 503);
  });

  it('settles every task exactly once, whatever the attempts do (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.constantFrom('ok', '500', '404', 'reset', 'throw'), { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 40 }),
      async (outcomes, concurrency, queueLimit) => {
        const engine = new RequestEngine({ rateLimit: 1000, rateWindowMs: 1000, concurrency, queueLimit },
          { now: () => Date.now(), random: () => 0 });
        const settled = outcomes.map(() => 0);
        const tasks = outcomes.map((outcome, i) => engine.submit({}, 1, async () => {
          if (outcome === 'ok') return i;
          if (outcome === 'throw') throw new Error('bug');
          throw outcome === 'reset' ? networkError('ECONNRESET') : apiError(Number(outcome));
        }).then(() => { settled[i] += 1; }, () => { settled[i] += 1; }));
        await Promise.all(tasks);
        return settled.every((count) => count === 1);
      },
    ), { numRuns: 15 });
  });
});

describe('one engine per Auth ID', () => {
  it('is shared by users of the same Auth ID, with the strictest limits', () => {
    const a = {};
    const b = {};
    const engineA = acquireEngine('MASHARED', a, { ...LIMITS, rateLimit: 300, concurrency: 10 });
    const engineB = acquireEngine('MASHARED', b, { ...LIMITS, rateLimit: 100, concurrency: 20 });
    assert.equal(engineA, engineB);
    assert.notEqual(acquireEngine('MAOTHER', a, LIMITS), engineA);
    releaseEngine('MASHARED', a);
    releaseEngine('MASHARED', b);
    assert.equal(acquireEngine('MASHARED', a, LIMITS), engineA, 'kept across a redeploy, with its history');
    releaseEngine('MASHARED', a);
    releaseEngine('MAOTHER', a);
  });
});
