'use strict';
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { SlidingWindow } = require('../dist/nodes/lib/limit/sliding-window.js');
const { decideRetry, decideAfterRateLimit, parseRetryAfter, backoffMs } = require('../dist/nodes/lib/limit/retry-policy.js');
const { AdaptiveLimit } = require('../dist/nodes/lib/limit/adaptive-limit.js');
const { RequestEngine } = require('../dist/nodes/lib/limit/request-engine.js');
const { currentView } = require('../dist/nodes/lib/call/status.js');
const { acquireAccount, releaseAccount } = require('../dist/nodes/lib/plivo/shared-accounts.js');
const acquireEngine = (...args) => acquireAccount(...args).engine;
const { PlivoApiError, NotSentError } = require('../dist/nodes/lib/common/errors.js');

const LIMITS = { rateLimit: 1000, rateWindowMs: 1000, concurrency: 3, queueLimit: 100, timeoutMs: 1000 };
const noLog = () => {};

/** How a message is retried: `retries` for 5xx, resets and timeouts; 429s waited out for up to `waitMs`. */
function policy(retries, waitMs = 60_000) {
  return { retries, rateLimitWaitMs: waitMs };
}

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

  it('after a 429, waits Retry-After when given and pauses the whole account', () => {
    assert.deepEqual(decideAfterRateLimit(apiError(429, '2'), 0, 60_000, 5000, now), { retry: true, delayMs: 2000, pauseAccountMs: 2000 });
  });

  it('after a 429 without Retry-After, retries after a jittered tenth to a fifth of the window; the cut share holds the account back', () => {
    assert.deepEqual(decideAfterRateLimit(apiError(429), 0, 60_000, 5000, now, () => 0), { retry: true, delayMs: 500, pauseAccountMs: 0 });
    assert.deepEqual(decideAfterRateLimit(apiError(429), 0, 60_000, 5000, now, () => 1), { retry: true, delayMs: 1000, pauseAccountMs: 0 });
  });

  it('after a 429 without Retry-After with the share at its floor, holds the whole account back for as long', () => {
    assert.deepEqual(decideAfterRateLimit(apiError(429), 0, 60_000, 5000, now, () => 0, true), { retry: true, delayMs: 500, pauseAccountMs: 500 });
    assert.deepEqual(decideAfterRateLimit(apiError(429), 0, 60_000, 5000, now, () => 1, true), { retry: true, delayMs: 1000, pauseAccountMs: 1000 });
  });

  it('waits out 429s until the rate-limit wait is used up, then says so', () => {
    assert.equal(decideAfterRateLimit(apiError(429), 59_800, 60_000, 5000, now, () => 1).delayMs, 200, 'never past the wait');
    const used = decideAfterRateLimit(apiError(429), 60_000, 60_000, 5000, now);
    assert.equal(used.retry, false);
    assert.equal(used.note, 'still rate limited after 60 s, the account\'s rate-limit wait');
    assert.equal(decideAfterRateLimit(apiError(429), 0, 0, 5000, now).retry, false, 'a wait of 0 ends at the first 429');
  });

  it('does not wait for a 429\'s Retry-After longer than the wait left, and says so', () => {
    const decision = decideAfterRateLimit(apiError(429, '30'), 40_000, 60_000, 5000, now);
    assert.equal(decision.retry, false);
    assert.equal(decision.note, 'Plivo asked to wait 30 s');
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

  it('does not wait for a 503\'s Retry-After over a minute, and says so', () => {
    const decision = decideRetry(apiError(503, '3600'), 1, 2, now);
    assert.equal(decision.retry, false);
    assert.equal(decision.note, 'Plivo asked to wait 3600 s');
  });
});

