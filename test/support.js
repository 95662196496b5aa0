'use strict';
/** Shared test plumbing: the built nodes, a flow around one node (plivo play, speak, call or xml), outcome capture. */
const http = require('node:http');
const helper = require('node-red-node-test-helper');
const { validateV3Signature } = require('plivo/dist/utils/v3Security.js');
const playNode = require('../dist/nodes/plivo-play.js').default;
const speakNode = require('../dist/nodes/plivo-speak.js').default;
const configNode = require('../dist/nodes/plivo-config.js').default;
const callNode = require('../dist/nodes/plivo-call.js').default;
const xmlNode = require('../dist/nodes/plivo-xml.js').default;
const conferenceNode = require('../dist/nodes/plivo-conference.js').default;
const { name: PACKAGE_NAME } = require('../package.json');

const { nodeRedPackage } = require('../scripts/dev-runtime.js');

helper.init(require.resolve(nodeRedPackage));

/** The Node-RED under test; from 4.0 its Catch nodes copy an error's `code` into msg.error.code. */
const NODE_RED_VERSION = require(`${nodeRedPackage}/package.json`).version;
const CATCH_COPIES_CODE = Number(NODE_RED_VERSION.split('.')[0]) >= 4;
/** A call-ended error at a Catch node: the text on every Node-RED, the code where Catch carries it. */
const ENDED = /^Not sent: the call has ended \(at \d\d:\d\d:\d\d, /;
function isCallEnded(msg) {
  return ENDED.test(msg.error.message) && msg.error.code === (CATCH_COPIES_CODE ? 'CALL_ENDED' : undefined);
}

const AUTH_ID = 'MATESTACCOUNT0000001';
const AUTH_TOKEN = 'tok-SECRET-4b1d7f0e9a';

/**
 * The call nodes' runtime texts as the test helper shows them: its translator returns the key,
 * which names plivo-play's catalog (call-node.ts). `textKey('status.played')`.
 */
function textKey(key) {
  return `${PACKAGE_NAME}/plivo-play:plivo-play.${key}`;
}

/**
 * A tab with: plivo-config `cfg` -> call node `play` (a plivo-play, or `type`) -> helper `out`,
 * and a catch node for the tab -> helper `caught`. Tab nodes need x and y, or the runtime takes
 * them for config nodes. `play` takes the given properties.
 */
function playFlow(sandboxUrl, playProps = {}, configProps = {}, type = 'plivo-play') {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'cfg', type: 'plivo-config', name: 'test account', baseUrl: sandboxUrl, ...configProps },
    { id: 'play', type, z: 'tab', x: 300, y: 100, name: '', account: 'cfg', wires: [['out']], ...playProps },
    { id: 'out', type: 'helper', z: 'tab', x: 500, y: 100, wires: [] },
    { id: 'catcher', type: 'catch', z: 'tab', x: 300, y: 200, scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab', x: 500, y: 200, wires: [] },
  ];
}

async function loadPlayFlow(sandboxUrl, playProps, { configProps, credentials, type } = {}) {
  const creds = credentials === undefined ? { cfg: { authId: AUTH_ID, authToken: AUTH_TOKEN } } : credentials;
  await helper.load([configNode, playNode, speakNode, callNode, conferenceNode, xmlNode], playFlow(sandboxUrl, playProps, configProps, type), creds);
  return new Outcomes(helper.getNode('play'), helper.getNode('out'), helper.getNode('caught'));
}

/** The flow of loadPlayFlow around a plivo-speak node (still `play` in the flow, `run.node` here). */
function loadSpeakFlow(sandboxUrl, speakProps, options = {}) {
  return loadPlayFlow(sandboxUrl, speakProps, { ...options, type: 'plivo-speak' });
}

/** Records, in order, what leaves the node: messages on its output and errors at the catch node. */
class Outcomes {
  constructor(node, out, caught) {
    this.node = node;
    this.all = [];
    this.waiters = [];
    out.on('input', (msg) => this.record({ output: msg }));
    caught.on('input', (msg) => this.record({ error: msg }));
  }

  record(outcome) {
    this.all.push(outcome);
    this.waiters = this.waiters.filter((waiter) => !waiter());
  }

  get outputs() {
    return this.all.filter((o) => o.output).map((o) => o.output);
  }

