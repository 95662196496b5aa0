'use strict';
/**
 * Ended calls shared through the account's Redis (Debian's redis-server, started here): what one
 * instance learns ends the requests queued on another, an instance that starts later learns
 * what it missed, and what was learnt during an outage is shared once Redis is back.
 */
const assert = require('node:assert/strict');
const { redisForSuite } = require('./servers');
const { EndedCalls } = require('../dist/nodes/lib/plivo/ended-calls.js');
const { RedisEndedCalls } = require('../dist/nodes/lib/plivo/redis-ended-calls.js');
const { RequestEngine } = require('../dist/nodes/lib/limit/request-engine.js');
const { CallEndedError } = require('../dist/nodes/lib/common/errors.js');
const { waitFor } = require('./webhook-support');

const CALL_A = '11111111-2222-4333-8444-555555555555';
const CALL_B = '66666666-7777-4888-9999-aaaaaaaaaaaa';
const LIMITS = { rateLimit: 1, rateWindowMs: 60_000, concurrency: 1, queueLimit: 100, timeoutMs: 1000 };

describe('ended calls shared through Redis', function () {
  this.timeout(20_000);
  const redis = redisForSuite('MAENDED');

  /** An instance as shared-accounts.ts wires it: memory, engine, and the Redis share. */
  function instance(logs = []) {
    const ended = new EndedCalls();
    const engine = new RequestEngine(LIMITS);
    ended.onEnded((callUuid, call) => engine.drop(callUuid, () => new CallEndedError(callUuid, call)));
    const share = new RedisEndedCalls(redis.name, { url: redis.url }, (level, message) => logs.push(`${level}: ${message}`),
      (callUuid, call) => ended.end(callUuid, call, Date.now(), false));
    ended.useShare(share);
    const made = { ended, engine, share, logs };
    redis.opened(share);
    return made;
  }

  it('a hangup one instance hears of ends the requests queued for that call on another, unsent', async () => {
    const a = instance();
    const b = instance();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const owner = {};
    const sent = [];
    const policy = { retries: 0, rateLimitWaitMs: 0 };
    // One slot a minute: the first takes it, the rest wait in B's queue.
    const outcomes = [CALL_B, CALL_A, CALL_A, CALL_B].map((callUuid) => b.engine.submit(owner, policy, async () => {
      sent.push(callUuid);
      return 'sent';
    }, callUuid).then((value) => value, (error) => error));
    a.ended.end(CALL_A, { at: Date.now(), by: 'webhook' }, Date.now());
    await waitFor(() => b.ended.get(CALL_A, Date.now()) !== undefined, 'B to learn of the hangup');
    const [first, second, third] = await Promise.all(outcomes.slice(0, 3));
    assert.equal(first, 'sent');
    for (const error of [second, third]) {
      assert.ok(error instanceof CallEndedError);
      assert.match(error.message, /told by its hangup webhook/);
    }
    assert.deepEqual(sent, [CALL_B]);
    assert.deepEqual(b.ended.get(CALL_A, Date.now()).by, 'webhook');
    b.engine.close(owner, 0);
  });

  it('an instance that starts later learns the calls that ended before it', async () => {
    const a = instance();
    await new Promise((resolve) => setTimeout(resolve, 300));
    a.ended.end(CALL_A, { at: Date.now() - 1000, by: 'not-found' }, Date.now());
    await new Promise((resolve) => setTimeout(resolve, 200));
    const late = instance();
    await waitFor(() => late.ended.get(CALL_A, Date.now()) !== undefined, 'the late instance to catch up');
    assert.equal(late.ended.get(CALL_A, Date.now()).by, 'not-found');
  });

  it('what an instance learns while Redis is down is shared once Redis is back, and the outage is told once', async () => {
    const logsA = [];
    const a = instance(logsA);
    const b = instance();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await redis.server.kill();
    a.ended.end(CALL_A, { at: Date.now(), by: 'hang-up' }, Date.now());
    a.ended.end(CALL_B, { at: Date.now(), by: 'webhook' }, Date.now());
    await waitFor(() => logsA.some((line) => line.startsWith('warn')), 'the outage to be told');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(logsA.filter((line) => line.startsWith('warn')).length, 1, 'one warning for the outage');
    assert.equal(b.ended.get(CALL_A, Date.now()), undefined);
    await redis.server.start();
    await waitFor(() => b.ended.get(CALL_A, Date.now()) !== undefined && b.ended.get(CALL_B, Date.now()) !== undefined, 'B to learn both', 15_000);
    assert.equal(b.ended.get(CALL_A, Date.now()).by, 'hang-up');
    const backs = () => logsA.filter((line) => line.startsWith('info') && /is back: /.test(line));
    await waitFor(() => backs().length > 0, 'the return to be told');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(backs().map((line) => line.replace(/^.*is back: /, '')),
      ['2 call(s) that ended while it was unreachable are shared now'], 'the return is told once');
  });
});
