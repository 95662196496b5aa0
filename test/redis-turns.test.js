'use strict';
/**
 * Runtimes sharing the limit through Redis take turns: a runtime with a backlog cannot take
 * the slot another runtime's message waits for. Two RedisWindows stand for two runtimes on
 * one Auth ID, against Debian's redis-server; slots are freed by hand (cancel), so every step
 * is exact.
 */
const assert = require('node:assert/strict');
const { needServer } = require('./servers');
const { RedisWindow } = require('../dist/nodes/lib/limit/redis-window.js');
const { startRedis } = require('../scripts/redis-server.js');

const LIMIT = 3;
const WINDOW_MS = 300;
const HOLD_MS = 60_000;

describe('turns between runtimes in the Redis window', function () {
  before(function () {
    needServer(this, 'redis-server');
  });
  this.timeout(20_000);
  let redis;
  let runtimes = [];
  let account = 0;

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.kill();
  });
  afterEach(async () => {
    await Promise.all(runtimes.map((runtime) => runtime.close()));
  });

  async function twoRuntimes() {
    account += 1;
    runtimes = [0, 1].map(() => new RedisWindow(`MATURNS${account}`, { url: redis.url }, () => {}));
    const began = Date.now();
    while (runtimes.some((runtime) => runtime.state !== 'ready')) {
      if (Date.now() - began > 5000) throw new Error('Redis not ready');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const [bulk, prompt] = runtimes;
    const take = async (runtime, priority, count = 1) => (await runtime.acquire(count, LIMIT, HOLD_MS, WINDOW_MS, priority)).slots;
    return { bulk, prompt, take };
  }

  it('a low backlog leaves the slot a waiting high message needs; the high one gets it', async () => {
    const { bulk, prompt, take } = await twoRuntimes();
    const held = await take(bulk, 'low', LIMIT);
    assert.equal(held.length, LIMIT);
    const refused = await prompt.acquire(1, LIMIT, HOLD_MS, WINDOW_MS, 'high');
    assert.equal(refused.slots.length, 0);
    assert.ok(refused.waitMs > 0 && refused.waitMs <= WINDOW_MS, `wait ${refused.waitMs}`);
    bulk.cancel(held[0]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(await take(bulk, 'low'), [], 'the freed slot is the high message\'s');
    assert.equal((await take(prompt, 'high')).length, 1);
    bulk.cancel(held[1]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal((await take(bulk, 'low')).length, 1, 'once served, the prompt runtime waits for nothing');
  });

  it('same priority: the runtime waiting longer goes first, then they alternate', async () => {
    const { bulk, prompt, take } = await twoRuntimes();
    const held = await take(bulk, 'normal', LIMIT);
    assert.deepEqual(await take(bulk, 'normal'), [], 'the backlog runtime waits first');
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(await take(prompt, 'normal'), []);
    const free = async (n) => {
      bulk.cancel(held[n]);
      await new Promise((resolve) => setTimeout(resolve, 20));
    };
    await free(0);
    assert.deepEqual(await take(prompt, 'normal'), [], 'the other waited longer');
    assert.equal((await take(bulk, 'normal')).length, 1);
    await free(1);
    assert.deepEqual(await take(bulk, 'normal'), [], 'served, it is behind the runtime still waiting');
    assert.equal((await take(prompt, 'normal')).length, 1);
  });

  it('a runtime granted part of what it asked goes to the back of the line: a backlog cannot keep its place', async () => {
    const { bulk, prompt, take } = await twoRuntimes();
    const held = await take(bulk, 'normal', LIMIT);
    const free = async (n) => {
      bulk.cancel(held[n]);
      await new Promise((resolve) => setTimeout(resolve, 20));
    };
    await free(0);
    assert.equal((await take(bulk, 'normal', 5)).length, 1, 'one of five: waiting again, from now');
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(await take(prompt, 'normal'), []);
    await free(1);
    assert.equal((await take(bulk, 'normal', 5)).length, 1, 'it waited longer than the prompt runtime');
    await free(2);
    assert.deepEqual(await take(bulk, 'normal', 5), [], 'granted a slot since, it is behind the prompt now');
    assert.equal((await take(prompt, 'normal')).length, 1);
  });

  it('a runtime that stops asking is forgotten after a window: its slot is not held for it', async () => {
    const { bulk, prompt, take } = await twoRuntimes();
    const held = await take(bulk, 'low', LIMIT);
    assert.deepEqual(await take(prompt, 'high'), []);
    bulk.cancel(held[0]);
    await new Promise((resolve) => setTimeout(resolve, 2 * WINDOW_MS + 50));
    assert.equal((await take(bulk, 'low')).length, 1);
  });
});
