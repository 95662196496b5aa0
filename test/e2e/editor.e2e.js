'use strict';
/**
 * `npm run test:e2e`: the editor in a real browser (Debian's Chromium, driven by
 * playwright-core), doing what a new user does: drag plivo play in from the palette, wire
 * it, fill in its dialog and a new account (verifying it), deploy, press the inject and read
 * the answer in the debug sidebar; then add a plivo webhook in front of plivo play, and let
 * the sandbox call it as Plivo would; then plivo speak beside it, whose language menu shows each
 * language's voices; then plivo call (palette, a dialog per operation, a URL naming the plivo webhook node, a
 * hang-up reaching the sandbox); then plivo xml (a two-element menu built in its dialog, whose GetDigits action
 * names a plivo webhook node; a sandbox call that presses 1 takes the right branch); then plivo make call's and
 * plivo conference's dialogs. Screenshots go to E2E_SCREENSHOTS (test-results/e2e).
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { startSandbox, DEMO_CALL_UUID } = require('../../sandbox/plivo-sandbox.js');
const { freePort, prepareUserDir, linkPackage, startNodeRed, waitForNodeRed } = require('../../scripts/dev-runtime.js');

const root = path.join(__dirname, '..', '..');
const SHOTS = path.resolve(root, process.env.E2E_SCREENSHOTS ?? 'test-results/e2e');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TOKEN = 'e2e-SECRET-token-5f3a9c';
const AUTH_ID = 'MAE2ETESTACCOUNT0001';
const URL_A = 'https://s3.amazonaws.com/plivocloud/music.mp3';
/** Hold music from an environment variable, for the typed inputs. */
const HOLD_ENV = 'E2E_HOLD_MUSIC';
const URL_HOLD = 'https://media.example.com/hold.mp3';

/** The flow a user starts from: an inject with a call, and a debug node, not yet wired. */
function startingFlow() {
  return [
    { id: 'e2e-tab', type: 'tab', label: 'Flow 1' },
    {
      id: 'e2e-inject', type: 'inject', z: 'e2e-tab', name: 'call comes in', props: [{ p: 'payload' }], repeat: '',
      crontab: '', once: false, onceDelay: 0.1, topic: '', payloadType: 'json',
      payload: JSON.stringify({ call_uuid: DEMO_CALL_UUID }), x: 160, y: 140, wires: [[]],
    },
    {
      id: 'e2e-debug', type: 'debug', z: 'e2e-tab', name: 'answer', active: true, tosidebar: true, console: false,
      tostatus: false, complete: 'payload', targetType: 'msg', statusVal: '', statusType: 'auto', x: 640, y: 140, wires: [],
    },
  ];
}

