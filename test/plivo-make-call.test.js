'use strict';
/**
 * plivo make call: the request for each destination (unit: Plivo's ranges, the errors that name
 * the field and value), then in a flow against the sandbox: one message per placed call, each
 * call's outcome once its hangup reaches a plivo webhook node, msg.placed on the answer, the
 * account's calls per second and its cap of live calls, cancelling, and bad input sending nothing.
 */
const assert = require('node:assert/strict');
const { startSandbox } = require('../sandbox/plivo-sandbox.js');
const { buildMakeCall, MAX_DESTINATIONS } = require('../dist/nodes/lib/call/make-call-request.js');
const { PlacedCalls, outcomeOf } = require('../dist/nodes/lib/plivo/placed-calls.js');
const { Leases } = require('../dist/nodes/lib/limit/leases.js');
const makeCallNode = require('../dist/nodes/plivo-make-call.js').default;
const webhookNode = require('../dist/nodes/plivo-webhook.js').default;
const { helper, configNode, startOwnSandbox, credentialsFor, nodeRoutes, OUTBOUND } = require('./support.js');
const { waitFor: waitUntil } = require('./webhook-support.js');

const waitFor = (check, what, timeoutMs = 8000) => waitUntil(check, what, timeoutMs);

const {
  FROM, PERSON, BUSY, NO_ANSWER, MACHINE, NO_SUCH_NUMBER,
} = OUTBOUND;
const ANSWER = 'https://flows.example.com/answer';

