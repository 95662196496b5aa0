'use strict';
/**
 * Behind a proxy, as Node-RED's own nodes are: the environment's proxy variables or an
 * `http proxy` config node, through a real forward proxy (proxy-chain, from npm, on a loopback
 * port, with and without Basic proxy authentication) to the sandbox. Which proxy a URL gets is checked against Node-RED's
 * own proxy helper (the http request node's rules).
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, execFile } = require('node:child_process');
const { getProxyForUrl } = require('@node-red/nodes/core/network/lib/proxyHelper.js');
const httpProxyNode = require('@node-red/nodes/core/network/06-httpproxy.js');
const { startSandbox } = require('../sandbox/plivo-sandbox.js');
const { startForwardProxy } = require('../scripts/forward-proxy.js');
const { proxyFor } = require('../dist/nodes/lib/plivo/proxy.js');
const { helper, playNode, configNode, playFlow, Outcomes, startOwnSandbox, credentialsFor } = require('./support');

const PROXY_VARIABLES = ['http_proxy', 'https_proxy', 'all_proxy', 'no_proxy'].flatMap((name) => [name, name.toUpperCase()]);
const URL_A = 'https://s3.amazonaws.com/plivocloud/music.mp3';

function clearProxyEnv() {
  for (const name of PROXY_VARIABLES) delete process.env[name];
}

describe('which proxy a request goes through: Node-RED\'s http request node rules', () => {
  const cases = [
    ['https://api.plivo.com', { https_proxy: 'http://proxy:3128' }],
    ['https://api.plivo.com', { HTTPS_PROXY: 'http://proxy:3128' }],
    ['https://api.plivo.com', { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2' }],
    ['http://127.0.0.1:8080', { http_proxy: 'http://proxy:3128', https_proxy: 'http://other:1' }],
    ['https://api.plivo.com', { all_proxy: 'http://proxy:3128' }],
    ['https://api.plivo.com', { https_proxy: 'http://proxy:3128', no_proxy: 'api.plivo.com' }],
    ['https://api.plivo.com', { https_proxy: 'http://proxy:3128', no_proxy: '.plivo.com' }],
    ['https://api.plivo.com', { https_proxy: 'http://proxy:3128', no_proxy: '*.plivo.com' }],
    ['https://api.plivo.com', { https_proxy: 'http://proxy:3128', no_proxy: 'plivo.com' }],
    ['https://api.plivo.com', { https_proxy: 'http://proxy:3128', no_proxy: 'api.plivo.com:8443' }],
    ['https://api.plivo.com', { https_proxy: 'http://proxy:3128', no_proxy: 'api.plivo.com:443' }],
    ['https://api.plivo.com', { https_proxy: 'http://proxy:3128', NO_PROXY: 'localhost, API.PLIVO.COM' }],
    ['https://api.plivo.com', { https_proxy: 'http://proxy:3128', no_proxy: '*' }],
    ['http://127.0.0.1:8080', { http_proxy: 'http://proxy:3128', no_proxy: '127.0.0.1' }],
    ['https://api.plivo.com', {}],
  ];
  for (const [target, env] of cases) {
    it(`${target} with ${JSON.stringify(env)}`, () => {
      const theirs = getProxyForUrl(target, { env });
      assert.equal(proxyFor(target, undefined, env)?.url.href.replace(/\/$/, '') ?? '', theirs);
    });
  }

  it('an http proxy node wins over the environment, with its own no-proxy list and credentials', () => {
    const env = { https_proxy: 'http://env-proxy:3128' };
    const settings = { url: 'http://node-proxy:8080', noProxy: ['internal.example'], username: 'ops', password: 'p@ss w0rd' };
    const route = proxyFor('https://api.plivo.com', settings, env);
    assert.equal(route.shown, 'http://node-proxy:8080');
    assert.equal(decodeURIComponent(route.url.password), 'p@ss w0rd');
    assert.equal(proxyFor('https://internal.example', settings, env), undefined);
  });

  it('a proxy URL that is not http(s) is refused without its credentials', () => {
    assert.throws(() => proxyFor('https://api.plivo.com', undefined, { https_proxy: 'socks5://user:s3cret@proxy:1080' }), (error) => {
      assert.match(error.message, /proxy URL must be an http\(s\) URL/);
      assert.ok(!error.message.includes('s3cret'));
      return true;
    });
  });
});

describe('plivo play behind a real forward proxy', function () {
  this.timeout(30_000);
  let sandbox;
  let proxy;
  let sandboxHost;

  beforeEach(async () => {
    clearProxyEnv();
    sandbox = await startOwnSandbox(startSandbox);
    sandboxHost = new URL(sandbox.url).host;
  });
  afterEach(async () => {
    clearProxyEnv();
    await helper.unload();
    await sandbox.close();
    await proxy?.stop();
    proxy = undefined;
  });

  /** A play flow whose account may name an http proxy node `proxyNode` (with `proxyCredentials`). */
  async function load({ configProps = {}, proxyNode, proxyCredentials } = {}) {
    const flow = playFlow(sandbox.url, { urls: URL_A }, { retries: 2, timeout: 2, ...configProps });
    const credentials = credentialsFor(sandbox);
    if (proxyNode) {
      flow.push({ id: 'proxy', type: 'http proxy', name: 'office proxy', url: proxyNode.url, noproxy: proxyNode.noproxy ?? [] });
      flow.find((node) => node.id === 'cfg').proxy = 'proxy';
      credentials.proxy = proxyCredentials ?? {};
    }
    await helper.load([configNode, playNode, httpProxyNode], flow, credentials);
    return new Outcomes(helper.getNode('play'), helper.getNode('out'), helper.getNode('caught'));
  }

  const callUuid = () => sandbox.addCall();

  it('HTTP_PROXY: plays through the proxy, one kept-alive tunnel for several plays', async () => {
    proxy = await startForwardProxy();
    process.env.HTTP_PROXY = proxy.url;
    const outcomes = await load();
    for (let i = 0; i < 5; i += 1) {
      const outcome = await outcomes.send({ payload: { call_uuid: callUuid() } });
      assert.equal(outcome.output?.statusCode, 202, JSON.stringify(outcome.error?.error));
    }
    assert.deepEqual(proxy.tunnels(), [sandboxHost], 'one CONNECT, reused');
    assert.equal(sandbox.requests.length, 5);
  });

  it('no_proxy naming the host: goes direct', async () => {
    proxy = await startForwardProxy();
    process.env.http_proxy = proxy.url;
    process.env.no_proxy = `localhost,${new URL(sandbox.url).hostname}`;
    const outcomes = await load();
    assert.equal((await outcomes.send({ payload: { call_uuid: callUuid() } })).output?.statusCode, 202);
    assert.deepEqual(proxy.tunnels(), []);
  });

  it('an http proxy node with a username and password wins over the environment', async () => {
    proxy = await startForwardProxy({ username: 'ops', password: 'pr0xy-s3cret' });
    process.env.http_proxy = 'http://127.0.0.1:9';
    const outcomes = await load({ proxyNode: { url: proxy.url }, proxyCredentials: { username: 'ops', password: 'pr0xy-s3cret' } });
    const outcome = await outcomes.send({ payload: { call_uuid: callUuid() } });
    assert.equal(outcome.output?.statusCode, 202, JSON.stringify(outcome.error?.error));
    assert.deepEqual(proxy.tunnels(), [sandboxHost]);
  });

  for (const [name, proxyCredentials, status] of [
    ['no credentials: 407', {}, 407],
    ['a wrong password: 407', { username: 'ops', password: 'wr0ng-s3cret' }, 407],
  ]) {
    it(`a proxy that refuses, ${name}; retried like a reset, a clear error naming the proxy, no password anywhere`, async () => {
      proxy = await startForwardProxy({ username: 'ops', password: 'right-one' });
      const outcomes = await load({ proxyNode: { url: proxy.url }, proxyCredentials });
      const outcome = await outcomes.send({ payload: { call_uuid: callUuid() } });
      const message = outcome.error?.error.message;
      assert.match(message, new RegExp(`through the proxy http://127\\.0\\.0\\.1:${proxy.port}: the proxy answered ${status} \\(EPROXYREFUSED\\).*after 3 attempts`));
      assert.equal(sandbox.requests.length, 0);
      const everything = [JSON.stringify(outcome), ...helper.log().args.map((args) => JSON.stringify(args[0]))].join('\n');
      assert.ok(!everything.includes('wr0ng-s3cret') && !everything.includes('right-one'));
    });
  }

  it('the proxy down mid-burst: nothing lost once it is back, within the retry rules', async () => {
    proxy = await startForwardProxy();
    process.env.http_proxy = proxy.url;
    const outcomes = await load({ configProps: { retries: 4 } });
    assert.equal((await outcomes.send({ payload: { call_uuid: callUuid() } })).output?.statusCode, 202);
    await proxy.kill();
    const calls = Array.from({ length: 10 }, callUuid);
    for (const call of calls) helper.getNode('play').receive({ payload: { call_uuid: call } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await proxy.start();
    await outcomes.waitFor(11, 50, 20_000);
    assert.equal(outcomes.errors.length, 0, JSON.stringify(outcomes.errors.map((msg) => msg.error.message)));
    assert.equal(outcomes.outputs.length, 11);
  });

  it('Verify goes through the proxy too (the environment\'s, and the dialog\'s http proxy node)', async () => {
    proxy = await startForwardProxy({ username: 'ops', password: 'pr0xy-s3cret' });
    await load({ proxyNode: { url: proxy.url }, proxyCredentials: { username: 'ops', password: 'pr0xy-s3cret' } });
    const { authId, authToken } = sandbox.account;
    const viaNode = await helper.request().post('/plivo-config/verify').send({ authId, authToken, baseUrl: sandbox.url, proxy: 'proxy' }).expect(200);
    assert.equal(viaNode.body.ok, true, JSON.stringify(viaNode.body));
    const plain = await startForwardProxy();
    try {
      process.env.http_proxy = plain.url;
      const viaEnv = await helper.request().post('/plivo-config/verify').send({ authId, authToken, baseUrl: sandbox.url }).expect(200);
      assert.equal(viaEnv.body.ok, true, JSON.stringify(viaEnv.body));
      assert.deepEqual(plain.tunnels(), [sandboxHost]);
    } finally {
      await plain.stop();
    }
    assert.ok(proxy.tunnels().includes(sandboxHost));
  });
});