describe('AdaptiveLimit (the share of the account: cut on a 429, grown back)', () => {
  it('cuts to 0.85 of the slots held on a 429, once per congestion', () => {
    const share = new AdaptiveLimit(300, 5000);
    share.rateLimited(1000, 900, 200);
    assert.equal(share.current, 170);
    assert.equal(share.yielding, true);
    share.rateLimited(1010, 950, 180);
    assert.equal(share.current, 170, 'a request sent before the cut does not cut again');
    share.rateLimited(2000, 1500, 140);
    assert.equal(share.current, 119, 'a request sent after the cut does');
    assert.equal(share.atFloor, false);
    share.rateLimited(3000, 2500, 5);
    assert.equal(share.current, 30, 'never below a tenth of the limit');
    assert.equal(share.atFloor, true);
  });

  it('grows back to where it was cut from quickly: half the gap each quarter window', () => {
    const share = new AdaptiveLimit(300, 5000);
    share.rateLimited(0, 0, 200);
    assert.equal(share.current, 170);
    share.answered(1249);
    assert.equal(share.current, 170, 'not before a quarter window has passed');
    share.answered(1250);
    assert.equal(share.current, 185, 'half of the 30 back to 200');
    share.answered(1300);
    assert.equal(share.current, 185, 'once per quarter window');
    for (const t of [2500, 3750, 5000, 6250, 7500, 8750]) share.answered(t);
    assert.equal(share.current, 200, 'back where it was cut from, never past it while growing back');
  });

  it('then probes on by 5% of the limit each window answered without a 429, never above the limit', () => {
    const share = new AdaptiveLimit(300, 5000);
    share.rateLimited(0, 0, 200);
    for (let t = 1250; t <= 6250; t += 1250) share.answered(t);
    assert.equal(share.current, 200, 'grown back at 6.25 s');
    share.answered(11_249);
    assert.equal(share.current, 200, 'not before a window has passed');
    share.answered(11_250);
    assert.equal(share.current, 215);
    share.answered(12_000);
    assert.equal(share.current, 215, 'one step per window');
    for (let t = 16_250; t <= 120_000; t += 5000) share.answered(t);
    assert.equal(share.current, 300);
    assert.equal(share.yielding, false);
  });

  it('the probe step doubles with each window without a 429, up to 40% of the limit; a 429 brings it back to 5%', () => {
    const share = new AdaptiveLimit(300, 5000);
    share.rateLimited(0, 0, 40);
    for (let t = 1250; t <= 6250; t += 1250) share.answered(t);
    assert.equal(share.current, 40, 'grown back to the 40 it held');
    const probes = [];
    for (let t = 11_250; t <= 36_250; t += 5000) {
      share.answered(t);
      probes.push(share.current);
    }
    assert.deepEqual(probes, [55, 85, 145, 265, 300, 300], '+15, +30, +60, +120, then the limit');
    share.rateLimited(40_000, 39_000, 200);
    for (let t = 41_250; t <= 46_250; t += 1250) share.answered(t);
    assert.equal(share.current, 200);
    share.answered(51_250);
    assert.equal(share.current, 215, 'after a 429 the step is 5% again');
  });

  it('grows back to the last good point: the share before the increase that drew the 429', () => {
    const share = new AdaptiveLimit(300, 5000);
    share.rateLimited(0, 0, 100);
    for (let t = 1250; t <= 6250; t += 1250) share.answered(t);
    assert.equal(share.current, 100);
    share.answered(11_250);
    assert.equal(share.current, 115, 'a probe');
    share.rateLimited(11_300, 11_260, 115);
    assert.equal(share.current, 97);
    for (let t = 12_550; t <= 16_300; t += 1250) share.answered(t);
    assert.equal(share.current, 100, 'back to the 100 answered without a 429, not to the 115 that drew one');
    share.answered(21_300);
    assert.equal(share.current, 115, 'the next probe a window later, by 5% again');
  });

  it('a share held for a window without a 429 was good: a 429 then grows back to all of it', () => {
    const share = new AdaptiveLimit(300, 5000);
    share.rateLimited(0, 0, 200);
    for (let t = 1250; t <= 6250; t += 1250) share.answered(t);
    share.rateLimited(20_000, 19_900, 200);
    assert.equal(share.current, 170);
    for (let t = 21_250; t <= 27_500; t += 1250) share.answered(t);
    assert.equal(share.current, 200);
  });

  it('once a probe has passed a window without a 429, the next ones follow a quarter window apart', () => {
    const share = new AdaptiveLimit(300, 5000);
    share.rateLimited(0, 0, 60);
    for (let t = 1250; t <= 6250; t += 1250) share.answered(t);
    assert.equal(share.current, 60);
    const probes = [];
    for (let t = 11_250; t <= 16_250; t += 1250) {
      share.answered(t);
      probes.push(share.current);
    }
    assert.deepEqual(probes, [75, 105, 165, 285, 300], 'the limit again 5 s after the first probe');
    share.rateLimited(17_000, 16_900, 250);
    for (let t = 18_250; t <= 24_500; t += 1250) share.answered(t);
    assert.equal(share.current, 250);
    share.answered(25_750);
    assert.equal(share.current, 250, 'after a 429 the first probe waits a window again');
    share.answered(29_500);
    assert.equal(share.current, 265);
  });

  it('grows back only to the slots it held, not to a share it never used', () => {
    const share = new AdaptiveLimit(300, 5000);
    share.rateLimited(0, 0, 100);
    for (let t = 1250; t <= 8750; t += 1250) share.answered(t);
    assert.equal(share.current, 100, 'back to the 100 it held, not to the 300 it was allowed');
  });

  it('follows a new configured limit', () => {
    const share = new AdaptiveLimit(300, 5000);
    share.configure(100, 5000);
    assert.equal(share.current, 100);
    share.configure(300, 5000);
    assert.equal(share.current, 300, 'an unreduced share follows the limit up');
  });
});

