'use strict';
const assert = require('node:assert/strict');
const { startSandbox } = require('../sandbox/plivo-sandbox.js');
const { PlivoClient } = require('../dist/nodes/lib/plivo/client.js');
const { PlivoApiError } = require('../dist/nodes/lib/common/errors.js');

const AUTH_ID = 'MACLIENTTEST00000001';
const AUTH_TOKEN = 'client-SECRET-token-77';

describe('PlivoClient against the sandbox', () => {
  let sandbox;
  let client;
  let callUuid;

  before(async () => {
    sandbox = await startSandbox({ authId: AUTH_ID, authToken: AUTH_TOKEN });
  });
  after(() => sandbox.close());
  beforeEach(() => {
    sandbox.reset();
    callUuid = sandbox.addCall();
    client = new PlivoClient({ baseUrl: sandbox.url, authId: AUTH_ID, authToken: AUTH_TOKEN },
      { timeoutMs: 300, userAgent: 'test-agent/1' });
  });
  afterEach(() => client.close());

  async function failure(promise) {
    try {
      await promise;
    } catch (error) {
      assert.ok(error instanceof PlivoApiError, `expected PlivoApiError, got ${error}`);
      const text = `${error.message} ${error.stack} ${JSON.stringify(error)}`;
      assert.ok(!text.includes(AUTH_TOKEN), 'the token leaked into the error');
      assert.deepEqual(Object.keys(error).sort(), ['body', 'code', 'name', 'retryAfter', 'statusCode']);
      return error;
    }
    assert.fail('expected the request to fail');
  }

  it('POSTs JSON with Basic auth to /v1/Account/{auth_id}/Call/{call_uuid}/Play/', async () => {
    const response = await client.play(callUuid, { urls: 'https://a.example/x.mp3', length: 5, loop: false });
    assert.equal(response.statusCode, 202);
    assert.equal(response.body.message, 'play started');
    assert.match(response.body.api_id, /^[0-9a-f-]{36}$/);
    const [request] = sandbox.requests;
    assert.equal(request.method, 'POST');
    assert.equal(request.path, `/v1/Account/${AUTH_ID}/Call/${callUuid}/Play/`);
    assert.equal(request.headers.authorization, `Basic ${Buffer.from(`${AUTH_ID}:${AUTH_TOKEN}`).toString('base64')}`);
    assert.match(request.headers['content-type'], /^application\/json/);
    assert.equal(request.headers['user-agent'], 'test-agent/1');
    assert.equal(request.body, '{"urls":"https://a.example/x.mp3","length":5,"loop":false}');
  });

  it('reports 404 with Plivo\'s error text and status', async () => {
    const error = await failure(client.play('00000000-0000-4000-8000-000000000000', { urls: 'https://a.example/x.mp3' }));
    assert.equal(error.message, '404 not found');
    assert.equal(String(error), 'Plivo API error: 404 not found');
    assert.equal(error.statusCode, 404);
    assert.equal(error.body.error, 'not found');
  });

  it('reports 401 for a wrong token without showing it', async () => {
    const wrong = new PlivoClient({ baseUrl: sandbox.url, authId: AUTH_ID, authToken: `${AUTH_TOKEN}-wrong` },
      { timeoutMs: 300, userAgent: 'x' });
    try {
      const error = await failure(wrong.play(callUuid, { urls: 'https://a.example/x.mp3' }));
      assert.equal(error.message, '401 authentication failed');
    } finally {
      wrong.close();
    }
  });

  it('shows a validation error object as JSON', async () => {
    sandbox.fail({ status: 400, body: { api_id: 'x', error: { legs: ['invalid choice'] } }, headers: { 'content-type': 'application/json' } });
    const error = await failure(client.play(callUuid, { urls: 'https://a.example/x.mp3' }));
    assert.equal(error.message, '400 {"legs":["invalid choice"]}');
  });

  it('names the HTTP reason for an HTML error page', async () => {
    sandbox.fail({ status: 502, body: '<html><body>Bad gateway</body></html>', headers: { 'content-type': 'text/html' } });
    const error = await failure(client.play(callUuid, { urls: 'https://a.example/x.mp3' }));
    assert.equal(error.message, '502 Bad Gateway');
    assert.equal(error.body, '<html><body>Bad gateway</body></html>');
  });

  it('reports a reset connection', async () => {
    sandbox.fail({ kind: 'reset' });
    const error = await failure(client.play(callUuid, { urls: 'https://a.example/x.mp3' }));
    assert.match(error.message, /^could not reach http:\/\/127\.0\.0\.1:\d+: .*\((ECONNRESET|EPIPE)\)$/);
    assert.equal(error.statusCode, undefined);
  });

  it('gives up on a server that never answers after the timeout', async () => {
    sandbox.fail({ kind: 'hang' });
    const started = Date.now();
    const error = await failure(client.play(callUuid, { urls: 'https://a.example/x.mp3' }));
    assert.match(error.message, /no answer in time \(ETIMEDOUT\)/);
    assert.ok(Date.now() - started < 3000);
  });

  it('reports a refused connection', async () => {
    const closed = await startSandbox();
    const url = closed.url;
    await closed.close();
    const offline = new PlivoClient({ baseUrl: url, authId: AUTH_ID, authToken: AUTH_TOKEN }, { timeoutMs: 300, userAgent: 'x' });
    const error = await failure(offline.play(callUuid, { urls: 'https://a.example/x.mp3' }));
    assert.equal(error.message, `could not reach ${url}: connection refused (ECONNREFUSED)`);
  });

  it('does not follow redirects, so credentials stay with Plivo', async () => {
    sandbox.fail({ status: 302, headers: { location: 'http://127.0.0.2:1/elsewhere' } });
    const error = await failure(client.play(callUuid, { urls: 'https://a.example/x.mp3' }));
    assert.equal(error.statusCode, 302);
    assert.equal(sandbox.requests.length, 1);
  });

  it('passes a 2xx body that is not JSON on as text, and an empty one as {}', async () => {
    sandbox.fail({ status: 202, body: 'play started' });
    assert.deepEqual(await client.play(callUuid, { urls: 'https://a.example/x.mp3' }), { statusCode: 202, body: 'play started' });
    assert.deepEqual(await client.request('DELETE', `Call/${callUuid}/Play/`), { statusCode: 204, body: {} });
  });

  it('reuses one keep-alive connection for sequential requests', async () => {
    for (let i = 0; i < 5; i += 1) {
      await client.play(callUuid, { urls: 'https://a.example/x.mp3' });
    }
    assert.equal(sandbox.stats.connections, 1);
  });
});
