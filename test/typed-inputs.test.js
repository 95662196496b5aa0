'use strict';
/**
 * plivo play's typed inputs: each field read from msg, flow, global, env or JSONata with
 * Node-RED's own evaluation, validated like msg.payload values, errors naming the source;
 * and flows saved before typed inputs (no <field>Type) keep their meaning.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startSandbox } = require('../sandbox/plivo-sandbox.js');
const { helper, playNode, configNode, loadPlayFlow, Outcomes, AUTH_ID, AUTH_TOKEN } = require('./support.js');
const { buildCallRequest } = require('../dist/nodes/lib/call/play-request.js');

const URL_A = 'https://s3.amazonaws.com/plivocloud/music.mp3';
const URL_B = 'https://example.com/b.wav';
const HOLD_ENV = 'PLIVO_TYPED_TEST_HOLD';

/** A real context store (Node-RED's plugin API) whose disk has gone away: every read fails. */
function unreachableStore() {
  const failure = () => new Error('the context disk is not mounted');
  return {
    open: () => Promise.resolve(),
    close: () => Promise.resolve(),
    get: (scope, key, callback) => {
      if (typeof callback !== 'function') throw failure();
      callback(failure());
    },
    set: (scope, key, value, callback) => callback?.(failure()),
    keys: (scope, callback) => callback?.(failure()),
    delete: () => Promise.resolve(),
    clean: () => Promise.resolve(),
  };
}