describe('RequestEngine', () => {
  it('keeps at most `concurrency` requests in flight and starts the rest in order', async () => {
    const engine = new RequestEngine(LIMITS);
    const owner = {};
    const { pending, attempt } = manualAttempts();
    const results = [1, 2, 3, 4, 5].map(() => engine.submit(owner, policy(0), attempt));
    await tick();
    assert.equal(pending.length, 3);
    assert.deepEqual(engine.snapshot(owner), { queued: 2, inFlight: 3, pausedMs: 0, share: 1000, limit: 1000, shared: 'none' });
    pending[0].resolve('a');
    await tick();
    assert.equal(pending.length, 4);
    pending.slice(1).forEach((entry, i) => entry.resolve(String(i)));
    await tick();
    pending[4].resolve('last');
    assert.deepEqual(await Promise.all(results), ['a', '0', '1', '2', 'last']);
    assert.deepEqual(engine.snapshot(owner), { queued: 0, inFlight: 0, pausedMs: 0, share: 1000, limit: 1000, shared: 'none' });
  });

  it('sizes in flight from the round trip (Little\'s law), never above `concurrency`', async () => {
    const inFlightPeak = async (roundTripMs, rateLimit, count) => {
      const engine = new RequestEngine({ ...LIMITS, rateLimit, rateWindowMs: 1000, concurrency: 60, queueLimit: 1000 });
      let inFlight = 0;
      let peak = 0;
      await Promise.all(Array.from({ length: count }, () => engine.submit({}, policy(0), async () => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, roundTripMs));
        inFlight -= 1;
      })));
      return peak;
    };
    // 0.2 per ms x 2 needs a round trip of 25 ms before it asks for more than 10: timer jitter on a busy machine cannot.
    assert.equal(await inFlightPeak(1, 200, 60), 10, 'a short round trip needs few: the least, 10');
    assert.equal(await inFlightPeak(100, 1000, 150), 60, '1 per ms x 100 ms x 2 is 200: capped at the setting');
  });

  it('ends a message that does not fit the queue at once with "queue full"', async () => {
    const engine = new RequestEngine({ ...LIMITS, concurrency: 1, queueLimit: 2 });
    const { pending, attempt } = manualAttempts();
    const accepted = [engine.submit({}, policy(0), attempt), engine.submit({}, policy(0), attempt), engine.submit({}, policy(0), attempt)];
    await tick();
    await assert.rejects(engine.submit({}, policy(0), attempt), (error) =>
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
    const result = engine.submit({}, policy(1), async () => {
      calls += 1;
      throw apiError(500);
    });
    await assert.rejects(result, (error) => error.message === '500 x (after 2 attempts)' && error.statusCode === 500);
    assert.equal(calls, 2);
  });

  it('429s do not use up retries: with none left, a message rate limited twice still plays', async () => {
    const engine = new RequestEngine({ ...LIMITS, rateWindowMs: 200 }, { now: () => Date.now(), random: () => 0 });
    let calls = 0;
    const result = await engine.submit({}, policy(0), async () => {
      calls += 1;
      if (calls <= 2) throw apiError(429);
      return 'played';
    });
    assert.equal(result, 'played');
    assert.equal(calls, 3);
  });

  it('ends a message still rate limited after the rate-limit wait, saying so and how many attempts it took', async () => {
    const engine = new RequestEngine({ ...LIMITS, rateWindowMs: 1000 }, { now: () => Date.now(), random: () => 1 });
    let calls = 0;
    const began = Date.now();
    await assert.rejects(engine.submit({}, policy(2, 1000), async () => {
      calls += 1;
      throw apiError(429);
    }), (error) => error.statusCode === 429
      && error.message === `429 x (still rate limited after 1 s, the account's rate-limit wait; after ${calls} attempts)`);
    assert.ok(Date.now() - began >= 1000, 'waited the whole wait');
    assert.ok(calls >= 5 && calls <= 7, `${calls} attempts, a fifth of the window apart`);
  });

  it('a 429 cuts this runtime\'s share of the limit to what it held, then gives it back a step per window', async () => {
    const engine = new RequestEngine({ ...LIMITS, rateLimit: 100, concurrency: 10 }, { now: () => Date.now(), random: () => 0 });
    const owner = {};
    let calls = 0;
    const results = Array.from({ length: 10 }, () => engine.submit(owner, policy(0), async () => {
      calls += 1;
      if (calls === 10) throw apiError(429);
      return 'ok';
    }));
    await Promise.all(results.slice(0, 9));
    // Past the account-wide pause after the 429 (a tenth of the window), the retry waits for room.
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(engine.snapshot(owner).share, 10, '0.7 of the 10 held is 7, but never below a tenth of the limit');
    assert.equal(engine.snapshot(owner).limit, 100);
    assert.equal(currentView(engine.snapshot(owner), undefined).key, 'yielding');
    await results[9];
    assert.equal(engine.snapshot(owner).share, 15, 'the retry, a window later, was answered: one step (5% of 100) back');
  });

  it('a 429 without Retry-After holds the whole account back only once the share is at its floor', async () => {
    const engine = new RequestEngine({ ...LIMITS, rateLimit: 100, concurrency: 50 }, { now: () => Date.now(), random: () => 1 });
    const owner = {};
    let calls = 0;
    const results = Array.from({ length: 40 }, () => engine.submit(owner, policy(0), async () => {
      calls += 1;
      if (calls === 40) throw apiError(429);
      return 'ok';
    }));
    // The pacer ramps 40 starts over a third of the window.
    await new Promise((resolve) => setTimeout(resolve, 450));
    assert.equal(calls, 40);
    assert.equal(engine.snapshot(owner).share, 34, '0.85 of the 40 held');
    assert.equal(engine.snapshot(owner).pausedMs, 0, 'the cut share holds back; the account is not paused');
    await Promise.all(results);

    const alone = new RequestEngine({ ...LIMITS, rateLimit: 100 }, { now: () => Date.now(), random: () => 1 });
    let first = true;
    const retried = alone.submit(owner, policy(0), async () => {
      if (!first) return 'ok';
      first = false;
      throw apiError(429);
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(alone.snapshot(owner).share, 10, 'one slot held: cut to the floor, a tenth of the limit');
    assert.ok(alone.snapshot(owner).pausedMs > 100, 'at the floor, the 429 holds the whole account back (a fifth of the window)');
    assert.equal(await retried, 'ok');
  });

  it('on close: ends queued messages as not sent, lets in-flight ones finish, and only then resolves', async () => {
    const engine = new RequestEngine({ ...LIMITS, concurrency: 1 });
    const owner = {};
    const other = {};
    const { pending, attempt } = manualAttempts();
    const inFlight = engine.submit(owner, policy(0), attempt);
    const queued = engine.submit(owner, policy(0), attempt);
    const othersQueued = engine.submit(other, policy(0), attempt);
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
    const inFlight = engine.submit(owner, policy(2), attempt);
    await tick();
    await engine.close(owner, 20);
    await assert.rejects(inFlight, (error) => error.message === 'node closed while waiting for Plivo\'s answer');
  });

  it('on close: a message waiting to retry ends as not sent, with its last error', async () => {
    const engine = new RequestEngine(LIMITS, { now: () => Date.now(), random: () => 1 });
    const owner = {};
    const result = engine.submit(owner, policy(2), async () => { throw apiError(503); });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(engine.snapshot(owner).queued, 1);
    await engine.close(owner, 10);
    await assert.rejects(result, (error) => error instanceof NotSentError
      && error.message === 'node closed before the request was sent (last attempt: 503 x)' && error.statusCode === 503);
  });

  it('settles every task exactly once, whatever the attempts do (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.constantFrom('ok', '500', '404', '429', 'reset', 'throw'), { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 40 }),
      async (outcomes, concurrency, queueLimit) => {
        const engine = new RequestEngine({ ...LIMITS, rateWindowMs: 200, concurrency, queueLimit },
          { now: () => Date.now(), random: () => 0 });
        const settled = outcomes.map(() => 0);
        const tasks = outcomes.map((outcome, i) => engine.submit({}, policy(1, 300), async () => {
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

describe('RequestEngine.drop: requests about something that is gone', () => {
  it('ends the queued and the waiting-to-retry requests of a key unsent; the one in flight and other keys go on', async () => {
    const engine = new RequestEngine({ ...LIMITS, concurrency: 1 });
    const owner = {};
    const { pending, attempt } = manualAttempts();
    const outcome = (promise) => promise.then((value) => `ok ${value}`, (error) => error.message);
    const first = outcome(engine.submit(owner, policy(1), attempt, 'call-a'));
    const second = outcome(engine.submit(owner, policy(1), attempt, 'call-a'));
    const callB = outcome(engine.submit(owner, policy(1), attempt, 'call-b'));
    await tick();
    // The first fails with a 500 and waits to be tried again; the second starts.
    pending[0].reject(apiError(500));
    await tick();
    assert.equal(pending.length, 2);
    const queued = outcome(engine.submit(owner, policy(1), attempt, 'call-a'));
    assert.equal(engine.snapshot(owner).queued, 3, 'waiting to retry, call-b and the new one');
    assert.equal(engine.drop('call-a', () => new NotSentError('gone')), 2);
    assert.deepEqual(await Promise.all([first, queued]), ['gone', 'gone']);
    pending[1].resolve('a');
    assert.equal(await second, 'ok a', 'the one in flight finished');
    await tick();
    assert.equal(pending.length, 3, 'call-b started');
    pending[2].resolve('b');
    assert.equal(await callB, 'ok b');
    assert.equal(engine.snapshot(owner).queued, 0);
    assert.equal(engine.drop('call-a', () => new NotSentError('again')), 0, 'nothing left for the key');
    await engine.close(owner, 0);
  });

  it('never ends a request that has started', async () => {
    const engine = new RequestEngine(LIMITS);
    const owner = {};
    const { pending, attempt } = manualAttempts();
    const started = engine.submit(owner, policy(0), attempt, 'call-a');
    await tick();
    assert.equal(engine.drop('call-a', () => new NotSentError('gone')), 0);
    pending[0].resolve('answered');
    assert.equal(await started, 'answered');
  });

  it('leaves requests without a key alone', async () => {
    const engine = new RequestEngine({ ...LIMITS, concurrency: 1 });
    const owner = {};
    const { pending, attempt } = manualAttempts();
    const results = [engine.submit(owner, policy(0), attempt), engine.submit(owner, policy(0), attempt)];
    await tick();
    assert.equal(engine.drop('undefined', () => new NotSentError('gone')), 0);
    pending[0].resolve(1);
    await tick();
    pending[1].resolve(2);
    assert.deepEqual(await Promise.all(results), [1, 2]);
  });
});

describe('requests sent at most once', () => {
  const failed = (error) => decideRetry(error, 1, 2, 0, () => 0, true);
  it('are tried again only when they cannot have arrived', () => {
    assert.equal(failed(networkError('ECONNREFUSED')).retry, true);
    assert.equal(failed(networkError('ENOTFOUND')).retry, true);
    for (const error of [apiError(500), apiError(503, '1'), networkError('ECONNRESET'), networkError('ETIMEDOUT')]) {
      const decision = failed(error);
      assert.equal(decision.retry, false, error.message);
      assert.match(decision.note, /may have reached Plivo/);
    }
    assert.equal(failed(apiError(404)).note, undefined, 'a 4xx is final as always, with nothing to add');
  });
});

describe('one engine per Auth ID', () => {
  const CALLS = { cps: 2, maxConcurrent: undefined };
  it('is shared by users of the same Auth ID, with the strictest limits', () => {
    const a = {};
    const b = {};
    const engineA = acquireEngine('MASHARED', 'https://api.plivo.com', a, { ...LIMITS, rateLimit: 300, concurrency: 10 }, CALLS, undefined, noLog);
    const engineB = acquireEngine('MASHARED', 'https://api.plivo.com', b, { ...LIMITS, rateLimit: 100, concurrency: 20 }, CALLS, undefined, noLog);
    assert.equal(engineA, engineB);
    assert.equal(engineA.snapshot(a).limit, 100, 'the strictest limit');
    assert.notEqual(acquireEngine('MAOTHER', 'https://api.plivo.com', a, LIMITS, CALLS, undefined, noLog), engineA);
    releaseAccount('MASHARED', a, noLog);
    releaseAccount('MASHARED', b, noLog);
    assert.equal(acquireEngine('MASHARED', 'https://api.plivo.com', a, LIMITS, CALLS, undefined, noLog), engineA, 'kept across a redeploy, with its history');
    releaseAccount('MASHARED', a, noLog);
    releaseAccount('MAOTHER', a, noLog);
  });

  it('starts calls at the strictest calls per second, in a window of a second, under the strictest cap of live calls', () => {
    const a = {};
    const b = {};
    const first = acquireAccount('MACALLS', 'https://api.plivo.com', a, LIMITS, { cps: 10, maxConcurrent: undefined }, undefined, noLog);
    const second = acquireAccount('MACALLS', 'https://api.plivo.com', b, LIMITS, { cps: 3, maxConcurrent: 40 }, undefined, noLog);
    assert.equal(first.calls, second.calls);
    assert.equal(first.calls.snapshot(a).limit, 3);
    assert.equal(first.live.capacity, 40);
    releaseAccount('MACALLS', b, noLog);
    assert.equal(first.calls.snapshot(a).limit, 10, 'the remaining user\'s');
    assert.equal(first.live.capacity, undefined, 'no cap');
    releaseAccount('MACALLS', a, noLog);
  });
});