describe('the editor in a real browser', function () {
  this.timeout(180_000);
  let workDir;
  let userDir;
  let sandbox;
  let nodeRed;
  let url;
  let browser;
  let page;

  const shot = (name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });

  async function drag(from, to) {
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 8 });
    await page.mouse.move(to.x, to.y, { steps: 8 });
    await page.mouse.up();
  }

  async function centre(locator) {
    const box = await locator.boundingBox();
    assert.ok(box, 'element is on screen');
    return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  }

  const nodeOnCanvas = (label) => page.locator('#red-ui-workspace-chart g.red-ui-flow-node-group', { hasText: label }).first();

  async function wire(fromLabel, toLabel) {
    const output = nodeOnCanvas(fromLabel).locator('.red-ui-flow-port-output .red-ui-flow-port').first();
    const input = nodeOnCanvas(toLabel).locator('.red-ui-flow-port-input .red-ui-flow-port').first();
    await drag(await centre(output), await centre(input));
  }

  /** A typed input hides the field's own input and shows its container (type menu, text box or choices) after it. */
  const typedInputOf = (field) => page.locator(`#node-input-${field} + .red-ui-typedInput-container`);
  const typedInputText = (field) => typedInputOf(field).locator('input.red-ui-typedInput-input');

  /** Picks one of a typed input's fixed choices from its drop-down, as a user does. */
  async function chooseOption(field, value) {
    await typedInputOf(field).locator('button.red-ui-typedInput-option-trigger').click();
    await page.locator(`.red-ui-typedInput-options:visible a[value="${value}"]`).click();
  }

  /** Switches a typed input to another type (msg, env, ...) from its type menu, and types the value. */
  async function chooseSource(field, type, value) {
    await typedInputOf(field).locator('button.red-ui-typedInput-type-select').click();
    await page.locator(`.red-ui-typedInput-options:visible a[value="${type}"]`).click();
    await typedInputText(field).fill(value);
  }

  /** Deploys, and waits until the editor lifts the shade it lays over the page meanwhile (at least 300 ms). */
  async function deploy() {
    await clearNotifications();
    await page.click('#red-ui-header-button-deploy');
    await page.locator('.red-ui-notification', { hasText: 'Successfully deployed' }).waitFor();
    await page.locator('#red-ui-header-shade').waitFor({ state: 'hidden' });
  }

  /** Deploy and inject notices would cover the pictures the README uses. */
  const clearNotifications = () => page.evaluate(() => document.querySelectorAll('.red-ui-notification').forEach((element) => element.remove()));

  async function showSidebar(tab) {
    await page.evaluate((name) => window.RED.sidebar.show(name), tab);
  }

  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plivo-play-e2e-'));
    userDir = path.join(workDir, 'user');
    sandbox = await startSandbox({ authId: AUTH_ID, authToken: TOKEN, accountName: 'Acme Support Line' });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    fs.mkdirSync(userDir, { recursive: true });
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(startingFlow()));
    prepareUserDir(userDir, { port, sandboxUrl: sandbox.url });
    linkPackage(userDir);
    process.env[HOLD_ENV] = URL_HOLD;
    nodeRed = startNodeRed(userDir, { authId: '', authToken: '' }, { stdio: 'ignore' });
    delete process.env[HOLD_ENV];
    await waitForNodeRed(url, nodeRed);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'] });
    await page.goto(url);
    await page.waitForSelector('#red-ui-workspace-chart g.red-ui-flow-node-group', { timeout: 60_000 });
  });

  after(async () => {
    await browser?.close();
    if (nodeRed && nodeRed.exitCode === null) {
      const exited = new Promise((resolve) => nodeRed.once('exit', resolve));
      nodeRed.kill('SIGINT');
      await exited;
    }
    await sandbox?.close();
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('finds plivo play in the palette, under telephony', async () => {
    await page.locator('#red-ui-palette-search input').pressSequentially('plivo', { delay: 30 });
    const entry = page.locator('.red-ui-palette-node[data-palette-type="plivo-play"]');
    await entry.waitFor({ state: 'visible' });
    assert.equal((await entry.innerText()).trim(), 'plivo play');
    assert.equal(await page.locator('#red-ui-palette-telephony .red-ui-palette-node[data-palette-type="plivo-play"]').count(), 1);
    // The search filters the palette a moment after typing: the picture shows it filtered.
    await page.locator('.red-ui-palette-node[data-palette-type="inject"]').waitFor({ state: 'hidden' });
    await shot('1-palette');
  });

  it('drags it onto the workspace and wires inject -> plivo play -> debug', async () => {
    const entry = page.locator('.red-ui-palette-node[data-palette-type="plivo-play"]');
    await entry.scrollIntoViewIfNeeded();
    const inject = await centre(nodeOnCanvas('call comes in'));
    await drag(await centre(entry), { x: inject.x + 240, y: inject.y + 1 });
    await nodeOnCanvas('plivo play').waitFor();
    await wire('call comes in', 'plivo play');
    await wire('plivo play', 'answer');
    const links = await page.evaluate(() => window.RED.nodes.filterLinks({}).map((l) => [l.source.type, l.target.type]));
    assert.deepEqual(links.sort(), [['inject', 'plivo-play'], ['plivo-play', 'debug']]);
  });

  it('opens its dialog with the documented fields and defaults, and its help', async () => {
    await nodeOnCanvas('plivo play').dblclick();
    await typedInputText('callUuid').waitFor();
    assert.equal(await page.inputValue('#node-input-action'), 'play');
    for (const field of ['callUuid', 'urls', 'length', 'name']) {
      assert.equal(await page.inputValue(`#node-input-${field}`), '', `${field} starts blank`);
    }
    for (const field of ['legs', 'loop', 'mix']) {
      assert.equal(await page.inputValue(`#node-input-${field}`), '', `${field} starts "from msg.payload"`);
      assert.equal(await page.inputValue(`#node-input-${field}Type`), 'fixed');
      assert.equal((await typedInputOf(field).innerText()).trim(), 'from msg.payload');
    }
    for (const [field, type] of [['callUuid', 'str'], ['urls', 'str'], ['length', 'num']]) {
      assert.equal(await page.inputValue(`#node-input-${field}Type`), type, `${field} starts as a fixed value`);
    }
    assert.equal(await typedInputText('callUuid').getAttribute('placeholder'), 'from msg.payload.call_uuid');
    assert.equal(await page.isChecked('#node-input-errorOutput'), false);
    assert.equal(await page.inputValue('#node-input-priority'), 'normal');
    assert.equal(await page.inputValue('#node-input-maxWait'), '', 'no maximum wait');
    assert.equal(await page.getAttribute('#node-input-maxWait', 'placeholder'), 'seconds in the queue (blank: no limit, or msg.maxWait)');
    assert.match(await page.locator('.red-ui-editor .form-tips').first().innerText(), /A fixed value set here wins over the message/);
    await showSidebar('help');
    const help = page.locator('.red-ui-help', { hasText: 'A value set in the node wins' }).last();
    await help.waitFor();
    assert.match(await help.innerText(), /Plays audio files into a live Plivo call/);
  });

  it('adds a new Plivo account and verifies it', async () => {
    await page.locator('#node-input-account').locator('xpath=..').locator('a.red-ui-button:has(i.fa-plus)').click();
    await page.waitForSelector('#node-config-input-authId', { state: 'visible' });
    assert.equal(await page.inputValue('#node-config-input-baseUrl'), 'https://api.plivo.com');
    assert.equal(await page.getAttribute('#node-config-input-authToken', 'type'), 'password');
    await page.fill('#node-config-input-name', 'Support line');
    await page.fill('#node-config-input-authId', AUTH_ID);
    await page.fill('#node-config-input-authToken', TOKEN);
    await page.fill('#node-config-input-baseUrl', sandbox.url);
    await page.click('#plivo-config-verify');
    await page.waitForSelector('#plivo-config-verify-result.plivo-config-verify-ok');
    assert.equal(await page.innerText('#plivo-config-verify-result'), 'verified: Acme Support Line');
    await shot('3-account-dialog');
    await page.click('#node-config-dialog-ok');
    await page.waitForSelector('#node-config-input-authId', { state: 'detached' });
  });

  it('sets the URL, legs, loop, mix, length, priority and max wait, and saves', async () => {
    await typedInputText('urls').fill(URL_A);
    await page.selectOption('#node-input-priority', 'high');
    await page.fill('#node-input-maxWait', ' 30 ');
    await chooseOption('legs', 'both');
    await chooseOption('loop', 'false');
    await chooseOption('mix', 'true');
    await typedInputText('length').fill('20');
    await shot('2-edit-dialog');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-input-callUuid', { state: 'detached' });
  });

  it('deploys, and the saved flow holds the values as set and never the token', async () => {
    await deploy();
    const flows = await (await fetch(`${url}/flows`)).json();
    const play = flows.find((node) => node.type === 'plivo-play');
    const account = flows.find((node) => node.type === 'plivo-config');
    assert.deepEqual(
      { action: play.action, legs: play.legs, loop: play.loop, mix: play.mix, length: play.length, callUuid: play.callUuid, urls: play.urls,
        priority: play.priority, maxWait: play.maxWait },
      { action: 'play', legs: 'both', loop: 'false', mix: 'true', length: '20', callUuid: '', urls: URL_A, priority: 'high', maxWait: '30' },
    );
    assert.equal(play.account, account.id);
    assert.equal(account.baseUrl, sandbox.url);
    assert.equal(account.name, 'Support line');
    assert.ok(!JSON.stringify(flows).includes(TOKEN), 'the token is in GET /flows');
    const flowsFile = fs.readFileSync(path.join(userDir, 'flows.json'), 'utf8');
    assert.ok(!flowsFile.includes(TOKEN), 'the token is in flows.json');
    const credentialsFile = fs.readFileSync(path.join(userDir, 'flows_cred.json'), 'utf8');
    assert.ok(!credentialsFile.includes(TOKEN), 'the token is stored unencrypted');
  });

  it('presses the inject and reads "play started" in the debug sidebar', async () => {
    await showSidebar('debug');
    await nodeOnCanvas('call comes in').locator('.red-ui-flow-node-button').click();
    const message = page.locator('.red-ui-debug-msg', { hasText: 'play started' }).first();
    await message.waitFor({ timeout: 15_000 });
    assert.match(await message.innerText(), /play started/);
    const [verify, request] = sandbox.requests;
    assert.equal(`${verify.method} ${verify.path}`, `GET /v1/Account/${AUTH_ID}/`, 'the Verify button\'s request');
    assert.equal(`${request.method} ${request.path}`, `POST /v1/Account/${AUTH_ID}/Call/${DEMO_CALL_UUID}/Play/`);
    assert.deepEqual(request.json, { urls: URL_A, legs: 'both', loop: false, mix: true, length: 20 });
    await page.waitForSelector('#red-ui-workspace-chart text:has-text("play started")');
    await page.evaluate(() => document.querySelector('#red-ui-workspace-chart').scrollTo(0, 0));
    await clearNotifications();
    await shot('4-flow-and-debug');
  });

  it('adds a plivo webhook: its dialog shows the URL to give Plivo, with a copy button', async () => {
    const entry = page.locator('.red-ui-palette-node[data-palette-type="plivo-webhook"]');
    await entry.scrollIntoViewIfNeeded();
    assert.equal((await entry.innerText()).replace(/\s+/g, ' ').trim(), 'plivo webhook');
    const inject = await centre(nodeOnCanvas('call comes in'));
    await drag(await centre(entry), { x: inject.x + 10, y: inject.y + 100 });
    const webhook = nodeOnCanvas('[post] /plivo/answer');
    await webhook.waitFor();
    await webhook.dblclick();
    await page.waitForSelector('#node-input-url', { state: 'visible' });
    assert.equal(await page.inputValue('#node-input-method'), 'post');
    assert.equal(await page.inputValue('#node-input-url'), '/plivo/answer');
    await page.selectOption('#node-input-account', { label: 'Support line' });
    assert.equal(await page.innerText('#plivo-webhook-full-url'), `${url}/plivo/answer`);
    await page.fill('#node-input-publicUrl', 'https://flows.example.com/');
    assert.equal(await page.innerText('#plivo-webhook-full-url'), 'https://flows.example.com/plivo/answer');
    await page.click('#plivo-webhook-copy');
    await page.locator('.red-ui-popover', { hasText: 'URL copied' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'https://flows.example.com/plivo/answer');
    // The sandbox calls Node-RED at the address it listens on, as Plivo would without a proxy.
    await page.fill('#node-input-publicUrl', '');
    await page.fill('#node-input-answerXml', '<Response><Wait length="60" /></Response>');
    await page.locator('.red-ui-popover').waitFor({ state: 'hidden' });
    await clearNotifications();
    await shot('5-webhook-dialog');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-input-url', { state: 'detached' });
    await wire('[post] /plivo/answer', 'play music.mp3');
  });

  it('deploys; a call the sandbox places reaches the flow signed and plays; an unsigned request gets 403', async () => {
    await deploy();
    const flows = await (await fetch(`${url}/flows`)).json();
    const webhook = flows.find((node) => node.type === 'plivo-webhook');
    const account = flows.find((node) => node.type === 'plivo-config');
    assert.deepEqual(
      { account: webhook.account, method: webhook.method, url: webhook.url, publicUrl: webhook.publicUrl, answerXml: webhook.answerXml },
      { account: account.id, method: 'post', url: '/plivo/answer', publicUrl: '', answerXml: '<Response><Wait length="60" /></Response>' },
    );
    const play = flows.find((node) => node.type === 'plivo-play');
    assert.deepEqual(webhook.wires, [[play.id]]);

    const unsigned = await fetch(`${url}/plivo/answer`, { method: 'POST', body: new URLSearchParams({ CallUUID: DEMO_CALL_UUID }) });
    assert.equal(unsigned.status, 403);
    const placed = await fetch(`${sandbox.url}/sandbox/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ answer_url: `${url}/plivo/answer` }),
    });
    assert.equal(placed.status, 201);
    const call = await placed.json();
    assert.equal(call.webhook_status, 200);
    assert.equal(call.webhook_answer, '<Response><Wait length="60" /></Response>');
    await page.locator('.red-ui-debug-msg', { hasText: 'play started' }).nth(1).waitFor({ timeout: 15_000 });
    const plays = sandbox.requests.filter((r) => r.path === `/v1/Account/${AUTH_ID}/Call/${call.call_uuid}/Play/`);
    assert.equal(plays.length, 1);
    assert.equal(plays[0].status, 202);
    await nodeOnCanvas('[post] /plivo/answer').locator('text', { hasText: '1 accepted, 1 rejected' }).waitFor();
    await page.evaluate(() => document.querySelector('#red-ui-workspace-chart').scrollTo(0, 0));
    await clearNotifications();
    await shot('6-webhook-flow');
  });

  it('typed inputs: Call UUID from msg, URLs from env; deploys, saves both with their types, and plays', async () => {
    await nodeOnCanvas('play music.mp3').dblclick();
    await typedInputText('callUuid').waitFor();
    await chooseSource('callUuid', 'msg', 'payload.call_uuid');
    await chooseSource('urls', 'env', HOLD_ENV);
    assert.equal(await typedInputText('urls').getAttribute('placeholder'), '', 'the "from msg.payload" placeholder is for fixed values only');
    await shot('7-typed-inputs');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-input-callUuid', { state: 'detached' });
    await nodeOnCanvas('plivo play').waitFor();
    await deploy();
    const flows = await (await fetch(`${url}/flows`)).json();
    const play = flows.find((node) => node.type === 'plivo-play');
    assert.deepEqual(
      { callUuid: play.callUuid, callUuidType: play.callUuidType, urls: play.urls, urlsType: play.urlsType, legs: play.legs, legsType: play.legsType },
      { callUuid: 'payload.call_uuid', callUuidType: 'msg', urls: HOLD_ENV, urlsType: 'env', legs: 'both', legsType: 'fixed' },
    );
    const before = sandbox.requests.length;
    await nodeOnCanvas('call comes in').locator('.red-ui-flow-node-button').click();
    await page.locator('.red-ui-debug-msg', { hasText: 'play started' }).nth(2).waitFor({ timeout: 15_000 });
    const [request] = sandbox.requests.slice(before);
    assert.equal(`${request.method} ${request.path}`, `POST /v1/Account/${AUTH_ID}/Call/${DEMO_CALL_UUID}/Play/`);
    assert.deepEqual(request.json, { urls: URL_HOLD, legs: 'both', loop: false, mix: true, length: 20 });
  });
  it('finds plivo speak in the palette, next to plivo play', async () => {
    const entries = await page.locator('#red-ui-palette-telephony .red-ui-palette-node').evaluateAll(
      (nodes) => nodes.map((node) => node.getAttribute('data-palette-type')));
    assert.equal(entries[entries.indexOf('plivo-play') + 1], 'plivo-speak');
    const entry = page.locator('.red-ui-palette-node[data-palette-type="plivo-speak"]');
    await entry.scrollIntoViewIfNeeded();
    assert.equal((await entry.innerText()).trim(), 'plivo speak');
    const inject = await centre(nodeOnCanvas('call comes in'));
    await drag(await centre(entry), { x: inject.x + 240, y: inject.y + 200 });
    await nodeOnCanvas('plivo speak').waitFor();
    await wire('call comes in', 'plivo speak');
    await wire('plivo speak', 'answer');
    const links = await page.evaluate(() => window.RED.nodes.filterLinks({}).map((l) => [l.source.type, l.target.type]));
    assert.ok(links.some(([from, to]) => from === 'inject' && to === 'plivo-speak'));
    assert.ok(links.some(([from, to]) => from === 'plivo-speak' && to === 'debug'));
  });

  it('opens the plivo speak dialog: defaults, the language menu with voices, a voice the language lacks flagged', async () => {
    await nodeOnCanvas('plivo speak').dblclick();
    await typedInputText('text').waitFor();
    assert.equal(await page.inputValue('#node-input-action'), 'speak');
    assert.equal(await typedInputText('text').getAttribute('placeholder'), 'from msg.payload.text, or msg.payload itself');
    assert.equal((await typedInputOf('voice').innerText()).trim(), 'from msg.payload (else WOMAN)');
    assert.equal((await typedInputOf('language').innerText()).trim(), 'from msg.payload (else en-US)');
    await page.selectOption('#node-input-account', { label: 'Support line' });
    await typedInputText('text').fill('You are caller number 3');
    await showSidebar('help');
    const help = page.locator('.red-ui-help', { hasText: 'Speaks text into a live Plivo call' }).last();
    await help.waitFor();
    assert.match(await help.innerText(), /pt-PT\s+Portuguese \(Portugal\)\s+WOMAN, MAN/);

    const hint = page.locator('#plivo-speak-voice-hint');
    await chooseOption('voice', 'MAN');
    assert.equal(await hint.isVisible(), false, 'MAN with the language from the message: nothing to flag');
    await typedInputOf('language').locator('button.red-ui-typedInput-option-trigger').click();
    const menu = page.locator('.red-ui-typedInput-options:visible');
    assert.equal(await menu.locator('a').count(), 30, 'from msg.payload and Plivo\'s 29 languages');
    assert.match(await menu.locator('a[value="en-GB-WLS"]').innerText(), /^en-GB-WLS · .+ · MAN$/);
    assert.match(await menu.locator('a[value="de-DE"]').innerText(), /^de-DE · German \(Germany\) · WOMAN, MAN$/);
    await menu.locator('a[value="en-IN"]').scrollIntoViewIfNeeded();
    await clearNotifications();
    await shot('8-speak-language-menu');
    await menu.locator('a[value="en-IN"]').click();
    await hint.waitFor({ state: 'visible' });
    assert.equal((await hint.innerText()).trim(), 'en-IN has no MAN voice, only WOMAN: choose WOMAN or another language.');
    assert.equal(await page.locator('#node-input-voice').evaluate((input) => input.classList.contains('input-error')), true,
      'the voice is flagged');
    await clearNotifications();
    await shot('9-speak-voice-flagged');
    await chooseOption('voice', 'WOMAN');
    await hint.waitFor({ state: 'hidden' });
    assert.equal(await page.locator('#node-input-voice').evaluate((input) => input.classList.contains('input-error')), false);
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-input-text', { state: 'detached' });
  });

  it('deploys plivo speak; the inject speaks into the call and "speak started" reaches the debug sidebar', async () => {
    await nodeOnCanvas('speak "You are caller number 3"').waitFor();
    await deploy();
    const flows = await (await fetch(`${url}/flows`)).json();
    const speak = flows.find((node) => node.type === 'plivo-speak');
    assert.deepEqual(
      { action: speak.action, text: speak.text, textType: speak.textType, voice: speak.voice, language: speak.language, legs: speak.legs },
      { action: 'speak', text: 'You are caller number 3', textType: 'str', voice: 'WOMAN', language: 'en-IN', legs: '' },
    );
    const before = sandbox.requests.length;
    await showSidebar('debug');
    await nodeOnCanvas('call comes in').locator('.red-ui-flow-node-button').click();
    await page.locator('.red-ui-debug-msg', { hasText: 'speak started' }).first().waitFor({ timeout: 15_000 });
    const speaks = sandbox.requests.slice(before).filter((r) => r.path.endsWith('/Speak/'));
    assert.equal(speaks.length, 1);
    assert.equal(`${speaks[0].method} ${speaks[0].path}`, `POST /v1/Account/${AUTH_ID}/Call/${DEMO_CALL_UUID}/Speak/`);
    assert.deepEqual(speaks[0].json, { text: 'You are caller number 3', voice: 'WOMAN', language: 'en-IN' });
    await page.waitForSelector('#red-ui-workspace-chart text:has-text("speaking")');
  });

  it('finds plivo call in the palette after plivo speak, and wires inject -> plivo call -> debug', async () => {
    const entries = await page.locator('#red-ui-palette-telephony .red-ui-palette-node').evaluateAll(
      (nodes) => nodes.map((node) => node.getAttribute('data-palette-type')));
    assert.equal(entries[entries.indexOf('plivo-speak') + 1], 'plivo-call');
    const entry = page.locator('.red-ui-palette-node[data-palette-type="plivo-call"]');
    await entry.scrollIntoViewIfNeeded();
    assert.equal((await entry.innerText()).trim(), 'plivo call');
    const inject = await centre(nodeOnCanvas('call comes in'));
    await drag(await centre(entry), { x: inject.x + 240, y: inject.y + 300 });
    await nodeOnCanvas('hang up').waitFor();
    await wire('call comes in', 'hang up');
    await wire('hang up', 'answer');
    const links = await page.evaluate(() => window.RED.nodes.filterLinks({}).map((l) => [l.source.type, l.target.type]));
    assert.ok(links.some(([from, to]) => from === 'inject' && to === 'plivo-call'));
    assert.ok(links.some(([from, to]) => from === 'plivo-call' && to === 'debug'));
  });

  it('the plivo call dialog shows each operation\'s fields, and a URL field offers the plivo webhook nodes', async () => {
    await nodeOnCanvas('hang up').dblclick();
    await typedInputText('callUuid').waitFor();
    assert.equal(await page.inputValue('#node-input-operation'), 'hangup');
    const shownFields = () => page.locator('.plivo-call-field').evaluateAll(
      (rows) => rows.filter((row) => row.style.display !== 'none').map((row) => row.getAttribute('data-field')));
    const expected = {
      hangup: [], transfer: ['legs', 'aleg_url', 'aleg_method', 'bleg_url', 'bleg_method'], 'send-digits': ['digits', 'leg'],
      record: ['time_limit', 'file_format', 'transcription_type', 'transcription_url', 'transcription_method', 'callback_url', 'callback_method'],
      'stop-recording': ['URL'], 'live-details': [], 'live-calls': ['call_direction', 'from_number', 'to_number'],
      'cancel-request': ['request_uuid'], 'queued-calls': [],
    };
    for (const [operation, fields] of Object.entries(expected)) {
      await page.selectOption('#node-input-operation', operation);
      assert.deepEqual(await shownFields(), fields, operation);
      assert.equal(await page.locator('.plivo-call-uuid').isVisible(), !['live-calls', 'cancel-request', 'queued-calls'].includes(operation), `${operation}: the call UUID row`);
    }
    await page.selectOption('#node-input-operation', 'msg');
    assert.equal((await shownFields()).length, 19, 'from msg.payload.operation: every field');
    await page.selectOption('#node-input-operation', 'transfer');
    await page.selectOption('#node-input-account', { label: 'Support line' });
    await typedInputOf('aleg_url').locator('button.red-ui-typedInput-type-select').click();
    await page.locator('.red-ui-typedInput-options:visible a[value="plivo-webhook"]').click();
    await typedInputOf('aleg_url').locator('button.red-ui-typedInput-option-trigger').click();
    const webhookChoices = page.locator('.red-ui-typedInput-options:visible a');
    assert.deepEqual(await webhookChoices.allInnerTexts(), ['/plivo/answer']);
    await webhookChoices.first().click();
    await showSidebar('help');
    await page.locator('.red-ui-help', { hasText: 'Runs a live Plivo call' }).last().waitFor();
    await clearNotifications();
    await shot('10-call-dialog');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-input-operation', { state: 'detached' });
    const saved = await page.evaluate(() => {
      const node = window.RED.nodes.filterNodes({ type: 'plivo-call' })[0];
      const webhook = window.RED.nodes.filterNodes({ type: 'plivo-webhook' })[0];
      return { operation: node.operation, alegUrl: node.aleg_url, type: node.aleg_urlType, webhook: webhook.id };
    });
    assert.deepEqual(saved, { operation: 'transfer', alegUrl: saved.webhook, type: 'plivo-webhook', webhook: saved.webhook });
  });

  it('deploys plivo call as a hang-up; the inject hangs the call up in the sandbox', async () => {
    await nodeOnCanvas('transfer').dblclick();
    await page.selectOption('#node-input-operation', 'hangup');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-input-operation', { state: 'detached' });
    await nodeOnCanvas('hang up').waitFor();
    await deploy();
    const before = sandbox.requests.length;
    await showSidebar('debug');
    await nodeOnCanvas('call comes in').locator('.red-ui-flow-node-button').click();
    // The transfer's A leg URL stays saved (a webhook node without a Public URL): a hang-up does not read it.
    await page.waitForSelector('#red-ui-workspace-chart text:has-text("hung up")', { timeout: 15_000 });
    const hangups = sandbox.requests.slice(before).filter((r) => r.method === 'DELETE');
    assert.deepEqual(hangups.map((r) => [r.path, r.status]), [[`/v1/Account/${AUTH_ID}/Call/${DEMO_CALL_UUID}/`, 204]]);
    assert.equal(sandbox.call(DEMO_CALL_UUID), undefined, 'the call has ended');
  });

  it('finds plivo xml in the palette after plivo call, and builds a two-element menu in its dialog', async () => {
    const entries = await page.locator('#red-ui-palette-telephony .red-ui-palette-node').evaluateAll(
      (nodes) => nodes.map((node) => node.getAttribute('data-palette-type')));
    assert.equal(entries[entries.indexOf('plivo-call') + 2], 'plivo-xml', 'after plivo call and plivo conference');
    // Around it, what a menu needs: its answer webhook and http response, the digits webhook and a switch per key.
    await page.evaluate(() => {
      let account;
      window.RED.nodes.eachConfig((node) => { if (node.type === 'plivo-config') account = node.id; });
      const z = window.RED.workspaces.active();
      const debug = (id, name, x, y) => ({
        id, type: 'debug', z, name, active: true, tosidebar: true, console: false, tostatus: false, complete: 'payload.Digits', targetType: 'msg', x, y, wires: [],
      });
      window.RED.view.importNodes([
        { id: 'e2e-menu', type: 'plivo-webhook', z, name: 'menu answer', account, url: '/plivo/e2e-menu', method: 'post', publicUrl: '', answerXml: '', x: 160, y: 560, wires: [[]] },
        { id: 'e2e-respond', type: 'http response', z, name: 'answer the call', statusCode: '', headers: {}, x: 700, y: 560, wires: [] },
        {
          id: 'e2e-digits', type: 'plivo-webhook', z, name: 'menu digits', account, url: '/plivo/e2e-digits', method: 'post', publicUrl: '',
          answerXml: '<Response><Speak>Thank you</Speak></Response>', x: 160, y: 640, wires: [['e2e-which']],
        },
        {
          id: 'e2e-which', type: 'switch', z, name: 'which key', property: 'payload.Digits', propertyType: 'msg',
          rules: [{ t: 'eq', v: '1', vt: 'str' }, { t: 'else' }], checkall: 'false', repair: false, outputs: 2, x: 380, y: 640, wires: [['e2e-sales'], ['e2e-other']],
        },
        debug('e2e-sales', 'sales branch', 600, 620), debug('e2e-other', 'other branch', 600, 680),
      ], { generateIds: false, addFlow: false, touchImport: true });
    });
    const entry = page.locator('.red-ui-palette-node[data-palette-type="plivo-xml"]');
    await entry.scrollIntoViewIfNeeded();
    assert.equal((await entry.innerText()).trim(), 'plivo xml');
    const answer = await centre(nodeOnCanvas('menu answer'));
    await drag(await centre(entry), { x: answer.x + 260, y: answer.y });
    await page.evaluate(() => window.RED.editor.edit(window.RED.nodes.filterNodes({ type: 'plivo-xml' })[0]));
    await page.waitForSelector('#node-input-elements-container', { state: 'visible' });
    await page.fill('#node-input-name', 'the menu xml');

    const rows = page.locator('#node-input-elements-container > li');
    assert.equal(await rows.count(), 1, 'a new node starts with one element');
    const first = rows.nth(0).locator('.plivo-xml-element').first();
    await first.locator('select.plivo-xml-name').first().selectOption('GetDigits');
    const attributesOf = (row) => row.locator('.plivo-xml-body > .red-ui-editableList:has(> .red-ui-editableList-container > ol.plivo-xml-attributes)').first();
    const addAttribute = (row) => attributesOf(row).locator('> button.red-ui-editableList-addButton').click();
    await addAttribute(first);
    const action = attributesOf(first).locator('li').nth(0);
    assert.equal(await action.locator('select.plivo-xml-attribute').inputValue(), 'action');
    await action.locator('button.red-ui-typedInput-type-select').click();
    await page.locator('.red-ui-typedInput-options:visible a[value="plivo-webhook"]').click();
    await action.locator('button.red-ui-typedInput-option-trigger').click();
    const webhookChoices = page.locator('.red-ui-typedInput-options:visible a');
    assert.deepEqual((await webhookChoices.allInnerTexts()).sort(), ['/plivo/answer', 'menu answer', 'menu digits']);
    await webhookChoices.filter({ hasText: 'menu digits' }).click();
    await addAttribute(first);
    const digits = attributesOf(first).locator('li').nth(1);
    await digits.locator('select.plivo-xml-attribute').selectOption('numDigits');
    await digits.locator('input.red-ui-typedInput-input').fill('1');
    await first.locator('.plivo-xml-body > .red-ui-editableList:has(> .red-ui-editableList-container > ol.plivo-xml-children) > button.red-ui-editableList-addButton').click();
    const prompt = first.locator('ol.plivo-xml-children > li .plivo-xml-element').first();
    assert.equal(await prompt.locator('select.plivo-xml-name').first().inputValue(), 'Speak');
    await prompt.locator('.plivo-xml-text input.red-ui-typedInput-input').fill('Press 1 for sales, any other key for the front desk.');
    await page.locator('.node-input-elements-container-row > .red-ui-editableList > button.red-ui-editableList-addButton').click();
    const second = rows.nth(1).locator('.plivo-xml-element').first();
    assert.equal(await second.locator('select.plivo-xml-name').first().inputValue(), 'Speak');
    await second.locator('.plivo-xml-text input.red-ui-typedInput-input').first().fill('We did not hear a key. Goodbye.');

    await page.click('#plivo-xml-preview-button');
    assert.equal(await page.innerText('#plivo-xml-preview'), [
      '<Response>',
      '    <GetDigits action="{menu digits}" numDigits="1">',
      '        <Speak>Press 1 for sales, any other key for the front desk.</Speak>',
      '    </GetDigits>',
      '    <Speak>We did not hear a key. Goodbye.</Speak>',
      '</Response>',
    ].join('\n'));
    await showSidebar('help');
    await page.locator('.red-ui-help', { hasText: 'Turns a message into Plivo XML' }).last().waitFor();
    await clearNotifications();
    await shot('11-xml-dialog');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-input-elements-container', { state: 'detached' });
    await wire('menu answer', 'the menu xml');
    await wire('the menu xml', 'answer the call');
  });

  it('deploys the menu; a sandbox call hears it, presses 1, and the digits webhook\'s sales branch runs', async () => {
    const invalid = await page.evaluate(() => {
      const found = [];
      window.RED.nodes.eachNode((node) => { if (!node.valid) found.push(`${node.type} ${node.name || node.id}: ${node.validationErrors}`); });
      return found;
    });
    assert.deepEqual(invalid, [], 'every node is configured');
    await deploy();
    const flows = await (await fetch(`${url}/flows`)).json();
    const xmlNode = flows.find((node) => node.type === 'plivo-xml');
    assert.deepEqual(xmlNode.elements, [
      {
        element: 'GetDigits',
        attributes: [{ name: 'action', value: 'e2e-digits', type: 'plivo-webhook' }, { name: 'numDigits', value: '1', type: 'num' }],
        children: [{ element: 'Speak', attributes: [], children: [], text: 'Press 1 for sales, any other key for the front desk.', textType: 'str' }],
      },
      { element: 'Speak', attributes: [], children: [], text: 'We did not hear a key. Goodbye.', textType: 'str' },
    ]);
    await showSidebar('debug');
    const placed = await fetch(`${sandbox.url}/sandbox/calls`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ answer_url: `${url}/plivo/e2e-menu` }),
    });
    const call = await placed.json();
    assert.equal(call.webhook_status, 200);
    assert.equal(call.webhook_answer, `<Response><GetDigits action="${url}/plivo/e2e-digits" numDigits="1" method="POST">`
      + '<Speak>Press 1 for sales, any other key for the front desk.</Speak></GetDigits><Speak>We did not hear a key. Goodbye.</Speak></Response>');
    const pressed = await fetch(`${sandbox.url}/sandbox/digits`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ call_uuid: call.call_uuid, digits: '1' }),
    });
    assert.equal(pressed.status, 200);
    await page.locator('.red-ui-debug-msg', { hasText: 'sales branch' }).waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('.red-ui-debug-msg', { hasText: 'other branch' }).count(), 0);
    const log = sandbox.callLog(call.call_uuid).map((entry) => [entry.element, entry.digits ?? entry.text ?? entry.cause]);
    assert.deepEqual(log.slice(0, 3), [['Speak', 'Press 1 for sales, any other key for the front desk.'], ['GetDigits', '1'], ['Speak', 'Thank you']]);
  });

  it('finds plivo make call before plivo play; its dialog holds Plivo\'s parameters in groups, flags a bad number, and a URL names a plivo webhook', async () => {
    const entries = await page.locator('#red-ui-palette-telephony .red-ui-palette-node').evaluateAll(
      (nodes) => nodes.map((node) => node.getAttribute('data-palette-type')));
    assert.ok(entries.indexOf('plivo-make-call') !== -1 && entries.indexOf('plivo-make-call') < entries.indexOf('plivo-play'), entries.join(', '));
    const entry = page.locator('.red-ui-palette-node[data-palette-type="plivo-make-call"]');
    await entry.scrollIntoViewIfNeeded();
    assert.equal((await entry.innerText()).replace(/\s+/g, ' ').trim(), 'plivo make call');
    const inject = await centre(nodeOnCanvas('call comes in'));
    await drag(await centre(entry), { x: inject.x + 240, y: inject.y + 380 });
    await nodeOnCanvas('plivo make call').dblclick();
    await typedInputText('to').waitFor();
    const rows = (group) => page.locator(`#plivo-make-call-${group} .form-row`).evaluateAll((found) => found.map((row) => row.getAttribute('data-field')));
    assert.deepEqual(await rows('call'), ['from', 'to', 'answer_url', 'answer_method', 'hangup_url', 'hangup_method', 'ring_url', 'ring_method',
      'fallback_url', 'fallback_method', 'caller_name', 'ring_timeout', 'time_limit', 'hangup_on_ring', 'send_digits', 'send_on_preanswer']);
    assert.equal((await rows('machine')).length, 9);
    assert.deepEqual(await rows('more'), ['sip_headers', 'parent_call_uuid', 'error_if_parent_not_found', 'campaign']);
    assert.equal(await typedInputText('to').getAttribute('placeholder'), 'from msg.payload.to');
    await page.selectOption('#node-input-account', { label: 'Support line' });
    await typedInputText('from').fill('14155550100');
    await typedInputText('to').fill('call me maybe');
    await typedInputText('from').click();
    await page.waitForFunction(() => document.querySelector('#node-input-to + .red-ui-typedInput-container').classList.contains('input-error'));
    await typedInputText('to').fill('14155559999');
    await typedInputText('from').click();
    await page.waitForFunction(() => !document.querySelector('#node-input-to + .red-ui-typedInput-container').classList.contains('input-error'));
    await typedInputOf('answer_url').locator('button.red-ui-typedInput-type-select').click();
    await page.locator('.red-ui-typedInput-options:visible a[value="plivo-webhook"]').click();
    await typedInputOf('answer_url').locator('button.red-ui-typedInput-option-trigger').click();
    await page.locator('.red-ui-typedInput-options:visible a').first().click();
    await chooseOption('machine_detection', 'hangup');
    await page.fill('#node-input-keep', 'alarm');
    await showSidebar('help');
    await page.locator('.red-ui-help', { hasText: 'Places a phone call to each destination' }).last().waitFor();
    await clearNotifications();
    await typedInputText('from').scrollIntoViewIfNeeded();
    await page.evaluate(() => document.querySelector('.red-ui-tray-body').scrollTo(0, 0));
    await shot('12-make-call-dialog');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-input-to', { state: 'detached' });
    const saved = await page.evaluate(() => {
      const node = window.RED.nodes.filterNodes({ type: 'plivo-make-call' })[0];
      const webhook = window.RED.nodes.filterNodes({ type: 'plivo-webhook' })[0];
      return {
        from: node.from, to: node.to, answer: [node.answer_url === webhook.id, node.answer_urlType], machine: [node.machine_detection, node.machine_detectionType],
        keep: node.keep, outputs: node.outputs, valid: node.valid,
      };
    });
    assert.deepEqual(saved, {
      from: '14155550100', to: '14155559999', answer: [true, 'plivo-webhook'], machine: ['hangup', 'fixed'], keep: 'alarm', outputs: 2, valid: true,
    });
    await nodeOnCanvas('call 14155559999').waitFor();
  });
  it('finds plivo conference after plivo call; its dialog shows each operation\'s fields, guards hang up all, and flags a name that would change the path', async () => {
    const entries = await page.locator('#red-ui-palette-telephony .red-ui-palette-node').evaluateAll(
      (nodes) => nodes.map((node) => node.getAttribute('data-palette-type')));
    assert.equal(entries[entries.indexOf('plivo-call') + 1], 'plivo-conference');
    const entry = page.locator('.red-ui-palette-node[data-palette-type="plivo-conference"]');
    await entry.scrollIntoViewIfNeeded();
    assert.equal((await entry.innerText()).replace(/\s+/g, ' ').trim(), 'plivo conference');
    const inject = await centre(nodeOnCanvas('call comes in'));
    await drag(await centre(entry), { x: inject.x + 480, y: inject.y + 380 });
    await nodeOnCanvas('mute').dblclick();
    await typedInputText('conference_name').waitFor();
    assert.equal(await page.inputValue('#node-input-operation'), 'mute');
    const shownFields = () => page.locator('.plivo-conference-field').evaluateAll(
      (rows) => rows.filter((row) => row.style.display !== 'none').map((row) => row.getAttribute('data-field')));
    const member = ['conference_name', 'member_id'];
    const record = ['conference_name', 'file_format', 'transcription_type', 'transcription_url', 'transcription_method', 'callback_url', 'callback_method'];
    const expected = {
      list: [], details: ['conference_name'], hangup: ['conference_name'], 'hangup-all': [], record, 'stop-recording': ['conference_name'],
      'member-hangup': member, kick: member, mute: member, unmute: member, deaf: member, undeaf: member,
      play: [...member, 'url'], 'stop-play': member, speak: [...member, 'text', 'voice', 'language'], 'stop-speak': member,
    };
    for (const [operation, fields] of Object.entries(expected)) {
      await page.selectOption('#node-input-operation', operation);
      assert.deepEqual(await shownFields(), fields, operation);
      assert.equal(await page.locator('#node-input-allowHangupAll').isVisible(), operation === 'hangup-all', `${operation}: the hang up all box`);
    }
    await page.selectOption('#node-input-operation', 'msg');
    assert.equal((await shownFields()).length, 12, 'from msg.payload.operation: every field');
    assert.equal(await page.locator('#node-input-allowHangupAll').isChecked(), false, 'hang up all is not allowed by default');
    await page.selectOption('#node-input-operation', 'mute');
    await page.selectOption('#node-input-account', { label: 'Support line' });
    assert.equal(await typedInputText('member_id').getAttribute('placeholder'), 'member ID, list, all or call UUID (blank: from msg.payload.member_id)');
    await typedInputText('conference_name').fill('incident/../Call');
    await typedInputText('member_id').click();
    await page.waitForFunction(() => document.querySelector('#node-input-conference_name + .red-ui-typedInput-container').classList.contains('input-error'));
    await typedInputText('conference_name').fill('incident');
    await typedInputText('member_id').fill('17,not-a-member');
    await typedInputText('conference_name').click();
    await page.waitForFunction(() => document.querySelector('#node-input-member_id + .red-ui-typedInput-container').classList.contains('input-error'));
    await typedInputText('member_id').fill('');
    await typedInputText('conference_name').click();
    await page.waitForFunction(() => !document.querySelector('#node-input-member_id + .red-ui-typedInput-container').classList.contains('input-error'));
    await showSidebar('help');
    await page.locator('.red-ui-help', { hasText: 'Runs a Plivo conference' }).last().waitFor();
    await clearNotifications();
    await shot('13-conference-dialog');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-input-operation', { state: 'detached' });
    const saved = await page.evaluate(() => {
      const node = window.RED.nodes.filterNodes({ type: 'plivo-conference' })[0];
      return { operation: node.operation, room: [node.conference_name, node.conference_nameType], member: node.member_id, all: node.allowHangupAll, valid: node.valid };
    });
    assert.deepEqual(saved, { operation: 'mute', room: ['incident', 'str'], member: '', all: false, valid: true });
    await nodeOnCanvas('mute: incident').waitFor();
  });
});
