'use strict';
/**
 * Who goes next when several nodes share an account: fair turns, priorities, even pacing of a
 * backlog, and a maximum wait; in the modules, then through the nodes against the sandbox.
 */
const assert = require('node:assert/strict');
const { FairQueue } = require('../dist/nodes/lib/limit/fair-queue.js');
const { Pacer, burstOf } = require('../dist/nodes/lib/limit/pacer.js');
const { RequestEngine } = require('../dist/nodes/lib/limit/request-engine.js');
const { NotSentError } = require('../dist/nodes/lib/common/errors.js');
const { parseScheduling, taskPolicy } = require('../dist/nodes/lib/call/scheduling.js');
const { currentView } = require('../dist/nodes/lib/call/status.js');
const { startSandbox } = require('../sandbox/plivo-sandbox.js');
const { helper, textKey, playNode, configNode, Outcomes, startOwnSandbox, credentialsFor } = require('./support.js');

const URL_A = 'https://s3.amazonaws.com/plivocloud/music.mp3';
const policy = { retries: 0, rateLimitWaitMs: 60_000 };
const settle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** An engine whose attempts the test answers by hand, recording which started, in order. */
function manualEngine(limits = {}) {
  const engine = new RequestEngine({ rateLimit: 1000, rateWindowMs: 1000, concurrency: 1, queueLimit: 1000, timeoutMs: 1000, ...limits });
  const started = [];
  const pending = [];
  const submit = (owner, label, extra = {}) => engine.submit(owner, { ...policy, ...extra }, () => {
    started.push(label);
    return new Promise((resolve) => pending.push(() => resolve(label)));
  });
  /** Answers the request in flight and lets the next start. */
  const answer = async () => {
    pending.shift()();
    await tick();
    await tick();
  };
  return { engine, started, submit, answer };
}

describe('FairQueue', () => {
  it('gives owners turns, one item each, keeping each owner\'s order', () => {
    const queue = new FairQueue();
    const [a, b, c] = [{}, {}, {}];
    for (const item of ['a1', 'a2', 'a3', 'a4']) queue.push(a, 'normal', item);
    queue.push(b, 'normal', 'b1');
    queue.push(c, 'normal', 'c1');
    queue.push(c, 'normal', 'c2');
    const order = [];
    while (queue.size > 0) order.push(queue.shift());
    assert.deepEqual(order, ['a1', 'b1', 'c1', 'a2', 'c2', 'a3', 'a4']);
  });

  it('takes every high item before normal, and normal before low, whatever came first', () => {
    const queue = new FairQueue();
    const [bulk, prompt, hold] = [{}, {}, {}];
    queue.push(hold, 'low', 'hold1');
    queue.push(bulk, 'normal', 'bulk1');
    queue.push(bulk, 'normal', 'bulk2');
    queue.push(prompt, 'high', 'prompt1');
    queue.push(hold, 'low', 'hold2');
    queue.push(prompt, 'high', 'prompt2');
    assert.equal(queue.urgency, 'high');
    const order = [];
    while (queue.size > 0) order.push(queue.shift());
    assert.deepEqual(order, ['prompt1', 'prompt2', 'bulk1', 'bulk2', 'hold1', 'hold2']);
    assert.equal(queue.urgency, undefined);
    assert.equal(queue.shift(), undefined);
  });

  it('puts a retry before its owner\'s other items; removes one item or an owner\'s all', () => {
    const queue = new FairQueue();
    const [a, b] = [{}, {}];
    queue.push(a, 'normal', 'a2');
    queue.push(a, 'normal', 'a3');
    queue.push(b, 'low', 'b1');
    queue.unshift(a, 'normal', 'a1-retry');
    assert.equal(queue.remove(a, 'normal', 'a3'), true);
    assert.equal(queue.remove(a, 'normal', 'a3'), false, 'not there twice');
    assert.equal(queue.remove(a, 'low', 'a2'), false, 'looked up under its own priority');
    assert.deepEqual(queue.removeOwner(b), ['b1']);
    assert.equal(queue.size, 2);
    assert.deepEqual([queue.shift(), queue.shift()], ['a1-retry', 'a2']);
  });
});

