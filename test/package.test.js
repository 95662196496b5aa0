'use strict';
/**
 * The built package in a real Node-RED runtime, installed the way a user installs it:
 * `npm pack`, then `npm install <tarball>` in a fresh user dir, then Node-RED started on it.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const WebSocket = require('ws');
const { startSandbox, DEMO_CALL_UUID } = require('../sandbox/plivo-sandbox.js');
const { prepareUserDir, startNodeRed, waitForNodeRed } = require('../scripts/dev-runtime.js');
const pkg = require('../package.json');

const root = path.join(__dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Collects what Node-RED pushes to the editor's debug sidebar. */
function watchDebugSidebar(url) {
  const messages = [];
  const socket = new WebSocket(`${url.replace('http', 'ws')}/comms`);
  const ready = new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.send(JSON.stringify({ subscribe: 'debug' }));
      resolve();
    });
    socket.once('error', reject);
  });
  socket.on('message', (data) => {
    for (const packet of JSON.parse(String(data))) {
      if (packet.topic === 'debug') messages.push(packet.data);
    }
  });
  return { messages, ready, close: () => socket.close() };
}

async function until(condition, what, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the packed package in a real Node-RED runtime', function () {
  this.timeout(120_000);
  let workDir;
  let sandbox;
  let nodeRed;
  let url;
  let packedFiles;
  let log = '';

  before(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plivo-play-pkg-'));
    const [packed] = JSON.parse(execFileSync(npm, ['pack', '--json', '--pack-destination', workDir],
      { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    packedFiles = packed.files.map((file) => file.path);

    sandbox = await startSandbox();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const userDir = path.join(workDir, 'user');
    prepareUserDir(userDir, { port, sandboxUrl: sandbox.url });
    execFileSync(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(workDir, packed.filename)],
      { cwd: userDir, stdio: 'ignore' });

    nodeRed = startNodeRed(userDir, sandbox.account, { stdio: ['ignore', 'pipe', 'pipe'] });
    nodeRed.stdout.on('data', (chunk) => { log += chunk; });
    nodeRed.stderr.on('data', (chunk) => { log += chunk; });
    await waitForNodeRed(url, nodeRed);
  });

  after(async () => {
    if (nodeRed && nodeRed.exitCode === null) {
      const exited = new Promise((resolve) => nodeRed.once('exit', resolve));
      nodeRed.kill('SIGINT');
      await exited;
    }
    await sandbox?.close();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('ships dist, examples, README, LICENSE and CHANGELOG, and no sources, tests or sandbox', () => {
    for (const file of ['dist/nodes/plivo-play.js', 'dist/nodes/plivo-play.html', 'dist/nodes/plivo-config.js',
      'dist/nodes/plivo-config.html', 'dist/nodes/icons/plivo-play.svg', 'dist/nodes/locales/en-US/plivo-play.json',
      'dist/nodes/locales/en-US/plivo-play.html', 'examples/play-audio-into-a-call.json',
      'README.md', 'LICENSE', 'CHANGELOG.md', 'package.json']) {
      assert.ok(packedFiles.includes(file), `${file} is missing from the package`);
    }
    const unwanted = packedFiles.filter((file) => /^(test|sandbox|scripts|nodes|locales|icons)\/|\.ts$/.test(file));
    assert.deepEqual(unwanted, []);
  });

  it('registers both node types', async () => {
    const sets = await (await fetch(`${url}/nodes`, { headers: { accept: 'application/json' } })).json();
    const ours = sets.filter((set) => set.module === pkg.name);
    assert.deepEqual(ours.map((set) => set.types).flat().sort(), ['plivo-config', 'plivo-play']);
    for (const set of ours) {
      assert.equal(set.enabled, true);
      assert.equal(set.err, undefined, `${set.id}: ${set.err}`);
    }
  });

  it('serves the editor templates and the help pages', async () => {
    const html = await (await fetch(`${url}/nodes`, { headers: { accept: 'text/html' } })).text();
    for (const type of ['plivo-play', 'plivo-config']) {
      assert.ok(html.includes(`data-template-name="${type}"`), `${type} editor template`);
      assert.ok(html.includes(`data-help-name="${type}"`), `${type} help`);
    }
    assert.ok(html.includes('A value set in the node wins'), 'help text');
  });

  it('resolves the message catalogs', async () => {
    const catalogs = await (await fetch(`${url}/nodes/messages?lng=en-US`)).json();
    assert.equal(catalogs[`${pkg.name}/plivo-play`]['plivo-play'].label.callUuid, 'Call UUID');
    assert.equal(catalogs[`${pkg.name}/plivo-config`]['plivo-config'].label.authToken, 'Auth Token');
  });

  it('serves the icon', async () => {
    const response = await fetch(`${url}/icons/${pkg.name}/plivo-play.svg`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type'), /^image\/svg\+xml/);
    assert.match(await response.text(), /<svg/);
  });

  it('runs the example flow: the inject puts "play started" in the debug sidebar', async () => {
    const sidebar = watchDebugSidebar(url);
    try {
      await sidebar.ready;
      const flows = await (await fetch(`${url}/flows`)).json();
      const inject = flows.find((node) => node.type === 'inject');
      assert.equal((await fetch(`${url}/inject/${inject.id}`, { method: 'POST' })).status, 200);
      await until(() => sidebar.messages.length > 0, 'a debug message');
      const [debug] = sidebar.messages;
      assert.equal(debug.name, 'Plivo\'s acknowledgement');
      assert.equal(JSON.parse(debug.msg).message, 'play started');
      assert.equal(sandbox.requests.length, 1);
      assert.equal(sandbox.requests[0].path, `/v1/Account/${sandbox.account.authId}/Call/${DEMO_CALL_UUID}/Play/`);
      assert.ok(!log.includes(sandbox.account.authToken), 'the token is in the Node-RED log');
    } finally {
      sidebar.close();
    }
  });
});
