'use strict';
/**
 * Several Node-RED runtimes (separate processes, scripts/runtime-process.js) on one account,
 * against a sandbox that enforces the limit strictly, as Plivo does: 429 with no Retry-After.
 * With a real Redis (Debian's redis-server on a free loopback port) and without.
 */
const assert = require('node:assert/strict');
const { needServer } = require('./servers');
const { Redis } = require('ioredis');
const { startSandbox } = require('../sandbox/plivo-sandbox.js');
const { startRuntime } = require('../scripts/runtime-process.js');
const { startRedis } = require('../scripts/redis-server.js');
const { freePort } = require('../scripts/dev-runtime.js');

const LIMIT = { limit: 20, windowMs: 1000 };
/** The account node's settings in every runtime: the sandbox's limit, short timeout. */
const ACCOUNT = { rateLimit: LIMIT.limit, rateWindow: LIMIT.windowMs / 1000, timeout: 2, retries: 2, rateLimitWait: 60 };

const settle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Most requests the sandbox accepted in any window. */
function busiestWindow(requests) {
  const starts = requests.filter((request) => request.status !== 429).map((request) => request.at).sort((a, b) => a - b);
  let busiest = 0;
  for (let i = 0, j = 0; j < starts.length; j += 1) {
    while (starts[j] - starts[i] >= LIMIT.windowMs) i += 1;
    busiest = Math.max(busiest, j - i + 1);
  }
  return busiest;
}

async function waitUntil(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await settle(50);
  }
}

