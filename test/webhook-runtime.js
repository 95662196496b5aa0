'use strict';
/**
 * plivo webhook in a real Node-RED (red.js in a process of its own, the package linked into its
 * user dir), in the two setups a user has: Node-RED's default (httpAdminRoot and httpNodeRoot
 * both `/`, the editor's parsers in front of every path) and a tidy one (httpAdminRoot `/admin`).
 * What the node sends on and the statuses it shows are collected by the flow and read from
 * `/test/state`; what it logs is the process's output.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePort, linkPackage, startNodeRed, waitForNodeRed } = require('../scripts/dev-runtime.js');
const { request } = require('./webhook-support');

const SETUPS = [
  { name: 'Node-RED\'s default setup (httpAdminRoot and httpNodeRoot both /)', settings: {} },
  { name: 'a tidy setup (httpAdminRoot /admin)', settings: { httpAdminRoot: '/admin' } },
];
const ACCOUNT = { authId: 'MARUNTIMEWEBHOOK0001', authToken: 'runtime-webhook-token-0123' };

function flow() {
  const collect = (key) => `const list = global.get('${key}') || []; list.push(${key === 'received' ? '{payload: msg.payload, proto: Object.prototype.toString.call(Object.getPrototypeOf(msg.payload)), ownProto: Object.getOwnPropertyNames(msg.payload).includes("__proto__")}' : 'msg.status'}); global.set('${key}', list); return null;`;
  return [
    { id: 'tab', type: 'tab', label: 'webhook' },
    { id: 'plivo-account', type: 'plivo-config', name: 'runtime account' },
    { id: 'hook', type: 'plivo-webhook', z: 'tab', name: 'hook', account: 'plivo-account', url: '/plivo/answer', method: 'post', answerXml: '<Response/>', x: 100, y: 40, wires: [['received']] },
    { id: 'received', type: 'function', z: 'tab', name: 'received', func: collect('received'), outputs: 1, x: 300, y: 40, wires: [[]] },
    { id: 'statuses', type: 'status', z: 'tab', name: '', scope: ['hook'], x: 100, y: 100, wires: [['keep']] },
    { id: 'keep', type: 'function', z: 'tab', name: 'statuses', func: collect('statuses'), outputs: 1, x: 300, y: 100, wires: [[]] },
    { id: 'state-in', type: 'http in', z: 'tab', name: '', url: '/test/state', method: 'get', x: 100, y: 160, wires: [['state']] },
    {
      id: 'state', type: 'function', z: 'tab', name: 'state', outputs: 1, x: 300, y: 160, wires: [['state-out']],
      func: "msg.payload = { received: global.get('received') || [], statuses: global.get('statuses') || [] }; global.set('received', []); global.set('statuses', []); return msg;",
    },
    { id: 'state-out', type: 'http response', z: 'tab', name: '', statusCode: '', headers: {}, x: 500, y: 160, wires: [] },
    { id: 'status-hook', type: 'plivo-webhook', z: 'tab', name: 'status', account: 'plivo-account', url: '/plivo/status', method: 'get', answerXml: '<Response/>', x: 100, y: 200, wires: [['received']] },
    // A URL naming the webhook `hook`, which has no Public URL, written for a signed request (menu) and for unsigned ones (http in).
    { id: 'menu', type: 'plivo-webhook', z: 'tab', name: 'menu', account: 'plivo-account', url: '/plivo/menu', method: 'post', x: 100, y: 220, wires: [['menu-xml']] },
    { id: 'spoof-in', type: 'http in', z: 'tab', name: '', url: '/test/spoof', method: 'post', x: 100, y: 260, wires: [['menu-xml']] },
    {
      id: 'menu-xml', type: 'plivo-xml', z: 'tab', name: 'menu xml', x: 300, y: 240, wires: [['answer']],
      elements: [{ element: 'Redirect', text: 'hook', textType: 'plivo-webhook', attributes: [], children: [] }],
    },
    { id: 'unreachable', type: 'plivo-config', name: 'nothing listens here', baseUrl: 'http://127.0.0.1:9', retries: '0' },
    { id: 'transfer-in', type: 'http in', z: 'tab', name: '', url: '/test/transfer', method: 'post', x: 100, y: 300, wires: [['transfer']] },
    {
      id: 'transfer', type: 'plivo-call', z: 'tab', name: 'transfer', account: 'unreachable', operation: 'transfer', callUuid: 'b7d0a5c6-43a8-4d2e-9a8e-2f1e6c3b9a10',
      callUuidType: 'str', legs: 'aleg', aleg_url: 'hook', aleg_urlType: 'plivo-webhook', x: 300, y: 300, wires: [['answer']],
    },
    { id: 'caught', type: 'catch', z: 'tab', name: '', scope: ['menu-xml', 'transfer'], uncaught: false, x: 100, y: 340, wires: [['say-error']] },
    { id: 'say-error', type: 'function', z: 'tab', name: 'say error', func: 'msg.payload = `error: ${msg.error.message}`; msg.headers = {}; return msg;', outputs: 1, x: 300, y: 340, wires: [['answer']] },
    // An answer built from a CRM's reply: http in -> http request -> plivo xml -> http response.
    { id: 'crm-in', type: 'http in', z: 'tab', name: '', url: '/test/crm', method: 'post', x: 100, y: 380, wires: [['crm-url']] },
    { id: 'crm-url', type: 'function', z: 'tab', name: 'crm url', func: 'msg.url = msg.payload.crm; return msg;', outputs: 1, x: 250, y: 380, wires: [['crm']] },
    {
      id: 'crm', type: 'http request', z: 'tab', name: 'crm', method: 'GET', ret: 'txt', paytoqs: 'ignore', url: '', tls: '', persist: false, proxy: '',
      insecureHTTPParser: false, authType: '', senderr: false, headers: [], x: 400, y: 380, wires: [['crm-xml']],
    },
    {
      id: 'crm-xml', type: 'plivo-xml', z: 'tab', name: 'crm xml', x: 550, y: 380, wires: [['answer']],
      elements: [{ element: 'Speak', text: 'payload', textType: 'msg', attributes: [], children: [] }],
    },
    { id: 'answer', type: 'http response', z: 'tab', name: '', statusCode: '', headers: {}, x: 500, y: 260, wires: [] },
  ];
}

/** Starts Node-RED with `settings` added to the basics; resolves once the webhook answers. */
async function startWebhookRuntime(settings) {
  const port = await freePort();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plivo-webhook-runtime-'));
  fs.writeFileSync(path.join(userDir, 'package.json'), '{"name":"webhook-runtime-user-dir","private":true}');
  linkPackage(userDir);
  fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${JSON.stringify({
    uiHost: '127.0.0.1', uiPort: port, flowFile: 'flows.json', credentialSecret: false,
    telemetry: { enabled: false, updateNotification: false }, editorTheme: { tours: false },
    logging: { console: { level: 'info', metrics: false, audit: false } }, ...settings,
  })};\n`);
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flow()));
  const runtime = { port, userDir, output: '' };
  const child = startNodeRed(userDir, ACCOUNT, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk) => { runtime.output += chunk; });
  child.stderr.on('data', (chunk) => { runtime.output += chunk; });
  runtime.child = child;
  await waitForNodeRed(`http://127.0.0.1:${port}${settings.httpAdminRoot ?? ''}`, child);
  const deadline = Date.now() + 20_000;
  while ((await request(port, { body: 'a=1' })).status !== 403) {
    if (Date.now() > deadline) throw new Error(`the webhook did not start:\n${runtime.output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  /** What the node sent on and the statuses it showed since the last call. */
  runtime.state = async () => JSON.parse((await request(port, { method: 'GET', path: '/test/state' })).body);
  /** The warnings the webhook node logged, from `since` (an offset in the output). */
  runtime.warnings = (since = 0) => runtime.output.slice(since).split('\n').filter((line) => /\[warn\] \[plivo-webhook:hook\]/.test(line));
  runtime.stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(userDir, { recursive: true, force: true });
  };
  return runtime;
}

module.exports = { SETUPS, ACCOUNT, startWebhookRuntime };