describe('plivo play typed inputs', () => {
  describe('buildCallRequest with values read from typed sources', () => {
    const CALL = '2d6a3c4e-1f0b-4c8e-9a55-0c1d2e3f4a5b';

    it('validates and types them as it does msg.payload values ("12" -> 12, "true" -> true)', () => {
      const { request, ignoredFields } = buildCallRequest({}, 'not an object', {
        callUuid: { value: ` ${CALL} `, where: 'msg.call.uuid' },
        urls: { value: [URL_A, URL_B], where: 'flow.hold' },
        length: { value: '12', where: 'env.LENGTH' },
        loop: { value: 'true', where: 'global.loop' },
        mix: { value: false, where: 'global.mix' },
        legs: { value: 'both', where: 'the JSONata expression "both"' },
      });
      assert.deepEqual(request, { action: 'play', callUuid: CALL, body: { urls: `${URL_A},${URL_B}`, length: 12, loop: true, mix: false, legs: 'both' } });
      assert.deepEqual(ignoredFields, []);
    });

    it('names the source in errors, as the user wrote it', () => {
      const cases = [
        [{ callUuid: { value: 'abc', where: 'msg.call.uuid' } }, {},
          'Invalid input: msg.call.uuid must be a call UUID like 2d6a3c4e-1f0b-4c8e-9a55-0c1d2e3f4a5b (got "abc")'],
        [{ urls: { value: 'music.mp3', where: 'flow.hold' } }, { call_uuid: CALL },
          'Invalid input: flow.hold is not an absolute http(s) URL (got "music.mp3")'],
        [{ urls: { value: [URL_A, 'x'], where: 'flow.hold' } }, { call_uuid: CALL },
          'Invalid input: flow.hold[1] is not an absolute http(s) URL (got "x")'],
        [{ length: { value: 'ten', where: 'env.LENGTH' } }, { call_uuid: CALL, urls: URL_A },
          'Invalid input: env.LENGTH must be a whole number of seconds from 1 to 14400 (a call lasts at most 4 hours) (got "ten")'],
        [{ loop: { value: 'yes', where: 'global.loop' } }, { call_uuid: CALL, urls: URL_A },
          'Invalid input: global.loop must be true or false (got "yes")'],
        [{ legs: { value: 3, where: 'the JSONata expression 1 + 2' } }, { call_uuid: CALL, urls: URL_A },
          'Invalid input: the JSONata expression 1 + 2 must be one of aleg, bleg, both (got 3)'],
        [{ callUuid: { value: undefined, where: 'msg.call.uuid' } }, {},
          'Invalid input: msg.call.uuid has no value: the node\'s callUuid setting reads it'],
        [{ urls: { value: '', where: 'env.HOLD' } }, { call_uuid: CALL },
          'Invalid input: env.HOLD has no value: the node\'s urls setting reads it (got "")'],
        [{ urls: { value: [], where: 'flow.hold' } }, { call_uuid: CALL },
          'Invalid input: flow.hold has no value: the node\'s urls setting reads it (got [])'],
      ];
      for (const [typed, payload, message] of cases) {
        assert.throws(() => buildCallRequest({}, payload, typed), (error) => {
          assert.equal(String(error), message);
          return true;
        });
      }
    });

    it('a typed source shadows nothing: no warning, and msg.payload\'s value for that field is not used', () => {
      const other = '3e7b4d5f-2a1c-4d9f-8b66-1d2e3f4a5b6c';
      const { request, ignoredFields } = buildCallRequest({ urls: 'ignored.example' }, { call_uuid: other, CallUUID: CALL, urls: URL_B }, {
        callUuid: { value: CALL, where: 'msg.call.uuid' },
        urls: { value: URL_A, where: 'flow.hold' },
      });
      assert.equal(request.callUuid, CALL, 'a disagreeing call_uuid / CallUUID in the payload does not matter either');
      assert.equal(request.body.urls, URL_A);
      assert.deepEqual(ignoredFields, []);
    });
  });

  describe('in a flow', () => {
    let sandbox;
    let callUuid;

    before(async () => {
      sandbox = await startSandbox({ authId: AUTH_ID, authToken: AUTH_TOKEN });
    });
    after(async () => {
      await sandbox.close();
    });
    beforeEach(() => {
      sandbox.reset();
      callUuid = sandbox.addCall();
    });
    afterEach(async () => {
      await helper.unload();
      helper.settings({});
      delete process.env[HOLD_ENV];
    });

    it('msg: the call UUID from msg.call.uuid and the URLs from msg.media, whatever msg.payload holds', async () => {
      const run = await loadPlayFlow(sandbox.url, { callUuid: 'call.uuid', callUuidType: 'msg', urls: 'media', urlsType: 'msg' });
      const { output } = await run.send({ call: { uuid: callUuid }, media: [URL_A, URL_B], payload: 'a string' });
      assert.equal(output.statusCode, 202);
      assert.equal(sandbox.requests[0].path, `/v1/Account/${AUTH_ID}/Call/${callUuid}/Play/`);
      assert.deepEqual(sandbox.requests[0].json, { urls: `${URL_A},${URL_B}` });
      assert.equal(run.node.warn.callCount, 0);
    });

    it('flow and global: context values, typed like msg.payload values', async () => {
      const run = await loadPlayFlow(sandbox.url, {
        urls: 'hold', urlsType: 'flow', length: 'seconds', lengthType: 'flow', loop: 'looping', loopType: 'global', legs: 'legs', legsType: 'global',
      });
      const context = run.node.context();
      context.flow.set('hold', URL_A);
      context.flow.set('seconds', '12');
      context.global.set('looping', 'true');
      context.global.set('legs', 'bleg');
      await run.send({ payload: { call_uuid: callUuid } });
      assert.deepEqual(sandbox.requests[0].json, { urls: URL_A, length: 12, loop: true, legs: 'bleg' });
    });

    it('env: an environment variable, named plainly or as ${NAME}', async () => {
      process.env[HOLD_ENV] = URL_B;
      const run = await loadPlayFlow(sandbox.url, { urls: HOLD_ENV, urlsType: 'env', mix: `\${${HOLD_ENV}_MIX}`, mixType: 'env' });
      process.env[`${HOLD_ENV}_MIX`] = 'false';
      try {
        await run.send({ payload: { call_uuid: callUuid } });
      } finally {
        delete process.env[`${HOLD_ENV}_MIX`];
      }
      assert.deepEqual(sandbox.requests[0].json, { urls: URL_B, mix: false });
    });

    it('jsonata: an expression over the message', async () => {
      const run = await loadPlayFlow(sandbox.url, {
        urls: '"https://media.example.com/" & payload.language & "/welcome.mp3"', urlsType: 'jsonata',
        legs: 'payload.agent ? "both" : "aleg"', legsType: 'jsonata',
        length: '$number(payload.minutes) * 60', lengthType: 'jsonata',
      });
      await run.send({ payload: { call_uuid: callUuid, language: 'de', agent: true, minutes: '2' } });
      assert.deepEqual(sandbox.requests[0].json, { urls: 'https://media.example.com/de/welcome.mp3', legs: 'both', length: 120 });
    });

    it('keeps the order of messages while typed values are read', async () => {
      // One request in flight, so the sandbox sees them in the order the node submits them.
      const run = await loadPlayFlow(sandbox.url, { urls: '"https://media.example.com/" & $string(payload.n) & ".mp3"', urlsType: 'jsonata' },
        { configProps: { concurrency: '1' } });
      for (let n = 0; n < 20; n += 1) run.node.receive({ payload: { call_uuid: callUuid, n } });
      await run.waitFor(20);
      assert.deepEqual(sandbox.requests.map((request) => request.json.urls),
        Array.from({ length: 20 }, (_, n) => `https://media.example.com/${n}.mp3`));
    });

    describe('errors: named, at Catch once, no request', () => {
      async function rejects(props, msg, message) {
        const run = await loadPlayFlow(sandbox.url, props);
        const { error } = await run.send(msg);
        assert.ok(error, 'expected the msg at the catch node');
        assert.equal(error.error.message, message);
        assert.equal(error.error.source.id, 'play');
        assert.equal(sandbox.requests.length, 0, 'no request may be sent');
        return run;
      }

      it('a value that fails validation names msg.call.uuid', async () => {
        await rejects({ callUuid: 'call.uuid', callUuidType: 'msg', urls: URL_A }, { call: { uuid: 'abc' } },
          'Invalid input: msg.call.uuid must be a call UUID like 2d6a3c4e-1f0b-4c8e-9a55-0c1d2e3f4a5b (got "abc")');
      });

      it('a flow value that fails validation names flow.hold', async () => {
        const run = await loadPlayFlow(sandbox.url, { urls: 'hold', urlsType: 'flow' });
        run.node.context().flow.set('hold', 'music.mp3');
        const { error } = await run.send({ payload: { call_uuid: callUuid } });
        assert.equal(error.error.message, 'Invalid input: flow.hold is not an absolute http(s) URL (got "music.mp3")');
        assert.equal(sandbox.requests.length, 0);
      });

      it('a missing msg property', async () => {
        await rejects({ callUuid: 'call.uuid', callUuidType: 'msg', urls: URL_A }, { payload: { call_uuid: callUuid } },
          'Invalid input: msg.call.uuid has no value: the node\'s callUuid setting reads it');
      });

      it('an environment variable that is not set', async () => {
        await rejects({ urls: HOLD_ENV, urlsType: 'env' }, { payload: { call_uuid: callUuid } },
          `Invalid input: env.${HOLD_ENV} has no value: the node's urls setting reads it`);
      });

      it('a JSONata expression that does not parse', async () => {
        const run = await loadPlayFlow(sandbox.url, { urls: URL_A, legs: 'payload.legs = ', legsType: 'jsonata' });
        const { error } = await run.send({ payload: { call_uuid: callUuid } });
        assert.match(error.error.message,
          /^Invalid input: could not read the JSONata expression payload\.legs = for the node's legs setting: .+/);
        assert.equal(sandbox.requests.length, 0);
      });

      it('a JSONata expression that fails while it runs', async () => {
        await rejects({ urls: URL_A, length: '$error("no length for this caller")', lengthType: 'jsonata' }, { payload: { call_uuid: callUuid } },
          'Invalid input: could not read the JSONata expression $error("no length for this caller") for the node\'s length setting: no length for this caller');
      });

      it('a context store that fails', async () => {
        helper.settings({ contextStorage: { default: { module: 'memory' }, disk: { module: unreachableStore } } });
        const openStores = () => helper._redNodes.loadContextsPlugin();
        await helper.load([configNode, playNode, openStores], [
          { id: 'tab', type: 'tab', label: 'test' },
          { id: 'cfg', type: 'plivo-config', name: 'test account', baseUrl: sandbox.url },
          { id: 'play', type: 'plivo-play', z: 'tab', x: 300, y: 100, account: 'cfg', urls: '#:(disk)::hold', urlsType: 'flow', wires: [['out']] },
          { id: 'out', type: 'helper', z: 'tab', x: 500, y: 100, wires: [] },
          { id: 'catcher', type: 'catch', z: 'tab', x: 300, y: 200, scope: null, uncaught: false, wires: [['caught']] },
          { id: 'caught', type: 'helper', z: 'tab', x: 500, y: 200, wires: [] },
        ], { cfg: { authId: AUTH_ID, authToken: AUTH_TOKEN } });
        const run = new Outcomes(helper.getNode('play'), helper.getNode('out'), helper.getNode('caught'));
        const { error } = await run.send({ payload: { call_uuid: callUuid } });
        assert.equal(error.error.message,
          'Invalid input: could not read flow.#:(disk)::hold for the node\'s urls setting: the context disk is not mounted');
        assert.equal(sandbox.requests.length, 0);
      });
    });

    it('a flow saved before typed inputs (no <field>Type) plays exactly as it did', async () => {
      const saved = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'flow-before-typed-inputs.json'), 'utf8'));
      const flow = saved.map((node) => (node.type === 'plivo-config' ? { ...node, baseUrl: sandbox.url } : node));
      assert.ok(flow.filter((node) => node.type === 'plivo-play').every((node) => Object.keys(node).every((key) => !key.endsWith('Type'))));
      await helper.load([configNode, playNode], flow, { 'old-account': { authId: AUTH_ID, authToken: AUTH_TOKEN } });
      const fixed = new Outcomes(helper.getNode('old-fixed'), helper.getNode('old-out'), helper.getNode('old-caught'));
      const { output } = await fixed.send({ payload: { call_uuid: callUuid, urls: URL_B, legs: 'bleg' } });
      assert.equal(output.statusCode, 202);
      assert.deepEqual(sandbox.requests[0].json, { urls: URL_A, legs: 'both', loop: true, length: 30 }, 'fixed values win, blanks come from msg.payload');
      assert.equal(helper.getNode('old-fixed').warn.callCount, 1, 'and the precedence warning still comes');
      const pathLike = new Outcomes(helper.getNode('old-path-like'), helper.getNode('old-out'), helper.getNode('old-caught'));
      const { error } = await pathLike.send({ payload: { call_uuid: callUuid }, call: { uuid: callUuid } });
      assert.equal(error.error.message,
        'Invalid input: the node\'s callUuid setting must be a call UUID like 2d6a3c4e-1f0b-4c8e-9a55-0c1d2e3f4a5b (got "msg.call.uuid")',
        'a value without a type is a fixed value, never read as a property');
    });
  });
});