describe('Pacer', () => {
  const limit = 300;
  const windowMs = 5000;

  /** A pacer over a window whose held count each call sets. */
  function pacerFor(windowLimit, span) {
    const window = { limit: windowLimit, windowMs: span, count: 0, held() { return this.count; } };
    const pacer = new Pacer(window);
    const at = (held) => { window.count = held; return pacer; };
    return {
      delay: (now, held) => at(held).delay(now),
      room: (now, held) => at(held).room(now),
      started: (now, held) => at(held).started(now),
      cut: () => pacer.cut(),
    };
  }

  it('from idle: a tenth of the limit (at least 10) at once, then up to the limit evenly over one window', () => {
    assert.deepEqual([burstOf(5), burstOf(20), burstOf(300), burstOf(1000)], [5, 10, 30, 100]);
    const pacer = pacerFor(limit, windowMs);
    let held = 0;
    for (; held < 30; held += 1) {
      assert.equal(pacer.delay(0, held), 0, `burst start ${held}`);
      assert.equal(pacer.room(0, held), 30 - held);
      pacer.started(0, held);
    }
    const interval = windowMs / (limit - 30);
    assert.ok(Math.abs(pacer.delay(0, held) - interval) < 1e-9, 'then one per (window / the rest of the limit)');
    assert.equal(pacer.room(0, held), 0);
    let now = 0;
    for (; held < limit; held += 1) {
      now = Math.max(now, pacer.delay(now, held) + now);
      assert.equal(pacer.room(now, held), 1, `ramp start ${held} at ${now}`);
      pacer.started(now, held);
    }
    assert.ok(Math.abs(now - windowMs) < 1e-6, `the limit is reached after one window (${now} ms), when the first slots free`);
  });

  it('after the ramp, a slot that frees is taken again at once; slots freed together go a burst at a time', () => {
    const pacer = pacerFor(limit, windowMs);
    pacer.started(0, 0);
    assert.equal(pacer.room(10_000, 299), 1);
    assert.equal(pacer.delay(10_000, 299), 0);
    assert.equal(pacer.room(10_000, 150), 30, 'a clump of 150 free slots: a burst of 30 now');
    for (let i = 0; i < 30; i += 1) pacer.started(10_000, 150 + i);
    assert.equal(pacer.room(10_000, 180), 0);
    const tokenInterval = windowMs / (limit * 1.25);
    assert.ok(Math.abs(pacer.delay(10_000, 180) - tokenInterval) < 1e-9, 'then a little faster than the limit\'s rate');
  });

  it('after a cut (a 429) no ramp holds back the slots the window frees, until the pacer has been idle', () => {
    // The window's limit was cut from 300 to 255 while 300 were held: they free as they were taken.
    const pacer = pacerFor(255, windowMs);
    pacer.started(0, 0);
    for (let held = 1; held < 30; held += 1) pacer.started(0, held);
    assert.ok(pacer.delay(100, 254) > 1000, 'without the cut the ramp, planned from idle at 0, holds the next start back');
    pacer.cut();
    assert.equal(pacer.delay(100, 254), 0, 'after the cut a freed slot is taken again at once');
    pacer.started(6000, 5);
    assert.equal(pacer.delay(6000, 40), 0, 'a few held after a cut: still no ramp');
    pacer.started(20_000, 0);
    for (let held = 1; held < 26; held += 1) pacer.started(20_000, held);
    assert.ok(pacer.delay(20_000, 26) > 0, 'from idle the ramp is back');
  });

  it('a limit of 10 or less is never paced', () => {
    const pacer = pacerFor(8, 1000);
    for (let held = 0; held < 8; held += 1) {
      assert.equal(pacer.delay(0, held), 0);
      pacer.started(0, held);
    }
    assert.equal(pacer.room(0, 3), 5);
  });
});

