'use strict';
/**
 * plivo webhook under attack in a real Node-RED, once in Node-RED's default setup (the editor's
 * 5 MB JSON and form parsers in front of every path) and once in a tidy one: each test is one
 * attack and fails without the defence it names, in both.
 */
const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const { plivoSignature } = require('../sandbox/plivo-sandbox.js');
const { CALL, PATH, request, form, pushBody, settle } = require('./webhook-support');
const { SETUPS, ACCOUNT, startWebhookRuntime } = require('./webhook-runtime');

const MB = 1024 * 1024;

for (const setup of SETUPS) {
  describe(`plivo webhook under attack in ${setup.name}`, function () {
    this.timeout(60_000);
    let runtime;
    let port;
    before(async () => {
      runtime = await startWebhookRuntime(setup.settings);
      port = runtime.port;
    });
    after(() => runtime?.stop());
    beforeEach(() => runtime.state());

    const url = () => `http://127.0.0.1:${port}${PATH}`;
    const signed = (params, { nonce = `${Date.now()}${Math.floor(Math.random() * 1e9)}`, method = 'POST', signedUrl = url() } = {}) => ({
      'x-plivo-signature-v3': plivoSignature(ACCOUNT.authToken, method, signedUrl, params, nonce),
      'x-plivo-signature-v3-nonce': nonce,
      'content-type': 'application/x-www-form-urlencoded',
    });
    const headLines = (headers) => Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');

    it(setup.settings.httpAdminRoot ? 'the editor is not in front: no warning about it' : 'the editor in front of the route is told once, with the fix', () => {
      const told = runtime.output.match(/the editor \(httpAdminRoot \/\) is served on the paths of \/plivo\/answer/g) ?? [];
      if (setup.settings.httpAdminRoot) assert.equal(told.length, 0);
      else {
        assert.equal(told.length, 1, runtime.output);
        assert.match(runtime.output, /Set httpAdminRoot in settings\.js \(for example '\/admin'\)/);
      }
    });

    it('Plivo\'s signed request passes, and the editor still answers where it is served', async () => {
      assert.equal((await request(port, { headers: signed(CALL), body: form(CALL) })).status, 200);
      assert.equal((await runtime.state()).received.length, 1);
      const editor = await fetch(`http://127.0.0.1:${port}${setup.settings.httpAdminRoot ?? ''}/settings`);
      assert.equal(editor.status, 200);
    });

    it('signed parameter names with brackets (Digits[0], X[tag]) are checked as Plivo sent them, not as a parser rebuilt them', async () => {
      const params = { ...CALL, 'Digits[0]': '1', 'X[tag]': 'a', 'Y[a][b]': 'c' };
      const answer = await request(port, { headers: signed(params), body: form(params) });
      assert.equal(answer.status, 200);
      const [received] = (await runtime.state()).received;
      assert.equal(received.payload['Digits[0]'], '1');
      assert.equal(received.payload['Y[a][b]'], 'c');
    });

    describe('a signature counts only for this node\'s own URL', () => {
      for (const [signedFor, host] of [
        ['http://flows.example.com/plivo/hangup', 'flows.example.com/plivo/hangup#'],
        ['http://other.example.net/cb?tenant=42', 'other.example.net/cb?tenant=42#'],
      ]) {
        it(`a request Plivo signed for ${signedFor}, sent with Host: ${host}: 400 in plain text, no message`, async () => {
          const answer = await request(port, { headers: { ...signed(CALL, { signedUrl: signedFor }), host }, body: form(CALL) });
          assert.equal(answer.status, 400);
          assert.equal(answer.body, 'Bad Request');
          assert.equal((await runtime.state()).received.length, 0);
        });
      }

      it('Hosts that are not host[:port]: 400 without a stack trace', async () => {
        for (const host of ['[', 'a b', 'x:99999', 'flows.example.com:80:80', 'user@flows.example.com', '[:::::]', 'x'.repeat(300)]) {
          const answer = await request(port, { headers: { ...signed(CALL), host }, body: form(CALL) });
          assert.equal(answer.status, 400, host);
          assert.equal(answer.body, 'Bad Request');
          assert.match(answer.type, /^text\/plain/);
        }
        assert.equal((await runtime.state()).received.length, 0);
      });

      it('X-Forwarded-Proto does not count while Node-RED does not trust a proxy', async () => {
        const httpsUrl = `https://127.0.0.1:${port}${PATH}`;
        const answer = await request(port, { headers: { ...signed(CALL, { signedUrl: httpsUrl }), 'x-forwarded-proto': 'https' }, body: form(CALL) });
        assert.equal(answer.status, 403);
      });

      it('X-Forwarded-Proto counts when Node-RED trusts the proxy (httpServerOptions), and only as http or https', async () => {
        const trusting = await startWebhookRuntime({ ...setup.settings, httpServerOptions: { 'trust proxy': true } });
        try {
          const httpsUrl = `https://127.0.0.1:${trusting.port}${PATH}`;
          const viaProxy = (proto) => ({ headers: { ...signed(CALL, { signedUrl: httpsUrl }), 'x-forwarded-proto': proto }, body: form(CALL) });
          assert.equal((await request(trusting.port, viaProxy('https'))).status, 200);
          const odd = await request(trusting.port, viaProxy('javascript'));
          assert.equal(odd.status, 400);
          assert.equal(odd.body, 'Bad Request');
        } finally {
          await trusting.stop();
        }
      });

      it('the path is the route\'s own: a signature for another spelling that Express routes here does not pass', async () => {
        const spelling = '/PLIVO/Answer/';
        const forSpelling = await request(port, { path: spelling, headers: signed(CALL, { signedUrl: `http://127.0.0.1:${port}${spelling}` }), body: form(CALL) });
        assert.equal(forSpelling.status, 403);
        assert.equal((await request(port, { path: spelling, headers: signed(CALL), body: form(CALL) })).status, 200, 'the URL Plivo was given works');
        assert.equal((await runtime.state()).received.length, 1);
      });
    });

    describe('nonces and replays', () => {
      it('"...TotalCost0.00850" + "." + nonce resent as TotalCost=0 with nonce "00850.<nonce>": 403', async () => {
        const nonce = '05429567804466091622';
        const original = signed({ ...CALL, TotalCost: '0.00850' }, { nonce });
        const shifted = { ...original, 'x-plivo-signature-v3-nonce': `00850.${nonce}` };
        assert.equal((await request(port, { headers: shifted, body: form({ ...CALL, TotalCost: '0' }) })).status, 403);
        assert.equal((await runtime.state()).received.length, 0);
      });

      it('the same signature with another signature list around it is the same request', async () => {
        const headers = signed(CALL);
        assert.equal((await request(port, { headers, body: form(CALL) })).status, 200);
        const padded = { ...headers, 'x-plivo-signature-v3': `${'A'.repeat(43)}=, ${headers['x-plivo-signature-v3']}` };
        assert.equal((await request(port, { headers: padded, body: form(CALL) })).status, 403);
        assert.equal((await runtime.state()).received.length, 1);
      });

      it('a request accepted before a redeploy is refused after it', async () => {
        const captured = { headers: signed(CALL), body: form(CALL) };
        assert.equal((await request(port, captured)).status, 200);
        const admin = `http://127.0.0.1:${port}${setup.settings.httpAdminRoot ?? ''}`;
        const flows = await (await fetch(`${admin}/flows`, { headers: { 'Node-RED-API-Version': 'v2' } })).json();
        const deployed = await fetch(`${admin}/flows`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' },
          body: JSON.stringify({ flows: flows.flows, rev: flows.rev }),
        });
        assert.equal(deployed.status, 200);
        await settle(500);
        assert.equal((await request(port, captured)).status, 403);
      });

      it('Ma-V3 made with the main account\'s token passes while V3 carries a subaccount\'s; both wrong are refused', async () => {
        const both = (v3Token, maToken) => {
          const nonce = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
          return {
            'x-plivo-signature-v3': plivoSignature(v3Token, 'POST', url(), CALL, nonce),
            'x-plivo-signature-ma-v3': plivoSignature(maToken, 'POST', url(), CALL, nonce),
            'x-plivo-signature-v3-nonce': nonce,
            'content-type': 'application/x-www-form-urlencoded',
          };
        };
        assert.equal((await request(port, { headers: both('subaccount-token-0123456789', ACCOUNT.authToken), body: form(CALL) })).status, 200);
        assert.equal((await request(port, { headers: both('subaccount-token-0123456789', 'another-main-token'), body: form(CALL) })).status, 403);
        assert.equal((await runtime.state()).received.length, 1);
      });
    });

    it('a GET-signed URL posted with an empty body to a POST node: 403', async () => {
      assert.equal((await request(port, { headers: signed({}, { method: 'GET' }), body: '' })).status, 403);
    });

    it('a signed POST whose chunked body grows past 64 KB: 413 and the connection closed, not read on', async () => {
      const head = `POST ${PATH} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${headLines(signed(CALL))}Transfer-Encoding: chunked\r\n\r\n`;
      const { written, answer } = await pushBody(port, head, 100 * MB, { chunked: true });
      if (answer !== '') assert.match(answer, /^HTTP\/1\.1 413/);
      assert.ok(written < 16 * MB, `the server took ${Math.round(written / MB)} MB before closing`);
    });

    it('a flood of 2,000 unsigned requests: all 403, a few status updates, at most one warning', async () => {
      const since = runtime.output.length;
      let next = 0;
      const answers = [];
      const began = Date.now();
      const worker = async () => {
        while (next < 2000) {
          next += 1;
          answers.push((await request(port, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(CALL) })).status);
        }
      };
      await Promise.all(Array.from({ length: 20 }, worker));
      const elapsed = Date.now() - began;
      await settle(500);
      assert.ok(answers.every((status) => status === 403));
      const { statuses, received } = await runtime.state();
      assert.equal(received.length, 0);
      assert.ok(statuses.length <= Math.ceil(elapsed / 250) + 3, `${statuses.length} status updates in ${elapsed} ms`);
      assert.ok(runtime.warnings(since).length <= 1, runtime.warnings(since).join('\n'));
    });

    it('a signed POST announcing 50 MB: 413 in plain text before its body is read', async () => {
      const head = `POST ${PATH} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${headLines(signed(CALL))}Content-Length: ${50 * MB}\r\n\r\n`;
      const { written, answer } = await pushBody(port, head, 50 * MB);
      if (answer !== '') assert.match(answer, /^HTTP\/1\.1 413 [^]*\r\n\r\nPayload Too Large$/, 'a word, not an HTML stack page');
      assert.ok(written < 16 * MB, `the server took ${Math.round(written / MB)} MB before closing`);
    });

    it('an unsigned 4.9 MB form: 403 before a byte of it is parsed', async () => {
      const head = `POST ${PATH} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Math.round(4.9 * MB)}\r\n\r\n`;
      const { written, answer } = await pushBody(port, head, Math.round(4.9 * MB));
      if (answer !== '') assert.match(answer, /^HTTP\/1\.1 403/);
      assert.ok(written < 4.9 * MB, 'refused before the body was all sent');
    });

    it('an unfinished chunked body: 408 once the body deadline passes, and the connection closed', async () => {
      const socket = net.connect(port, '127.0.0.1');
      let answer = '';
      socket.on('data', (chunk) => { answer += chunk; });
      const closed = new Promise((resolve) => socket.on('close', resolve));
      socket.write(`POST ${PATH} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${headLines(signed(CALL))}Transfer-Encoding: chunked\r\n\r\n5\r\nCallU\r\n`);
      const began = Date.now();
      await Promise.race([closed, settle(15_000)]);
      const took = Date.now() - began;
      socket.destroy();
      assert.match(answer, /^HTTP\/1\.1 408/);
      assert.ok(took >= 4_000 && took < 8_000, `closed after ${took} ms`);
    });

    it('100 stalled bodies at once: at most 64 held, the rest refused at once (503), all closed by the deadline', async () => {
      const body = form(CALL);
      const sockets = await Promise.all(Array.from({ length: 100 }, () => new Promise((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.write(`POST ${PATH} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${headLines(signed(CALL))}Content-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
          resolve(socket);
        });
        socket.answer = '';
        socket.on('data', (chunk) => { socket.answer += chunk; });
        socket.ended = new Promise((done) => socket.on('close', done));
        socket.on('error', () => undefined);
      })));
      await settle(1_000);
      const busy = sockets.filter((socket) => /^HTTP\/1\.1 503/.test(socket.answer)).length;
      assert.equal(busy, 36, `${busy} refused at once`);
      await Promise.race([Promise.all(sockets.map((socket) => socket.ended)), settle(10_000)]);
      const timedOut = sockets.filter((socket) => /^HTTP\/1\.1 408/.test(socket.answer)).length;
      assert.equal(timedOut, 64);
      sockets.forEach((socket) => socket.destroy());
      assert.equal((await request(port, { headers: signed(CALL), body: form(CALL) })).status, 200, 'Plivo still gets through');
    });

    it('a forged signature with 9,000 parameter names: 413 before they are parsed, sorted or hashed', async () => {
      const names = Object.fromEntries(Array.from({ length: 9000 }, (_, i) => [`p${i}`, '']));
      const answer = await request(port, { headers: signed(CALL), body: form(names) });
      assert.equal(answer.status, 413);
      const few = { ...CALL, ...Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`p${i}`, 'x'])) };
      assert.equal((await request(port, { headers: signed(few), body: form(few) })).status, 200, '150 signed parameters pass');
    });

    it('a GET\'s signature with its query moved into one POST parameter: 403', async () => {
      const query = { CallUUID: CALL.CallUUID, From: '14155550100', To: '14155550111' };
      const getText = Object.keys(query).sort().map((name) => `${name}=${query[name]}`).join('&');
      const nonce = `${Date.now()}1`;
      const getSignature = plivoSignature(ACCOUNT.authToken, 'GET', `${url()}?${getText}`, {}, nonce);
      const moved = { CallUUID: getText.slice('CallUUID'.length) };
      const headers = { 'x-plivo-signature-v3': getSignature, 'x-plivo-signature-v3-nonce': nonce, 'content-type': 'application/x-www-form-urlencoded' };
      assert.equal(plivoSignature(ACCOUNT.authToken, 'POST', url(), moved, nonce), getSignature, 'the texts are the same');
      assert.equal((await request(port, { headers, body: form(moved) })).status, 403);
      assert.equal((await runtime.state()).received.length, 0);
    });

    /** Plivo's signature for a GET of this node's URL with `query`, and its signed text after `?`. */
    const getSigned = (query, nonce) => {
      const getUrl = `${url()}?${new URLSearchParams(query)}`;
      const text = Object.keys(query).sort().map((name) => `${name}=${query[name]}`).join('&');
      return { signature: plivoSignature(ACCOUNT.authToken, 'GET', getUrl, {}, nonce), text };
    };
    const getHeaders = (signature, nonce) => ({ 'x-plivo-signature-v3': signature, 'x-plivo-signature-v3-nonce': nonce, 'content-type': 'application/x-www-form-urlencoded' });

    it('a GET\'s signature whose From and To hold a + (E.164), moved into one POST parameter: 403', async () => {
      const nonce = `${Date.now()}2`;
      const get = getSigned({ CallUUID: CALL.CallUUID, From: '+14155550100', To: '+14155550111', Direction: 'outbound' }, nonce);
      const moved = { CallUUID: get.text.slice('CallUUID'.length) };
      assert.equal(plivoSignature(ACCOUNT.authToken, 'POST', url(), moved, nonce), get.signature, 'the texts are the same');
      assert.equal((await request(port, { headers: getHeaders(get.signature, nonce), body: form(moved) })).status, 403);
      assert.equal((await runtime.state()).received.length, 0);
    });

    it('a GET\'s signature split at a "." between the POST\'s query and one body parameter: 403', async () => {
      const nonce = `${Date.now()}3`;
      const get = getSigned({ BillRate: '0.0085', CallUUID: CALL.CallUUID, From: '14155550100', To: '14155550111' }, nonce);
      const dot = get.text.indexOf('.');
      const [name, value] = get.text.slice(0, dot).split('=');
      const query = `?${new URLSearchParams({ [name]: value })}`;
      const tail = get.text.slice(dot + 1);
      const body = { [tail.slice(0, 1)]: tail.slice(1) };
      assert.equal(plivoSignature(ACCOUNT.authToken, 'POST', `${url()}${query}`, body, nonce), get.signature, 'the texts are the same');
      assert.equal((await request(port, { path: `${PATH}${query}`, headers: getHeaders(get.signature, nonce), body: form(body) })).status, 403);
      assert.equal((await runtime.state()).received.length, 0);
    });

    it('a POST\'s signature spelt as a GET to a GET webhook: 403; Plivo\'s own GET there passes', async () => {
      const nonce = `${Date.now()}5`;
      const postUrl = `http://127.0.0.1:${port}/plivo/status?campaign=7`;
      const signature = plivoSignature(ACCOUNT.authToken, 'POST', postUrl, CALL, nonce);
      const text = `campaign=7.${Object.keys(CALL).sort().map((name) => `${name}${CALL[name]}`).join('')}`;
      const forged = `/plivo/status?${new URLSearchParams({ campaign: text.slice('campaign='.length) })}`;
      assert.equal(plivoSignature(ACCOUNT.authToken, 'GET', `http://127.0.0.1:${port}${forged}`, {}, nonce), signature, 'the texts are the same');
      assert.equal((await request(port, { method: 'GET', path: forged, headers: getHeaders(signature, nonce) })).status, 403);
      const own = `/plivo/status?${new URLSearchParams(CALL)}`;
      const ownNonce = `${Date.now()}6`;
      const ownSignature = plivoSignature(ACCOUNT.authToken, 'GET', `http://127.0.0.1:${port}${own}`, {}, ownNonce);
      assert.equal((await request(port, { method: 'GET', path: own, headers: getHeaders(ownSignature, ownNonce) })).status, 200);
      assert.deepEqual((await runtime.state()).received.map((one) => one.payload.CallUUID), [CALL.CallUUID]);
    });

    it('Plivo\'s POST to a URL with its own query, repeated names and empty values still passes', async () => {
      const query = '?campaign=7&campaign=8&list=';
      const pairs = [...Object.entries(CALL), ['Digits', '1'], ['Digits', ''], ['CallerName', '']];
      const params = {};
      for (const [name, value] of pairs) (params[name] ??= []).push(value);
      const nonce = `${Date.now()}4`;
      const headers = getHeaders(plivoSignature(ACCOUNT.authToken, 'POST', `${url()}${query}`, params, nonce), nonce);
      assert.equal((await request(port, { path: `${PATH}${query}`, headers, body: new URLSearchParams(pairs).toString() })).status, 200);
      assert.deepEqual((await runtime.state()).received[0].payload.Digits, ['1', '']);
    });

    describe('a Host header chooses no URL Plivo is sent to', () => {
      for (const [what, path] of [['plivo xml', '/test/spoof'], ['plivo call (transfer)', '/test/transfer']]) {
        it(`${what} after an unsigned http in, Host: attacker.example:8443: an error saying to set the Public URL, nothing written or sent`, async () => {
          const answer = await request(port, { path, headers: { host: 'attacker.example:8443', 'content-type': 'application/json' }, body: '{}' });
          assert.match(answer.body, /^error: .*"hook", which has no Public URL, and the message answers no request a plivo webhook node checked/);
          assert.doesNotMatch(answer.body, /attacker/);
        });
      }

      it('the scheme and Host a plivo webhook\'s signature checked stand in for the Public URL', async () => {
        const answer = await request(port, { path: '/plivo/menu', headers: signed(CALL, { signedUrl: `http://127.0.0.1:${port}/plivo/menu` }), body: form(CALL) });
        assert.equal(answer.status, 200);
        assert.equal(answer.body, `<Response><Redirect method="POST">http://127.0.0.1:${port}/plivo/answer</Redirect></Response>`);
        assert.match(answer.type, /^application\/xml/);
      });
    });

    it('plivo xml after an http request node answers with its own content type, none of the upstream\'s headers', async () => {
      const crm = http.createServer((req, res) => {
        res.setHeader('set-cookie', 'crm_session=s3cr3t; HttpOnly');
        res.setHeader('x-internal-route', 'crm-db-7');
        res.setHeader('content-type', 'text/plain');
        res.write('Your appointment ');
        res.end('is at 9.');
      });
      await new Promise((resolve) => crm.listen(0, '127.0.0.1', resolve));
      try {
        const answer = await request(port, { path: '/test/crm', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ crm: `http://127.0.0.1:${crm.address().port}/` }) });
        assert.equal(answer.status, 200);
        assert.equal(answer.body, '<Response><Speak>Your appointment is at 9.</Speak></Response>');
        assert.match(answer.type, /^application\/xml/);
        assert.equal(answer.headers['set-cookie'], undefined);
        assert.equal(answer.headers['x-internal-route'], undefined);
        assert.equal(answer.headers['transfer-encoding'], undefined);
        assert.equal(answer.headers['content-length'], String(Buffer.byteLength(answer.body)));
      } finally {
        crm.close();
      }
    });

    it('signed parameters named __proto__ are a field of msg.payload, never its prototype', async () => {
      const pairs = [['__proto__', 'evil'], ['__proto__', 'worse'], ...Object.entries(CALL)];
      const body = new URLSearchParams(pairs).toString();
      const params = Object.fromEntries(Object.entries(CALL));
      Object.defineProperty(params, '__proto__', { value: ['evil', 'worse'], enumerable: true });
      const answer = await request(port, { headers: signed(params), body });
      assert.equal(answer.status, 200);
      const [received] = (await runtime.state()).received;
      assert.equal(received.proto, '[object Object]', 'the prototype is still a plain object\'s');
      assert.equal(received.ownProto, true, '__proto__ is an own field');
      assert.equal(received.payload.CallUUID, CALL.CallUUID);
    });
  });
}
