'use strict';
/**
 * plivo call: each operation's request (unit), each against the sandbox in a flow, the errors
 * bad input gets (no request sent), at-most-once sending, and the account's memory of calls that
 * have ended: from a hang-up, a 404 and a hangup webhook, ending queued and later requests unsent.
 */
const assert = require('node:assert/strict');
const { startSandbox } = require('../sandbox/plivo-sandbox.js');
const { buildCallOperation } = require('../dist/nodes/lib/call/call-request.js');
const { EndedCalls, endedByWebhook } = require('../dist/nodes/lib/plivo/ended-calls.js');
const callNode = require('../dist/nodes/plivo-call.js').default;
const webhookNode = require('../dist/nodes/plivo-webhook.js').default;
const {
  helper, configNode, playNode, speakNode, Outcomes, startOwnSandbox, credentialsFor, textKey, isCallEnded, nodeRoutes, sandboxApi,
} = require('./support.js');

const CALL = '2d6a3c4e-1f0b-4c8e-9a55-0c1d2e3f4a5b';
const HOLD = 'https://media.example.com/hold.mp3';

describe('plivo call: the request each operation makes', () => {
  const build = (payload, settings = {}) => buildCallOperation(settings, payload).request;

  it('hang up, transfer, digits, record, stop recording, live details, live calls', () => {
    assert.deepEqual(build({ operation: 'hangup', call_uuid: CALL }), { operation: 'hangup', method: 'DELETE', path: `Call/${CALL}/`, callUuid: CALL });
    assert.deepEqual(build({ operation: 'transfer', CallUUID: CALL, legs: 'both', aleg_url: 'https://a.example/x', bleg_url: 'https://b.example/y', bleg_method: 'GET' }), {
      operation: 'transfer', method: 'POST', path: `Call/${CALL}/`, callUuid: CALL,
      body: { legs: 'both', aleg_url: 'https://a.example/x', bleg_url: 'https://b.example/y', bleg_method: 'GET' },
    });
    assert.deepEqual(build({ call_uuid: CALL, digits: '12w#', leg: 'bleg' }, { operation: 'send-digits' }).body, { digits: '12w#', leg: 'bleg' });
    assert.equal(build({ call_uuid: CALL, digits: 4711 }, { operation: 'send-digits' }).body.digits, '4711');
    assert.deepEqual(build({ call_uuid: CALL, time_limit: '90', file_format: 'wav', callback_url: 'https://c.example/r' }, { operation: 'record' }), {
      operation: 'record', method: 'POST', path: `Call/${CALL}/Record/`, callUuid: CALL, body: { time_limit: 90, file_format: 'wav', callback_url: 'https://c.example/r' },
    });
    assert.deepEqual(build({ call_uuid: CALL }, { operation: 'stop-recording' }), { operation: 'stop-recording', method: 'DELETE', path: `Call/${CALL}/Record/`, callUuid: CALL });
    assert.deepEqual(build({ call_uuid: CALL, URL: 'https://m.example/r.mp3' }, { operation: 'stop-recording' }).body, { URL: 'https://m.example/r.mp3' });
    assert.deepEqual(build({ call_uuid: CALL }, { operation: 'live-details' }).query, { status: 'live' });
    assert.deepEqual(build({ call_direction: 'inbound', from_number: '+4930123' }, { operation: 'live-calls' }), {
      operation: 'live-calls', method: 'GET', path: 'Call/', query: { call_direction: 'inbound', from_number: '+4930123', status: 'live' },
    });
    assert.deepEqual(build(null, { operation: 'live-calls' }).query, { status: 'live' });
    assert.deepEqual(build({ request_uuid: ` ${CALL} ` }, { operation: 'cancel-request' }), { operation: 'cancel-request', method: 'DELETE', path: `Request/${CALL}/` });
    assert.deepEqual(build(null, { operation: 'queued-calls' }), { operation: 'queued-calls', method: 'GET', path: 'Call/', query: { status: 'queued' } });
  });

  it('the node\'s fixed values win; the message fields they shadow are reported', () => {
    const built = buildCallOperation({ operation: 'send-digits', digits: '9', callUuid: CALL }, { operation: 'hangup', digits: '1', call_uuid: CALL });
    assert.deepEqual(built.request.body, { digits: '9' });
    assert.deepEqual(built.ignoredFields.sort(), ['msg.payload.digits', 'msg.payload.operation']);
  });

  const BAD = [
    [{}, /msg\.payload\.operation is missing/, 'operation'],
    [{ operation: 'explode', call_uuid: CALL }, /msg\.payload\.operation must be one of hangup, transfer/, 'operation'],
    [{ operation: 'hangup' }, /call_uuid is missing/, 'call_uuid'],
    [{ operation: 'hangup', call_uuid: 'abc' }, /msg\.payload\.call_uuid must be a call UUID.*\(got "abc"\)/, 'call_uuid'],
    [{ operation: 'transfer', call_uuid: CALL }, /a transfer of aleg needs aleg_url/, 'aleg_url'],
    [{ operation: 'transfer', call_uuid: CALL, legs: 'bleg', aleg_url: 'https://a.example' }, /a transfer of bleg needs bleg_url/, 'bleg_url'],
    [{ operation: 'transfer', call_uuid: CALL, legs: 'sideways' }, /msg\.payload\.legs must be one of aleg, bleg, both \(got "sideways"\)/, 'legs'],
    [{ operation: 'transfer', call_uuid: CALL, aleg_url: 'https://a.example/x?y=1 2' }, /aleg_url contains whitespace/, 'aleg_url'],
    [{ operation: 'transfer', call_uuid: CALL, aleg_url: 'ftp://a.example/x' }, /aleg_url is not an absolute http\(s\) URL/, 'aleg_url'],
    [{ operation: 'transfer', call_uuid: CALL, aleg_url: 'https://a.example', aleg_method: 'PUT' }, /aleg_method must be GET or POST \(got "PUT"\)/, 'aleg_method'],
    [{ operation: 'send-digits', call_uuid: CALL }, /msg\.payload\.digits is missing/, 'digits'],
    [{ operation: 'send-digits', call_uuid: CALL, digits: '12;DROP' }, /msg\.payload\.digits must be 1 to 256 of 0-9.*\(got "12;DROP"\)/, 'digits'],
    [{ operation: 'send-digits', call_uuid: CALL, digits: '1'.repeat(257) }, /digits must be 1 to 256/, 'digits'],
    [{ operation: 'send-digits', call_uuid: CALL, digits: '1', leg: 'both' }, /msg\.payload\.leg must be aleg or bleg/, 'leg'],
    [{ operation: 'record', call_uuid: CALL, time_limit: 0 }, /time_limit must be a whole number of seconds from 1 to 14400 .*\(got 0\)/, 'time_limit'],
    [{ operation: 'record', call_uuid: CALL, time_limit: '1.5' }, /time_limit must be a whole number/, 'time_limit'],
    [{ operation: 'record', call_uuid: CALL, file_format: 'ogg' }, /file_format must be mp3 or wav/, 'file_format'],
    [{ operation: 'record', call_uuid: CALL, transcription_type: 'hybrid' }, /transcription_type must be auto/, 'transcription_type'],
    [{ operation: 'live-calls', call_direction: 'sideways' }, /call_direction must be inbound or outbound/, 'call_direction'],
    [{ operation: 'live-calls', from_number: '+49&status=all' }, /from_number must be a phone number/, 'from_number'],
    [{ operation: 'cancel-request' }, /msg\.payload\.request_uuid is missing/, 'request_uuid'],
    [{ operation: 'cancel-request', request_uuid: '../Call/x' }, /msg\.payload\.request_uuid must be a request UUID.*\(got "\.\.\/Call\/x"\)/, 'request_uuid'],
    [{ operation: 'cancel-request', request_uuid: [CALL, CALL] }, /msg\.payload\.request_uuid is a list: a call placed to several numbers has a request UUID each/, 'request_uuid'],
  ];
  for (const [payload, message, field] of BAD) {
    it(`refuses ${JSON.stringify(payload).slice(0, 90)}, naming ${field}`, () => {
      assert.throws(() => buildCallOperation({}, payload), (error) => {
        assert.match(error.message, message);
        assert.equal(error.field, field);
        return true;
      });
    });
  }

  it('a payload that is not an object names what it must carry', () => {
    assert.throws(() => buildCallOperation({ operation: 'hangup' }, 'hello'), /msg\.payload must be an object with call_uuid/);
    assert.throws(() => buildCallOperation({}, 42), /msg\.payload must be an object with operation/);
  });
});

