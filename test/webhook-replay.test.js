'use strict';
/**
 * A replay is refused across instances and restarts: two real Node-RED processes (red.js, as
 * users run it) behind one public URL, with `httpNodeRoot: '/red'`, sharing Debian's
 * redis-server. Also: the URL the editor shows is the one the runtime checks, and with Redis
 * gone each instance still refuses the replays it has seen, saying so once.
 */
const assert = require('node:assert/strict');
const { needServer } = require('./servers');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const vm = require('node:vm');
const acorn = require('acorn');
const walk = require('acorn-walk');
const { freePort, linkPackage, startNodeRed, waitForNodeRed } = require('../scripts/dev-runtime.js');
const { startRedis } = require('../scripts/redis-server.js');
const { startLink } = require('../scripts/tcp-link.js');
const { plivoSignature } = require('../sandbox/plivo-sandbox.js');
const { CALL, form, request, waitFor } = require('./webhook-support');

const ACCOUNT = { authId: 'MAREPLAYTEST00000001', authToken: 'replay-test-token-0123' };
const PUBLIC = 'https://flows.example.com';
const SIGNED_URL = `${PUBLIC}/red/plivo/answer`;

/** A Node-RED user dir: the package, settings with httpNodeRoot /red, a flow with plivo webhook on the account's Redis. */
function userDirFor(redisUrl, port) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plivo-replay-'));
  fs.writeFileSync(path.join(userDir, 'package.json'), '{"name":"replay-user-dir","private":true}');
  linkPackage(userDir);
  fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${JSON.stringify({
    uiHost: '127.0.0.1', uiPort: port, httpNodeRoot: '/red', flowFile: 'flows.json', credentialSecret: false,
    telemetry: { enabled: false, updateNotification: false }, editorTheme: { tours: false },
    logging: { console: { level: 'info', metrics: false, audit: false } },
  })};\n`);
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify([
    { id: 'tab', type: 'tab', label: 'replay' },
    { id: 'account', type: 'plivo-config', name: 'shared account', redisUrl },
    {
      id: 'hook', type: 'plivo-webhook', z: 'tab', name: '', account: 'account', url: '/plivo/answer', method: 'post',
      publicUrl: PUBLIC, answerXml: '<Response/>', x: 150, y: 60, wires: [[]],
    },
  ]));
  return userDir;
}

async function startInstance(redisUrl) {
  const port = await freePort();
  const userDir = userDirFor(redisUrl, port);
  const instance = { port, userDir, output: '' };
  instance.start = async () => {
    const child = startNodeRed(userDir, ACCOUNT, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk) => {
      instance.output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      instance.output += chunk;
    });
    instance.child = child;
    await waitForNodeRed(`http://127.0.0.1:${port}`, child);
    // The editor answers before the flows run: wait for the webhook's route (403 unsigned, not 404).
    const deadline = Date.now() + 20_000;
    while ((await request(port, { path: '/red/plivo/answer', body: 'a=1' })).status !== 403) {
      if (Date.now() > deadline) throw new Error(`the webhook did not start:\n${instance.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  instance.stop = async () => {
    const { child } = instance;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  await instance.start();
  return instance;
}

function signedRequest(params) {
  const nonce = `${Date.now()}${Math.floor(Math.random() * 1e9)}`;
  return {
    path: '/red/plivo/answer',
    headers: {
      host: 'flows.example.com',
      'x-plivo-signature-v3': plivoSignature(ACCOUNT.authToken, 'POST', SIGNED_URL, params, nonce),
      'x-plivo-signature-v3-nonce': nonce,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: form(params),
  };
}

/** The editor's own URL function, taken from the html Node-RED serves for the node. */
async function editorUrlFunction(port) {
  const html = await (await fetch(`http://127.0.0.1:${port}/nodes`, { headers: { accept: 'text/html' } })).text();
  const script = html.split('<script').find((part) => part.includes('function plivoWebhookUrl'));
  const source = script.slice(script.indexOf('>') + 1, script.indexOf('</script>'));
  let found;
  walk.simple(acorn.parse(source, { ecmaVersion: 'latest' }), {
    FunctionDeclaration(node) {
      if (node.id.name === 'plivoWebhookUrl') found = source.slice(node.start, node.end);
    },
  });
  return vm.runInNewContext(`(${found})`, { URL });
}

describe('replays across Node-RED instances and restarts (real Node-RED processes, real Redis)', function () {
  before(function () {
    needServer(this, 'redis-server');
  });
  this.timeout(90_000);
  let redis;
  const instances = [];

  before(async () => {
    redis = await startRedis();
    instances.push(await startInstance(redis.url), await startInstance(redis.url));
  });

  after(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    for (const instance of instances) fs.rmSync(instance.userDir, { recursive: true, force: true });
    await redis?.kill();
  });

  it('the editor shows the URL the runtime checks, httpNodeRoot included', async () => {
    const [a] = instances;
    const settings = await (await fetch(`http://127.0.0.1:${a.port}/settings`)).json();
    assert.equal(settings.httpNodeRoot, '/red/');
    const plivoWebhookUrl = await editorUrlFunction(a.port);
    assert.equal(plivoWebhookUrl('/plivo/answer', PUBLIC, settings.httpNodeRoot, 'http://127.0.0.1:1880'), SIGNED_URL);
    assert.equal((await request(a.port, signedRequest({ ...CALL, Step: 'editor' }))).status, 200, 'a request signed for it passes');
  });

  it('a request one instance accepted is refused by the other, either way round', async () => {
    const [a, b] = instances;
    const first = signedRequest({ ...CALL, Step: 'first' });
    assert.equal((await request(a.port, first)).status, 200);
    assert.equal((await request(b.port, first)).status, 403);
    const second = signedRequest({ ...CALL, Step: 'second' });
    assert.equal((await request(b.port, second)).status, 200);
    assert.equal((await request(a.port, second)).status, 403);
  });

  it('after a restart, an instance still refuses what was accepted before it', async () => {
    const [a] = instances;
    const before = signedRequest({ ...CALL, Step: 'before-restart' });
    assert.equal((await request(a.port, before)).status, 200);
    await a.stop();
    await a.start();
    assert.equal((await request(a.port, before)).status, 403);
  });

  it('Redis gone: each instance refuses the replays it saw itself, and says so once', async () => {
    const [a] = instances;
    await redis.kill();
    const during = signedRequest({ ...CALL, Step: 'redis-down' });
    assert.equal((await request(a.port, during)).status, 200, 'Plivo\'s requests still pass');
    assert.equal((await request(a.port, during)).status, 403);
    assert.equal((await request(a.port, signedRequest({ ...CALL, Step: 'redis-down-2' }))).status, 200);
    await waitFor(() => /cannot be used for webhook replay checks/.test(a.output), 'the warning');
    assert.equal(a.output.match(/cannot be used for webhook replay checks/g).length, 1, 'said once');
    assert.ok(!a.output.includes(ACCOUNT.authToken));
  });
});

