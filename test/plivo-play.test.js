'use strict';
const assert = require('node:assert/strict');
const { startSandbox } = require('../sandbox/plivo-sandbox.js');
const { helper, textKey, loadPlayFlow, AUTH_ID, AUTH_TOKEN, isCallEnded } = require('./support.js');

const URL_A = 'https://s3.amazonaws.com/plivocloud/music.mp3';
const URL_B = 'https://example.com/b.wav';

describe('plivo-play node', () => {
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
  });

  function lastStatus(node) {
    return node.status.lastCall?.args[0];
  }

  describe('a good message', () => {
    it('makes the Play request and sends the acknowledgement on, keeping the msg', async () => {
      const run = await loadPlayFlow(sandbox.url);
      const { output } = await run.send({
        payload: { call_uuid: callUuid, urls: [URL_A, URL_B], length: '10', legs: 'both', loop: 'false', mix: false },
        topic: 'caller-42',
        _session: { id: 'keep-me' },
      });
      assert.ok(output, 'expected the msg on the output');
      assert.equal(output.statusCode, 202);
      assert.equal(output.payload.message, 'play started');
      assert.match(output.payload.api_id, /^[0-9a-f-]{36}$/);
      assert.equal(output.topic, 'caller-42');
      assert.deepEqual(output._session, { id: 'keep-me' });

      assert.equal(sandbox.requests.length, 1);
      const [request] = sandbox.requests;
      assert.equal(request.method, 'POST');
      assert.equal(request.path, `/v1/Account/${AUTH_ID}/Call/${callUuid}/Play/`);
      assert.equal(request.headers.authorization, `Basic ${Buffer.from(`${AUTH_ID}:${AUTH_TOKEN}`).toString('base64')}`);
      assert.deepEqual(request.json, { urls: `${URL_A},${URL_B}`, length: 10, legs: 'both', loop: false, mix: false });
      assert.deepEqual(lastStatus(run.node), { fill: 'green', shape: 'dot', text: textKey('status.played') });
    });

    it('accepts CallUUID from a Plivo answer webhook', async () => {
      const run = await loadPlayFlow(sandbox.url, { urls: URL_A });
      const { output } = await run.send({ payload: { CallUUID: callUuid, From: '14155550100', CallStatus: 'in-progress' } });
      assert.equal(output.statusCode, 202);
      assert.deepEqual(sandbox.requests[0].json, { urls: URL_A });
      assert.equal(run.node.warn.callCount, 0);
    });

    it('works with any payload when the node sets the call UUID and URLs', async () => {
      const run = await loadPlayFlow(sandbox.url, { callUuid, urls: URL_A, legs: 'aleg', loop: 'true', mix: 'true', length: '30' });
      const { output } = await run.send({ payload: 1732191600000 });
      assert.equal(output.statusCode, 202);
      assert.deepEqual(sandbox.requests[0].json, { urls: URL_A, legs: 'aleg', loop: true, mix: true, length: 30 });
    });

    it('lets the node\'s settings win over the message, and warns', async () => {
      const run = await loadPlayFlow(sandbox.url, { callUuid, urls: URL_A, legs: 'bleg' });
      const { output } = await run.send({ payload: { call_uuid: sandbox.addCall(), urls: URL_B, legs: 'both', mix: 'false' } });
      assert.equal(output.statusCode, 202);
      assert.equal(sandbox.requests[0].path, `/v1/Account/${AUTH_ID}/Call/${callUuid}/Play/`);
      assert.deepEqual(sandbox.requests[0].json, { urls: URL_A, legs: 'bleg', mix: false });
      assert.equal(run.node.warn.callCount, 1);
      assert.equal(run.node.warn.firstCall.args[0], textKey('warn.ignored'));
    });

    it('uses PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN when the account\'s credentials are blank', async () => {
      process.env.PLIVO_AUTH_ID = AUTH_ID;
      process.env.PLIVO_AUTH_TOKEN = AUTH_TOKEN;
      try {
        const run = await loadPlayFlow(sandbox.url, {}, { credentials: { cfg: { authId: '', authToken: '' } } });
        const { output } = await run.send({ payload: { call_uuid: callUuid, urls: URL_A } });
        assert.equal(output.statusCode, 202);
      } finally {
        delete process.env.PLIVO_AUTH_ID;
        delete process.env.PLIVO_AUTH_TOKEN;
      }
    });

    it('treats a flow saved without the play properties as "all from the message"', async () => {
      const run = await loadPlayFlow(sandbox.url);
      const { output } = await run.send({ payload: { call_uuid: callUuid, urls: URL_A, loop: true } });
      assert.equal(output.statusCode, 202);
      assert.deepEqual(sandbox.requests[0].json, { urls: URL_A, loop: true });
    });
  });

  describe('bad input: an error naming the field and value at Catch, and no request', () => {
    const cases = [
      ['a missing call UUID', {}, { urls: URL_A }, ['call_uuid']],
      ['a malformed call UUID', {}, { call_uuid: '../../Account', urls: URL_A }, ['call_uuid', '"../../Account"']],
      ['no URLs', {}, { call_uuid: 'CALL' }, ['urls', 'missing']],
      ['a relative URL', {}, { call_uuid: 'CALL', urls: 'music.mp3' }, ['msg.payload.urls', '"music.mp3"']],
      ['a bad length', {}, { call_uuid: 'CALL', urls: URL_A, length: -3 }, ['msg.payload.length', '-3']],
      ['bad legs', {}, { call_uuid: 'CALL', urls: URL_A, legs: 'c' }, ['msg.payload.legs', '"c"']],
      ['a bad loop', {}, { call_uuid: 'CALL', urls: URL_A, loop: 'yes' }, ['msg.payload.loop', '"yes"']],
      ['a bad mix', {}, { call_uuid: 'CALL', urls: URL_A, mix: 2 }, ['msg.payload.mix', '2']],
      ['a string payload', {}, 'play please', ['msg.payload', '"play please"']],
      ['a bad node setting', { length: 'ten' }, { call_uuid: 'CALL', urls: URL_A }, ['length setting', '"ten"']],
    ];
    for (const [name, props, payload, shown] of cases) {
      it(`rejects ${name}`, async () => {
        const run = await loadPlayFlow(sandbox.url, props);
        const body = typeof payload === 'object' && payload.call_uuid === 'CALL' ? { ...payload, call_uuid: callUuid } : payload;
        const { error } = await run.send({ payload: body, topic: 't' });
        assert.ok(error, 'expected the msg at the catch node');
        assert.equal(error.topic, 't');
        assert.deepEqual(error.payload, body, 'the payload reaches Catch unchanged');
        for (const text of shown) {
          assert.ok(error.error.message.includes(text), `"${error.error.message}" should include ${text}`);
        }
        assert.equal(error.error.source.id, 'play');
        assert.equal(sandbox.requests.length, 0, 'no request may be sent');
        assert.equal(lastStatus(run.node).fill, 'red');
        assert.equal(lastStatus(run.node).shape, 'ring');
      });
    }

    it('rejects a message when no account is configured', async () => {
      const run = await loadPlayFlow(sandbox.url, { account: '' });
      assert.equal(lastStatus(run.node).text, textKey('status.no-account'));
      const { error } = await run.send({ payload: { call_uuid: callUuid, urls: URL_A } });
      assert.equal(error.error.message,
        'Plivo account error: no account is selected: pick or add one in the node\'s Account setting');
      assert.equal(sandbox.requests.length, 0);
    });

    it('rejects a message when the account has no credentials', async () => {
      const run = await loadPlayFlow(sandbox.url, {}, { credentials: {} });
      const { error } = await run.send({ payload: { call_uuid: callUuid, urls: URL_A } });
      assert.match(error.error.message, /^Plivo account error: no Auth ID.*PLIVO_AUTH_ID/);
      assert.equal(sandbox.requests.length, 0);
    });
  });

  describe('API errors reach Catch with the status', () => {
    it('404 for a call that has ended', async () => {
      const run = await loadPlayFlow(sandbox.url);
      sandbox.hangUp(callUuid);
      const { error } = await run.send({ payload: { call_uuid: callUuid, urls: URL_A } });
      assert.equal(error.error.message, 'Plivo API error: 404 not found');
      assert.equal(error.statusCode, 404);
      assert.deepEqual(error.payload, { call_uuid: callUuid, urls: URL_A });
      assert.equal(lastStatus(run.node).text, textKey('status.api-error'));
    });

    it('401 for a wrong token', async () => {
      const run = await loadPlayFlow(sandbox.url, {}, { credentials: { cfg: { authId: AUTH_ID, authToken: 'nope' } } });
      const { error } = await run.send({ payload: { call_uuid: callUuid, urls: URL_A } });
      assert.equal(error.error.message, 'Plivo API error: 401 authentication failed');
      assert.equal(error.statusCode, 401);
    });

    it('500 from the server (retries off)', async () => {
      const run = await loadPlayFlow(sandbox.url, {}, { configProps: { retries: '0' } });
      sandbox.fail({ status: 500, body: { api_id: 'x', error: 'internal error' } });
      const { error } = await run.send({ payload: { call_uuid: callUuid, urls: URL_A } });
      assert.equal(error.error.message, 'Plivo API error: 500 internal error');
      assert.equal(error.statusCode, 500);
    });

    it('a network failure (retries off)', async () => {
      const run = await loadPlayFlow(sandbox.url, {}, { configProps: { retries: '0' } });
      sandbox.fail({ kind: 'reset' });
      const { error } = await run.send({ payload: { call_uuid: callUuid, urls: URL_A } });
      assert.match(error.error.message, /^Plivo API error: could not reach http:\/\/127\.0\.0\.1:\d+/);
      assert.equal(error.statusCode, undefined);
      assert.equal(lastStatus(run.node).text, textKey('status.unreachable'));
    });
  });

  it('ends every message exactly once in a mixed burst', async () => {
    const run = await loadPlayFlow(sandbox.url);
    const ended = sandbox.addCall();
    sandbox.hangUp(ended);
    const payloads = [];
    for (let i = 0; i < 60; i += 1) {
      payloads.push([
        { call_uuid: callUuid, urls: URL_A },
        { call_uuid: ended, urls: URL_A },
        { call_uuid: callUuid, urls: 'nope' },
        { call_uuid: callUuid, urls: URL_B, legs: 'both' },
      ][i % 4]);
    }
    payloads.forEach((payload, n) => run.node.receive({ payload, n }));
    await run.waitFor(payloads.length, 200);
    const ends = run.all.map((outcome) => (outcome.output ?? outcome.error).n).sort((a, b) => a - b);
    assert.deepEqual(ends, payloads.map((_, n) => n), 'each message ends once');
    assert.equal(run.outputs.length, 30);
    assert.equal(run.errors.length, 30);
    // After Plivo's first 404 for the ended call, its plays still queued end unsent (the account's memory of ended calls).
    const toEnded = sandbox.requests.filter((request) => request.path.includes(ended)).length;
    const skipped = run.errors.filter(isCallEnded).length;
    assert.equal(sandbox.requests.length - toEnded, 30, 'the 15 bad URLs sent nothing');
    assert.ok(toEnded >= 1 && toEnded < 15, `${toEnded} requests for the ended call`);
    assert.equal(toEnded + skipped, 15, 'each play for the ended call was sent or skipped');
  });

  it('never lets the Auth Token reach a message, log, warning, error or status', async () => {
    const basic = Buffer.from(`${AUTH_ID}:${AUTH_TOKEN}`).toString('base64');
    const run = await loadPlayFlow(sandbox.url, { legs: 'aleg' }, { configProps: { retries: '0' } });
    const payloads = [
      { call_uuid: callUuid, urls: URL_A, legs: 'both' },
      { call_uuid: callUuid, urls: 'bad' },
      { call_uuid: '00000000-0000-4000-8000-000000000000', urls: URL_A },
      { call_uuid: callUuid, urls: URL_A },
      { call_uuid: callUuid, urls: URL_A },
      { call_uuid: callUuid, urls: URL_A },
    ];
    sandbox.fail({ status: 200, body: '' });
    sandbox.fail({ status: 500, body: '<html>oops</html>' });
    sandbox.fail({ kind: 'reset' });
    for (const payload of payloads) {
      await run.send({ payload });
    }
    const logs = helper.log().args;
    const calls = ['status', 'warn', 'error', 'log', 'send'].flatMap((method) => run.node[method].args);
    const everything = JSON.stringify({ all: run.all, logs, calls }, (key, value) => (value instanceof Error
      ? { message: value.message, stack: value.stack, ...value } : value));
    assert.ok(run.outputs.length >= 1 && run.errors.length >= 3, 'the scan covers successes and failures');
    assert.ok(!everything.includes(AUTH_TOKEN), 'the token leaked');
    assert.ok(!everything.includes(basic), 'the Basic auth header leaked');
  });
});
