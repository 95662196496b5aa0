'use strict';
/**
 * plivo webhook as an attacker meets it, through Node-RED's own http app: each test is one
 * attack, and fails without the defence it names.
 */
const assert = require('node:assert/strict');
const { helper, AUTH_TOKEN } = require('./support');
const { plivoSignature } = require('../sandbox/plivo-sandbox.js');
const { CALL, PATH, request, form, settle, waitFor, webhookHarness, pushBody } = require('./webhook-support');

/** The last status with a text: the counts key and its parameters (see webhook-support.js). */
const lastCount = (statuses) => statuses.filter((status) => status.text).at(-1);

describe('plivo webhook under attack', function () {
  this.timeout(30_000);
  const harness = webhookHarness();
  const { load, signed } = harness;
  let port;
  before(() => {
    port = harness.port();
  });

  describe('a signature counts only for this node\'s own URL', () => {
    for (const [signedFor, host] of [
      ['http://flows.example.com/plivo/hangup', 'flows.example.com/plivo/hangup#'],
      ['http://other.example.net/cb?tenant=42', 'other.example.net/cb?tenant=42#'],
    ]) {
      it(`a request Plivo signed for ${signedFor}, sent with Host: ${host}: 400, no message`, async () => {
        const { messages, warnings } = await load();
        const answer = await request(port, { headers: { ...signed(CALL, { url: signedFor }), host }, body: form(CALL) });
        assert.equal(answer.status, 400);
        assert.equal(answer.body, 'Bad Request');
        assert.equal(messages.length, 0);
        assert.match(warnings[0], /reject\.bad-host/);
      });
    }

    it('a Host that is not host[:port] ([, a b, x:99999, [:::::], ...): 400 without a stack, counted, one warning', async () => {
      const { messages, warnings, statuses } = await load();
      const hosts = ['[', 'a b', 'x:99999', 'flows.example.com:80:80', 'user@flows.example.com', '[:::::]', 'x'.repeat(300)];
      for (const host of hosts) {
        const answer = await request(port, { headers: { ...signed(CALL), host }, body: form(CALL) });
        assert.equal(answer.status, 400, host);
        assert.equal(answer.body, 'Bad Request', 'no HTML stack trace');
        assert.match(answer.type, /^text\/plain/);
      }
      assert.equal(messages.length, 0);
      assert.equal(warnings.length, 1, 'refusals are rate-limited in the log like the others');
      await waitFor(() => /"rejected":7/.test(lastCount(statuses)?.text), 'the status counts 7 rejections');
      assert.ok(statuses.length <= 3, `${statuses.length} status updates for 7 requests in well under a second`);
    });

    it('the path is the route\'s own: a signature for another spelling that Express routes here does not pass', async () => {
      const { messages } = await load();
      const spelling = '/PLIVO/Answer/';
      const forSpelling = await request(port, { path: spelling, headers: signed(CALL, { url: `http://127.0.0.1:${port}${spelling}` }), body: form(CALL) });
      assert.equal(forSpelling.status, 403);
      const forRoute = await request(port, { path: spelling, headers: signed(CALL), body: form(CALL) });
      assert.equal(forRoute.status, 200, 'the URL Plivo was given still works');
      assert.equal(messages.length, 1);
    });

    it('X-Forwarded-Proto counts only when Node-RED trusts the proxy, and only as http or https', async () => {
      const { messages } = await load();
      const httpsUrl = `https://127.0.0.1:${port}${PATH}`;
      const viaProxy = (proto) => ({ headers: { ...signed(CALL, { url: httpsUrl }), 'x-forwarded-proto': proto }, body: form(CALL) });
      assert.equal((await request(port, viaProxy('https'))).status, 403, 'not trusted: the connection\'s scheme');
      harness.app().set('trust proxy', true);
      try {
        assert.equal((await request(port, viaProxy('https'))).status, 200, 'trusted: the proxy\'s scheme');
        const odd = await request(port, viaProxy('javascript'));
        assert.equal(odd.status, 400);
      } finally {
        harness.app().set('trust proxy', false);
      }
      assert.equal(messages.length, 1);
    });
  });

  describe('nonces as Plivo sends them; a replay is known by what was signed', () => {
    it('"...TotalCost0.00850" + "." + nonce resent as TotalCost=0 with nonce "00850.<nonce>": 403, malformed', async () => {
      const { messages, warnings } = await load();
      const nonce = '05429567804466091622';
      const original = signed({ ...CALL, TotalCost: '0.00850' }, { nonce });
      const shifted = { ...original, 'x-plivo-signature-v3-nonce': `00850.${nonce}` };
      const answer = await request(port, { headers: shifted, body: form({ ...CALL, TotalCost: '0' }) });
      assert.equal(answer.status, 403);
      assert.equal(messages.length, 0);
      assert.match(warnings[0], /reject\.malformed-signature/);
    });

    it('a request accepted before a redeploy is refused after it: the account keeps what it accepted', async () => {
      await load();
      const captured = { headers: signed(CALL), body: form(CALL) };
      assert.equal((await request(port, captured)).status, 200);
      await helper.unload();
      const { messages, warnings } = await load();
      const answer = await request(port, captured);
      assert.equal(answer.status, 403);
      assert.equal(messages.length, 0);
      assert.match(warnings[0], /reject\.replayed/);
    });

    it('the same signature with another signature list around it is the same request', async () => {
      const { messages } = await load();
      const headers = signed(CALL);
      assert.equal((await request(port, { headers, body: form(CALL) })).status, 200);
      const padded = { ...headers, 'x-plivo-signature-v3': `${'A'.repeat(43)}=, ${headers['x-plivo-signature-v3']}` };
      assert.equal((await request(port, { headers: padded, body: form(CALL) })).status, 403);
      assert.equal(messages.length, 1);
    });
  });

  describe('both of Plivo\'s signatures', () => {
    const SUBACCOUNT_TOKEN = 'subaccount-token-0123456789';
    const both = (v3Token, maToken, url) => {
      const nonce = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
      return {
        'x-plivo-signature-v3': plivoSignature(v3Token, 'POST', url, CALL, nonce),
        'x-plivo-signature-ma-v3': plivoSignature(maToken, 'POST', url, CALL, nonce),
        'x-plivo-signature-v3-nonce': nonce,
        'content-type': 'application/x-www-form-urlencoded',
      };
    };

    it('Ma-V3 made with the main account\'s token passes while V3 carries a subaccount\'s', async () => {
      const { messages } = await load();
      const answer = await request(port, { headers: both(SUBACCOUNT_TOKEN, AUTH_TOKEN, harness.localUrl()), body: form(CALL) });
      assert.equal(answer.status, 200);
      assert.equal(messages.length, 1);
    });

    it('V3 alone, with this account\'s token, still passes; both wrong are refused', async () => {
      const { messages } = await load();
      const v3Only = both(AUTH_TOKEN, AUTH_TOKEN, harness.localUrl());
      delete v3Only['x-plivo-signature-ma-v3'];
      assert.equal((await request(port, { headers: v3Only, body: form(CALL) })).status, 200);
      const wrong = await request(port, { headers: both(SUBACCOUNT_TOKEN, 'another-main-token', harness.localUrl()), body: form(CALL) });
      assert.equal(wrong.status, 403);
      assert.equal(messages.length, 1);
    });
  });

  describe('refusals cost almost nothing', () => {
    it('a GET-signed URL posted with an empty body to a POST node: 403 (no parameters)', async () => {
      const { messages, warnings } = await load();
      const headers = signed({}, { method: 'GET' });
      const answer = await request(port, { headers, body: '' });
      assert.equal(answer.status, 403);
      assert.equal(messages.length, 0);
      assert.match(warnings[0], /reject\.no-parameters/);
    });

    it('an unsigned POST announcing 200 MB: 403 at once, and the server does not read on', async () => {
      const { messages } = await load();
      const head = `POST ${PATH} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${200 * 1024 * 1024}\r\n\r\n`;
      const { written, answer } = await pushBody(port, head, 200 * 1024 * 1024);
      assert.match(answer, /^HTTP\/1\.1 403/);
      assert.ok(written < 32 * 1024 * 1024, `the server took ${Math.round(written / 1e6)} MB before closing`);
      assert.equal(messages.length, 0);
    });

    it('a signed POST announcing more than 64 KB: 413 before its body is read', async () => {
      const { messages, warnings } = await load();
      const headers = Object.entries(signed(CALL)).map(([name, value]) => `${name}: ${value}\r\n`).join('');
      const head = `POST ${PATH} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${headers}Content-Length: ${100 * 1024 * 1024}\r\n\r\n`;
      const { written, answer } = await pushBody(port, head, 100 * 1024 * 1024);
      assert.match(answer, /^HTTP\/1\.1 413/);
      assert.ok(written < 32 * 1024 * 1024, `the server took ${Math.round(written / 1e6)} MB before closing`);
      assert.equal(messages.length, 0);
      assert.match(warnings[0], /reject\.body-too-large/);
    });

    it('a signed POST whose chunked body grows past 64 KB: 413 and the connection closed, not read on', async () => {
      const { messages } = await load();
      const headers = Object.entries(signed(CALL)).map(([name, value]) => `${name}: ${value}\r\n`).join('');
      const head = `POST ${PATH} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${headers}Transfer-Encoding: chunked\r\n\r\n`;
      const { written, answer } = await pushBody(port, head, 100 * 1024 * 1024, { chunked: true });
      assert.match(answer, /^HTTP\/1\.1 413/);
      assert.ok(written < 32 * 1024 * 1024, `the server took ${Math.round(written / 1e6)} MB before closing`);
      assert.equal(messages.length, 0);
    });

    it('a flood of 3,000 unsigned requests: a few status updates, one warning, a flat heap', async () => {
      const { messages, warnings, statuses } = await load();
      global.gc();
      const heapBefore = process.memoryUsage().heapUsed;
      const began = Date.now();
      let next = 0;
      const worker = async () => {
        while (next < 3000) {
          next += 1;
          await request(port, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(CALL) });
        }
      };
      await Promise.all(Array.from({ length: 20 }, worker));
      const elapsed = Date.now() - began;
      await settle(300);
      global.gc();
      const grownMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
      assert.equal(messages.length, 0);
      assert.equal(warnings.length, 1);
      assert.ok(statuses.length <= Math.ceil(elapsed / 250) + 2, `${statuses.length} status updates in ${elapsed} ms`);
      assert.match(lastCount(statuses).text, /"rejected":3000/, 'the last status counts every refusal');
      assert.ok(grownMb < 20, `the heap grew ${grownMb.toFixed(1)} MB`);
    });
  });
});
