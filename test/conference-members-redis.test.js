'use strict';
/**
 * Conference members shared through the account's Redis (Debian's redis-server, started here):
 * the enter one instance heard names the member on another with no details lookup, an exit
 * heard anywhere ends the message unsent everywhere, memberships expire with the memory, and
 * with Redis unreachable an instance falls back to one details lookup.
 */
const assert = require('node:assert/strict');
const { redisForSuite } = require('./servers');
const { ConferenceMembers } = require('../dist/nodes/lib/plivo/conference-members.js');
const { RedisConferenceMembers } = require('../dist/nodes/lib/plivo/redis-conference-members.js');
const { waitFor } = require('./webhook-support');

const CALL = '11111111-2222-4333-8444-555555555555';
const enter = { ConferenceAction: 'enter', ConferenceName: 'incident', ConferenceMemberID: '17', CallUUID: CALL };

describe('conference members shared through Redis', function () {
  this.timeout(20_000);
  const redis = redisForSuite('MAMEMBERS');

  /** An instance as shared-accounts.ts wires it: its memory and the Redis share, once connected. */
  async function instance(url = redis.url, memoryMs = undefined) {
    const members = new ConferenceMembers(memoryMs);
    const share = redis.opened(new RedisConferenceMembers(redis.name, { url }, memoryMs));
    members.useShare(share);
    if (url === redis.url) await waitFor(() => share.client.status === 'ready', 'Redis to connect');
    return members;
  }

  /** A lookup that counts the details requests it would send, answering `listed` members. */
  function lookup(listed = []) {
    const counted = { sent: 0, ended: () => undefined };
    counted.details = async () => {
      counted.sent += 1;
      return { members: listed };
    };
    return counted;
  }

  it('an enter heard on one instance names the member on another, with no lookup', async () => {
    const a = await instance();
    const b = await instance();
    a.heard(enter, Date.now());
    const asked = lookup();
    // The write to Redis takes a round trip.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await b.resolve('incident', [{ callUuid: CALL.toUpperCase() }], asked, Date.now), '17');
    assert.equal(asked.sent, 0);
  });

  it('an exit heard on one instance ends a message for that member on another unsent', async () => {
    const a = await instance();
    const b = await instance();
    a.heard(enter, Date.now());
    a.heard({ ...enter, ConferenceAction: 'exit' }, Date.now() + 1);
    const asked = lookup([{ member_id: '17', call_uuid: CALL }]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await assert.rejects(b.resolve('incident', [{ callUuid: CALL }], asked, Date.now), (error) => error.code === 'MEMBER_LEFT');
    assert.equal(asked.sent, 0);
  });

  it('memberships expire in Redis with the memory', async () => {
    const a = await instance(redis.url, 200);
    const b = await instance(redis.url, 200);
    a.heard(enter, Date.now());
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal((await b.find(CALL, Date.now()))?.memberId, '17');
    const c = await instance(redis.url, 200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await c.find(CALL, Date.now()), undefined);
  });

  it('with Redis unreachable, an instance falls back to one details lookup', async () => {
    const a = await instance();
    a.heard(enter, Date.now());
    const alone = await instance('redis://127.0.0.1:1');
    const asked = lookup([{ member_id: '17', call_uuid: CALL }]);
    assert.equal(await alone.resolve('incident', [{ callUuid: CALL }], asked, Date.now), '17');
    assert.equal(asked.sent, 1);
  });
});
