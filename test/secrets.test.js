'use strict';
/**
 * No password in a URL setting (Redis URL, Public URL, base URL) ever shows: passwords with
 * `@`, `%40`, repeated and percent-encoded, in URLs that parse and URLs that do not. Everything
 * a user or an attacker can see is scanned: errors at Catch, the runtime's log (node warnings
 * and errors included), statuses, messages and HTTP responses.
 */
const assert = require('node:assert/strict');
const { helper, AUTH_ID, AUTH_TOKEN, playNode, configNode } = require('./support');
const { CALL, request, form, webhookHarness } = require('./webhook-support');
const { urlSafeToShow } = require('../dist/nodes/lib/common/url.js');
const { parseRedisUrl, parseBaseUrl } = require('../dist/nodes/lib/plivo/account.js');
const { parsePublicUrl } = require('../dist/nodes/lib/webhook/request.js');

const PASSWORDS = ['Pa55@w0rd!', 'Pa55%40w0rd', 'hunter2hunter2', 'p%2Fss%3Aw%25rd'];

/** Every way the password could be written out. */
function forms(password) {
  const all = new Set([password, encodeURIComponent(password)]);
  try {
    all.add(decodeURIComponent(password));
  } catch {
    // not percent-encoded
  }
  return [...all];
}

/** URL settings carrying the password: invalid (bad port, a `/` in the password) and valid. */
function urlsWith(password) {
  return {
    redis: [`redis://:${password}@127.0.0.1:99999/0`, `redis://${password}:${password}@127.0.0.1:6379/0`, `redis://:pa/${password}@127.0.0.1:99999`,
      // ioredis reads a password from the query too.
      `redis://127.0.0.1:6379/0?password=${password}`, `redis://127.0.0.1:6379/0?db=1&password=${password}#x`],
    base: [`https://user:${password}@api.example.com:99999`, `https://user:${password}@api.example.com`, `https://api.example.com/?token=${password}`],
    public: [`https://user:${password}@flows.example.com`, `https://user:${password}@flows.example.com:99999`],
  };
}

function assertClean(texts, password, where) {
  for (const text of texts) {
    for (const form of forms(password)) {
      assert.ok(!String(text).includes(form), `${where} shows the password (${form}): ${text}`);
    }
  }
}

describe('URL passwords never show', function () {
  this.timeout(20_000);

  it('urlSafeToShow and every URL parser: the password goes, the rest stays', () => {
    assert.equal(urlSafeToShow('redis://:p@ss@host:99999/0'), 'redis://***@host:99999/0');
    assert.equal(urlSafeToShow('https://api.plivo.com'), 'https://api.plivo.com');
    assert.equal(urlSafeToShow('redis://host:6379/0?password=SECRET&db=1#frag'), 'redis://host:6379/0?password=***&db=***#***');
    assert.equal(urlSafeToShow('redis://host/0?password=p@ss'), 'redis://host/0?password=***', 'an @ in the query does not move the cut');
    for (const password of PASSWORDS) {
      const urls = urlsWith(password);
      const failures = [
        ...urls.redis.map((url) => () => parseRedisUrl(url)),
        ...urls.base.map((url) => () => parseBaseUrl(url)),
        ...urls.public.map((url) => () => parsePublicUrl(url)),
      ];
      for (const fail of failures) {
        assert.throws(fail, (error) => {
          assertClean([error.message], password, 'an error');
          return true;
        });
      }
    }
  });

  describe('through the nodes', () => {
    const harness = webhookHarness();

    it('Public URL with user info: the webhook node says it is invalid, without the password', async () => {
      for (const password of PASSWORDS) {
        for (const publicUrl of urlsWith(password).public) {
          const { statuses } = await harness.load({ publicUrl });
          const logged = helper.log().args.map((args) => JSON.stringify(args[0]));
          assert.ok(logged.some((line) => /public URL must be/.test(line)), 'the node said why (logged as it started)');
          assertClean([...logged, ...statuses.map((one) => JSON.stringify(one))], password, 'the webhook node');
          await helper.unload();
        }
      }
    });

    for (const password of PASSWORDS) {
      for (const [kind, index] of [['redis', 0], ['redis', 2], ['redis', 3], ['base', 0], ['base', 1], ['base', 2]]) {
        const setting = urlsWith(password)[kind][index];
        it(`${kind} URL ${setting}`, async () => {
          const configProps = kind === 'redis' ? { redisUrl: setting } : { baseUrl: setting };
          const { warnings, errors, statuses, messages } = await harness.load({}, { configProps });
          const seen = [...warnings, ...errors];
          const responses = [
            await request(harness.port(), { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(CALL) }),
            await request(harness.port(), { headers: harness.signed(CALL), body: form(CALL) }),
          ];
          assert.equal(responses[1].status, 500, 'the account cannot be used');
          seen.push(...responses.map((answer) => answer.body));
          seen.push(...statuses.map((status) => JSON.stringify(status)), ...messages.map((msg) => JSON.stringify(msg.payload)));
          seen.push(...helper.log().args.map((args) => JSON.stringify(args[0])));
          assert.ok(seen.some((text) => /reject\.no-token/.test(text)), 'the webhook said why it could not check');
          assertClean(seen, password, 'the webhook node or the log');
        });
      }
    }
  });
});

describe('URL passwords never show in plivo play\'s errors', function () {
  this.timeout(20_000);
  afterEach(() => helper.unload());

  for (const password of PASSWORDS) {
    for (const [kind, setting] of [['redis', urlsWith(password).redis[0]], ['redis', urlsWith(password).redis[3]], ['base', urlsWith(password).base[0]]]) {
      it(`${kind} URL ${setting}`, async () => {
        const flow = [
          { id: 'tab', type: 'tab', label: 'test' },
          { id: 'cfg', type: 'plivo-config', name: 'account', ...(kind === 'redis' ? { redisUrl: setting } : { baseUrl: setting }) },
          { id: 'play', type: 'plivo-play', z: 'tab', x: 300, y: 100, account: 'cfg', urls: 'https://example.com/a.mp3', wires: [['out']] },
          { id: 'out', type: 'helper', z: 'tab', x: 500, y: 100, wires: [] },
          { id: 'catcher', type: 'catch', z: 'tab', x: 300, y: 200, scope: null, uncaught: false, wires: [['caught']] },
          { id: 'caught', type: 'helper', z: 'tab', x: 500, y: 200, wires: [] },
        ];
        await helper.load([configNode, playNode], flow, { cfg: { authId: AUTH_ID, authToken: AUTH_TOKEN } });
        const statuses = [];
        const play = helper.getNode('play');
        const status = play.status.bind(play);
        play.status = (value) => {
          statuses.push(value);
          status(value);
        };
        const caught = new Promise((resolve) => helper.getNode('caught').on('input', resolve));
        play.receive({ payload: { call_uuid: CALL.CallUUID } });
        const msg = await caught;
        assert.match(msg.error.message, /URL/);
        const seen = [JSON.stringify(msg.error), ...statuses.map((one) => JSON.stringify(one)), ...helper.log().args.map((args) => JSON.stringify(args[0]))];
        assertClean(seen, password, 'plivo play or the log');
      });
    }
  }
});