describe('the account\'s memory of calls that have ended', () => {
  it('keeps the first word on a call, for 4 hours, and tells listeners once', () => {
    const ended = new EndedCalls(1000, 100);
    const heard = [];
    ended.onEnded((uuid, call) => heard.push([uuid, call.by]));
    ended.end(CALL, { at: 0, by: 'webhook' }, 0);
    ended.end(CALL, { at: 10, by: 'not-found' }, 10);
    assert.deepEqual(ended.get(CALL, 999), { at: 0, by: 'webhook' });
    assert.equal(ended.get(CALL, 1000), undefined, 'forgotten after its time');
    assert.deepEqual(heard, [[CALL, 'webhook']]);
  });

  it('is bounded: past its capacity the oldest are forgotten first', () => {
    const ended = new EndedCalls(60_000, 3);
    for (let i = 0; i < 5; i += 1) ended.end(`call-${i}`, { at: i, by: 'webhook' }, i);
    assert.equal(ended.size, 3);
    assert.equal(ended.get('call-0', 5), undefined);
    assert.ok(ended.get('call-4', 5));
  });

  it('reads a hangup from Plivo\'s webhook parameters, and nothing else', () => {
    assert.equal(endedByWebhook({ CallUUID: CALL, CallStatus: 'completed' }), CALL);
    assert.equal(endedByWebhook({ CallUUID: CALL, Event: 'Hangup', CallStatus: 'in-progress' }), CALL);
    for (const status of ['busy', 'failed', 'timeout', 'no-answer', 'canceled']) assert.equal(endedByWebhook({ CallUUID: CALL, CallStatus: status }), CALL);
    assert.equal(endedByWebhook({ CallUUID: CALL, CallStatus: 'ringing', Event: 'StartApp' }), undefined);
    assert.equal(endedByWebhook({ CallUUID: 'not-a-uuid', CallStatus: 'completed' }), undefined);
    assert.equal(endedByWebhook({ CallUUID: [CALL, CALL], CallStatus: 'completed' }), undefined);
  });
});

