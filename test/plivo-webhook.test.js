'use strict';
const assert = require('node:assert/strict');
const { validateV3Signature } = require('plivo/dist/utils/v3Security.js');
const { helper, AUTH_TOKEN } = require('./support');
const { CALL, PATH, request, form, waitFor, webhookHarness } = require('./webhook-support');
const { signV3 } = require('../dist/nodes/lib/webhook/signature.js');
const { SeenSignatures } = require('../dist/nodes/lib/webhook/replay-guard.js');
const { validHost } = require('../dist/nodes/lib/webhook/request.js');
const { plivoSignature, sendWebhook } = require('../sandbox/plivo-sandbox.js');

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

describe('validHost', () => {
  it('takes a host name, IPv4 or bracketed IPv6 address with an optional port, and nothing else', () => {
    for (const host of ['flows.example.com', 'flows.example.com:8080', 'FLOWS.example.com.', '127.0.0.1:1880', '[::1]:1880', 'localhost', 'node_red-1']) {
      assert.equal(validHost(host), host);
    }
    for (const host of [undefined, '', '[', 'a b', 'x:99999', 'x:', 'h/p', 'h?q', 'h#f', 'u@h', '[:::::]', '[::1', 'h:80:80', 'x'.repeat(300)]) {
      assert.equal(validHost(host), undefined, JSON.stringify(host));
    }
  });
});

describe('SeenSignatures', () => {
  it('refuses a signature seen within the time kept, forgets it after, and never holds more than its capacity', () => {
    const cache = new SeenSignatures(1000, 3);
    assert.equal(cache.seen('a', 0), false);
    assert.equal(cache.seen('a', 999), true);
    assert.equal(cache.seen('a', 1000), false, 'kept 1000 ms');
    for (const nonce of ['b', 'c', 'd', 'e']) cache.seen(nonce, 1001);
    assert.equal(cache.size, 3);
  });

  it('by default remembers a signature for 4 hours (a call\'s longest life), not 10 minutes', () => {
    const cache = new SeenSignatures();
    assert.equal(cache.seen('sig', 0), false);
    assert.equal(cache.seen('sig', 11 * 60_000), true, '11 minutes later');
    assert.equal(cache.seen('sig', 4 * 3600_000 - 1), true, 'just under 4 hours later');
    assert.equal(cache.seen('other', 0), false);
    assert.equal(cache.seen('other', 4 * 3600_000), false, 'forgotten at 4 hours');
  });
});

describe('plivo-webhook node', function () {
  this.timeout(10_000);
  const harness = webhookHarness();
  const { load, signed, localUrl } = harness;
  let port;
  before(() => {
    port = harness.port();
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
        await waitFor(() => statuses.at(-1)?.fill === 'yellow', 'the status shows rejections');
      });
    }

    it('a replay of a request already accepted', async () => {
      const { messages, warnings } = await load();
      const replayed = { headers: signed(CALL), body: form(CALL) };
      assert.equal((await request(port, replayed)).status, 200);
      const answer = await request(port, replayed);
      assert.equal(answer.status, 403);
      assert.equal(messages.length, 1);
      assert.match(warnings[0], /reject\.replayed/);
    });

    it('a flood: one warning per 10 s, counting the ones held back; the status counts each', async () => {
      const { warnings, statuses } = await load();
      for (let i = 0; i < 20; i += 1) await request(port, { headers: signed(CALL, { token: 'wrong' }), body: form(CALL) });
      assert.equal(warnings.length, 1);
      await waitFor(() => /"rejected":20/.test(statuses.at(-1)?.text), 'the last count shown');
      assert.ok(statuses.length <= 3, `${statuses.length} status updates for 20 requests in well under a second`);
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

describe('plivo webhook behind a body parser of the user\'s own (httpNodeMiddleware)', function () {
  this.timeout(20_000);
  const bodyParser = require('body-parser');
  const harness = webhookHarness();
  const params = { ...CALL, 'Digits[0]': '1' };
  const nested = { ...CALL, 'Y[a][b]': 'c' };
  afterEach(() => helper.settings({}));

  async function withMiddleware(middleware) {
    helper.settings({ httpNodeMiddleware: middleware });
    return harness.load();
  }

  it('a parser that keeps the raw text (req.rawBody): the signature is checked against it, bracketed names pass', async () => {
    const { messages } = await withMiddleware(bodyParser.urlencoded({ extended: true, verify: (req, _res, raw) => { req.rawBody = raw; } }));
    const answer = await request(harness.port(), { headers: harness.signed(params), body: form(params) });
    assert.equal(answer.status, 200);
    assert.equal(messages[0].payload['Digits[0]'], '1');
  });

  it('a plain parser (flat fields): its fields written back as a form are what Plivo signed', async () => {
    const { messages } = await withMiddleware(bodyParser.urlencoded({ extended: false }));
    assert.equal((await request(harness.port(), { headers: harness.signed(params), body: form(params) })).status, 200);
    assert.equal(messages.length, 1);
  });

  it('an extended parser that turned Digits[0] into an array: refused, and the warning says a parser before the node changed the body', async () => {
    const { messages, warnings } = await withMiddleware(bodyParser.urlencoded({ extended: true }));
    assert.equal((await request(harness.port(), { headers: harness.signed(params), body: form(params) })).status, 403);
    assert.equal(messages.length, 0);
    assert.match(warnings[0], /reject\.bad-signature-parsed/);
  });

  it('an extended parser that nested Y[a][b]: refused (500), saying the parameters as Plivo signed them are gone', async () => {
    const { messages, warnings } = await withMiddleware(bodyParser.urlencoded({ extended: true }));
    const answer = await request(harness.port(), { headers: harness.signed(nested), body: form(nested) });
    assert.equal(answer.status, 500);
    assert.equal(messages.length, 0);
    assert.match(warnings[0], /reject\.body-parsed/);
  });
});