describe('plivo make call: the request for each destination', () => {
  it('from, to and answer_url, with every optional parameter checked and sent by Plivo\'s name', () => {
    const { request, ignoredFields } = buildMakeCall({}, {
      from: FROM, to: PERSON, answer_url: ANSWER, answer_method: 'GET', hangup_url: 'https://flows.example.com/hangup', caller_name: 'Alarm desk',
      ring_timeout: '30', time_limit: 600, hangup_on_ring: 0, send_digits: '1w2w3@1000', send_on_preanswer: 'true', machine_detection: 'hangup',
      machine_detection_time: 3000, machine_detection_maximum_words: 4, sip_headers: 'Campaign=spring,Row=12', error_if_parent_not_found: false,
    });
    assert.deepEqual(request.destinations, ['14155559999']);
    assert.deepEqual(request.body, {
      from: '14155550100', answer_url: ANSWER, answer_method: 'GET', hangup_url: 'https://flows.example.com/hangup', caller_name: 'Alarm desk',
      send_digits: '1w2w3@1000', send_on_preanswer: true, time_limit: 600, hangup_on_ring: 0, ring_timeout: 30, machine_detection: 'hangup',
      machine_detection_time: 3000, machine_detection_maximum_words: 4, sip_headers: 'Campaign=spring,Row=12', error_if_parent_not_found: false,
    });
    assert.deepEqual(ignoredFields, []);
  });

  it('several destinations: an array or <-joined, numbers and SIP URIs, each called once', () => {
    const fromArray = buildMakeCall({}, { from: FROM, to: [PERSON, 'sip:alice@phone.plivo.com', `${PERSON} `], answer_url: ANSWER }).request;
    assert.deepEqual(fromArray.destinations, ['14155559999', 'sip:alice@phone.plivo.com']);
    const joined = buildMakeCall({ to: `${BUSY}<${PERSON}` }, { from: FROM, answer_url: ANSWER }).request;
    assert.deepEqual(joined.destinations, ['14155550001', '14155559999']);
  });

  const BAD = [
    [{ to: PERSON, answer_url: ANSWER }, /msg\.payload\.from is missing/, 'from'],
    [{ from: FROM, answer_url: ANSWER }, /msg\.payload\.to is missing/, 'to'],
    [{ from: FROM, to: PERSON }, /msg\.payload\.answer_url is missing/, 'answer_url'],
    [{ from: 'Alarm', to: PERSON, answer_url: ANSWER }, /msg\.payload\.from must be the caller ID.*\(got "Alarm"\)/, 'from'],
    [{ from: FROM, to: '+1415&x=1', answer_url: ANSWER }, /msg\.payload\.to must be a phone number .*\(got "\+1415&x=1"\)/, 'to'],
    [{ from: FROM, to: [PERSON, 'sip:a<b@c'], answer_url: ANSWER }, /msg\.payload\.to\[1\] must be a phone number/, 'to'],
    [{ from: FROM, to: [], answer_url: ANSWER }, /msg\.payload\.to is an empty list: name at least one destination/, 'to'],
    [{ from: FROM, to: Array.from({ length: MAX_DESTINATIONS + 1 }, (_, i) => `1415555${String(i).padStart(4, '0')}`), answer_url: ANSWER },
      /names more than 1000 destinations/, 'to'],
    [{ from: FROM, to: PERSON, answer_url: 'ftp://x.example/a' }, /answer_url is not an absolute http\(s\) URL/, 'answer_url'],
    [{ from: FROM, to: PERSON, answer_url: ANSWER, answer_method: 'PUT' }, /answer_method must be GET or POST \(got "PUT"\)/, 'answer_method'],
    [{ from: FROM, to: PERSON, answer_url: ANSWER, caller_name: 'x'.repeat(51) }, /caller_name must be 1 to 50 characters/, 'caller_name'],
    [{ from: FROM, to: PERSON, answer_url: ANSWER, machine_detection_time: 1999 }, /machine_detection_time must be a whole number from 2000 to 10000 ms \(got 1999\)/, 'machine_detection_time'],
    [{ from: FROM, to: PERSON, answer_url: ANSWER, machine_detection: 'yes' }, /machine_detection must be true or hangup \(got "yes"\)/, 'machine_detection'],
    [{ from: FROM, to: PERSON, answer_url: ANSWER, time_limit: 14_401 }, /time_limit must be a whole number from 1 to 14400 s/, 'time_limit'],
    [{ from: FROM, to: PERSON, answer_url: ANSWER, send_digits: '12;3' }, /send_digits must be 0-9/, 'send_digits'],
    [{ from: FROM, to: PERSON, answer_url: ANSWER, sip_headers: 'X=1\r\nInjected: yes' }, /sip_headers must be key=value pairs/, 'sip_headers'],
    [{ from: FROM, to: PERSON, answer_url: ANSWER, parent_call_uuid: '../x' }, /parent_call_uuid must be a call UUID/, 'parent_call_uuid'],
  ];
  for (const [payload, message, field] of BAD) {
    it(`refuses ${JSON.stringify(payload).slice(0, 100)}, naming ${field}`, () => {
      assert.throws(() => buildMakeCall({}, payload), (error) => {
        assert.match(error.message, message);
        assert.equal(error.field, field);
        return true;
      });
    });
  }

  it('a string of more than 1,000 destinations is refused before it is split', () => {
    const many = Array.from({ length: 5000 }, () => PERSON).join('<');
    assert.throws(() => buildMakeCall({}, { from: FROM, to: many, answer_url: ANSWER }), /names more than 1000 destinations/);
  });
});