/** A flow: config -> plivo call `call` and plivo play `play` (each -> helper, catch -> helper), and a plivo webhook `hook`, served on a loopback port. */
describe('plivo call node, against the sandbox', function () {
  this.timeout(20_000);
  let sandbox;
  const routes = nodeRoutes();
  beforeEach(async () => {
    sandbox = await startOwnSandbox(startSandbox);
  });
  afterEach(async () => {
    await helper.unload();
    await sandbox.close();
  });

  async function load(callProps = {}, { configProps = {}, webhookProps = {} } = {}) {
    const flow = [
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 'cfg', type: 'plivo-config', name: 'account', baseUrl: sandbox.url, ...configProps },
      { id: 'call', type: 'plivo-call', z: 'tab', x: 300, y: 100, account: 'cfg', wires: [['out']], ...callProps },
      { id: 'play', type: 'plivo-play', z: 'tab', x: 300, y: 200, account: 'cfg', wires: [['out']] },
      { id: 'out', type: 'helper', z: 'tab', x: 500, y: 100, wires: [] },
      { id: 'catcher', type: 'catch', z: 'tab', x: 300, y: 300, scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab', x: 500, y: 300, wires: [] },
      {
        id: 'hook', type: 'plivo-webhook', z: 'tab', x: 100, y: 400, name: 'menu', account: 'cfg', url: '/plivo/events', method: 'post',
        publicUrl: `http://127.0.0.1:${routes.port}`, answerXml: '<Response/>', wires: [['heard']], ...webhookProps,
      },
      { id: 'heard', type: 'helper', z: 'tab', x: 300, y: 400, wires: [] },
    ];
    await helper.load([configNode, callNode, playNode, speakNode, webhookNode, routes.capture], flow, credentialsFor(sandbox));
    const run = new Outcomes(helper.getNode('call'), helper.getNode('out'), helper.getNode('caught'));
    run.play = helper.getNode('play');
    run.heard = [];
    helper.getNode('heard').on('input', (msg) => run.heard.push(msg));
    return run;
  }

  const sent = () => sandbox.requests.filter((request) => request.path.startsWith('/v1/'));

  it('hangs up a call: DELETE Call/{uuid}/, 204, and the call is gone', async () => {
    const uuid = sandbox.addCall();
    const run = await load({ operation: 'hangup' });
    const { output } = await run.send({ payload: { CallUUID: uuid }, topic: 'bye' });
    assert.equal(output.statusCode, 204);
    assert.equal(output.topic, 'bye');
    assert.equal(sandbox.call(uuid), undefined);
    assert.deepEqual(sent().map((r) => `${r.method} ${r.path}`), [`DELETE /v1/Account/${sandbox.account.authId}/Call/${uuid}/`]);
  });

  it('sends digits, records and stops the recording, and reads a live call and the live list', async () => {
    const uuid = sandbox.addCall(undefined, { direction: 'outbound', to: '+4930123456' });
    const run = await load({ operation: 'msg' });
    const digits = await run.send({ payload: { operation: 'send-digits', call_uuid: uuid, digits: '1w2#' } });
    assert.equal(digits.output.statusCode, 202);
    assert.deepEqual(sandbox.call(uuid).digits, ['1w2#']);
    const record = await run.send({ payload: { operation: 'record', call_uuid: uuid, file_format: 'wav', time_limit: 30 } });
    assert.equal(record.output.statusCode, 202);
    assert.match(record.output.payload.url, /\.wav$/);
    assert.ok(sandbox.call(uuid).recordings.has(record.output.payload.url));
    const stop = await run.send({ payload: { operation: 'stop-recording', call_uuid: uuid, URL: record.output.payload.url } });
    assert.equal(stop.output.statusCode, 204);
    assert.equal(sandbox.call(uuid).recordings.size, 0);
    const details = await run.send({ payload: { operation: 'live-details', call_uuid: uuid } });
    assert.equal(details.output.payload.call_uuid, uuid);
    assert.equal(details.output.payload.direction, 'outbound');
    const list = await run.send({ payload: { operation: 'live-calls', call_direction: 'outbound', to_number: '+4930123456' } });
    assert.deepEqual(list.output.payload.calls, [uuid]);
    const paths = sent().map((r) => `${r.method} ${r.path.replace(`/v1/Account/${sandbox.account.authId}/`, '')}`);
    assert.deepEqual(paths, [
      `POST Call/${uuid}/DTMF/`, `POST Call/${uuid}/Record/`, `DELETE Call/${uuid}/Record/`, `GET Call/${uuid}/?status=live`,
      'GET Call/?call_direction=outbound&to_number=%2B4930123456&status=live',
    ]);
  });

  it('bad input ends as an error naming the field and value, at Catch, and sends nothing', async () => {
    const run = await load({ operation: 'send-digits' });
    const { error } = await run.send({ payload: { call_uuid: CALL, digits: '12;rm' } });
    assert.match(error.error.message, /msg\.payload\.digits must be 1 to 256 .*\(got "12;rm"\)/);
    assert.equal(sent().length, 0);
  });

  it('a transfer whose URL names a plivo webhook node sends that node\'s Public URL and path, and Plivo\'s request reaches it', async () => {
    const uuid = sandbox.addCall();
    const run = await load({ operation: 'transfer', aleg_url: 'hook', aleg_urlType: 'plivo-webhook' });
    const { output } = await run.send({ payload: { call_uuid: uuid } });
    assert.equal(output.statusCode, 202);
    assert.equal(sent()[0].json.aleg_url, `http://127.0.0.1:${routes.port}/plivo/events`);
    await sandbox.webhooksSettled();
    assert.equal(sandbox.webhooks[0].status, 200, 'the webhook node accepted the signed request');
    assert.equal(run.heard.length, 1);
    assert.equal(run.heard[0].payload.CallUUID, uuid);
    assert.equal(run.heard[0].payload.Event, 'Transfer');
  });

  it('a URL naming a plivo webhook node without a Public URL is an error saying so, and sends nothing', async () => {
    const run = await load({ operation: 'transfer', aleg_url: 'hook', aleg_urlType: 'plivo-webhook' }, { webhookProps: { publicUrl: '' } });
    const { error } = await run.send({ payload: { call_uuid: CALL } });
    assert.match(error.error.message, /the plivo webhook node "menu", which has no Public URL/);
    await helper.unload();
    const gone = await load({ operation: 'transfer', aleg_url: 'nothing-here', aleg_urlType: 'plivo-webhook' });
    const missing = await gone.send({ payload: { call_uuid: CALL } });
    assert.match(missing.error.error.message, /names a plivo webhook node that is not deployed/);
    assert.equal(sent().length, 0);
  });

  it('reads only the typed settings of the message\'s operation: a transfer URL left saved does not stop a hang-up', async () => {
    const uuid = sandbox.addCall();
    const run = await load({ operation: 'msg', aleg_url: 'gone-webhook-node', aleg_urlType: 'plivo-webhook' });
    const { output } = await run.send({ payload: { operation: 'hangup', call_uuid: uuid } });
    assert.equal(output.statusCode, 204);
    const other = sandbox.addCall();
    const { error } = await run.send({ payload: { operation: 'transfer', call_uuid: other } });
    assert.match(error.error.message, /names a plivo webhook node that is not deployed/);
    assert.equal(sent().length, 1);
  });

  it('keeps messages in order when only some operations read a typed setting', async () => {
    const uuid = sandbox.addCall();
    // One request a second: they start in the order they were submitted.
    const run = await load({ operation: 'msg', digits: '"1" & "2"', digitsType: 'jsonata' }, { configProps: { rateLimit: '1', rateWindow: '1' } });
    run.node.receive({ payload: { operation: 'send-digits', call_uuid: uuid } });
    run.node.receive({ payload: { operation: 'hangup', call_uuid: uuid } });
    await run.waitFor(2, 50, 15_000);
    assert.deepEqual(run.all.map((outcome) => outcome.output?.statusCode ?? outcome.error.error.message), [202, 204]);
    assert.deepEqual(sandbox.call(uuid), undefined);
    assert.deepEqual(sent().map((r) => r.method), ['POST', 'DELETE']);
  });

  describe('sent at most once', () => {
    for (const [fault, what] of [[{ status: 500, body: { error: 'internal' } }, 'a 500'], [{ kind: 'reset' }, 'a reset']]) {
      it(`a hang-up that met ${what} is not tried again (a play would be)`, async () => {
        const uuid = sandbox.addCall();
        const run = await load({ operation: 'hangup' });
        sandbox.fail(fault);
        const { error } = await run.send({ payload: { call_uuid: uuid } });
        assert.equal(sent().length, 1, 'one request');
        if (fault.status) assert.match(error.error.message, /not tried again: it may have reached Plivo/);
        sandbox.reset();
        sandbox.fail(fault);
        const played = new Outcomes(run.play, helper.getNode('out'), helper.getNode('caught'));
        run.play.receive({ payload: { call_uuid: uuid, urls: HOLD } });
        await played.waitFor(1);
        assert.equal(sent().length, 2, 'the play was tried again');
      });
    }

    it('a hang-up that met a 429 is sent again: Plivo did nothing', async () => {
      const uuid = sandbox.addCall();
      const run = await load({ operation: 'hangup' }, { configProps: { rateLimitWait: '10' } });
      sandbox.fail({ status: 429, body: { error: 'too many requests' }, headers: { 'retry-after': '0' } });
      const { output } = await run.send({ payload: { call_uuid: uuid } });
      assert.equal(output.statusCode, 204);
      assert.equal(sent().length, 2);
    });
  });

  describe('a call that has ended costs no more requests', () => {
    it('after plivo call hung it up, a request for it ends at once with CALL_ENDED, sending nothing', async () => {
      const uuid = sandbox.addCall();
      const run = await load({ operation: 'msg' });
      await run.send({ payload: { operation: 'hangup', call_uuid: uuid } });
      const { error } = await run.send({ payload: { operation: 'send-digits', call_uuid: uuid, digits: '1' } });
      assert.match(error.error.message, /^Not sent: the call has ended \(at \d\d:\d\d:\d\d, hung up by plivo call\)/);
      assert.ok(isCallEnded(error), 'CALL_ENDED (msg.error.code from Node-RED 4)');
      const details = await run.send({ payload: { operation: 'live-details', call_uuid: uuid } });
      assert.equal(details.error.statusCode, 404, 'live details is still asked');
      assert.equal(sent().length, 2);
      assert.match(run.node.status.lastCall.args[0].text, /with-skipped/);
    });

    it('after Plivo\'s first 404 for a call, its other requests end unsent', async () => {
      const uuid = sandbox.addCall();
      sandbox.hangUp(uuid);
      const run = await load({ operation: 'send-digits', digits: '5' });
      const first = await run.send({ payload: { call_uuid: uuid } });
      assert.equal(first.error.statusCode, 404);
      const second = await run.send({ payload: { call_uuid: uuid } });
      assert.ok(isCallEnded(second.error));
      assert.match(second.error.error.message, /Plivo answered 404 for it/);
      assert.equal(sent().length, 1);
    });

    it('its hangup webhook ends the plays still queued for it, unsent, and the other calls\' plays go on', async () => {
      const ending = sandbox.addCall(undefined, { hangupUrl: `http://127.0.0.1:${routes.port}/plivo/events` });
      const staying = sandbox.addCall();
      const run = await load({}, { configProps: { rateLimit: '2', rateWindow: '1' } });
      const outcomes = new Outcomes(run.play, helper.getNode('out'), helper.getNode('caught'));
      for (let i = 0; i < 4; i += 1) {
        run.play.receive({ payload: { call_uuid: ending, urls: HOLD }, n: i });
        run.play.receive({ payload: { call_uuid: staying, urls: HOLD }, n: i });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      sandbox.hangUp(ending);
      await sandbox.webhooksSettled();
      assert.equal(run.heard.length, 1, 'the webhook node passed the hangup on');
      await outcomes.waitFor(8, 100, 15_000);
      const skipped = outcomes.errors.filter(isCallEnded);
      const endingRequests = sent().filter((r) => r.path.includes(ending)).length;
      assert.ok(skipped.length >= 2, `${skipped.length} skipped`);
      assert.equal(skipped.length + endingRequests, 4, 'each play of the ended call was sent before the hangup or skipped');
      assert.ok(skipped.every((msg) => /told by its hangup webhook/.test(msg.error.message)));
      assert.equal(sent().filter((r) => r.path.includes(staying) && r.status === 202).length, 4, 'the live call got every play');
    });

    it('only Plivo\'s own 404 for the call itself ends it: not an empty 404, not live details, not digits to the B leg', async () => {
      const uuid = sandbox.addCall();
      const run = await load({ operation: 'msg' });
      sandbox.fail({ status: 404, body: '' });
      const empty = await run.send({ payload: { operation: 'send-digits', call_uuid: uuid, digits: '1' } });
      assert.equal(empty.error.statusCode, 404, 'an empty 404 (a proxy, a wrong path) ...');
      sandbox.fail({ status: 404, body: { api_id: 'a1', error: 'not found' } });
      const bleg = await run.send({ payload: { operation: 'send-digits', call_uuid: uuid, digits: '1', leg: 'bleg' } });
      assert.equal(bleg.error.statusCode, 404, 'Plivo\'s 404 for digits to a B leg ...');
      sandbox.fail({ status: 404, body: { api_id: 'a2', error: 'not found' } });
      const details = await run.send({ payload: { operation: 'live-details', call_uuid: uuid } });
      assert.equal(details.error.statusCode, 404, 'Plivo\'s 404 for live details ...');
      const { output } = await run.send({ payload: { operation: 'send-digits', call_uuid: uuid, digits: '2' } });
      assert.equal(output.statusCode, 202, '... none of them ended the call');
      sandbox.fail({ status: 404, body: { api_id: 'a3', error: 'not found' } });
      const own = await run.send({ payload: { operation: 'send-digits', call_uuid: uuid, digits: '3', leg: 'aleg' } });
      assert.equal(own.error.statusCode, 404);
      const after = await run.send({ payload: { operation: 'hangup', call_uuid: uuid } });
      assert.ok(isCallEnded(after.error), 'Plivo\'s own 404 for digits to the call itself did');
      assert.equal(sent().length, 5);
    });

    it('a 404 from an account node with the same Auth ID and another base URL says nothing about this one\'s calls', async () => {
      const other = await startSandbox({ ...sandbox.account });
      try {
        const uuid = sandbox.addCall();
        await helper.unload();
        const flow = [
          { id: 'tab', type: 'tab', label: 'test' },
          { id: 'cfg', type: 'plivo-config', name: 'account', baseUrl: sandbox.url },
          { id: 'wrong', type: 'plivo-config', name: 'same Auth ID, another base URL', baseUrl: other.url },
          { id: 'call', type: 'plivo-call', z: 'tab', x: 300, y: 100, account: 'cfg', operation: 'send-digits', digits: '1', wires: [['out']] },
          { id: 'stray', type: 'plivo-call', z: 'tab', x: 300, y: 200, account: 'wrong', operation: 'send-digits', digits: '1', wires: [['out']] },
          { id: 'out', type: 'helper', z: 'tab', x: 500, y: 100, wires: [] },
          { id: 'catcher', type: 'catch', z: 'tab', x: 300, y: 300, scope: null, uncaught: false, wires: [['caught']] },
          { id: 'caught', type: 'helper', z: 'tab', x: 500, y: 300, wires: [] },
        ];
        await helper.load([configNode, callNode], flow, credentialsFor(sandbox, 'cfg', 'wrong'));
        const stray = new Outcomes(helper.getNode('stray'), helper.getNode('out'), helper.getNode('caught'));
        const strayAnswer = await stray.send({ payload: { call_uuid: uuid } });
        assert.equal(strayAnswer.error.statusCode, 404, 'the other base URL knows no such call');
        const run = new Outcomes(helper.getNode('call'), helper.getNode('out'), helper.getNode('caught'));
        const { output } = await run.send({ payload: { call_uuid: uuid } });
        assert.equal(output.statusCode, 202, 'this account\'s call was not taken for ended');
      } finally {
        await other.close();
      }
    });

    it('a call UUID in capitals is the same call: after a hang-up in lower case, a request in capitals ends unsent', async () => {
      const uuid = sandbox.addCall();
      const run = await load({ operation: 'msg' });
      await run.send({ payload: { operation: 'hangup', call_uuid: uuid } });
      const { error } = await run.send({ payload: { operation: 'send-digits', call_uuid: uuid.toUpperCase(), digits: '1' } });
      assert.ok(isCallEnded(error));
      assert.equal(sent().length, 1);
    });

    it('turned off on the account, requests for an ended call are sent', async () => {
      const uuid = sandbox.addCall();
      sandbox.hangUp(uuid);
      const run = await load({ operation: 'send-digits', digits: '5' }, { configProps: { skipEndedCalls: false } });
      await run.send({ payload: { call_uuid: uuid } });
      const again = await run.send({ payload: { call_uuid: uuid } });
      assert.equal(again.error.statusCode, 404);
      assert.equal(sent().length, 2);
    });
  });

  describe('calls placed through the API: cancel a call request, the queued calls', () => {
    /** Places calls on the sandbox as Make a call does; Plivo's answer. */
    async function placeCalls(to) {
      const answer = await sandboxApi(sandbox, 'POST', 'Call/', {
        from: '+14155550100', to: to.join('<'), answer_url: `http://127.0.0.1:${routes.port}/plivo/events`, ring_timeout: 60,
      });
      return answer.body;
    }

    it('lists the requests Plivo still holds queued, and cancels one: it never starts; a second cancel is Plivo\'s 404', async () => {
      await sandbox.close();
      sandbox = await startOwnSandbox(startSandbox, { cps: 1 });
      // One call a second: the last of five starts four seconds after the first.
      const placed = await placeCalls(['+14155550002', '+14155550102', '+14155550202', '+14155550302', '+14155550402']);
      const run = await load({ operation: 'msg' });
      const queued = await run.send({ payload: { operation: 'queued-calls' } });
      assert.equal(queued.output.statusCode, 200);
      const waiting = queued.output.payload.calls;
      assert.deepEqual(waiting, placed.request_uuid.slice(placed.request_uuid.length - waiting.length), 'the last ones, in order');
      const last = placed.request_uuid.at(-1);
      assert.ok(waiting.includes(last));
      const { output } = await run.send({ payload: { operation: 'cancel-request', request_uuid: last } });
      assert.equal(output.statusCode, 204);
      assert.equal(run.node.status.lastCall.args[0].text, textKey('status.cancel-request'));
      const again = await run.send({ payload: { operation: 'cancel-request', request_uuid: last } });
      assert.equal(again.error.statusCode, 404);
      const after = await run.send({ payload: { operation: 'queued-calls' } });
      assert.ok(!after.output.payload.calls.includes(last), 'the cancelled request is no longer queued');
    });

    it('a cancel that met a reset is not sent again (at most once); a bad request UUID sends nothing', async () => {
      const run = await load({ operation: 'cancel-request', request_uuid: 'uuid', request_uuidType: 'msg' });
      sandbox.fail({ kind: 'reset' });
      const { error } = await run.send({ uuid: CALL, payload: {} });
      assert.ok(error);
      assert.equal(sent().length, 1);
      const bad = await run.send({ uuid: 'Request/x', payload: {} });
      assert.match(bad.error.error.message, /msg\.uuid must be a request UUID/);
      assert.equal(sent().length, 1);
    });
  });

  it('shows what it did in its status', async () => {
    const uuid = sandbox.addCall();
    const run = await load({ operation: 'live-details' });
    await run.send({ payload: { call_uuid: uuid } });
    assert.equal(run.node.status.lastCall.args[0].text, textKey('status.live-details'));
  });
});