describe('no replay slips through a restart or an outage of one instance\'s link to Redis (real Node-RED processes, real Redis)', function () {
  before(function () {
    needServer(this, 'redis-server');
  });
  this.timeout(120_000);
  let redis;
  let link;
  let a;
  let b;

  before(async () => {
    redis = await startRedis();
    link = await startLink(redis.port);
    // A reaches Redis through a link that can be cut or made slow; B directly.
    a = await startInstance(link.url);
    b = await startInstance(redis.url);
  });

  after(async () => {
    await Promise.all([a, b].filter(Boolean).map((instance) => instance.stop()));
    for (const instance of [a, b].filter(Boolean)) fs.rmSync(instance.userDir, { recursive: true, force: true });
    await link?.close();
    await redis?.kill();
  });

  it('a replay sent as soon as the webhook is up after a restart is refused: 0 accepted over 4 restarts', async () => {
    const captured = signedRequest({ ...CALL, Step: 'captured-before-restarts' });
    assert.equal((await request(a.port, captured)).status, 200);
    const answers = {};
    // Redis answers 0.7 s after each start (inside ioredis's command timeout), well after the webhook's route is live.
    link.slowConnect(700);
    try {
      for (let restart = 0; restart < 4; restart += 1) {
        await a.stop();
        await a.start();
        const { status } = await request(a.port, captured);
        answers[status] = (answers[status] ?? 0) + 1;
      }
    } finally {
      link.slowConnect(0);
    }
    assert.deepEqual(answers, { 403: 4 });
  });

  it('what A accepted while its link was cut is written to Redis when the link is back: B refuses it, and so does A after a restart', async () => {
    const since = a.output.length;
    link.cut();
    const during = signedRequest({ ...CALL, Step: 'accepted-during-outage' });
    assert.equal((await request(a.port, during)).status, 200, 'Plivo\'s request passes while Redis is out of reach');
    assert.equal((await request(a.port, during)).status, 403, 'A refuses its replay from its own memory');
    link.restore();
    await waitFor(() => /is back: webhook replays are refused across instances again \(1 accepted during the outage written back\)/.test(a.output.slice(since)),
      'A writing back what it accepted', 15_000);
    assert.equal((await request(b.port, during)).status, 403, 'B refuses it');
    await a.stop();
    await a.start();
    assert.equal((await request(a.port, during)).status, 403, 'A refuses it after a restart');
  });

  it('one accepted by both during the outage: A says, once the link is back, that a replay may have passed', async () => {
    const since = a.output.length;
    link.cut();
    const twice = signedRequest({ ...CALL, Step: 'accepted-twice' });
    assert.equal((await request(a.port, twice)).status, 200);
    assert.equal((await request(b.port, twice)).status, 200, 'B could not know: Plivo\'s scheme cannot stop this one');
    link.restore();
    await waitFor(() => /1 webhook request\(s\) this Node-RED accepted while it was unreachable had been accepted by another instance too: a replay may have passed/
      .test(a.output.slice(since)), 'the possible replay told', 15_000);
    assert.ok(!a.output.includes(ACCOUNT.authToken));
  });
});