describe('several Node-RED runtimes on one account', function () {
  this.timeout(60_000);
  let sandbox;
  let target;
  const runtimes = [];
  const start = async (options = {}) => {
    const runtime = await startRuntime({ sandbox: target, ...options, account: { ...ACCOUNT, ...options.account } });
    runtimes.push(runtime);
    return runtime;
  };

  beforeEach(async () => {
    sandbox = await startSandbox({ rateLimit: LIMIT });
    target = { url: sandbox.url, authId: sandbox.account.authId, authToken: sandbox.account.authToken, callUuid: sandbox.addCall() };
  });

  afterEach(async () => {
    await Promise.all(runtimes.splice(0).map((runtime) => runtime.stop()));
    await sandbox.close();
  });

  describe('without Redis', () => {
    it('two runtimes: every play ends played; 429s are waited out and each runtime yields', async () => {
      const [a, b] = [await start(), await start()];
      sandbox.reset();
      const results = await Promise.all([a.play(60), b.play(60)]);
      assert.deepEqual(results.map((result) => result.lost), [0, 0], JSON.stringify(results.map((r) => r.errors)));
      assert.equal(sandbox.requests.filter((request) => request.status === 202).length, 120);
      assert.ok(sandbox.stats.rateLimited > 0, 'the runtimes did collide (else this test shows nothing)');
      assert.ok(sandbox.stats.rateLimited <= 0.25 * sandbox.requests.length,
        `${sandbox.stats.rateLimited} of ${sandbox.requests.length} requests were 429s`);
    });

    it('one runtime beside a foreign client using a quarter of the limit: every play ends played', async () => {
      const runtime = await start();
      sandbox.reset();
      let running = true;
      const authorization = `Basic ${Buffer.from(`${target.authId}:${target.authToken}`).toString('base64')}`;
      const foreign = (async () => {
        // A backend on the same account, 5 requests per window, for at most 30 windows.
        for (let window = 0; running && window < 30; window += 1) {
          await Promise.all(Array.from({ length: LIMIT.limit / 4 }, () => fetch(
            `${target.url}/v1/Account/${target.authId}/Call/${target.callUuid}/Play/`,
            { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: '{"urls":"https://example.com/a.mp3"}' },
          ).then((response) => response.arrayBuffer())));
          await settle(LIMIT.windowMs);
        }
      })();
      const result = await runtime.play(60);
      running = false;
      await foreign;
      assert.equal(result.lost, 0, JSON.stringify(result.errors));
      assert.ok(sandbox.stats.rateLimited > 0, 'the foreign client did take part of the limit');
    });
  });

  describe('with Redis', () => {
    before(function () {
      needServer(this, 'redis-server');
    });
    let redis;
    afterEach(async () => {
      await redis?.kill();
      redis = undefined;
    });

    it('two runtimes share one exact window: no 429, no lost play, never more than the limit in a window', async () => {
      redis = await startRedis();
      const [a, b] = [await start({ account: { redisUrl: redis.url } }), await start({ account: { redisUrl: redis.url } })];
      sandbox.reset();
      const results = await Promise.all([a.play(60), b.play(60)]);
      assert.deepEqual(results.map((result) => result.lost), [0, 0]);
      assert.equal(sandbox.stats.rateLimited, 0);
      assert.equal(sandbox.requests.length, 120);
      assert.ok(busiestWindow(sandbox.requests) <= LIMIT.limit, `busiest window ${busiestWindow(sandbox.requests)}`);
      const logs = await a.logs();
      assert.ok(logs.some((entry) => entry.level === 'info' && entry.msg.includes(`shared through Redis at ${redis.url}`)));
    });

    it('Redis killed mid-burst and restarted: nothing lost, the status and the log say so once, then Redis is used again', async () => {
      redis = await startRedis();
      const runtime = await start({ account: { redisUrl: redis.url } });
      sandbox.reset();
      const burst = runtime.play(80);
      await settle(1000);
      await redis.kill();
      await waitUntil(async () => /Redis down/.test((await runtime.status())?.text ?? ''), 5000, 'the status to say Redis is down');
      await settle(500);
      await redis.start();
      const result = await burst;
      assert.equal(result.lost, 0, JSON.stringify(result.errors));
      assert.equal(sandbox.stats.rateLimited, 0, 'the local window kept the limit meanwhile');
      await waitUntil(async () => (await runtime.logs()).some((entry) => entry.msg.includes('is back')), 5000, 'Redis to be used again');
      const warnings = (await runtime.logs()).filter((entry) => entry.level === 'warn' && entry.msg.includes('cannot be used'));
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      assert.match(warnings[0].msg, /keeps the account's limit on its own/);
    });

    it('a wrong Redis password: a clear warning without the password, and every play still ends played', async () => {
      redis = await startRedis({ password: 'right-redis-pass' });
      const runtime = await start({ account: { redisUrl: redis.url }, redisPassword: 'wrong-redis-pass-7' });
      const result = await runtime.play(30);
      assert.equal(result.lost, 0, JSON.stringify(result.errors));
      const logs = await runtime.logs();
      const warning = logs.find((entry) => entry.level === 'warn' && entry.msg.includes('cannot be used'));
      assert.ok(warning, JSON.stringify(logs));
      assert.match(warning.msg, /WRONGPASS|NOAUTH|invalid password/i);
      assert.ok(!JSON.stringify(logs).includes('wrong-redis-pass-7'), 'the password is never logged');
      assert.match((await runtime.status())?.text ?? '', /Redis down/);
    });

    it('slots held by a runtime that crashed leave the window by themselves, within timeout + window', async () => {
      redis = await startRedis();
      const runtime = await start({ account: { redisUrl: redis.url } });
      sandbox.fail({ kind: 'hang' }, LIMIT.limit);
      const key = `plivo-play:window:${target.authId}`;
      const client = new Redis(redis.url);
      try {
        void runtime.play(LIMIT.limit);
        await waitUntil(async () => (await client.zcard(key)) === LIMIT.limit, 5000, 'the runtime to hold the whole window');
        await runtime.kill();
        const killedAt = Date.now();
        await waitUntil(async () => (await client.exists(key)) === 0, 10_000, 'the slots to leave');
        const heldFor = Date.now() - killedAt;
        assert.ok(heldFor <= ACCOUNT.timeout * 1000 + LIMIT.windowMs + 200, `slots held ${heldFor} ms after the crash`);
      } finally {
        client.disconnect();
      }
    });

    it('placed calls: two runtimes under one cap of live calls never pass it, and a third hears their callbacks and sends outcomes back', async () => {
      redis = await startRedis();
      const calling = await startSandbox({ cps: 10, maxConcurrent: 3 });
      try {
        const port = await freePort();
        const account = { redisUrl: redis.url, callsPerSecond: 10, maxConcurrentCalls: 3 };
        const sandboxOf = { url: calling.url, authId: calling.account.authId, authToken: calling.account.authToken, callUuid: calling.addCall() };
        const webhooks = await start({ sandbox: sandboxOf, webhookPort: port, answerXml: '<Response><Wait length="1"/></Response>', account });
        const makeCall = { answerUrl: `http://127.0.0.1:${port}/plivo/answer`, hangupUrl: `http://127.0.0.1:${port}/plivo/hangup` };
        const [a, b] = [await start({ sandbox: sandboxOf, makeCall, account }), await start({ sandbox: sandboxOf, makeCall, account })];
        const numbers = (first) => Array.from({ length: 6 }, (_, i) => `+1415555${String(first + i).padStart(4, '0')}`);
        const results = await Promise.all([a.makeCalls(numbers(1100), 30_000), b.makeCalls(numbers(1200), 30_000)]);
        for (const result of results) {
          assert.deepEqual({ outcomes: result.outcomes, failed: result.failed, unended: result.unended }, { outcomes: { answered: 6 }, failed: 0, unended: 0 },
            JSON.stringify(result.errors));
        }
        assert.equal(calling.outbound.failedForCap, 0, 'no call failed for the cap (Plivo\'s 5030)');
        assert.ok(calling.outbound.mostConcurrent <= 3, `at most 3 live calls, saw ${calling.outbound.mostConcurrent}`);
        assert.equal(calling.outbound.started, 12);
        const heard = await webhooks.answered();
        assert.equal(heard.length, 12);
        assert.ok(heard.every(({ placed }) => typeof placed?.row === 'string'), JSON.stringify(heard.slice(0, 2)));
        assert.equal(new Set(heard.map(({ placed }) => placed.row)).size, 12, 'each answer knew its own placing message');
      } finally {
        await Promise.all(runtimes.splice(0).map((runtime) => runtime.stop()));
        await calling.close();
      }
    });
  });
});
