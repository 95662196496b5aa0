'use strict';
/**
 * Redis answers are checked, never trusted: a broken or foreign server that speaks the Redis
 * protocol (a small RESP server here, on a loopback port) answering nonsense to our scripts
 * counts as Redis failing, and the local window takes over. No huge allocation, no tight loop.
 */
const assert = require('node:assert/strict');
const net = require('node:net');
const { RedisWindow, checkedGrant } = require('../dist/nodes/lib/limit/redis-window.js');
const { RedisSeenSignatures } = require('../dist/nodes/lib/webhook/replay-guard.js');
const { waitFor } = require('./webhook-support');

const resp = {
  int: (n) => `:${n}\r\n`,
  bulk: (text) => `$${Buffer.byteLength(text)}\r\n${text}\r\n`,
  array: (items) => `*${items.length}\r\n${items.join('')}`,
};

/** Parses whole RESP commands (arrays of bulk strings) off the front of `buffer`. */
function takeCommands(buffer) {
  const commands = [];
  let at = 0;
  for (;;) {
    const text = buffer.toString('latin1', at);
    const head = /^\*(\d+)\r\n/.exec(text);
    if (!head) break;
    let offset = head[0].length;
    const args = [];
    for (let i = 0; i < Number(head[1]); i += 1) {
      const bulk = /^\$(\d+)\r\n/.exec(text.slice(offset));
      if (!bulk || text.length < offset + bulk[0].length + Number(bulk[1]) + 2) return { commands, rest: buffer.subarray(at) };
      offset += bulk[0].length;
      args.push(text.slice(offset, offset + Number(bulk[1])));
      offset += Number(bulk[1]) + 2;
    }
    commands.push(args);
    at += offset;
  }
  return { commands, rest: buffer.subarray(at) };
}

/** A server that speaks Redis's protocol and answers scripts and SET with `answers`. */
async function fakeRedis(answers) {
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      const { commands, rest } = takeCommands(Buffer.concat([pending, chunk]));
      pending = rest;
      for (const [name] of commands) {
        const command = name.toUpperCase();
        if (command === 'INFO') socket.write(resp.bulk('# Server\r\nredis_version:7.0.0\r\nloading:0\r\n'));
        else if (command === 'EVALSHA' || command === 'EVAL') socket.write(answers.script);
        else if (command === 'SET') socket.write(answers.set);
        else socket.write('+OK\r\n');
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${server.address().port}/0`,
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(resolve);
    }),
  };
}

describe('Redis answers are checked', function () {
  this.timeout(10_000);
  const logs = [];
  const log = (level, message) => logs.push({ level, message });
  beforeEach(() => {
    logs.length = 0;
  });

  it('checkedGrant takes whole counts up to what was asked and waits up to a window, nothing else', () => {
    assert.deepEqual(checkedGrant([1, 0], 1, 5000), [1, 0]);
    assert.deepEqual(checkedGrant([0, 5000], 3, 5000), [0, 5000]);
    for (const reply of [[3_000_000, 0], [2, 0], [-1, 0], [1.5, 0], [0, 'NaN'], [0, Number.NaN], [0, 5001], [0, -1], ['1', 0], [1], null, 'OK']) {
      assert.equal(checkedGrant(reply, 1, 5000), undefined, JSON.stringify(reply));
    }
  });

  for (const [name, script] of [
    ['[3000000, 0] to a one-slot acquire', resp.array([resp.int(3_000_000), resp.int(0)])],
    ['"NaN" as the wait', resp.array([resp.int(0), resp.bulk('NaN')])],
    ['a wait of an hour', resp.array([resp.int(0), resp.int(3_600_000)])],
  ]) {
    it(`the limit window: a server answering ${name} counts as Redis failing, once`, async () => {
      const fake = await fakeRedis({ script });
      const window = new RedisWindow('MAFAKEREDIS', { url: fake.url }, log);
      try {
        await waitFor(() => window.state === 'ready', 'the connection');
        await assert.rejects(window.acquire(1, 300, 10_000, 5_000, 'normal'), /unexpected answer/);
        assert.equal(window.state, 'down', 'the local window takes over');
        assert.equal(logs.filter((entry) => entry.level === 'warn').length, 1);
      } finally {
        await window.close();
        await fake.close();
      }
    });
  }

  it('seen signatures: an answer other than OK or nil counts as Redis failing, said once; OK again is "back"', async () => {
    const answers = { set: resp.int(5) };
    const fake = await fakeRedis(answers);
    const seen = new RedisSeenSignatures('MAFAKEREDIS', { url: fake.url }, log);
    try {
      // Connected first, so the warning is about the answer, not a connection still opening.
      await waitFor(() => seen.client.status === 'ready', 'the connection');
      assert.equal(await seen.record('sig-1', 1000), undefined, 'not known: the caller decides from its own memory');
      assert.equal(await seen.record('sig-2', 1000), undefined);
      assert.deepEqual(logs.map((entry) => entry.level), ['warn']);
      answers.set = '+OK\r\n';
      assert.equal(await seen.record('sig-3', 1000), true);
      // Back: the two it could not record are written back, and it says so.
      await waitFor(() => logs.length === 2, 'the write-back');
      assert.match(logs[1].message, /is back: .*\(2 accepted during the outage written back\)/);
      assert.equal(seen.unwrittenCount, 0);
      answers.set = '$-1\r\n';
      assert.equal(await seen.record('sig-3', 1000), false, 'nil: another instance recorded it');
      assert.deepEqual(logs.map((entry) => entry.level), ['warn', 'info']);
    } finally {
      await seen.close();
      await fake.close();
    }
  });
});

describe('what is accepted while Redis cannot answer', function () {
  this.timeout(10_000);
  it('is kept for writing back, at most as many as the local memory holds (the oldest go first), and said once', async () => {
    const logs = [];
    const { freePort } = require('../scripts/dev-runtime.js');
    const nobody = await freePort();
    const seen = new RedisSeenSignatures('MANOREDIS', { url: `redis://127.0.0.1:${nobody}/0` }, (level, message) => logs.push({ level, message }), 3);
    try {
      const began = Date.now();
      assert.equal(await seen.record('sig-1', 60_000), undefined);
      assert.ok(Date.now() - began >= 2_900, 'the first decision waited for the connection (3 s)');
      for (const signature of ['sig-2', 'sig-3', 'sig-4', 'sig-5']) assert.equal(await seen.record(signature, 60_000), undefined);
      assert.equal(seen.unwrittenCount, 3);
      assert.deepEqual(logs.map((entry) => entry.level), ['warn'], 'said once');
      assert.match(logs[0].message, /writes what it accepts to Redis when it is back/);
    } finally {
      await seen.close();
    }
  });
});
