'use strict';
/**
 * Plumbing for the plivo-webhook tests: the node in a flow (with an http response node to
 * answer Plivo), served by Node-RED's own http app (RED.httpNode) on a loopback port, and raw
 * requests whose every header and byte is as given.
 */
const http = require('node:http');
const net = require('node:net');
const { helper, configNode, AUTH_ID, AUTH_TOKEN, nodeRoutes } = require('./support');
const webhookNode = require('../dist/nodes/plivo-webhook.js').default;
const { plivoSignature } = require('../sandbox/plivo-sandbox.js');
const httpNodes = require('@node-red/nodes/core/network/21-httpin.js');
const changeNode = require('@node-red/nodes/core/function/15-change.js');

const CALL = { CallUUID: 'b7d0a5c6-43a8-4d2e-9a8e-2f1e6c3b9a10', From: '+14155550100', To: '+14155550111', Direction: 'inbound', CallStatus: 'ringing' };
const PATH = '/plivo/answer';

/** A raw request, so that every header (Host included) and the body are exactly as given. */
function request(port, { method = 'POST', path = PATH, headers = {}, body = '' }) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const form = (params) => new URLSearchParams(params).toString();

const settle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check, what, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await settle(10);
  }
}

/**
 * Call inside a describe: serves the test helper's RED.httpNode on a loopback port and unloads
 * flows after each test. Returns `port()`, `app()` (the express app), `load(props)` and
 * `signed(params, options)` (Plivo's headers for this node's local URL by default).
 */
function webhookHarness() {
  const routes = nodeRoutes((RED) => {
    // The helper loads no catalogs, so RED._ answers with the key alone: show the parameters too, to read counts.
    if (!RED._.withParams) {
      const translate = RED._;
      RED._ = Object.assign((key, params) => (params ? `${translate(key)} ${JSON.stringify(params)}` : translate(key)), { withParams: true });
    }
  });
  afterEach(() => helper.unload());

  async function load(webhookProps = {}, { respond = true, configProps = {}, credentials = { authId: AUTH_ID, authToken: AUTH_TOKEN } } = {}) {
    const flow = [
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 'cfg', type: 'plivo-config', name: 'account', ...configProps },
      { id: 'hook', type: 'plivo-webhook', z: 'tab', x: 100, y: 100, account: 'cfg', url: PATH, method: 'post', ...webhookProps, wires: [respond ? ['out', 'xml'] : ['out']] },
      {
        id: 'xml', type: 'change', z: 'tab', x: 300, y: 150, rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '<Response><Speak>hello</Speak></Response>', tot: 'str' }], wires: [['answer']],
      },
      { id: 'answer', type: 'http response', z: 'tab', x: 500, y: 150, statusCode: '', headers: { 'content-type': 'application/xml' }, wires: [] },
      { id: 'out', type: 'helper', z: 'tab', x: 300, y: 100, wires: [] },
    ];
    await helper.load([configNode, webhookNode, httpNodes, changeNode, routes.capture], flow, { cfg: credentials });
    const hook = helper.getNode('hook');
    const messages = [];
    helper.getNode('out').on('input', (msg) => messages.push(msg));
    const warnings = [];
    const warn = hook.warn.bind(hook);
    hook.warn = (text) => {
      warnings.push(String(text));
      warn(text);
    };
    const errors = [];
    const error = hook.error.bind(hook);
    hook.error = (text, msg) => {
      errors.push(String(text));
      error(text, msg);
    };
    const statuses = [];
    const status = hook.status.bind(hook);
    hook.status = (value) => {
      statuses.push(value);
      status(value);
    };
    return { messages, warnings, errors, statuses };
  }

  const localUrl = () => `http://127.0.0.1:${routes.port}${PATH}`;
  const signed = (params, { url = localUrl(), token = AUTH_TOKEN, nonce = `${Math.random().toString().slice(2)}`, method = 'POST', header = 'x-plivo-signature-v3' } = {}) => ({
    [header]: plivoSignature(token, method, url, params, nonce),
    'x-plivo-signature-v3-nonce': nonce,
    'content-type': 'application/x-www-form-urlencoded',
  });

  return { port: () => routes.port, app: () => routes.app, load, signed, localUrl };
}

/**
 * Opens a raw connection, sends `head`, then up to `limit` bytes of body in 64 KB pieces as
 * fast as the server takes them. Resolves with the bytes the server let through before it
 * closed the connection, and what it answered ('' when its close, with body bytes unread, reset
 * the connection before the answer arrived: TCP's rule, not the server's choice).
 */
function pushBody(port, head, limit, { chunked = false } = {}) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let written = 0;
    let answer = '';
    let finished = false;
    const piece = Buffer.alloc(64 * 1024, 'a');
    const framed = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
    const finish = () => {
      if (finished) return;
      finished = true;
      socket.destroy();
      resolve({ written, answer });
    };
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    socket.on('error', finish);
    socket.on('close', finish);
    const pump = () => {
      while (!finished && written < limit) {
        written += piece.length;
        if (!socket.write(framed)) {
          socket.once('drain', pump);
          return;
        }
      }
      if (written >= limit) setTimeout(finish, 200);
    };
    socket.on('connect', () => {
      socket.write(head);
      pump();
    });
  });
}

module.exports = { CALL, PATH, request, form, settle, waitFor, webhookHarness, pushBody };
