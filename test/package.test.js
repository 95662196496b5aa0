'use strict';
/**
 * The built package in a real Node-RED runtime, installed the way a user installs it:
 * `npm pack`, then `npm install <tarball>` in a fresh user dir, then Node-RED started on it,
 * with editor logins on. Every example runs there against the sandbox.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const WebSocket = require('ws');
const { startSandbox, sendWebhook, DEMO_CALL_UUID, DEMO_BROADCAST_CALLS } = require('../sandbox/plivo-sandbox.js');
const { freePort, prepareUserDir, startNodeRed, waitForNodeRed, EXAMPLE_FILES } = require('../scripts/dev-runtime.js');
const pkg = require('../package.json');

const root = path.join(__dirname, '..');
const USERS = {
  admin: { password: 'admin-pass-for-tests', hash: '$2b$08$3TRy7TZ6fz9pcosl/pxuV.q1xwhxx/24584KZOSZaMo9Ry.iqQsrO', permissions: '*' },
  viewer: { password: 'viewer-pass-for-tests', hash: '$2b$08$4wnk715xHt3uyeOGUd1UsOXYRHWOGcQPmTXfqrrHHZmBmpVXYBzku', permissions: 'read' },
};

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
  let adminToken;
  let sidebar;
  let log = '';

  async function login(username) {
    const response = await fetch(`${url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: 'node-red-admin', grant_type: 'password', scope: USERS[username].permissions, username, password: USERS[username].password,
      }),
    });
    assert.equal(response.status, 200, `login as ${username}`);
    return (await response.json()).access_token;
  }

  function api(pathname, { token = adminToken, ...init } = {}) {
    const headers = { ...(init.headers ?? {}), ...(token ? { authorization: `Bearer ${token}` } : {}) };
    return fetch(`${url}${pathname}`, { ...init, headers });
  }

  /** What Node-RED pushes to the editor's debug sidebar, as the editor receives it. */
  async function watchDebugSidebar() {
    const messages = [];
    const socket = new WebSocket(`${url.replace('http', 'ws')}/comms`);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const authenticated = new Promise((resolve, reject) => {
      socket.on('message', (data) => {
        for (const packet of [JSON.parse(String(data))].flat()) {
          if (packet.auth === 'ok') resolve();
          if (packet.auth === 'fail') reject(new Error('comms login failed'));
          if (packet.topic === 'debug') messages.push(packet.data);
        }
      });
    });
    socket.send(JSON.stringify({ auth: adminToken }));
    await authenticated;
    socket.send(JSON.stringify({ subscribe: 'debug' }));
    return { messages, close: () => socket.close() };
  }

  async function debugFrom(name, count = 1, timeoutMs = 10_000) {
    await until(() => sidebar.messages.filter((m) => m.name === name).length >= count, `${count} debug message(s) from "${name}"`, timeoutMs);
    return sidebar.messages.filter((m) => m.name === name).map((m) => m.msg);
  }

  async function pressInject(name) {
    const flows = await (await api('/flows')).json();
    const inject = flows.find((node) => node.type === 'inject' && node.name === name);
    assert.ok(inject, `an inject named "${name}"`);
    // Node-RED serves the editor a moment before the flows have started.
    let status = 0;
    for (let tries = 0; status !== 200 && tries < 50; tries += 1) {
      status = (await api(`/inject/${inject.id}`, { method: 'POST' })).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(status, 200, `pressing "${name}"`);
  }

  before(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plivo-play-pkg-'));
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', workDir],
      { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    packedFiles = packed.files.map((file) => file.path);

    sandbox = await startSandbox();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const userDir = path.join(workDir, 'user');
    prepareUserDir(userDir, {
      port,
      sandboxUrl: sandbox.url,
      adminAuth: {
        type: 'credentials',
        users: Object.entries(USERS).map(([username, user]) => ({ username, password: user.hash, permissions: user.permissions })),
      },
    });
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(workDir, packed.filename)],
      { cwd: userDir, stdio: 'ignore' });

    nodeRed = startNodeRed(userDir, sandbox.account, { stdio: ['ignore', 'pipe', 'pipe'] });
    nodeRed.stdout.on('data', (chunk) => { log += chunk; });
    nodeRed.stderr.on('data', (chunk) => { log += chunk; });
    await waitForNodeRed(url, nodeRed);
    adminToken = await login('admin');
    sidebar = await watchDebugSidebar();
  });

  after(async () => {
    sidebar?.close();
    if (nodeRed && nodeRed.exitCode === null) {
      const exited = new Promise((resolve) => nodeRed.once('exit', resolve));
      nodeRed.kill('SIGINT');
      await exited;
    }
    await sandbox?.close();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('ships dist, examples, README, LICENSE and CHANGELOG, and no sources, tests or sandbox', () => {
    const expected = ['dist/nodes/plivo-play.js', 'dist/nodes/plivo-play.html', 'dist/nodes/plivo-speak.js',
      'dist/nodes/plivo-speak.html', 'dist/nodes/icons/plivo-speak.svg', 'dist/nodes/locales/ja/plivo-speak.html',
      'resources/call-node-editor.js', 'dist/nodes/plivo-config.js',
      'dist/nodes/plivo-config.html', 'dist/nodes/icons/plivo-play.svg', 'dist/nodes/locales/en-US/plivo-play.json',
      'dist/nodes/locales/en-US/plivo-play.html', 'README.md', 'LICENSE', 'CHANGELOG.md', 'package.json',
      ...EXAMPLE_FILES.map((name) => `examples/${name}.json`)];
    for (const file of expected) {
      assert.ok(packedFiles.includes(file), `${file} is missing from the package`);
    }
    const unwanted = packedFiles.filter((file) => /^(test|sandbox|scripts|compat|bench|nodes|locales|icons|docs)\/|\.ts$/.test(file));
    assert.deepEqual(unwanted, []);
  });

  it('shows the README\'s pictures on npm too: each is an absolute link to a file in the repository', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const pictures = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((match) => match[1]);
    assert.ok(pictures.length >= 5, `the README shows ${pictures.length} pictures`);
    const base = 'https://raw.githubusercontent.com/plivo-flows/node-red-plivo-play/main/';
    assert.ok(pkg.repository.url.includes('github.com/plivo-flows/node-red-plivo-play'), 'the base matches package.json\'s repository');
    for (const picture of pictures) {
      assert.ok(picture.startsWith(base), `${picture} is not an absolute link to the repository`);
      assert.ok(fs.existsSync(path.join(root, picture.slice(base.length))), `${picture} names no file in the repository`);
    }
  });

  it('registers the eight node types', async () => {
    const sets = await (await api('/nodes', { headers: { accept: 'application/json' } })).json();
    const ours = sets.filter((set) => set.module === pkg.name);
    assert.deepEqual(ours.map((set) => set.types).flat().sort(), ['plivo-call', 'plivo-conference', 'plivo-config', 'plivo-make-call', 'plivo-play', 'plivo-speak', 'plivo-webhook', 'plivo-xml']);
    for (const set of ours) {
      assert.equal(set.enabled, true);
      assert.equal(set.err, undefined, `${set.id}: ${set.err}`);
    }
  });

  it('serves the editor templates and the help pages', async () => {
    const html = await (await api('/nodes', { headers: { accept: 'text/html' } })).text();
    for (const type of ['plivo-make-call', 'plivo-play', 'plivo-speak', 'plivo-call', 'plivo-conference', 'plivo-config', 'plivo-webhook', 'plivo-xml']) {
      assert.ok(html.includes(`data-template-name="${type}"`), `${type} editor template`);
      assert.ok(html.includes(`data-help-name="${type}"`), `${type} help`);
    }
    assert.ok(html.includes('A value set in the node wins'), 'help text');
    assert.ok(html.includes('<tr><td><code>pt-PT</code></td><td>Portuguese (Portugal)</td><td>WOMAN, MAN</td></tr>'),
      'plivo speak\'s help lists Plivo\'s languages');
    assert.ok(!html.includes('__SPEAK_LANGUAGES__') && !html.includes('<!-- speak-languages -->'), 'the build filled the list in');
    assert.ok(!html.includes('__XML_ELEMENTS__') && html.includes('"name":"GetDigits"'), 'the build filled plivo xml\'s elements in');
  });

  it('serves the call nodes\' shared editor script where their .html loads it from', async () => {
    const html = await (await api('/nodes', { headers: { accept: 'text/html' } })).text();
    const sources = [...html.matchAll(/<script src="([^"]+)"/g)].map((match) => match[1]).filter((src) => src.includes('plivo'));
    assert.deepEqual(sources, Array(5).fill(`resources/${pkg.name}/call-node-editor.js`));
    const response = await api(`/${sources[0]}`);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /window\.PlivoCallNodeEditor = \{/);
  });

  it('resolves the message catalogs', async () => {
    const catalogs = await (await api('/nodes/messages?lng=en-US')).json();
    assert.equal(catalogs[`${pkg.name}/plivo-play`]['plivo-play'].label.callUuid, 'Call UUID');
    assert.equal(catalogs[`${pkg.name}/plivo-config`]['plivo-config'].label.authToken, 'Auth Token');
    assert.equal(catalogs[`${pkg.name}/plivo-speak`]['plivo-speak'].label.language, 'Language');
  });

  it('serves the icons', async () => {
    for (const icon of ['plivo-play.svg', 'plivo-speak.svg', 'plivo-call.svg', 'plivo-xml.svg']) {
      const response = await api(`/icons/${pkg.name}/${icon}`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type'), /^image\/svg\+xml/);
      assert.match(await response.text(), /<svg/);
    }
  });

  it('lists every example under Import > Examples, and each one loads', async () => {
    assert.ok((await (await api('/library/examples/flows/')).json()).includes(pkg.name));
    const listed = await (await api(`/library/examples/flows/${pkg.name}`)).json();
    assert.deepEqual(listed.map((entry) => entry.fn).sort(), [...EXAMPLE_FILES].sort());
    for (const name of EXAMPLE_FILES) {
      const flow = await (await api(`/library/examples/flows/${pkg.name}/${name}`)).json();
      assert.ok(flow.some((node) => ['plivo-play', 'plivo-speak', 'plivo-call', 'plivo-xml'].includes(node.type)), `${name} uses a call or XML node`);
    }
  });

  describe('each example runs against the sandbox', () => {
    it('play audio into a call: the inject puts "play started" in the debug sidebar', async () => {
      await pressInject('play music.mp3');
      const [ack] = await debugFrom('Plivo\'s acknowledgement');
      assert.equal(JSON.parse(ack).message, 'play started');
      assert.ok(sandbox.requests.some((r) => r.path === `/v1/Account/${sandbox.account.authId}/Call/${DEMO_CALL_UUID}/Play/`));
    });

    it('answer a call: an unsigned request is refused; Plivo\'s signed webhook gets XML that keeps the call open, then the welcome plays', async () => {
      const params = { CallUUID: DEMO_CALL_UUID, From: '14155550100', To: '14155550199', CallStatus: 'in-progress' };
      const unsigned = await fetch(`${url}/plivo/answer`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(params),
      });
      assert.equal(unsigned.status, 403);
      const response = await sendWebhook(sandbox.account.authToken, `${url}/plivo/answer`, params);
      assert.equal(response.status, 200);
      assert.equal(response.body, '<Response><Wait length="120"/></Response>', 'plivo xml\'s answer');
      assert.equal(response.contentType, 'application/xml; charset=utf-8');
      const [greeted] = await debugFrom('greeted');
      assert.equal(JSON.parse(greeted).message, 'speak started');
      const [played] = await debugFrom('played');
      assert.equal(JSON.parse(played).message, 'play started');
      const forCall = sandbox.requests.filter((r) => r.path.includes(DEMO_CALL_UUID)).slice(-2);
      assert.deepEqual(forCall.map((r) => r.path.split('/')[6]), ['Speak', 'Play'], 'the greeting, then the music');
      assert.deepEqual(forCall[0].json, { text: 'Welcome to Acme. Please hold, we will be with you shortly.', voice: 'WOMAN', language: 'en-US' });
    });

    it('npm start\'s "a call comes in": the sandbox places a call, Plivo\'s signed webhook reaches the flow, and the welcome plays into that call', async () => {
      await pressInject('a call comes in');
      const [placed] = await debugFrom('the sandbox placed the call');
      const call = JSON.parse(placed);
      assert.equal(call.webhook_status, 200);
      assert.equal(call.webhook_answer, '<Response><Wait length="120"/></Response>');
      const played = await debugFrom('played', 2);
      assert.equal(JSON.parse(played[1]).message, 'play started');
      const plays = sandbox.requests.filter((r) => r.path === `/v1/Account/${sandbox.account.authId}/Call/${call.call_uuid}/Play/`);
      assert.equal(plays.length, 1);
      assert.equal(plays[0].status, 202);
    });

    it('the queue: each caller hears their place, and the callers behind hear the new one when the first hangs up', async () => {
      const calls = [];
      for (let n = 1; n <= 3; n += 1) {
        await pressInject('a caller joins the queue');
        const joined = await debugFrom('a caller joined', n);
        calls.push(JSON.parse(joined[n - 1]).call_uuid);
      }
      const speaks = () => sandbox.requests.filter((r) => r.path.endsWith('/Speak/') && calls.includes(r.path.split('/')[5]))
        .map((r) => [calls.indexOf(r.path.split('/')[5]) + 1, r.json.text, r.status]);
      const place = (n) => `You are caller number ${n} in the queue. Please hold.`;
      await until(() => speaks().length === 3, 'three callers told their place');
      assert.deepEqual(speaks().sort(), [[1, place(1), 202], [2, place(2), 202], [3, place(3), 202]]);
      await pressInject('the first caller hangs up');
      const [hungUp] = await debugFrom('a caller hung up');
      assert.equal(JSON.parse(hungUp).webhook_status, 200);
      await until(() => speaks().length === 5, 'the two callers behind told their new place');
      assert.deepEqual(speaks().slice(3).sort(), [[2, place(1), 202], [3, place(2), 202]]);
    });

    it('hold music from env: the call UUID from msg.call.uuid, the URL from the group\'s HOLD_MUSIC_URL', async () => {
      await pressInject('put the caller on hold');
      const [ack] = await debugFrom('on hold');
      assert.equal(JSON.parse(ack).message, 'play started');
      const [request] = sandbox.requests.filter((r) => r.path === `/v1/Account/${sandbox.account.authId}/Call/${DEMO_CALL_UUID}/Play/`).slice(-1);
      assert.deepEqual(request.json, { urls: 'https://s3.amazonaws.com/plivocloud/music.mp3', loop: true });
    });

    it('stop playback: one node plays in a loop, then stops', async () => {
      await pressInject('play hold music');
      assert.deepEqual(await debugFrom('Plivo\'s answer'), ['202']);
      await pressInject('stop the music');
      assert.deepEqual(await debugFrom('Plivo\'s answer', 2), ['202', '204']);
      const forCall = sandbox.requests.filter((r) => r.path.includes(DEMO_CALL_UUID)).map((r) => [r.method, r.json?.loop]);
      assert.deepEqual(forCall.slice(-2), [['POST', true], ['DELETE', undefined]]);
    });

    it('broadcast: two callers hang up during it; their plays are skipped unsent, the live calls play, the unseen ended one gets one 404', async () => {
      await pressInject('calls to reach');
      await pressInject('two callers hang up');
      const hungUp = await debugFrom('caller hung up', 2);
      assert.deepEqual(hungUp.sort(), [DEMO_BROADCAST_CALLS[2], DEMO_BROADCAST_CALLS[3]].sort());
      const played = await debugFrom('played', 4);
      assert.equal(played.length, 4, 'the answer example\'s two plays, then the two calls still live');
      const notPlayed = await debugFrom('not played', 3);
      const ended = (uuid) => new RegExp(`^call ${uuid}: Not sent: the call has ended \\(at \\d\\d:\\d\\d:\\d\\d, told by its hangup webhook\\)`);
      assert.match(notPlayed[0], ended(DEMO_BROADCAST_CALLS[2]));
      assert.match(notPlayed[1], ended(DEMO_BROADCAST_CALLS[3]));
      assert.equal(notPlayed[2], 'call 5d823e64-7fb0-4192-83a4-1e2f30415265: Plivo API error: 404 not found');
      const sentFor = (uuid) => sandbox.requests.filter((r) => r.path.includes(uuid)).length;
      assert.deepEqual(DEMO_BROADCAST_CALLS.map(sentFor), [1, 1, 0, 0], 'no request for the calls that hung up');
    });

    it('record a call: the recording\'s URL in the sidebar, then the recording stopped', async () => {
      await pressInject('record the call');
      const [recording] = await debugFrom('recording URL');
      assert.match(recording, /^https:\/\/media\.plivo\.com\/v1\/Account\/.+\.mp3$/);
      assert.deepEqual(await debugFrom('recording stopped'), ['204']);
      const forCall = sandbox.requests.filter((r) => r.path.startsWith(`/v1/Account/${sandbox.account.authId}/Call/${DEMO_CALL_UUID}/Record/`));
      assert.deepEqual(forCall.map((r) => [r.method, r.json, r.status]), [
        ['POST', { time_limit: 300, file_format: 'mp3' }, 202], ['DELETE', { URL: recording }, 204],
      ]);
    });

    it('transfer a caller to another flow: the menu\'s URL is sent, and Plivo\'s signed request reaches the menu', async () => {
      await pressInject('transfer the caller');
      const [transferred] = await debugFrom('transferred');
      assert.equal(JSON.parse(transferred).message, 'call transferred');
      const [request] = sandbox.requests.filter((r) => r.method === 'POST' && r.path === `/v1/Account/${sandbox.account.authId}/Call/${DEMO_CALL_UUID}/`);
      assert.deepEqual(request.json, { legs: 'aleg', aleg_url: `${url}/plivo/menu`, aleg_method: 'POST' });
      assert.deepEqual(await debugFrom('caller in the menu'), [DEMO_CALL_UUID]);
      await sandbox.webhooksSettled();
      assert.equal(sandbox.webhooks.find((hook) => hook.url === `${url}/plivo/menu`).status, 200);
    });

    /** A demo call of the sandbox's to `path`; resolves with its UUID once its XML waits for a key or has ended. */
    async function callIn(answerPath) {
      const placed = await fetch(`${sandbox.url}/sandbox/calls`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ answer_url: `${url}${answerPath}` }),
      });
      assert.equal(placed.status, 201);
      const call = await placed.json();
      assert.equal(call.webhook_status, 200);
      return call.call_uuid;
    }
    const logOf = (uuid) => sandbox.callLog(uuid);
    const waitingForKeys = (uuid) => sandbox.call(uuid)?.waiting?.element === 'GetDigits';

    it('phone menu: the answer is plivo xml\'s menu; pressing 1 dials sales, 2 tells the place and goes back, 9 hears the menu again', async () => {
      const uuid = await callIn('/plivo/phone-menu');
      await until(() => waitingForKeys(uuid), 'the menu waits for a key');
      const menu = logOf(uuid).find((entry) => entry.element === 'GetDigits');
      assert.equal(menu.action, `${url}/plivo/phone-menu/digits`, 'the action is the digits webhook\'s URL, from the request answered');
      assert.equal(logOf(uuid)[0].text, 'Press 1 for sales. Press 2 to hear your place in the queue. Press any other key to hear this again.');
      assert.ok(sandbox.press(uuid, '2'));
      await until(() => logOf(uuid).filter((entry) => entry.element === 'GetDigits').length === 2 && waitingForKeys(uuid), 'back in the menu');
      assert.deepEqual(await debugFrom('key pressed'), ['2']);
      assert.match(logOf(uuid).find((entry) => entry.element === 'Speak' && entry.text.startsWith('You are number')).text, /^You are number \d+ in the queue\.$/);
      assert.ok(sandbox.press(uuid, '9'));
      await until(() => logOf(uuid).filter((entry) => entry.element === 'GetDigits').length === 3 && waitingForKeys(uuid), 'the menu again');
      assert.ok(sandbox.press(uuid, '1'));
      await until(() => !sandbox.call(uuid), 'the call to end');
      const steps = logOf(uuid).map((entry) => entry.element);
      assert.deepEqual(steps.slice(-4), ['Speak', 'Dial', 'Speak', 'end']);
      assert.deepEqual(logOf(uuid).find((entry) => entry.element === 'Dial').to, ['+14155550123']);
      assert.equal(logOf(uuid).at(-1).cause, 'NORMAL_CLEARING');
      // Every webhook of the call was signed as Plivo signs them, and accepted.
      await sandbox.webhooksSettled();
      const hooks = sandbox.webhooks.filter((hook) => hook.params.CallUUID === uuid);
      assert.deepEqual(hooks.map((hook) => [new URL(hook.url).pathname, hook.params.Digits, hook.status]), [
        ['/plivo/phone-menu/digits', '2', 200], ['/plivo/phone-menu', undefined, 200], ['/plivo/phone-menu/digits', '9', 200],
        ['/plivo/phone-menu', undefined, 200], ['/plivo/phone-menu/digits', '1', 200],
      ]);
    });

    it('voicemail: the greeting records, Plivo\'s recording reaches the flow, its URL in the sidebar, and the call ends', async () => {
      const uuid = await callIn('/plivo/voicemail');
      const [recordUrl] = await debugFrom('voicemail recording URL');
      assert.match(recordUrl, /^https:\/\/media\.plivo\.com\/v1\/Account\/.+\.mp3$/);
      await until(() => !sandbox.call(uuid), 'the call to end');
      assert.deepEqual(logOf(uuid).map((entry) => entry.element), ['Speak', 'Record', 'Speak', 'Hangup', 'end']);
      assert.equal(logOf(uuid).find((entry) => entry.element === 'Record').recordUrl, recordUrl);
    });

    /** The call UUID of the outbound call Plivo's callbacks tied to `requestUuid`. */
    const callOfRequest = (requestUuid) => sandbox.webhooks.find((hook) => hook.params?.RequestUUID === requestUuid && hook.params.CallUUID)?.params.CallUUID;

    it('call me when the alarm fires: the call is placed, the answer speaks the alarm\'s own text, and the outcome is answered', async () => {
      await pressInject('the alarm fires');
      const [requestUuid] = await debugFrom('alarm call placed');
      assert.match(requestUuid, /^[0-9a-f-]{36}$/);
      assert.deepEqual(await debugFrom('alarm call outcome'), ['answered']);
      const spoken = logOf(callOfRequest(requestUuid)).filter((entry) => entry.element === 'Speak').map((entry) => entry.text);
      assert.deepEqual(spoken, ['Disk full on db-1: 97 percent used.']);
    });

    it('appointment reminders: 20 calls at the account\'s calls per second; answers and outcomes in one summary', async function () {
      this.timeout(90_000);
      const before = sandbox.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Call/')).length;
      await pressInject('send the reminders');
      // Twenty calls at two a second, the last ringing out unanswered for 20 s.
      const [summary] = await debugFrom('reminders summary', 1, 60_000);
      const rows = JSON.parse(summary);
      assert.equal(rows.length, 20);
      const byName = Object.fromEntries(rows.map((row) => [row.name, [row.outcome, row.answer]]));
      assert.deepEqual(byName.Ada, ['answered', 'confirmed']);
      assert.deepEqual(byName.Chloe, ['answered', 'cancelled']);
      assert.deepEqual(byName.Dev, ['busy', 'none']);
      assert.deepEqual(byName.Farid, ['no-answer', 'none']);
      assert.deepEqual(byName.Olga, ['failed', 'none']);
      const placed = sandbox.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Call/')).slice(before).map((r) => r.at);
      assert.equal(placed.length, 20);
      for (const at of placed) assert.ok(placed.filter((other) => other >= at && other < at + 1000).length <= 2, 'at most 2 calls a second');
    });

    it('incident bridge: three engineers join the room, the lead alone hears the alarm; mute all but the lead, record, end the bridge', async function () {
      this.timeout(60_000);
      const room = async () => (await fetch(`${sandbox.url}/sandbox/conferences/incident`)).json();
      await pressInject('the incident alarm fires');
      assert.equal((await debugFrom('engineer called', 3)).length, 3);
      assert.deepEqual(await debugFrom('bridge event', 3, 30_000), ['enter', 'enter', 'enter']);
      await debugFrom('lead told');
      const joined = await room();
      assert.equal(joined.members.length, 3);
      const told = joined.members.filter((member) => member.speaking);
      assert.equal(told.length, 1, 'the alarm is spoken to one member');
      assert.deepEqual(told[0].speaking, { namedAs: told[0].member_id, what: 'Major incident: checkout is failing for all customers.' });
      await pressInject('mute everyone but the lead');
      await debugFrom('muted members');
      assert.deepEqual((await room()).members.map((member) => member.muted), joined.members.map((member) => member !== told[0]));
      await pressInject('record the room');
      const [recording] = await debugFrom('bridge recording URL');
      assert.equal((await room()).recording.url, recording);
      await pressInject('end the bridge');
      assert.deepEqual(await debugFrom('bridge ended'), ['204']);
      assert.deepEqual(await debugFrom('engineer call outcome', 3, 20_000), ['answered', 'answered', 'answered']);
      assert.equal((await fetch(`${sandbox.url}/sandbox/conferences/incident`)).status, 404);
      assert.equal(sidebar.messages.filter((m) => m.name === 'bridge error').length, 0);
    });

    it('npm start\'s menu caller: "a call comes in to the menu", then "the caller presses 1" dials sales', async () => {
      await pressInject('a call comes in to the menu');
      const [placed] = await debugFrom('a caller called the menu');
      const uuid = JSON.parse(placed).call_uuid;
      await until(() => waitingForKeys(uuid), 'the menu waits for a key');
      await pressInject('the caller presses 1');
      const [pressed] = await debugFrom('pressed 1');
      assert.equal(JSON.parse(pressed).call_uuid, uuid);
      await until(() => !sandbox.call(uuid), 'the call to end');
      assert.deepEqual(logOf(uuid).find((entry) => entry.element === 'Dial').to, ['+14155550123']);
    });

    it('npm start\'s voicemail caller: "a call comes in to the voicemail" leaves a recording', async () => {
      await pressInject('a call comes in to the voicemail');
      const [placed] = await debugFrom('a caller called the voicemail');
      const uuid = JSON.parse(placed).call_uuid;
      await until(() => !sandbox.call(uuid), 'the call to end');
      const recordings = await debugFrom('voicemail recording URL', 2);
      assert.equal(recordings[1], logOf(uuid).find((entry) => entry.element === 'Record').recordUrl);
    });

    it('never writes the Auth Token to the Node-RED log', () => {
      assert.ok(!log.includes(sandbox.account.authToken));
    });
  });

  describe('the Verify endpoint', () => {
    const body = () => JSON.stringify({ authId: sandbox.account.authId, authToken: sandbox.account.authToken, baseUrl: sandbox.url });
    const post = (token) => api('/plivo-config/verify', {
      token, method: 'POST', headers: { 'content-type': 'application/json' }, body: body(),
    });

    it('answers a user with plivo-config.write', async () => {
      const response = await post(adminToken);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { ok: true, name: 'Plivo Sandbox', authId: sandbox.account.authId });
    });

    it('refuses a read-only user and an anonymous one', async () => {
      assert.equal((await post(await login('viewer'))).status, 401);
      assert.equal((await post(null)).status, 401);
    });
  });
});
