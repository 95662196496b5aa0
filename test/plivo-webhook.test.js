'use strict';
const assert = require('node:assert/strict');
const http = require('node:http');
const { validateV3Signature } = require('plivo/dist/utils/v3Security.js');
const { helper, configNode, AUTH_ID, AUTH_TOKEN } = require('./support');
const webhookNode = require('../dist/nodes/plivo-webhook.js').default;
const { signV3, NonceCache } = require('../dist/nodes/lib/webhook/signature.js');
const { plivoSignature, sendWebhook } = require('../sandbox/plivo-sandbox.js');
const httpNodes = require('@node-red/nodes/core/network/21-httpin.js');
const changeNode = require('@node-red/nodes/core/function/15-change.js');

const CALL = { CallUUID: 'b7d0a5c6-43a8-4d2e-9a8e-2f1e6c3b9a10', From: '+14155550100', To: '+14155550111', Direction: 'inbound', CallStatus: 'ringing' };
const PATH = '/plivo/answer';

describe('webhook signatures agree with the official plivo SDK', () => {
  const nonce = '05429567804466091622';
  const cases = [
    ['POST', 'https://flows.example.com/plivo/answer', CALL],
    ['POST', 'https://flows.example.com/plivo/answer?tenant=b&tenant=a&flow=1', CALL],
    ['POST', 'https://flows.example.com/plivo/answer', { Digits: '1 2', Multi: ['b', 'a'] }],
    ['GET', 'https://flows.example.com/plivo/answer?CallUUID=abc&From=%2B14155550100&To=+1', {}],
    ['GET', 'http://127.0.0.1:1880/plivo/answer', {}],
  ];
  for (const [method, url, params] of cases) {
    it(`${method} ${url}${Object.keys(params).length ? ' with parameters' : ''}`, () => {
      const asLists = Object.fromEntries(Object.entries(params).map(([name, value]) => [name, [].concat(value)]));
      const ours = signV3(AUTH_TOKEN, method, url, asLists, nonce);
      assert.equal(validateV3Signature(method, url, nonce, AUTH_TOKEN, ours, params), true, 'the SDK accepts the node\'s signer');
      assert.equal(plivoSignature(AUTH_TOKEN, method, url, params, nonce), ours, 'the sandbox signs as the node checks');
      assert.equal(validateV3Signature(method, url, nonce, `${AUTH_TOKEN}x`, ours, params), false);
    });
  }
});

describe('NonceCache', () => {
  it('refuses a nonce seen within the time kept, forgets it after, and never holds more than its capacity', () => {
    const cache = new NonceCache(1000, 3);
    assert.equal(cache.seen('a', 0), false);
    assert.equal(cache.seen('a', 999), true);
    assert.equal(cache.seen('a', 1000), false, 'kept 1000 ms');
    for (const nonce of ['b', 'c', 'd', 'e']) cache.seen(nonce, 1001);
    assert.equal(cache.size, 3);
  });
});

/** A raw request, so that every header (Host included) and the body are exactly as given. */
function request(port, { method = 'POST', path = PATH, headers = {}, body = '' }) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const form = (params) => new URLSearchParams(params).toString();