  get errors() {
    return this.all.filter((o) => o.error).map((o) => o.error);
  }

  /** Resolves once `n` outcomes in all have arrived, then waits `settleMs` for strays. */
  async waitFor(n, settleMs = 50, timeoutMs = 8000) {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`expected ${n} outcomes, saw ${this.all.length}`)), timeoutMs);
      const check = () => {
        if (this.all.length < n) return false;
        clearTimeout(timer);
        resolve();
        return true;
      };
      if (!check()) this.waiters.push(check);
    });
    await new Promise((resolve) => setTimeout(resolve, settleMs));
  }

  /** Sends one msg and returns its single outcome: {output: msg} or {error: msg}. */
  async send(msg) {
    const before = this.all.length;
    this.node.receive(msg);
    await this.waitFor(before + 1);
    if (this.all.length !== before + 1) {
      throw new Error(`one message ended ${this.all.length - before} times`);
    }
    return this.all[before];
  }
}

/**
 * Call inside a describe: serves Node-RED's http-in routes (RED.httpNode) on a loopback port of
 * their own, since the test helper's server is for the admin API. Load `routes.capture` with the
 * nodes (`onLoad(RED)` runs there too); `routes.port` is set before the describe's tests run.
 */
function nodeRoutes(onLoad) {
  const routes = {
    port: undefined,
    app: undefined,
    capture(RED) {
      routes.app = RED.httpNode;
      onLoad?.(RED);
    },
  };
  let server;
  before(async () => {
    server = http.createServer((req, res) => routes.app(req, res));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    routes.port = server.address().port;
  });
  after(() => new Promise((resolve) => server.close(resolve)));
  return routes;
}

let accounts = 0;

/** A sandbox with an Auth ID of its own, so no other test shares its engine (limit history, pauses). */
function startOwnSandbox(startSandbox, options = {}) {
  accounts += 1;
  return startSandbox({ authId: `MAOWN${String(accounts).padStart(15, '0')}`, authToken: `${AUTH_TOKEN}-${accounts}`, ...options });
}

/** A request to the sandbox's Plivo API with its account's credentials (`path` under /v1/Account/{id}/): {status, body}. */
async function sandboxApi(sandbox, method, path, body) {
  const { authId, authToken } = sandbox.account;
  const answer = await fetch(`${sandbox.url}/v1/Account/${authId}/${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`${authId}:${authToken}`).toString('base64')}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: answer.status, body: answer.status === 204 ? undefined : await answer.json() };
}

/**
 * A loopback server for a sandbox's callbacks: records each as {path, params, signed (the official
 * SDK's verdict on its V3 signature), at}, and answers `answerFor(path, base)` as XML when that gives any.
 */
async function callbackServer(authToken, answerFor) {
  const heard = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
      const base = `http://${req.headers.host}`;
      const signed = validateV3Signature(req.method, `${base}${req.url}`, req.headers['x-plivo-signature-v3-nonce'], authToken, req.headers['x-plivo-signature-v3'], params);
      heard.push({ path: req.url, params, signed, at: Date.now() });
      const xml = answerFor(req.url, base);
      if (xml === undefined) res.writeHead(200).end();
      else res.writeHead(200, { 'content-type': 'application/xml' }).end(xml);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { heard, base: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

function credentialsFor(sandbox, ...ids) {
  const { authId, authToken } = sandbox.account;
  return Object.fromEntries((ids.length ? ids : ['cfg']).map((id) => [id, { authId, authToken }]));
}

/** The caller ID the outbound tests use, and what each sandbox destination does (sandbox/outbound.js). */
const OUTBOUND = {
  FROM: '+14155550100', PERSON: '+14155559999', BUSY: '+14155550001', NO_ANSWER: '+14155550002', MACHINE: '+14155550003', NO_SUCH_NUMBER: '+14155550004',
};

module.exports = {
  OUTBOUND,
  helper, playNode, speakNode, configNode, AUTH_ID, AUTH_TOKEN, textKey, playFlow, loadPlayFlow, loadSpeakFlow, Outcomes,
  startOwnSandbox, credentialsFor, isCallEnded, CATCH_COPIES_CODE, nodeRoutes, sandboxApi, callbackServer,
};