describe('https to Plivo through a proxy: a CONNECT tunnel with TLS inside', function () {
  this.timeout(30_000);
  let dir;
  let sandbox;
  let proxy;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plivo-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
      '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    sandbox = await startSandbox({ tls: { key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) } });
    proxy = await startForwardProxy();
  });
  after(async () => {
    await sandbox?.close();
    await proxy?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** One play by the package's client in a process of its own, which trusts the sandbox's certificate when `trust` is set. */
  function playInProcess({ trust }) {
    const script = [
      `const { PlivoClient } = require(${JSON.stringify(path.join(__dirname, '../dist/nodes/lib/plivo/client.js'))});`,
      `const { proxyFor } = require(${JSON.stringify(path.join(__dirname, '../dist/nodes/lib/plivo/proxy.js'))});`,
      'const { account, callUuid } = JSON.parse(process.argv[1]);',
      "const client = new PlivoClient(account, { timeoutMs: 5000, userAgent: 'proxy-test', proxy: proxyFor(account.baseUrl, undefined) });",
      "client.play(callUuid, { urls: 'https://example.com/a.mp3' })",
      '  .then((answer) => console.log(JSON.stringify(answer)), (error) => console.log(JSON.stringify({ error: error.message })))',
      '  .finally(() => client.close());',
    ].join('\n');
    const input = JSON.stringify({ account: { ...sandbox.account, baseUrl: sandbox.url }, callUuid: sandbox.addCall() });
    const env = { ...process.env, HTTPS_PROXY: proxy.url, ...(trust ? { NODE_EXTRA_CA_CERTS: path.join(dir, 'cert.pem') } : {}) };
    return new Promise((resolve, reject) => {
      execFile(process.execPath, ['-e', script, input], { env }, (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout))));
    });
  }

  it('HTTPS_PROXY: the play reaches the TLS sandbox through the tunnel', async () => {
    const answer = await playInProcess({ trust: true });
    assert.equal(answer.statusCode, 202, JSON.stringify(answer));
    assert.ok(proxy.tunnels().includes(`127.0.0.1:${sandbox.port}`));
    assert.equal(sandbox.requests.length, 1);
  });

  it('TLS is checked end to end: an untrusted certificate fails, even through the proxy', async () => {
    const answer = await playInProcess({ trust: false });
    assert.match(answer.error, /through the proxy http:\/\/127\.0\.0\.1:\d+: request failed/);
    assert.equal(sandbox.requests.length, 1, 'nothing more arrived');
  });
});