describe('plivo-webhook node', function () {
  this.timeout(10_000);
  let port;
  // The test helper's RED.httpNode is an express app of its own: served here on a loopback port.
  let nodeApp;
  const captureNodeApp = (RED) => {
    nodeApp = RED.httpNode;
  };
  let server;
  before(async () => {
    server = http.createServer((req, res) => nodeApp(req, res));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = server.address().port;
  });
  after(() => new Promise((resolve) => server.close(resolve)));
  afterEach(() => helper.unload());

  async function load(webhookProps = {}, { respond = true } = {}) {
    const flow = [
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 'cfg', type: 'plivo-config', name: 'account' },
      { id: 'hook', type: 'plivo-webhook', z: 'tab', x: 100, y: 100, account: 'cfg', url: PATH, method: 'post', ...webhookProps, wires: [respond ? ['out', 'xml'] : ['out']] },
      {
        id: 'xml', type: 'change', z: 'tab', x: 300, y: 150, rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '<Response><Speak>hello</Speak></Response>', tot: 'str' }], wires: [['answer']],
      },
      { id: 'answer', type: 'http response', z: 'tab', x: 500, y: 150, statusCode: '', headers: { 'content-type': 'application/xml' }, wires: [] },
      { id: 'out', type: 'helper', z: 'tab', x: 300, y: 100, wires: [] },
    ];
    await helper.load([configNode, webhookNode, httpNodes, changeNode, captureNodeApp], flow, { cfg: { authId: AUTH_ID, authToken: AUTH_TOKEN } });
    const hook = helper.getNode('hook');
    const messages = [];
    helper.getNode('out').on('input', (msg) => messages.push(msg));
    const warnings = [];
    const warn = hook.warn.bind(hook);
    hook.warn = (text) => {
      warnings.push(String(text));
      warn(text);
    };
    const statuses = [];
    const status = hook.status.bind(hook);
    hook.status = (value) => {
      statuses.push(value);
      status(value);
    };
    return { messages, warnings, statuses };
  }

  const localUrl = () => `http://127.0.0.1:${port}${PATH}`;
  const signed = (params, { url = localUrl(), token = AUTH_TOKEN, nonce = `n${Math.random().toString().slice(2)}`, method = 'POST' } = {}) => ({
    'x-plivo-signature-v3': plivoSignature(token, method, url, params, nonce),
    'x-plivo-signature-v3-nonce': nonce,
    'content-type': 'application/x-www-form-urlencoded',
  });

  it('passes a request Plivo signed on as msg.payload, msg.req and msg.res; an http response node answers Plivo', async () => {
    const { messages, warnings } = await load();
    const answer = await sendWebhook(AUTH_TOKEN, localUrl(), CALL);
    assert.equal(answer.status, 200);
    assert.equal(answer.body, '<Response><Speak>hello</Speak></Response>');
    assert.equal(messages.length, 1);
    assert.equal(messages[0].payload.CallUUID, CALL.CallUUID);
    assert.equal(messages[0].req.method, 'POST');
    assert.ok(messages[0].res._res, 'an http response node can answer');
    assert.deepEqual(warnings, []);
  });

  it('gives Plivo\'s parameters with their names, so plivo play finds msg.payload.CallUUID', async () => {
    const { messages } = await load({}, { respond: false });
    helper.getNode('out').removeAllListeners('input');
    helper.getNode('out').on('input', (msg) => {
      messages.push(msg);
      msg.res._res.status(200).end();
    });
    await sendWebhook(AUTH_TOKEN, localUrl(), CALL);
    assert.deepEqual({ ...messages[0].payload }, CALL);
  });

  it('GET: the parameters come in the query and are signed with the URL', async () => {
    const { messages } = await load({ method: 'get', answerXml: '<Response/>' });
    const answer = await sendWebhook(AUTH_TOKEN, localUrl(), CALL, { method: 'GET' });
    assert.equal(answer.status, 200);
    assert.equal(answer.body, '<Response/>');
    assert.deepEqual({ ...messages[0].payload }, CALL);
  });

  it('answer at once: returns the XML straight away and sends the message without msg.res', async () => {
    const { messages } = await load({ answerXml: '<Response><Wait length="60"/></Response>' }, { respond: false });
    const answer = await sendWebhook(AUTH_TOKEN, localUrl(), CALL);
    assert.equal(answer.status, 200);
    assert.equal(answer.body, '<Response><Wait length="60"/></Response>');
    assert.equal(messages.length, 1);
    assert.equal(messages[0].res, undefined);
  });

  describe('refuses with 403, sends no message, counts it and says why', () => {
    const attacks = [
      ['no headers', () => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(CALL) }), /reject\.no-signature/],
      ['an empty signature header', () => ({ headers: { ...signed(CALL), 'x-plivo-signature-v3': '' }, body: form(CALL) }), /reject\.no-signature/],
      ['a malformed signature', () => ({ headers: { ...signed(CALL), 'x-plivo-signature-v3': 'not-base64!' }, body: form(CALL) }), /reject\.malformed-signature/],
      ['a wrong token', () => ({ headers: signed(CALL, { token: 'someone-elses-token' }), body: form(CALL) }), /reject\.bad-signature/],
      ['a tampered parameter', () => ({ headers: signed(CALL), body: form({ ...CALL, From: '+19995550000' }) }), /reject\.bad-signature/],
      ['an added parameter', () => ({ headers: signed(CALL), body: form({ ...CALL, Extra: '1' }) }), /reject\.bad-signature/],
      ['a swapped nonce', () => ({ headers: { ...signed(CALL), 'x-plivo-signature-v3-nonce': '99999999999999999999' }, body: form(CALL) }), /reject\.bad-signature/],
      ['a signature made for another path', () => ({ headers: signed(CALL, { url: `http://127.0.0.1:${port}/plivo/other` }), body: form(CALL) }), /reject\.bad-signature/],
      ['a body too large', () => ({ headers: signed(CALL), body: form({ ...CALL, Pad: 'x'.repeat(70_000) }) }), /reject\.body-too-large/],
    ];
    for (const [name, make, reason] of attacks) {
      it(name, async () => {
        const { messages, warnings, statuses } = await load();
        const answer = await request(port, make());
        assert.equal(answer.status, 403);
        assert.equal(answer.body, 'Forbidden');
        assert.equal(messages.length, 0);
        assert.equal(warnings.length, 1);
        assert.match(warnings[0], reason);
        assert.ok(!warnings[0].includes(AUTH_TOKEN) && !answer.body.includes(AUTH_TOKEN));
        assert.equal(statuses.at(-1).fill, 'yellow', 'the status shows rejections');
      });
    }

    it('a replay of a request already accepted', async () => {
      const { messages, warnings } = await load();
      const replayed = { headers: signed(CALL), body: form(CALL) };
      assert.equal((await request(port, replayed)).status, 200);
      const answer = await request(port, replayed);
      assert.equal(answer.status, 403);
      assert.equal(messages.length, 1);
      assert.match(warnings[0], /reject\.replayed-nonce/);
    });

    it('a flood: one warning per 10 s, counting the ones held back', async () => {
      const { warnings, statuses } = await load();
      for (let i = 0; i < 20; i += 1) await request(port, { headers: signed(CALL, { token: 'wrong' }), body: form(CALL) });
      assert.equal(warnings.length, 1);
      assert.equal(statuses.filter((status) => status.fill === 'yellow').length, 20, 'each one counted');
    });
  });

  describe('the URL Plivo called', () => {
    it('behind a proxy: checks against the public URL, not the address Node-RED sees', async () => {
      const { messages } = await load({ publicUrl: 'https://flows.example.com/' });
      const forPublic = await request(port, { headers: signed(CALL, { url: `https://flows.example.com${PATH}` }), body: form(CALL) });
      assert.equal(forPublic.status, 200);
      const forLocal = await request(port, { headers: signed(CALL), body: form(CALL) });
      assert.equal(forLocal.status, 403);
      assert.equal(messages.length, 1);
    });

    it('without a public URL: uses the Host header as received, and the query string', async () => {
      const { messages } = await load();
      const url = `http://flows.example.com:8080${PATH}?tenant=7`;
      const answer = await request(port, { path: `${PATH}?tenant=7`, headers: { ...signed(CALL, { url }), host: 'flows.example.com:8080' }, body: form(CALL) });
      assert.equal(answer.status, 200);
      const wrongHost = await request(port, { path: `${PATH}?tenant=7`, headers: { ...signed(CALL, { url }), host: 'evil.example.com' }, body: form(CALL) });
      assert.equal(wrongHost.status, 403);
      assert.equal(messages.length, 1);
    });
  });
});
