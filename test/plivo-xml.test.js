'use strict';
/**
 * plivo xml in a flow: the dialog's elements with typed values, elements a flow sends, the URL
 * of a plivo webhook node (Public URL, or the answered request's scheme and Host), errors at
 * Catch or the error output with no XML, strange messages; and a menu answered to the sandbox,
 * which runs the XML and posts the caller's key to the digits webhook.
 */
const assert = require('node:assert/strict');
const { startSandbox } = require('../sandbox/plivo-sandbox.js');
const xmlNode = require('../dist/nodes/plivo-xml.js').default;
const webhookNode = require('../dist/nodes/plivo-webhook.js').default;
const { rememberCheckedBase } = require('../dist/nodes/lib/webhook/checked-bases.js');
const path = require('node:path');
const { nodeRedPackage } = require('../scripts/dev-runtime.js');
const { helper, configNode, Outcomes, startOwnSandbox, credentialsFor, nodeRoutes } = require('./support.js');

/** Node-RED's own http in / http response nodes, from the Node-RED under test. */
const httpNodes = require(path.join(nodeRedPackage, '..', '@node-red', 'nodes', 'core', 'network', '21-httpin.js'));

const row = (element, { text, textType = 'str', attributes = [], children = [] } = {}) => ({
  element, ...(text === undefined ? {} : { text, textType }), attributes: attributes.map(([name, value, type = 'str']) => ({ name, value, type })), children,
});