describe('plivo make call: outcomes and live calls (lib)', () => {
  const REQUEST = '0b8f3c1e-5a2d-4e6f-8a9b-1c2d3e4f5a6b';
  const CALL = '2d6a3c4e-1f0b-4c8e-9a55-0c1d2e3f4a5b';

  it('reads each final CallStatus as an outcome, and nothing else as one', () => {
    const of = (params) => outcomeOf({ RequestUUID: REQUEST, CallUUID: CALL, ...params })?.status;
    assert.equal(of({ CallStatus: 'completed', Duration: '12' }), 'answered');
    assert.equal(of({ CallStatus: 'busy' }), 'busy');
    assert.equal(of({ CallStatus: 'no-answer' }), 'no-answer');
    assert.equal(of({ CallStatus: 'timeout' }), 'no-answer');
    assert.equal(of({ CallStatus: 'canceled' }), 'canceled');
    assert.equal(of({ CallStatus: 'failed', HangupCause: 'CALL_REJECTED' }), 'rejected');
    assert.equal(of({ CallStatus: 'failed', HangupCause: 'UNALLOCATED_NUMBER' }), 'failed');
    assert.equal(of({ CallStatus: 'ringing' }), undefined);
    assert.equal(of({ CallStatus: 'in-progress' }), undefined);
    assert.deepEqual(outcomeOf({ RequestUUID: REQUEST, CallUUID: CALL, CallStatus: 'completed', Duration: '7', Machine: 'false', To: '14155559999' }), {
      status: 'answered', RequestUUID: REQUEST, CallUUID: CALL, To: '14155559999', CallStatus: 'completed', Duration: 7, Machine: false,
    });
  });

  it('settles each placed call once: by its hangup, found by RequestUUID or by the CallUUID a callback tied to it', () => {
    const placed = new PlacedCalls(10);
    const heard = [];
    placed.adopt('node-1', (data, outcome) => heard.push([data, outcome?.status]));
    placed.place(REQUEST, 'node-1', 'row 7', '{"alarm":"disk full"}', Date.now() + 60_000);
    assert.deepEqual(placed.heard({ RequestUUID: REQUEST, CallUUID: CALL, CallStatus: 'in-progress' }), { placed: '{"alarm":"disk full"}' });
    assert.deepEqual(placed.heard({ CallUUID: CALL, Digits: '1' }), { placed: '{"alarm":"disk full"}' }, 'a later callback with only the call UUID');
    placed.heard({ RequestUUID: REQUEST, CallUUID: CALL, CallStatus: 'completed' });
    placed.heard({ RequestUUID: REQUEST, CallUUID: CALL, CallStatus: 'completed' });
    assert.deepEqual(heard, [['row 7', 'answered']]);
    assert.equal(placed.heard({ RequestUUID: REQUEST }), undefined, 'settled: nothing kept');
  });

  it('a call whose hangup never comes settles as unheard at its expiry; past the capacity a placement is refused', async () => {
    const placed = new PlacedCalls(1);
    const heard = [];
    placed.adopt('n', (data, outcome) => heard.push(outcome));
    assert.equal(placed.place(REQUEST, 'n', 1, undefined, Date.now() + 20), true);
    assert.equal(placed.place(CALL, 'n', 2, undefined, Date.now() + 20), false);
    await waitFor(() => heard.length === 1, 'the expiry');
    assert.deepEqual(heard, [undefined]);
  });

  it('a node redeployed under the same id gets its predecessor\'s outcomes', () => {
    const placed = new PlacedCalls();
    const before = () => assert.fail('the closed node heard an outcome');
    placed.adopt('node-1', before);
    placed.place(REQUEST, 'node-1', 'row', undefined, Date.now() + 60_000);
    assert.equal(placed.leave('node-1', before), 1);
    const after = [];
    placed.adopt('node-1', (data, outcome) => after.push([data, outcome.status]));
    placed.heard({ RequestUUID: REQUEST, CallStatus: 'busy' });
    assert.deepEqual(after, [['row', 'busy']]);
  });

  it('leases: no room past the cap until one is released or expires', async () => {
    const leases = new Leases(2);
    let freed = 0;
    leases.onFree(() => { freed += 1; });
    leases.take('a', Date.now() + 60_000);
    leases.take('b', Date.now() + 30);
    assert.equal(leases.room(), 0);
    leases.rename('a', 'request-a', Date.now() + 60_000);
    assert.equal(leases.release('request-a'), true);
    assert.equal(leases.room(), 1);
    await waitFor(() => leases.room() === 2, 'the expiry');
    assert.equal(freed, 2);
    leases.stop();
  });
});