describe('RequestEngine scheduling', () => {
  it('a node with one message waits behind one message of a node with a backlog, not all of them', async () => {
    const { started, submit, answer } = manualEngine();
    const [bulk, prompt] = [{}, {}];
    const ends = [];
    for (let i = 1; i <= 6; i += 1) submit(bulk, `bulk${i}`).then((label) => ends.push(label));
    await tick();
    submit(prompt, 'prompt').then((label) => ends.push(label));
    for (let i = 0; i < 7; i += 1) await answer();
    assert.deepEqual(started, ['bulk1', 'bulk2', 'prompt', 'bulk3', 'bulk4', 'bulk5', 'bulk6']);
    assert.deepEqual(ends, started, 'each ended once, in the order started');
  });

  it('starts high before normal before low; a low node never delays a high one', async () => {
    const { started, submit, answer } = manualEngine();
    const [low, normal, high] = [{}, {}, {}];
    submit(low, 'low1', { priority: 'low' });
    await tick();
    for (let i = 2; i <= 4; i += 1) submit(low, `low${i}`, { priority: 'low' });
    submit(normal, 'normal1');
    submit(high, 'high1', { priority: 'high' });
    submit(normal, 'normal2');
    submit(high, 'high2', { priority: 'high' });
    for (let i = 0; i < 8; i += 1) await answer();
    assert.deepEqual(started, ['low1', 'high1', 'high2', 'normal1', 'normal2', 'low2', 'low3', 'low4']);
  });

  it('ends a message not started within its maximum wait as not sent, naming the wait; others go on', async () => {
    const { engine, started, submit, answer } = manualEngine();
    const owner = {};
    const first = submit(owner, 'first');
    const expiring = submit(owner, 'expiring', { maxWait: { ms: 80, source: 'the node\'s maximum wait' } });
    const patient = submit(owner, 'patient');
    expiring.catch(() => undefined);
    await settle(150);
    await assert.rejects(expiring, (error) => error instanceof NotSentError
      && /^it waited 0\.1 s for a slot, longer than the node's maximum wait \(0\.1 s\)$/.test(error.message));
    assert.equal(engine.snapshot(owner).queued, 1, 'only the patient one waits');
    await answer();
    await answer();
    assert.equal(await first, 'first');
    assert.equal(await patient, 'patient');
    assert.deepEqual(started, ['first', 'patient'], 'no request for the expired message');
  });

  it('a maximum wait ends at the first attempt: a message that started is never expired', async () => {
    const { started, submit, answer } = manualEngine();
    const result = submit({}, 'slow', { maxWait: { ms: 30, source: 'msg.maxWait' } });
    await settle(80);
    await answer();
    assert.equal(await result, 'slow');
    assert.deepEqual(started, ['slow']);
  });

  it('spreads a backlog over the window: a burst of a tenth, then the rest evenly', async () => {
    const engine = new RequestEngine({ rateLimit: 100, rateWindowMs: 1000, concurrency: 100, queueLimit: 1000, timeoutMs: 1000 });
    const starts = [];
    const owner = {};
    await Promise.all(Array.from({ length: 30 }, () => engine.submit(owner, policy, async () => { starts.push(Date.now()); })));
    const began = starts[0];
    assert.ok(starts[9] - began < 8, 'the burst of 10 goes out at once');
    assert.ok(starts[10] - starts[9] >= 8, 'then the next waits about a slot interval (11 ms)');
    assert.ok(starts[29] - starts[10] >= 19 * 10, `the remaining 20 are spread: ${starts[29] - starts[10]} ms`);
  });

  it('with a backlog paced, a new node\'s message is among the next two starts', async () => {
    const engine = new RequestEngine({ rateLimit: 100, rateWindowMs: 1000, concurrency: 100, queueLimit: 1000, timeoutMs: 1000 });
    const order = [];
    const [bulk, prompt] = [{}, {}];
    const bulkDone = Promise.all(Array.from({ length: 60 }, (_, i) => engine.submit(bulk, policy, async () => { order.push(`bulk${i}`); })));
    await settle(100);
    const arrivedAfter = order.length;
    await engine.submit(prompt, policy, async () => { order.push('prompt'); });
    assert.ok(order.indexOf('prompt') - arrivedAfter <= 1, `started after ${order.indexOf('prompt') - arrivedAfter} bulk starts`);
    await engine.close(bulk, 0);
    await bulkDone.catch(() => undefined);
  });
});

describe('node scheduling settings', () => {
  it('reads Priority and Max wait, naming the setting and value when unusable', () => {
    assert.deepEqual(parseScheduling('', ''), { priority: 'normal', maxWaitMs: undefined });
    assert.deepEqual(parseScheduling('low', '30'), { priority: 'low', maxWaitMs: 30_000 });
    assert.deepEqual(parseScheduling('high', 0.5), { priority: 'high', maxWaitMs: 500 });
    assert.throws(() => parseScheduling('urgent', ''), { message: 'the node\'s priority setting must be high, normal or low (got "urgent")' });
    for (const bad of ['0', '-3', 'soon', '90000', 'NaN', true]) {
      assert.throws(() => parseScheduling('', bad), (error) => error.field === 'maxWait'
        && error.message.startsWith('the node\'s maxWait setting must be a number of seconds above 0'), `maxWait ${bad}`);
    }
  });

  it('the node\'s Max wait wins over msg.maxWait; else msg.maxWait applies, and a bad one is named', () => {
    const account = { retries: 2, rateLimitWaitMs: 60_000 };
    assert.deepEqual(taskPolicy(account, { priority: 'low', maxWaitMs: 30_000 }, 5),
      { ...account, priority: 'low', maxWait: { ms: 30_000, source: 'the node\'s maximum wait' } });
    assert.deepEqual(taskPolicy(account, { priority: 'normal' }, '5'),
      { ...account, priority: 'normal', maxWait: { ms: 5000, source: 'msg.maxWait' } });
    assert.equal(taskPolicy(account, { priority: 'normal' }, undefined).maxWait, undefined);
    assert.throws(() => taskPolicy(account, { priority: 'normal' }, 'later'),
      { message: 'msg.maxWait must be a number of seconds above 0 and at most 86400 (blank: no limit) (got "later")' });
  });

  it('the status says the priority of a node with messages queued, when it is not normal', () => {
    const snapshot = { queued: 12, inFlight: 0, pausedMs: 0, share: 300, limit: 300, shared: 'none' };
    assert.deepEqual(currentView(snapshot, undefined, 'low'), { fill: 'blue', shape: 'ring', key: 'queued-low', params: { count: 12 } });
    assert.equal(currentView(snapshot, undefined, 'normal').key, 'queued');
    assert.equal(currentView(snapshot, undefined, 'high').key, 'queued-high');
  });
});

describe('scheduling through the nodes', function () {
  this.timeout(30_000);
  let sandbox;

  afterEach(async () => {
    await helper.unload();
    await sandbox?.close();
  });

  /** Two plivo play nodes on one account (a strict 20 per second): `bulk` and `prompt`. */
  async function loadTwoNodes(bulkProps = {}, promptProps = {}) {
    sandbox = await startOwnSandbox(startSandbox, { rateLimit: { limit: 20, windowMs: 1000 } });
    const flow = [
      { id: 'tab', type: 'tab', label: 'scheduling' },
      { id: 'cfg', type: 'plivo-config', baseUrl: sandbox.url, rateLimit: '20', rateWindow: '1' },
      { id: 'bulk', type: 'plivo-play', z: 'tab', x: 100, y: 100, account: 'cfg', ...bulkProps, wires: [['out']] },
      { id: 'prompt', type: 'plivo-play', z: 'tab', x: 100, y: 200, account: 'cfg', ...promptProps, wires: [['out']] },
      { id: 'out', type: 'helper', z: 'tab', x: 300, y: 100, wires: [] },
      { id: 'catcher', type: 'catch', z: 'tab', x: 100, y: 300, scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab', x: 300, y: 300, wires: [] },
    ];
    await helper.load([configNode, playNode], flow, credentialsFor(sandbox));
    return {
      run: new Outcomes(null, helper.getNode('out'), helper.getNode('caught')),
      bulk: helper.getNode('bulk'),
      prompt: helper.getNode('prompt'),
      bulkCall: sandbox.addCall(),
      promptCall: sandbox.addCall(),
    };
  }

  const callOf = (request) => request.path.split('/')[5];

  it('a prompt sent behind 60 broadcast plays is answered after about a slot interval, not after the broadcast', async () => {
    const { run, bulk, prompt, bulkCall, promptCall } = await loadTwoNodes();
    for (let n = 0; n < 60; n += 1) bulk.receive({ payload: { call_uuid: bulkCall, urls: URL_A }, n });
    await settle(300);
    const sentBefore = sandbox.requests.length;
    prompt.receive({ payload: { call_uuid: promptCall, urls: URL_A }, n: 'prompt' });
    await run.waitFor(61, 100, 20_000);
    const order = sandbox.requests.map(callOf);
    // At most one already on its way to the sandbox, and the one whose turn it was.
    const bulkBetween = order.indexOf(promptCall) - sentBefore;
    assert.ok(bulkBetween <= 2, `${bulkBetween} broadcast plays went before the prompt after it arrived`);
    assert.equal(sandbox.stats.rateLimited, 0);
    assert.equal(run.outputs.length, 61);
  });

  it('priority high goes before a low node\'s backlog, and the status says "low priority"', async () => {
    const { run, bulk, prompt, bulkCall, promptCall } = await loadTwoNodes({ priority: 'low' }, { priority: 'high' });
    for (let n = 0; n < 40; n += 1) bulk.receive({ payload: { call_uuid: bulkCall, urls: URL_A }, n });
    await settle(100);
    const sentBefore = sandbox.requests.length;
    for (let n = 0; n < 3; n += 1) prompt.receive({ payload: { call_uuid: promptCall, urls: URL_A }, n: `prompt${n}` });
    await run.waitFor(43, 100, 20_000);
    const order = sandbox.requests.map(callOf);
    const first = order.indexOf(promptCall);
    assert.ok(first - sentBefore <= 1, `${first - sentBefore} low plays went first`);
    assert.deepEqual(order.slice(first, first + 3), [promptCall, promptCall, promptCall], 'the three high plays went one after another');
    assert.ok(bulk.status.args.some(([status]) => status.text === textKey('status.queued-low')));
  });

  it('Max wait: messages still queued after it end at Catch as not sent, no request; the status counts them', async () => {
    const { run, bulk, bulkCall } = await loadTwoNodes({ maxWait: '0.3' });
    const started = Date.now();
    for (let n = 0; n < 30; n += 1) bulk.receive({ payload: { call_uuid: bulkCall, urls: URL_A }, n });
    await run.waitFor(30, 100, 10_000);
    const expired = run.errors.filter((msg) => msg.error.message
      === 'Not sent: it waited 0.3 s for a slot, longer than the node\'s maximum wait (0.3 s)');
    assert.ok(Date.now() - started < 2000);
    assert.ok(expired.length >= 10, `${expired.length} expired`);
    assert.equal(expired.length + run.outputs.length, 30);
    assert.equal(sandbox.requests.length, run.outputs.length, 'a request for each played message only');
    assert.equal(bulk.status.lastCall.args[0].text, textKey('status.with-expired'), 'the count stays in the status');
  });

  it('msg.maxWait sets it per message; a bad one is refused naming it; the node\'s value wins when set', async () => {
    const { run, bulk, prompt, bulkCall, promptCall } = await loadTwoNodes({}, { maxWait: '60' });
    const bad = await new Promise((resolve) => {
      run.waiters.push(() => (run.errors.length === 1 ? (resolve(run.errors[0]), true) : false));
      bulk.receive({ payload: { call_uuid: bulkCall, urls: URL_A }, maxWait: 'soon' });
    });
    assert.equal(bad.error.message, 'Invalid input: msg.maxWait must be a number of seconds above 0 and at most 86400 (blank: no limit) (got "soon")');
    assert.equal(sandbox.requests.length, 0);
    for (let n = 0; n < 30; n += 1) bulk.receive({ payload: { call_uuid: bulkCall, urls: URL_A }, maxWait: 0.3, n });
    for (let n = 0; n < 5; n += 1) prompt.receive({ payload: { call_uuid: promptCall, urls: URL_A }, maxWait: 0.01, n: `p${n}` });
    await run.waitFor(36, 100, 15_000);
    const expired = run.errors.filter((msg) => /longer than msg\.maxWait \(0\.3 s\)$/.test(msg.error.message));
    assert.ok(expired.length >= 5, `${expired.length} expired`);
    assert.equal(run.outputs.filter((msg) => String(msg.n).startsWith('p')).length, 5, 'the node\'s 60 s won over msg.maxWait 0.01');
    assert.deepEqual(prompt.warn.args.map(([text]) => text), Array(5).fill(textKey('warn.ignored')));
  });

  it('a saved priority that is not high, normal or low fails each message naming it, with no request', async () => {
    const { run, prompt, promptCall } = await loadTwoNodes({}, { priority: 'urgent' });
    const ended = new Promise((resolve) => run.waiters.push(() => (run.all.length === 1 ? (resolve(), true) : false)));
    prompt.receive({ payload: { call_uuid: promptCall, urls: URL_A } });
    await ended;
    assert.equal(run.errors[0].error.message, 'Invalid input: the node\'s priority setting must be high, normal or low (got "urgent")');
    assert.equal(sandbox.requests.length, 0);
  });
});
