'use strict';
/** The request engine through the plivo-play node, against the sandbox over real HTTP. */
const assert = require('node:assert/strict');
const { startSandbox } = require('../sandbox/plivo-sandbox.js');
const { helper, textKey, playNode, configNode, loadPlayFlow, Outcomes, startOwnSandbox, credentialsFor } = require('./support.js');

const URL_A = 'https://s3.amazonaws.com/plivocloud/music.mp3';
const JSON_TYPE = { 'content-type': 'application/json' };

describe('request engine through the node', function () {
  this.timeout(30_000);
  let sandbox;
  let callUuid;

  beforeEach(async () => {
    sandbox = await startOwnSandbox(startSandbox);
    callUuid = sandbox.addCall();
  });
  afterEach(async () => {
    await helper.unload();
    await sandbox.close();
  });

  function load(playProps = {}, configProps = {}) {
    return loadPlayFlow(sandbox.url, playProps, { configProps, credentials: credentialsFor(sandbox) });
  }

  function play(run, extra = {}) {
    return run.send({ payload: { call_uuid: callUuid, urls: URL_A, ...extra } });
  }

  const statuses = (run) => run.node.status.args.map(([status]) => status.text);
  const started = () => sandbox.requests.filter((request) => request.status === 202).length;

  describe('fault matrix', () => {
    it('429 with Retry-After: waits as told, plays once, shows "rate limited"', async () => {
      const run = await load();
      sandbox.fail({ status: 429, body: { error: 'too many requests' }, headers: { 'retry-after': '1', ...JSON_TYPE } });
      const began = Date.now();
      const { output } = await play(run);
      assert.equal(output.statusCode, 202);
      assert.ok(Date.now() - began >= 950, 'waited for Retry-After');
      assert.deepEqual(sandbox.requests.map((request) => request.status), [429, 202]);
      assert.equal(run.outputs.length, 1, 'nothing is duplicated for a 429');
      assert.ok(statuses(run).includes(textKey('status.rate-limited')));
    });

    it('429 without Retry-After: backs off and plays once', async () => {
      const run = await load();
      sandbox.fail({ status: 429, body: { error: 'too many requests' }, headers: JSON_TYPE });
      const { output } = await play(run);
      assert.equal(output.statusCode, 202);
      assert.deepEqual(sandbox.requests.map((request) => request.status), [429, 202]);
      assert.equal(started(), 1);
    });

    it('a 429 holds back the whole account, not only the message that got it', async () => {
      const run = await load({}, { concurrency: '1' });
      sandbox.fail({ status: 429, body: { error: 'too many requests' }, headers: { 'retry-after': '1', ...JSON_TYPE } });
      run.node.receive({ payload: { call_uuid: callUuid, urls: URL_A } });
      run.node.receive({ payload: { call_uuid: callUuid, urls: URL_A } });
      await run.waitFor(2);
      const [first, second, third] = sandbox.requests;
      assert.equal(first.status, 429);
      assert.ok(second.at - first.at >= 950, 'the other message waited too');
      assert.ok(third.at >= second.at);
      assert.equal(started(), 2);
    });

    it('500 once: retried and played', async () => {
      const run = await load();
      sandbox.fail({ status: 500, body: { error: 'internal error' }, headers: JSON_TYPE });
      assert.equal((await play(run)).output.statusCode, 202);
      assert.deepEqual(sandbox.requests.map((request) => request.status), [500, 202]);
    });

    it('502 every time: three attempts, then an error naming the status and the attempts', async () => {
      const run = await load();
      sandbox.fail({ status: 502, body: '<html><h1>502 Bad Gateway</h1></html>', headers: { 'content-type': 'text/html' } }, 3);
      const { error } = await play(run);
      assert.equal(error.error.message, 'Plivo API error: 502 Bad Gateway (after 3 attempts)');
      assert.equal(error.statusCode, 502);
      assert.equal(sandbox.requests.length, 3);
    });

    it('503 with Retry-After: waits and plays', async () => {
      const run = await load();
      sandbox.fail({ status: 503, body: 'down for maintenance', headers: { 'retry-after': '1' } });
      assert.equal((await play(run)).output.statusCode, 202);
      assert.deepEqual(sandbox.requests.map((request) => request.status), [503, 202]);
    });

    it('a connection reset mid-request: retried and played', async () => {
      const run = await load();
      sandbox.fail({ kind: 'reset' });
      assert.equal((await play(run)).output.statusCode, 202);
      assert.equal(sandbox.requests.length, 2);
    });

    it('a hung response costs one timeout, then the retry plays', async () => {
      const run = await load({}, { timeout: '1' });
      sandbox.fail({ kind: 'hang' });
      const began = Date.now();
      assert.equal((await play(run)).output.statusCode, 202);
      assert.ok(Date.now() - began < 2500, 'at most the timeout per attempt, plus backoff');
      assert.equal(sandbox.requests.length, 2);
    });

    it('hung every time with no retries: one timeout, then the error', async () => {
      const run = await load({}, { timeout: '1', retries: '0' });
      sandbox.fail({ kind: 'hang' });
      const { error } = await play(run);
      assert.equal(error.error.message, `Plivo API error: could not reach ${sandbox.url}: no answer in time (ETIMEDOUT)`);
    });

    it('malformed JSON in a 202: the play started, so the text goes on, once', async () => {
      const run = await load();
      sandbox.fail({ status: 202, body: '{"message": "play sta', headers: JSON_TYPE });
      const { output } = await play(run);
      assert.equal(output.statusCode, 202);
      assert.equal(output.payload, '{"message": "play sta');
      assert.equal(sandbox.requests.length, 1);
    });

    it('an HTML error page from a proxy: retried, then named by its status', async () => {
      const run = await load({}, { retries: '1' });
      sandbox.fail({ status: 500, body: '<!DOCTYPE html><title>Error</title>', headers: { 'content-type': 'text/html' } }, 2);
      const { error } = await play(run);
      assert.equal(error.error.message, 'Plivo API error: 500 Internal Server Error (after 2 attempts)');
    });

    it('401: never retried', async () => {
      const run = await loadPlayFlow(sandbox.url, {}, {
        credentials: { cfg: { authId: sandbox.account.authId, authToken: 'wrong' } },
      });
      const { error } = await play(run);
      assert.equal(error.error.message, 'Plivo API error: 401 authentication failed');
      assert.equal(sandbox.requests.length, 1);
    });

    it('404 (the call ended): never retried', async () => {
      const run = await load();
      sandbox.hangUp(callUuid);
      const { error } = await play(run);
      assert.equal(error.error.message, 'Plivo API error: 404 not found');
      assert.equal(sandbox.requests.length, 1);
    });
  });

  describe('the account limit', () => {
    function twoNodeFlow(configIds) {
      return [
        { id: 'tab', type: 'tab', label: 'limit' },
        ...configIds.map((id) => ({ id, type: 'plivo-config', baseUrl: sandbox.url, rateLimit: '20', rateWindow: '1' })),
        { id: 'play1', type: 'plivo-play', z: 'tab', x: 100, y: 100, account: configIds[0], wires: [['out']] },
        { id: 'play2', type: 'plivo-play', z: 'tab', x: 100, y: 200, account: configIds[configIds.length - 1], wires: [['out']] },
        { id: 'out', type: 'helper', z: 'tab', x: 300, y: 100, wires: [] },
        { id: 'catcher', type: 'catch', z: 'tab', x: 100, y: 300, scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab', x: 300, y: 300, wires: [] },
      ];
    }

    async function burst(configIds, count) {
      await helper.load([configNode, playNode], twoNodeFlow(configIds), credentialsFor(sandbox, ...configIds));
      const run = new Outcomes(null, helper.getNode('out'), helper.getNode('caught'));
      const nodes = [helper.getNode('play1'), helper.getNode('play2')];
      for (let n = 0; n < count; n += 1) {
        nodes[n % 2].receive({ payload: { call_uuid: callUuid, urls: URL_A }, n });
      }
      await run.waitFor(count, 100, 25_000);
      return run;
    }

    function assertStrictWindow(limit, windowMs) {
      const times = sandbox.requests.map((request) => request.at);
      for (let i = limit; i < times.length; i += 1) {
        assert.ok(times[i] - times[i - limit] >= windowMs, `more than ${limit} requests in ${windowMs} ms at #${i}`);
      }
    }

    it('two nodes on one account: 200 messages through a strict 20-per-second window, no 429, each played once', async () => {
      await sandbox.close();
      sandbox = await startOwnSandbox(startSandbox, { rateLimit: { limit: 20, windowMs: 1000 } });
      callUuid = sandbox.addCall();
      const run = await burst(['cfg'], 200);
      assert.equal(sandbox.stats.rateLimited, 0, 'the sandbox answered 429');
      assert.equal(run.errors.length, 0);
      assert.deepEqual(run.outputs.map((msg) => msg.n).sort((a, b) => a - b), [...Array(200).keys()]);
      assert.equal(started(), 200);
      assertStrictWindow(20, 1000);
    });

    it('two account nodes with the same Auth ID share one limit', async () => {
      await sandbox.close();
      sandbox = await startOwnSandbox(startSandbox, { rateLimit: { limit: 20, windowMs: 1000 } });
      callUuid = sandbox.addCall();
      const run = await burst(['cfgA', 'cfgB'], 50);
      assert.equal(sandbox.stats.rateLimited, 0);
      assert.equal(run.outputs.length, 50);
      assertStrictWindow(20, 1000);
    });
  });

  it('shows the queue while messages wait', async () => {
    const run = await load({}, { rateLimit: '2', rateWindow: '1' });
    for (let n = 0; n < 5; n += 1) run.node.receive({ payload: { call_uuid: callUuid, urls: URL_A }, n });
    await run.waitFor(5);
    assert.ok(statuses(run).some((text) => text === textKey('status.queued')));
    assert.equal(statuses(run).at(-1), textKey('status.played'));
  });

  it('ends a message that does not fit the queue with "queue full" at Catch', async () => {
    const run = await load({}, { rateLimit: '1', rateWindow: '1', concurrency: '1', queueLimit: '2' });
    for (let n = 0; n < 5; n += 1) run.node.receive({ payload: { call_uuid: callUuid, urls: URL_A }, n });
    await run.waitFor(5);
    const full = run.errors.filter((msg) => /^Not sent: queue full/.test(msg.error.message));
    assert.equal(full.length, 2, 'one sending, two queued, two refused');
    assert.equal(run.outputs.length, 3);
  });

  it('ends exactly N messages under random faults', async () => {
    const run = await load({}, { timeout: '1', retries: '2' });
    const gone = sandbox.addCall();
    sandbox.hangUp(gone);
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const faults = [
      { status: 500 }, { status: 502, body: '<html></html>' }, { status: 503 }, { kind: 'reset' }, { kind: 'hang' },
      { status: 429, headers: JSON_TYPE, body: { error: 'too many requests' } }, { status: 400, body: { error: 'bad' } },
    ];
    for (let i = 0; i < 80; i += 1) sandbox.fail(faults[Math.floor(random() * faults.length)]);
    const count = 150;
    for (let n = 0; n < count; n += 1) {
      run.node.receive({ payload: { call_uuid: random() < 0.1 ? gone : callUuid, urls: URL_A }, n });
    }
    await run.waitFor(count, 300, 60_000);
    const ends = run.all.map((outcome) => (outcome.output ?? outcome.error).n).sort((a, b) => a - b);
    assert.deepEqual(ends, [...Array(count).keys()]);
    assert.equal(run.outputs.length, started(), 'an output for each play started, and no more');
  });

  describe('stop', () => {
    it('sends DELETE with no body and outputs 204 with {}', async () => {
      const run = await load({ action: 'stop' });
      const { output } = await run.send({ payload: { call_uuid: callUuid } });
      assert.equal(output.statusCode, 204);
      assert.deepEqual(output.payload, {});
      const [request] = sandbox.requests;
      assert.equal(request.method, 'DELETE');
      assert.equal(request.path, `/v1/Account/${sandbox.account.authId}/Call/${callUuid}/Play/`);
      assert.equal(request.body, '');
      assert.equal(request.headers['content-type'], undefined);
      assert.equal(run.node.status.lastCall.args[0].text, textKey('status.stopped'));
    });

    it('takes the action from msg.payload.action when the node leaves it blank', async () => {
      const run = await load({ action: '' });
      assert.equal((await run.send({ payload: { call_uuid: callUuid, action: 'stop' } })).output.statusCode, 204);
      assert.equal((await run.send({ payload: { call_uuid: callUuid, urls: URL_A } })).output.statusCode, 202);
      const { error } = await run.send({ payload: { call_uuid: callUuid, action: 'pause' } });
      assert.match(error.error.message, /msg\.payload\.action must be play or stop \(got "pause"\)/);
      assert.deepEqual(sandbox.requests.map((request) => request.method), ['DELETE', 'POST']);
    });

    it('a call that is gone: 404 reaches Catch', async () => {
      const run = await load({ action: 'stop' });
      sandbox.hangUp(callUuid);
      const { error } = await run.send({ payload: { call_uuid: callUuid } });
      assert.equal(error.error.message, 'Plivo API error: 404 not found');
      assert.equal(error.statusCode, 404);
    });
  });

  describe('error output', () => {
    async function loadWithErrorOutput() {
      const flow = [
        { id: 'tab', type: 'tab' },
        { id: 'cfg', type: 'plivo-config', baseUrl: sandbox.url },
        { id: 'play', type: 'plivo-play', z: 'tab', x: 1, y: 1, account: 'cfg', errorOutput: true, outputs: 2, wires: [['out'], ['errs']] },
        { id: 'out', type: 'helper', z: 'tab', x: 1, y: 1, wires: [] },
        { id: 'errs', type: 'helper', z: 'tab', x: 1, y: 1, wires: [] },
        { id: 'catcher', type: 'catch', z: 'tab', x: 1, y: 1, scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab', x: 1, y: 1, wires: [] },
      ];
      await helper.load([configNode, playNode], flow, credentialsFor(sandbox));
      const run = new Outcomes(helper.getNode('play'), helper.getNode('out'), helper.getNode('errs'));
      const caught = [];
      helper.getNode('caught').on('input', (msg) => caught.push(msg));
      return { run, caught };
    }

    it('sends errors to the second output with msg.error, not to Catch', async () => {
      const { run, caught } = await loadWithErrorOutput();
      sandbox.hangUp(callUuid);
      const apiFailure = await play(run);
      assert.deepEqual(apiFailure.error.error, { message: 'Plivo API error: 404 not found', statusCode: 404 });
      const invalid = await run.send({ payload: { call_uuid: 'nope', urls: URL_A } });
      assert.match(invalid.error.error.message, /^Invalid input: msg\.payload\.call_uuid/);
      assert.equal(invalid.error.error.statusCode, undefined);
      assert.equal(caught.length, 0);
    });

    it('still sends successes to the first output', async () => {
      const { run } = await loadWithErrorOutput();
      assert.equal((await play(run)).output.statusCode, 202);
    });
  });

  describe('close', () => {
    it('ends every queued message once with "node closed before the request was sent"', async () => {
      const run = await load({}, { rateLimit: '5', rateWindow: '1' });
      const ends = [];
      run.node.send = (msg) => ends.push({ n: msg.n, ok: true });
      run.node.error = (error, msg) => ends.push({ n: msg.n, error: String(error) });
      for (let n = 0; n < 40; n += 1) run.node.receive({ payload: { call_uuid: callUuid, urls: URL_A }, n });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await helper.clearFlows();
      assert.deepEqual(ends.map((end) => end.n).sort((a, b) => a - b), [...Array(40).keys()]);
      const notSent = ends.filter((end) => end.error === 'Not sent: node closed before the request was sent');
      assert.equal(notSent.length + ends.filter((end) => end.ok).length, 40);
      assert.ok(notSent.length >= 30, `${notSent.length} not sent`);
      const sentBeforeClose = sandbox.requests.length;
      await new Promise((resolve) => setTimeout(resolve, 1200));
      assert.equal(sandbox.requests.length, sentBeforeClose, 'nothing is sent after close');
    });

    it('lets a request in flight finish before the node closes', async () => {
      const run = await load({}, { timeout: '2' });
      const ends = [];
      run.node.send = (msg) => ends.push(msg.statusCode);
      run.node.error = (error) => ends.push(String(error));
      sandbox.fail({ kind: 'hang' });
      run.node.receive({ payload: { call_uuid: callUuid, urls: URL_A } });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const began = Date.now();
      await helper.clearFlows();
      assert.ok(Date.now() - began < 3000, 'bounded by the timeout');
      assert.deepEqual(ends, ['Plivo API error: could not reach ' + sandbox.url + ': no answer in time (ETIMEDOUT)']);
    });
  });
});
