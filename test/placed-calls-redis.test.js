'use strict';
/**
 * Placed calls across Node-RED instances through the account's Redis (Debian's redis-server,
 * started here): the cap on live calls holds over every instance, even when they race for the
 * last room; a call's callbacks reaching another instance find what the placing message kept;
 * its outcome goes back to the instance that placed it, also after that one missed it.
 */
const assert = require('node:assert/strict');
const { redisForSuite } = require('./servers');
const { Leases, LeaseRefusedError } = require('../dist/nodes/lib/limit/leases.js');
const { RedisLeases } = require('../dist/nodes/lib/limit/redis-leases.js');
const { RequestEngine } = require('../dist/nodes/lib/limit/request-engine.js');
const { PlacedCalls } = require('../dist/nodes/lib/plivo/placed-calls.js');
const { RedisPlacedCalls } = require('../dist/nodes/lib/plivo/redis-placed-calls.js');
const { waitFor } = require('./webhook-support');

const REQUEST = '0a1b2c3d-1111-4222-8333-444455556666';
const CALL = 'c0ffee00-1111-4222-8333-444455556666';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

describe('placed calls shared through Redis', function () {
  this.timeout(20_000);
  const redis = redisForSuite('MAPLACED');
  const shares = [];
  afterEach(() => shares.splice(0));

  function leases(cap) {
    const share = redis.opened(new RedisLeases(`${redis.name}:live-calls`, { url: redis.url }));
    shares.push(share);
    const made = new Leases(cap);
    made.useShare(share);
    return made;
  }

  function placedCalls() {
    const share = redis.opened(new RedisPlacedCalls(redis.name, { url: redis.url }));
    shares.push(share);
    const made = new PlacedCalls();
    made.useShare(share);
    return { placed: made, share };
  }

  const ready = () => waitFor(() => shares.every((share) => share.ready), 'Redis connections', 5000);

  describe('the cap on live calls', () => {
    it('holds over two instances racing for the last room: exactly the cap is taken, and a release makes room elsewhere', async () => {
      const a = leases(3);
      const b = leases(3);
      await ready();
      const names = Array.from({ length: 10 }, (_, i) => `lease-${i}`);
      const taken = await Promise.all(names.map((lease, i) => (i % 2 ? a : b).acquire(lease, Date.now() + 60_000)));
      assert.equal(taken.filter(Boolean).length, 3, 'three leases of ten, over both instances');
      assert.equal(a.size + b.size, 3);
      await waitFor(() => a.room() === 0 && b.room() === 0, 'both to count the other\'s leases');
      let freedAt;
      const holder = a.size > 0 ? a : b;
      const other = holder === a ? b : a;
      other.onFree(() => { freedAt ??= Date.now(); });
      const [heldName] = names.filter((lease) => holder.has(lease));
      holder.release(heldName);
      await waitFor(() => freedAt !== undefined, 'the other instance to hear the room');
      assert.equal(other.room(), 1);
      assert.equal(await other.acquire('late', Date.now() + 60_000), true);
      assert.equal(await holder.acquire('later', Date.now() + 60_000), false, 'the cap is full again');
    });

    it('a crashed instance\'s leases expire, and the others hear the room within the recount', async () => {
      const a = leases(1);
      const crashed = redis.opened(new RedisLeases(`${redis.name}:live-calls`, { url: redis.url }));
      shares.push(crashed);
      await ready();
      assert.deepEqual(await crashed.take('left-behind', 400, 1), { taken: true, held: 1 });
      assert.equal(await a.acquire('mine', Date.now() + 60_000), false);
      assert.equal(a.room(), 0);
      let freed = false;
      a.onFree(() => { freed = true; });
      await waitFor(() => freed, 'the expiry to be heard', 3000);
      assert.equal(await a.acquire('mine', Date.now() + 60_000), true);
    });

    it('two engines placing at once never hold more live calls than the cap, and every call is placed', async () => {
      const cap = 2;
      const instances = [leases(cap), leases(cap)].map((gate) => {
        const engine = new RequestEngine({ rateLimit: 100, rateWindowMs: 1000, concurrency: 10, queueLimit: 100, timeoutMs: 5000 });
        engine.setGate(gate);
        return { gate, engine };
      });
      await ready();
      let live = 0;
      let most = 0;
      const owner = {};
      const calls = [];
      for (const [index, { gate, engine }] of instances.entries()) {
        for (let i = 0; i < 6; i += 1) {
          const lease = `call-${index}-${i}`;
          calls.push(engine.submit(owner, { retries: 0, rateLimitWaitMs: 0 }, async () => {
            if (!await gate.acquire(lease, Date.now() + 60_000)) throw new LeaseRefusedError();
            live += 1;
            most = Math.max(most, live);
            // The call lasts a while after it was placed; its hangup frees the room.
            setTimeout(() => {
              live -= 1;
              gate.release(lease);
            }, 150);
            return lease;
          }));
        }
      }
      const placed = await Promise.all(calls);
      assert.equal(placed.length, 12);
      assert.equal(most, cap, `at most ${cap} live at once over both instances`);
      for (const { engine } of instances) await engine.close(owner, 0);
    });

    it('a call refused for the cap waits again within its max wait, and ends EXPIRED unsent when that is over', async () => {
      const a = leases(1);
      const b = leases(1);
      await ready();
      assert.equal(await b.acquire('elsewhere', Date.now() + 60_000), true);
      // A has not heard of B's lease yet when its request starts: the share refuses it, and it waits in the queue.
      const engine = new RequestEngine({ rateLimit: 100, rateWindowMs: 1000, concurrency: 10, queueLimit: 100, timeoutMs: 5000 });
      engine.setGate(a);
      let sent = 0;
      const result = await engine.submit({}, { retries: 0, rateLimitWaitMs: 0, maxWait: { ms: 600, source: 'the node' } }, async () => {
        if (!await a.acquire('here', Date.now() + 60_000)) throw new LeaseRefusedError();
        sent += 1;
        return 'placed';
      }).catch((error) => error);
      assert.equal(result.code, 'EXPIRED', String(result));
      assert.equal(sent, 0);
    });
  });

  describe('callbacks on another instance', () => {
    const answerOf = (extra = {}) => ({ RequestUUID: REQUEST, CallUUID: CALL, CallStatus: 'in-progress', Direction: 'outbound', ...extra });

    it('find what the placing message kept (by RequestUUID, then by CallUUID alone), and the outcome reaches the placer once', async () => {
      const a = placedCalls();
      const b = placedCalls();
      await ready();
      const outcomes = [];
      a.placed.adopt('maker', (data, outcome, requestUuid) => outcomes.push({ data, outcome, requestUuid }));
      const settledOnB = [];
      b.placed.onSettled((requestUuid) => settledOnB.push(requestUuid));
      assert.equal(a.placed.place(REQUEST, 'maker', { row: 7 }, '{"name":"Ada"}', Date.now() + 60_000), true);
      await sleep(50);
      assert.deepEqual(await b.placed.heardAnywhere(answerOf({ Machine: 'false' })), { placed: '{"name":"Ada"}' });
      await sleep(50);
      assert.deepEqual(await b.placed.heardAnywhere({ CallUUID: CALL, Digits: '1' }), { placed: '{"name":"Ada"}' }, 'a GetDigits action names only the call');
      assert.equal(await b.placed.heardAnywhere({ CallUUID: 'deadbeef-1111-4222-8333-444455556666', Digits: '1' }), undefined);
      const hangup = answerOf({ CallStatus: 'completed', Event: 'Hangup', HangupCause: 'NORMAL_CLEARING', Duration: '12', BillDuration: '60' });
      await b.placed.heardAnywhere(hangup);
      await waitFor(() => outcomes.length === 1, 'the outcome on the placing instance');
      assert.deepEqual(outcomes[0].data, { row: 7 });
      assert.equal(outcomes[0].requestUuid, REQUEST);
      assert.equal(outcomes[0].outcome.status, 'answered');
      assert.equal(outcomes[0].outcome.Duration, 12);
      assert.equal(outcomes[0].outcome.CallUUID, CALL);
      assert.deepEqual(settledOnB, [REQUEST], 'the instance that heard the hangup frees the call\'s live lease');
      await b.placed.heardAnywhere(hangup);
      await sleep(200);
      assert.equal(outcomes.length, 1, 'a repeated hangup settles nothing again');
      assert.equal(a.placed.size, 0);
    });

    it('an outcome heard while the placer was not listening reaches it once it listens again', async () => {
      const a = placedCalls();
      const b = placedCalls();
      await ready();
      const outcomes = [];
      a.placed.adopt('maker', (data, outcome) => outcomes.push(outcome));
      a.placed.place(REQUEST, 'maker', {}, '{}', Date.now() + 60_000);
      await sleep(50);
      a.placed.useShare(undefined);
      await b.placed.heardAnywhere({ RequestUUID: REQUEST, CallUUID: CALL, CallStatus: 'busy', HangupCause: 'USER_BUSY' });
      await sleep(200);
      assert.equal(outcomes.length, 0, 'not listening: nothing heard yet');
      const again = redis.opened(new RedisPlacedCalls(redis.name, { url: redis.url }));
      shares.push(again);
      a.placed.useShare(again);
      await waitFor(() => outcomes.length === 1, 'the outcome after catching up');
      assert.equal(outcomes[0].status, 'busy');
    });

    it('while Redis cannot be used, each instance goes on alone: its own leases under the cap, no kept context from elsewhere', async () => {
      const { freePort } = require('../scripts/dev-runtime.js');
      const nowhere = { url: `redis://127.0.0.1:${await freePort()}` };
      const gate = new Leases(1);
      gate.useShare(redis.opened(new RedisLeases('MAUNREACHABLE:live-calls', nowhere)));
      const placed = new PlacedCalls();
      placed.useShare(redis.opened(new RedisPlacedCalls('MAUNREACHABLE', nowhere)));
      assert.equal(await gate.acquire('alone', Date.now() + 60_000), true);
      assert.equal(gate.room(), 0, 'the cap still holds here');
      assert.equal(await placed.heardAnywhere({ RequestUUID: REQUEST, CallUUID: CALL, CallStatus: 'in-progress' }), undefined);
    });

    it('nothing is looked up for a callback of no call (no UUIDs), and a stored answer that is not ours is ignored', async () => {
      const b = placedCalls();
      await ready();
      assert.equal(await b.placed.heardAnywhere({ From: '+14155550100' }), undefined);
      const { Redis } = require('ioredis');
      const raw = new Redis(redis.url);
      await raw.set(`plivo-play:placed:${redis.name}:call:${CALL}`, '{"requestUuid":"not a uuid","kept":"{}"}');
      await raw.set(`plivo-play:placed:${redis.name}:call:deadbeef-1111-4222-8333-444455556666`, 'x'.repeat(70_000));
      assert.equal(await b.placed.heardAnywhere({ CallUUID: CALL, Digits: '1' }), undefined);
      assert.equal(await b.placed.heardAnywhere({ CallUUID: 'deadbeef-1111-4222-8333-444455556666' }), undefined);
      await raw.quit();
    });
  });
});