describe('plivo xml node', () => {
  let sandbox;
  const routes = nodeRoutes();
  beforeEach(async () => {
    sandbox = await startOwnSandbox(startSandbox);
  });
  afterEach(async () => {
    await helper.unload();
    await sandbox.close();
  });

  /** plivo xml `xml` -> helper `out`, a Catch -> `caught`, and two plivo webhook nodes: `digits` (with `digitsProps`) and `menu`. */
  async function load(xmlProps = {}, { digitsProps = {}, extra = [] } = {}) {
    const flow = [
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 'cfg', type: 'plivo-config', name: 'account', baseUrl: sandbox.url },
      { id: 'xml', type: 'plivo-xml', z: 'tab', x: 300, y: 100, elements: [], wires: [['out']], ...xmlProps },
      { id: 'out', type: 'helper', z: 'tab', x: 500, y: 100, wires: [] },
      { id: 'catcher', type: 'catch', z: 'tab', x: 300, y: 300, scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab', x: 500, y: 300, wires: [] },
      {
        id: 'digits', type: 'plivo-webhook', z: 'tab', x: 100, y: 400, name: 'menu digits', account: 'cfg', url: '/plivo/digits', method: 'post',
        publicUrl: 'https://flows.example.com', answerXml: '', wires: [[]], ...digitsProps,
      },
      ...extra,
    ];
    await helper.load([configNode, xmlNode, webhookNode, httpNodes, routes.capture], flow, credentialsFor(sandbox));
    return new Outcomes(helper.getNode('xml'), helper.getNode('out'), helper.getNode('caught'));
  }

  it('writes the dialog\'s elements into msg.payload, with the content type in msg.headers (kept headers too)', async () => {
    const run = await load({ elements: [row('Speak', { text: 'Hello', attributes: [['voice', 'MAN', 'choice'], ['loop', '2', 'num']] }), row('Hangup')] });
    const { output } = await run.send({ payload: { CallUUID: 'x' }, headers: { 'x-kept': 'yes' }, topic: 'answer' });
    assert.equal(output.payload, '<Response><Speak voice="MAN" loop="2">Hello</Speak><Hangup/></Response>');
    assert.deepEqual(output.headers, { 'x-kept': 'yes', 'content-type': 'application/xml' });
    const stale = await run.send({ payload: {}, headers: { 'x-kept': 'yes', 'Content-Length': '999', 'transfer-encoding': 'chunked', 'Content-Type': 'text/html' } });
    assert.deepEqual(stale.output.headers, { 'x-kept': 'yes', 'content-type': 'application/xml' }, 'headers about another body go');
    const upstream = await run.send({ payload: {}, headers: { 'set-cookie': ['crm=1'], 'x-node-red-request-node': 'abc' } });
    assert.deepEqual(upstream.output.headers, { 'content-type': 'application/xml' }, 'an http request node\'s headers are not the answer\'s');
    assert.equal(output.topic, 'answer');
  });

  it('reads typed values at each message (msg, flow, env, JSONata), and a message\'s own elements after the dialog\'s', async () => {
    process.env.PLIVO_XML_TEST_LANGUAGE = 'de-DE';
    const run = await load({
      elements: [
        row('Speak', { text: 'greeting', textType: 'msg', attributes: [['language', 'PLIVO_XML_TEST_LANGUAGE', 'env']] }),
        row('Wait', { attributes: [['length', '$number(payload.pause) + 1', 'jsonata']] }),
      ],
      more: 'menu', moreType: 'msg',
    });
    const { output } = await run.send({ greeting: 'Guten Tag', payload: { pause: 2 }, menu: [{ element: 'Redirect', text: 'https://flows.example.com/next' }] });
    assert.equal(output.payload, '<Response><Speak language="de-DE">Guten Tag</Speak><Wait length="3"/><Redirect>https://flows.example.com/next</Redirect></Response>');
    const second = await run.send({ greeting: 'Hallo', payload: { pause: 0 } });
    assert.equal(second.output.payload, '<Response><Speak language="de-DE">Hallo</Speak><Wait length="1"/></Response>');
    delete process.env.PLIVO_XML_TEST_LANGUAGE;
  });

  it('an action naming a plivo webhook node writes its Public URL, path and method', async () => {
    const run = await load({ elements: [row('GetDigits', { attributes: [['action', 'digits', 'plivo-webhook']], children: [row('Speak', { text: 'Press 1' })] })] },
      { digitsProps: { method: 'get' } });
    const { output } = await run.send({ payload: {} });
    assert.equal(output.payload, '<Response><GetDigits action="https://flows.example.com/plivo/digits" method="GET"><Speak>Press 1</Speak></GetDigits></Response>');
  });

  it('without a Public URL, the webhook\'s URL takes the base a plivo webhook checked for the request answered, and no other Host', async () => {
    const run = await load({ elements: [row('Redirect', { text: 'digits', textType: 'plivo-webhook' })] }, { digitsProps: { publicUrl: '' } });
    const checked = { protocol: 'http', headers: { host: 'node-red.local:1880' } };
    rememberCheckedBase(checked, 'http://node-red.local:1880');
    const { output } = await run.send({ payload: {}, req: checked });
    assert.equal(output.payload, '<Response><Redirect method="POST">http://node-red.local:1880/plivo/digits</Redirect></Response>');
    const { error } = await run.send({ payload: {} });
    assert.match(error.error.message, /^Invalid input: element 1 \(Redirect\) text \(from the plivo webhook node digits\) is the plivo webhook node "menu digits", which has no Public URL, and the message answers no request a plivo webhook node checked/);
    const spoofed = await run.send({ payload: {}, req: { protocol: 'https', headers: { host: 'attacker.example:8443' } } });
    assert.match(spoofed.error.error.message, /which has no Public URL/, 'a Host no signature checked (an http in node\'s request) is not used');
    const copied = await run.send({ payload: {}, req: { ...checked } });
    assert.match(copied.error.error.message, /which has no Public URL/, 'a copy of a checked request is not the request checked');
  });

  it('bad input is an error at Catch naming element, attribute, source and value, and no XML goes on', async () => {
    const run = await load({ elements: [row('Speak', { text: 'Hi', attributes: [['voice', 'voice', 'msg'], ['language', 'en-IN', 'choice']] })] });
    const { error } = await run.send({ payload: {}, voice: 'MAN' });
    assert.equal(error.error.message, 'Invalid input: element 1 (Speak) voice asks for the MAN voice, but en-IN (English (India)) has only WOMAN (got "MAN")');
    assert.equal(error.payload.constructor, Object, 'the message as it came, for a Catch flow that still answers');
    assert.equal(run.outputs.length, 0);
  });

  it('with the error output, errors go there with msg.error, and the first output gets nothing', async () => {
    const run = await load({ elements: [row('Wait', { attributes: [['length', 'n', 'msg']] })], errorOutput: true, outputs: 2, wires: [['out'], ['out']] });
    const { output } = await run.send({ payload: {}, n: 'soon' });
    assert.match(output.error.message, /element 1 \(Wait\) length \(from msg\.n\) must be a whole number from 1 \(got "soon"\)/);
    assert.equal(output.payload.constructor, Object);
  });

  it('fixed elements are written once, at deploy; invalid ones are said at deploy and at each message', async () => {
    const run = await load({ elements: [row('Dial')] });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const { error } = await run.send({ payload: {} });
    assert.match(error.error.message, /element 1 \(Dial\) needs at least one element inside it \(Number, User\)/);
    const logged = helper.log().args.filter((args) => args[0].level === helper.log().ERROR && args[0].type === 'plivo-xml');
    assert.ok(logged.some((args) => /needs at least one element inside it/.test(args[0].msg)), 'logged at deploy');
  });

  it('strange messages end once each and do not disturb the next: frozen, a throwing getter, a read-only payload', async () => {
    const run = await load({ elements: [row('Speak', { text: 'text', textType: 'msg' })] });
    const frozen = await run.send(Object.freeze({ payload: {}, text: 'frozen' }));
    assert.match(frozen.error.error.message, /the XML could not be written into the message/);
    const getter = {};
    Object.defineProperty(getter, 'text', { get() { throw new Error('no text for you'); }, enumerable: false });
    getter.payload = {};
    const thrown = await run.send(getter);
    assert.ok(thrown.error, 'the throwing getter ended as an error');
    const readOnly = { text: 'read only' };
    Object.defineProperty(readOnly, 'payload', { value: {}, writable: false, enumerable: true });
    const refused = await run.send(readOnly);
    assert.ok(refused.error);
    const { output } = await run.send({ payload: {}, text: 'after all that' });
    assert.equal(output.payload, '<Response><Speak>after all that</Speak></Response>');
  });

  it('keeps message order while typed values are read', async () => {
    const run = await load({ elements: [row('Speak', { text: '"n" & $string(payload)', textType: 'jsonata' })] });
    for (let i = 0; i < 20; i += 1) helper.getNode('xml').receive({ payload: i });
    await run.waitFor(20);
    assert.deepEqual(run.outputs.map((msg) => msg.payload), Array.from({ length: 20 }, (_, i) => `<Response><Speak>n${i}</Speak></Response>`));
  });

  it('answers a sandbox call: the menu waits for a key, the key reaches the digits webhook, signed, and its XML runs', async () => {
    const extra = [
      { id: 'answer', type: 'plivo-webhook', z: 'tab', x: 100, y: 500, name: 'answer', account: 'cfg', url: '/plivo/answer', method: 'post', publicUrl: '', answerXml: '', wires: [['xml']] },
      { id: 'respond', type: 'http response', z: 'tab', x: 500, y: 500, statusCode: '', headers: {}, wires: [] },
      { id: 'chosen', type: 'plivo-xml', z: 'tab', x: 300, y: 600, elements: [row('Speak', { text: '"You pressed " & payload.Digits', textType: 'jsonata' }), row('Hangup')], wires: [['respond']] },
    ];
    await load({
      elements: [row('GetDigits', { attributes: [['action', 'digits', 'plivo-webhook'], ['numDigits', '1', 'num']], children: [row('Speak', { text: 'Press a key' })] })],
      wires: [['out', 'respond']],
    }, { digitsProps: { publicUrl: '', wires: [['chosen']] }, extra });
    const placed = await fetch(`${sandbox.url}/sandbox/calls`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ answer_url: `http://127.0.0.1:${routes.port}/plivo/answer` }),
    });
    const { call_uuid: uuid, webhook_answer: answer } = await placed.json();
    assert.equal(answer, `<Response><GetDigits action="http://127.0.0.1:${routes.port}/plivo/digits" numDigits="1" method="POST"><Speak>Press a key</Speak></GetDigits></Response>`);
    const deadline = Date.now() + 5000;
    while (!sandbox.press(uuid, '7#')) {
      if (Date.now() > deadline) throw new Error('the call never waited for a key');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    while (sandbox.call(uuid)) {
      if (Date.now() > deadline) throw new Error('the call did not end');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.deepEqual(sandbox.callLog(uuid).map((entry) => [entry.element, entry.text ?? entry.digits ?? entry.cause]), [
      ['Speak', 'Press a key'], ['GetDigits', '7'], ['Speak', 'You pressed 7'], ['Hangup', undefined], ['end', 'NORMAL_CLEARING'],
    ]);
  });

  it('XML Plivo would refuse ends the sandbox call: an answer-at-once with a Number outside a Dial', async () => {
    await load({}, {
      extra: [{ id: 'bad', type: 'plivo-webhook', z: 'tab', x: 100, y: 500, name: 'bad', account: 'cfg', url: '/plivo/bad', method: 'post', publicUrl: '', answerXml: '<Response><Number>+1</Number></Response>', wires: [[]] }],
    });
    const placed = await fetch(`${sandbox.url}/sandbox/calls`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ answer_url: `http://127.0.0.1:${routes.port}/plivo/bad` }),
    });
    const { call_uuid: uuid } = await placed.json();
    const deadline = Date.now() + 5000;
    while (sandbox.call(uuid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(sandbox.callLog(uuid).map((entry) => entry.error ?? entry.cause), ['<Number> cannot be inside <Response>', 'XML_INVALID']);
  });
});