describe('plivo make call in a flow, against the sandbox', function () {
  this.timeout(30_000);
  let sandbox;
  const routes = nodeRoutes();
  afterEach(async () => {
    await helper.unload();
    await sandbox?.close();
  });

  /**
   * account -> make call (outputs: placed, outcome) ; catch -> caught ; webhook "answer" (answers
   * `answerXml`) -> answered ; webhook "hangup" -> hungUp. URL settings name the webhook nodes.
   */
  async function load({ sandboxOptions = {}, callProps = {}, configProps = {}, answerXml = '<Response><Speak>Disk full</Speak></Response>' } = {}) {
    sandbox = await startOwnSandbox(startSandbox, { timeScale: 0.05, cps: 100, ...sandboxOptions });
    const publicUrl = `http://127.0.0.1:${routes.port}`;
    const flow = [
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 'cfg', type: 'plivo-config', name: 'account', baseUrl: sandbox.url, ...configProps },
      {
        id: 'dial', type: 'plivo-make-call', z: 'tab', x: 300, y: 100, account: 'cfg', wires: [['placed'], ['outcome']],
        from: FROM, fromType: 'str', answer_url: 'answer', answer_urlType: 'plivo-webhook', hangup_url: 'hangup', hangup_urlType: 'plivo-webhook',
        keep: 'alarm', ...callProps,
      },
      { id: 'placed', type: 'helper', z: 'tab', x: 500, y: 100, wires: [] },
      { id: 'outcome', type: 'helper', z: 'tab', x: 500, y: 150, wires: [] },
      { id: 'catcher', type: 'catch', z: 'tab', x: 300, y: 300, scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab', x: 500, y: 300, wires: [] },
      { id: 'answer', type: 'plivo-webhook', z: 'tab', x: 100, y: 400, account: 'cfg', url: '/plivo/answer', method: 'post', publicUrl, answerXml, wires: [['answered']] },
      { id: 'answered', type: 'helper', z: 'tab', x: 300, y: 400, wires: [] },
      { id: 'hangup', type: 'plivo-webhook', z: 'tab', x: 100, y: 500, account: 'cfg', url: '/plivo/hangup', method: 'post', publicUrl, answerXml: '<Response/>', wires: [['hungUp']] },
      { id: 'hungUp', type: 'helper', z: 'tab', x: 300, y: 500, wires: [] },
    ];
    await helper.load([configNode, makeCallNode, webhookNode, routes.capture], flow, credentialsFor(sandbox));
    const seen = { placed: [], outcome: [], caught: [], answered: [] };
    for (const name of Object.keys(seen)) helper.getNode(name).on('input', (msg) => seen[name].push(msg));
    return seen;
  }
  const callRequests = () => sandbox.requests.filter((one) => one.method === 'POST' && /\/Call\/$/.test(one.path));

  it('places the call, sends Plivo\'s answer on, gives the answer flow msg.placed, and the outcome on output 2 with the message\'s own properties', async () => {
    const seen = await load();
    helper.getNode('dial').receive({ payload: { to: PERSON }, alarm: 'disk full on db-1', row: 7 });
    await waitFor(() => seen.outcome.length === 1, 'the outcome');
    assert.equal(seen.placed.length, 1);
    const [placed] = seen.placed;
    assert.match(placed.payload.request_uuid, /^[0-9a-f-]{36}$/);
    assert.equal(placed.payload.to, '14155559999');
    assert.equal(placed.payload.message, 'call fired');
    assert.equal(placed.row, 7);
    const [request] = callRequests();
    assert.equal(request.json.answer_url, `http://127.0.0.1:${routes.port}/plivo/answer`);
    assert.equal(request.json.answer_method, 'POST', 'the webhook node\'s method');
    assert.deepEqual(seen.answered.map((msg) => msg.placed), [{ alarm: 'disk full on db-1' }]);
    const [outcome] = seen.outcome;
    assert.equal(outcome.payload.status, 'answered');
    assert.equal(outcome.payload.RequestUUID, placed.payload.request_uuid);
    assert.match(outcome.payload.CallUUID, /^[0-9a-f-]{36}$/);
    assert.equal(outcome.row, 7, 'the placing message\'s properties');
    assert.equal(seen.caught.length, 0);
  });

  it('several destinations: one placed message and one outcome each, as each number ends', async () => {
    const seen = await load({ callProps: { machine_detection: 'true', machine_detectionType: 'fixed' } });
    helper.getNode('dial').receive({ payload: { to: [PERSON, BUSY, NO_ANSWER, MACHINE, NO_SUCH_NUMBER], ring_timeout: 20 } });
    await waitFor(() => seen.outcome.length === 5, 'five outcomes', 15_000);
    assert.equal(seen.placed.length, 5);
    const byNumber = Object.fromEntries(seen.outcome.map((msg) => [msg.payload.To, msg.payload]));
    assert.equal(byNumber['14155559999'].status, 'answered');
    assert.equal(byNumber['14155559999'].Machine, false);
    assert.equal(byNumber['14155550003'].Machine, true);
    assert.equal(byNumber['14155550001'].status, 'busy');
    assert.equal(byNumber['14155550002'].status, 'no-answer');
    assert.equal(byNumber['14155550004'].status, 'failed');
    assert.equal(seen.caught.length, 0);
  });

  it('starts calls at the account\'s calls per second, however many wait', async () => {
    const seen = await load({ configProps: { callsPerSecond: 2 }, answerXml: '<Response><Hangup/></Response>' });
    const numbers = Array.from({ length: 7 }, (_, i) => `1415666${String(i).padStart(4, '5')}`);
    helper.getNode('dial').receive({ payload: { to: numbers } });
    await waitFor(() => seen.placed.length === 7, 'seven calls placed', 10_000);
    const times = callRequests().map((one) => one.at);
    for (const at of times) {
      const inSecond = times.filter((other) => other >= at && other < at + 1000).length;
      assert.ok(inSecond <= 2, `${inSecond} calls placed within one second`);
    }
    assert.ok(times[6] - times[0] >= 2500, 'seven calls at two a second take three seconds');
  });

  it('holds calls past Max concurrent calls until a live call hangs up: none fails for the cap', async () => {
    const seen = await load({
      sandboxOptions: { maxConcurrent: 2 },
      configProps: { callsPerSecond: 50, maxConcurrentCalls: 2 },
      answerXml: '<Response><Wait length="10"/></Response>',
    });
    helper.getNode('dial').receive({ payload: { to: Array.from({ length: 6 }, (_, i) => `1415777${String(i).padStart(4, '5')}`) } });
    await waitFor(() => seen.outcome.length === 6, 'six outcomes', 20_000);
    assert.equal(sandbox.outbound.failedForCap, 0);
    assert.ok(sandbox.outbound.mostConcurrent <= 2, `${sandbox.outbound.mostConcurrent} live at once`);
    assert.deepEqual(seen.outcome.map((msg) => msg.payload.status), Array(6).fill('answered'));
  });

  it('msg.cancel: calls still queued here end unsent (CANCELLED), and no more are placed', async () => {
    const seen = await load({ configProps: { callsPerSecond: 1 }, answerXml: '<Response><Hangup/></Response>' });
    const dial = helper.getNode('dial');
    dial.receive({ payload: { to: Array.from({ length: 6 }, (_, i) => `1415888${String(i).padStart(4, '5')}`) } });
    await waitFor(() => seen.placed.length === 1, 'the first call placed');
    dial.receive({ cancel: true });
    await waitFor(() => seen.caught.length >= 4, 'the queued calls cancelled');
    const placedCount = callRequests().length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(callRequests().length, placedCount, 'nothing placed after the cancel');
    assert.ok(seen.caught.every((msg) => /cancelled before it was placed/.test(msg.error.message)), seen.caught.map((msg) => msg.error.message).join('\n'));
    assert.equal(seen.placed.length + seen.caught.length, 6, 'every destination ended once');
  });

  it('bad input ends as an error naming the field and value, and sends nothing', async () => {
    const seen = await load();
    helper.getNode('dial').receive({ payload: { to: [PERSON, 'not a number'] } });
    await waitFor(() => seen.caught.length === 1, 'the error');
    assert.match(seen.caught[0].error.message, /msg\.payload\.to\[1\] must be a phone number .*\(got "not a number"\)/);
    assert.equal(callRequests().length, 0);
  });
});
