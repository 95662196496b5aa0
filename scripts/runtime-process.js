'use strict';
/**
 * One Node-RED runtime in a process of its own, for the scale-out tests and the benchmark:
 * several of these on one account are several Node-RED instances. Start it with
 * `startRuntime(options)` (below), which forks this file. Options:
 *   sandbox: {url, authId, authToken, callUuid}   the Plivo stand-in and the call to play into
 *   account: plivo-config settings (rateLimit, rateWindow, concurrency, redisUrl, ...)
 *   redisPassword: the account's Redis password credential
 *   via: 'plivo-play' (default), or a peer making the same request: 'http-request' (Node-RED's
 *        core node) or 'plivo-sdk' (a function node calling the official plivo package)
 *   priorities: {sender, prompt}: adds a second plivo play node, `prompt`, on the same account,
 *        and sets both nodes' priorities (for the `mixed` operation: a broadcast and prompts)
 *   webhookPort: adds a plivo webhook node on the account at /plivo/hangup, served on this
 *        loopback port (the calls' hangup URL, for the `broadcast` operation), and one at
 *        /plivo/answer answering `answerXml` (placed calls' answer URL; `answered` reads what it heard)
 *   makeCall: {answerUrl, hangupUrl}: the sender is a plivo make call node placing calls with these
 *        URLs (another runtime's webhooks, or this one's), keeping msg.row for the answer (the `makeCalls`
 *        operation), beside a plivo play node `prompt` (the `mixed` operation's prompts)
 *   conference: adds a plivo conference node `conference` on the account, its operation from
 *        msg.payload.operation (the `conference` operation); with webhookPort, the answer XML may put
 *        calls into a room whose callbackUrl is /plivo/hangup, so the account hears who enters
 * A message ends as lost when it ends with an error or, for the peers, with a status that is
 * not 2xx (neither peer throws on a 429).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { fork } = require('node:child_process');

const URL_A = 'https://s3.amazonaws.com/plivocloud/music.mp3';
/** Node-RED's numeric log levels (@node-red/util log.js). */
const LEVELS = { 10: 'fatal', 20: 'error', 30: 'warn', 40: 'info' };

function flowFor(options) {
  const { sandbox, account = {}, via = 'plivo-play' } = options;
  const tab = { id: 'runtime', type: 'tab', label: 'runtime' };
  const result = { id: 'result', type: 'function', z: 'runtime', name: 'result', func: 'return msg;', outputs: 1, x: 400, y: 40, wires: [[]] };
  if (via === 'http-request') {
    return [tab, result, {
      id: 'sender', type: 'http request', z: 'runtime', name: 'sender', method: 'POST', ret: 'obj', paytoqs: 'ignore',
      url: `${sandbox.url}/v1/Account/${sandbox.authId}/Call/${sandbox.callUuid}/Play/`, tls: '', persist: true,
      proxy: '', insecureHTTPParser: false, authType: 'basic', senderr: false, headers: [], x: 200, y: 40, wires: [['result']],
    }];
  }
  if (via === 'plivo-sdk') {
    const func = [
      "const client = global.get('plivoClient');",
      `client.calls.playMusic(msg.payload.call_uuid, '${URL_A}').then(`,
      '  (answer) => { msg.payload = answer; msg.statusCode = 202; node.send(msg); node.done(); },',
      '  (error) => node.done(error));',
      'return null;',
    ].join('\n');
    return [tab, result, { id: 'sender', type: 'function', z: 'runtime', name: 'sender', func, outputs: 1, x: 200, y: 40, wires: [['result']] }];
  }
  const play = (id, y, priority) => ({
    id, type: 'plivo-play', z: 'runtime', name: id, account: 'plivo-account', action: 'play', urls: URL_A,
    callUuid: '', legs: '', loop: '', mix: '', length: '', priority, errorOutput: false, x: 200, y, wires: [['result']],
  });
  const { priorities } = options;
  const answers = {
    id: 'answers', type: 'plivo-webhook', z: 'runtime', name: 'answers', account: 'plivo-account', url: '/plivo/answer', method: 'post',
    publicUrl: '', answerXml: options.answerXml ?? '<Response />', x: 200, y: 160, wires: [['heard']],
  };
  const heard = { id: 'heard', type: 'function', z: 'runtime', name: 'heard', func: 'return msg;', outputs: 1, x: 400, y: 160, wires: [[]] };
  const hangups = {
    id: 'hangups', type: 'plivo-webhook', z: 'runtime', name: 'hangups', account: 'plivo-account', url: '/plivo/hangup', method: 'post',
    publicUrl: '', answerXml: '<Response />', x: 200, y: 120, wires: [[]],
  };
  return [tab, result,
    { id: 'plivo-account', type: 'plivo-config', name: 'runtime account', baseUrl: sandbox.url, ...account },
    options.makeCall ? {
      id: 'sender', type: 'plivo-make-call', z: 'runtime', name: 'caller', account: 'plivo-account', keep: 'row',
      from: '+14155550100', fromType: 'str', answer_url: options.makeCall.answerUrl, answer_urlType: 'str',
      hangup_url: options.makeCall.hangupUrl, hangup_urlType: 'str', priority: 'normal', x: 200, y: 40, wires: [['placed'], ['outcome']],
    } : play('sender', 40, priorities?.sender ?? 'normal'),
    // Beside plivo make call, outputs go to junctions and errors to a catch node, which cost next to nothing: the
    // process's CPU is the nodes' own (the onSend hook below reads what they send; no onComplete hook runs).
    ...(options.makeCall ? [
      { ...play('prompt', 80, 'normal'), wires: [['placed']] },
      { id: 'errors', type: 'catch', z: 'runtime', name: 'errors', scope: null, uncaught: false, x: 200, y: 200, wires: [['placed']] },
      ...['placed', 'outcome'].map((id, i) => ({ id, type: 'junction', z: 'runtime', x: 400, y: 80 + 40 * i, wires: [[]] })),
    ] : []),
    ...(priorities ? [play('prompt', 80, priorities.prompt)] : []),
    ...(options.conference ? [{
      id: 'conference', type: 'plivo-conference', z: 'runtime', name: 'conference', account: 'plivo-account', operation: 'msg',
      // Wired to nothing: a message ends at the node (its onComplete below), so the process's CPU is the node's own.
      priority: 'normal', errorOutput: false, x: 200, y: 240, wires: [[]],
    }] : []),
    ...(options.webhookPort ? [heard, answers, hangups] : [])];
}

/** The official SDK always calls api.plivo.com; its requests are pointed at the sandbox. */
function plivoClientFor(sandbox) {
  const plivo = require('plivo');
  const axios = require(require.resolve('axios', { paths: [path.dirname(require.resolve('plivo'))] }));
  const towardsSandbox = (config) => ({ ...config, url: config.url.replace('https://api.plivo.com', sandbox.url) });
  const create = axios.create;
  axios.create = function createTowardsSandbox(...args) {
    const instance = create.apply(this, args);
    instance.interceptors.request.use(towardsSandbox);
    return instance;
  };
  // A request the SDK does not mark as a voice request (conferences.stopSpeakingTextToMember) goes through axios itself: to the newest client's sandbox.
  if (axios.sandboxInterceptor !== undefined) axios.interceptors.request.eject(axios.sandboxInterceptor);
  axios.sandboxInterceptor = axios.interceptors.request.use(towardsSandbox);
  return new plivo.Client(sandbox.authId, sandbox.authToken);
}

/**
 * Node-RED embedded in this process, with the package installed in a fresh user dir and `flow`
 * and its `credentials` written there; no editor, and no http nodes unless `httpPort` is given
 * (then they are served there, on loopback). `settings` are added to Node-RED's. Resolves once
 * the node `readyNode` runs, with that node and the user dir.
 */
async function startEmbeddedNodeRed({ flow, credentials, settings = {}, readyNode, httpPort }) {
  const { linkPackage, nodeRedPackage } = require('./dev-runtime.js');
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plivo-runtime-'));
  fs.writeFileSync(path.join(userDir, 'package.json'), '{"name":"runtime-user-dir","private":true}');
  linkPackage(userDir);
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flow));
  fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(credentials));
  const RED = require(nodeRedPackage);
  const server = http.createServer();
  RED.init(server, {
    userDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: httpPort ? '/' : false,
    disableEditor: true,
    telemetry: { enabled: false },
    ...settings,
  });
  if (httpPort) {
    server.on('request', RED.httpNode);
    await new Promise((resolve) => server.listen(httpPort, '127.0.0.1', resolve));
  }
  await RED.start();
  const node = await new Promise((resolve) => {
    const check = () => {
      const found = RED.nodes.getNode(readyNode);
      if (found) resolve(found);
      else setTimeout(check, 20);
    };
    check();
  });
  return { RED, node, userDir };
}

async function run(options) {
  const { sandbox } = options;
  const credentials = options.via === 'http-request'
    ? { sender: { user: sandbox.authId, password: sandbox.authToken } }
    : { 'plivo-account': { authId: sandbox.authId, authToken: sandbox.authToken, redisPassword: options.redisPassword ?? '' } };
  const logs = [];
  const { RED, userDir } = await startEmbeddedNodeRed({
    flow: flowFor(options),
    credentials,
    // The webhook node comes last in the flow: once it runs, so does the sender.
    readyNode: options.webhookPort ? 'hangups' : 'sender',
    httpPort: options.webhookPort,
    settings: {
      functionGlobalContext: options.via === 'plivo-sdk' ? { plivoClient: plivoClientFor(sandbox) } : {},
      logging: {
        collect: {
          level: 'info',
          metrics: false,
          audit: false,
          handler: () => (entry) => logs.push({ level: LEVELS[entry.level] ?? String(entry.level), msg: String(entry.msg) }),
        },
      },
    },
  });
  const sender = RED.nodes.getNode('sender');
  let lastStatus;
  const setStatus = sender.status.bind(sender);
  sender.status = (status) => {
    lastStatus = status;
    setStatus(status);
  };

  const waiters = new Map();
  const end = (msgid, error) => {
    const waiter = waiters.get(msgid);
    if (waiter) {
      waiters.delete(msgid);
      waiter(error);
    }
  };
  /** Placed calls: each message's row to what became of it (placed, then its outcome or error); what the answer webhook heard. */
  const rows = new Map();
  const answered = [];
  const rowEnds = (row) => {
    if (row.error !== undefined || row.outcome !== undefined || (row.until === 'placed' && row.placedAt !== undefined)) row.ended?.();
  };
  if (options.makeCall) {
    RED.hooks.add('onSend.runtime', (events) => {
      for (const { source, msg } of events) {
        const from = source.node.id;
        const row = rows.get(msg.row);
        if (from === 'prompt') end(msg._msgid);
        else if (from === 'errors' && row === undefined) end(msg._msgid, msg.error?.message ?? 'error');
        if (row === undefined) continue;
        if (from === 'errors') row.error = msg.error?.message ?? 'error';
        else if (source.port === 0) row.placedAt = Date.now();
        else row.outcome = msg.payload.status;
        rowEnds(row);
      }
    });
  } else RED.hooks.add('onComplete.runtime', ({ msg, error, node }) => {
    if (node.id === 'heard') answered.push({ placed: msg.placed, to: msg.payload?.To });
    if (rows.has(msg.row)) {
      const row = rows.get(msg.row);
      if (error) row.error = error.message ?? String(error);
      rowEnds(row);
      return;
    }
    if (error) end(msg._msgid, error.message ?? String(error));
    else if (node.id === 'result' || node.id === 'conference') {
      const status = msg.statusCode;
      end(msg._msgid, status === undefined || (status >= 200 && status < 300) ? undefined : `status ${status}`);
    }
  });
  let sequence = 0;
  // The core node is given the request body; the others, like a Plivo webhook, the call.
  const payload = () => (options.via === 'http-request' ? { urls: URL_A } : { call_uuid: sandbox.callUuid });
  /** One message with `body` as its payload into `node`; resolves with its error text (undefined when it went on) when it ends. */
  const send = (node, body) => new Promise((resolve) => {
    sequence += 1;
    const msg = { _msgid: `${process.pid}-${sequence}`, payload: body };
    waiters.set(msg._msgid, resolve);
    node.receive(msg);
  });
  /** One message into `node` (the sender by default). */
  const play = (node = sender) => send(node, payload());
  /** `count` bare got requests from `requestAt(i)` ({method, path under the account, json}), `concurrency` in flight: the CPU spent. */
  const bareRequests = async (count, concurrency, requestAt) => {
    const { got } = await import('got');
    const base = `${sandbox.url}/v1/Account/${encodeURIComponent(sandbox.authId)}/`;
    const options = { username: sandbox.authId, password: sandbox.authToken, responseType: 'json', retry: { limit: 0 }, timeout: { request: 10_000 } };
    global.gc?.();
    const cpuBefore = process.cpuUsage();
    let next = 0;
    let failed = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const { method, path: under, json } = requestAt(next);
        next += 1;
        await got(`${base}${under}`, { ...options, method, json }).catch(() => { failed += 1; });
      }
    }));
    const cpu = process.cpuUsage(cpuBefore);
    return { failed, cpuMs: (cpu.user + cpu.system) / 1000 };
  };
  const settle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  const operations = {
    /** `count` messages, all at once or at most `concurrency` outstanding. */
    async play({ count, concurrency = count }) {
      const cpuBefore = process.cpuUsage();
      const began = performance.now();
      const outcomes = [];
      let next = 0;
      const worker = async () => {
        while (next < count) {
          next += 1;
          outcomes.push(await play());
        }
      };
      await Promise.all(Array.from({ length: Math.min(count, concurrency) }, worker));
      const errors = outcomes.filter((error) => error !== undefined);
      const cpu = process.cpuUsage(cpuBefore);
      return { lost: errors.length, errors: errors.slice(0, 5), cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - began };
    },
    /**
     * A broadcast and prompts: `bulk` messages into the sender at once; after `promptDelayMs`,
     * one message into `prompt` every `promptEveryMs` while the broadcast lasts, at most
     * `prompts`. Resolves when the prompts have ended (the broadcast may still run): each
     * prompt's time from input to its end, and how the broadcast fared so far.
     */
    async mixed({ bulk, prompts, promptEveryMs, promptDelayMs }) {
      const prompt = RED.nodes.getNode('prompt');
      const cpuBefore = process.cpuUsage();
      const bulkOutcomes = [];
      for (let i = 0; i < bulk; i += 1) play().then((error) => bulkOutcomes.push(error));
      await settle(promptDelayMs);
      const latencies = [];
      const promptErrors = [];
      const ends = [];
      const busyFrom = Date.now();
      for (let i = 0; i < prompts && (bulk === 0 || bulkOutcomes.length < bulk); i += 1) {
        const sentAt = performance.now();
        ends.push(play(prompt).then((error) => {
          latencies.push(performance.now() - sentAt);
          if (error !== undefined) promptErrors.push(error);
        }));
        await settle(promptEveryMs);
      }
      await Promise.all(ends);
      const busyUntil = Date.now();
      const bulkErrors = bulkOutcomes.filter((error) => error !== undefined);
      const cpu = process.cpuUsage(cpuBefore);
      return {
        latencies,
        promptErrors: promptErrors.slice(0, 5),
        promptLost: promptErrors.length,
        bulkEnded: bulkOutcomes.length,
        bulkLost: bulkErrors.length,
        bulkErrors: bulkErrors.slice(0, 5),
        busyFrom,
        busyUntil,
        cpuMs: (cpu.user + cpu.system) / 1000,
        played: latencies.length - promptErrors.length + bulkOutcomes.length - bulkErrors.length,
      };
    },
    /**
     * One message per UUID in `calls`, all at once, into the sender: how they ended (played, the
     * call had ended, Plivo's 404, other) and how long until the last did.
     */
    async broadcast({ calls }) {
      const began = performance.now();
      const outcomes = await Promise.all(calls.map((callUuid) => new Promise((resolve) => {
        sequence += 1;
        const msg = { _msgid: `${process.pid}-${sequence}`, payload: { call_uuid: callUuid } };
        waiters.set(msg._msgid, resolve);
        sender.receive(msg);
      })));
      const counts = { played: 0, callEnded: 0, notFound: 0, other: 0 };
      const others = [];
      for (const error of outcomes) {
        if (error === undefined) counts.played += 1;
        else if (/the call has ended/.test(error)) counts.callEnded += 1;
        else if (/^404 /.test(error)) counts.notFound += 1;
        else {
          counts.other += 1;
          if (others.length < 5) others.push(error);
        }
      }
      return { ...counts, others, wallMs: performance.now() - began };
    },
    async sequential({ count }) {
      const latencies = [];
      for (let i = 0; i < count; i += 1) {
        const began = performance.now();
        const error = await play();
        if (error !== undefined) throw new Error(error);
        latencies.push(performance.now() - began);
      }
      return { latencies };
    },
    /**
     * One message per destination (`msg.payload.to`, `msg.row` its index), all at once, into the
     * make-call node; resolves when each has its outcome or error: the counts, the first errors,
     * when each was placed, and the CPU spent.
     */
    async makeCalls({ destinations, timeoutMs, until = 'outcome' }) {
      global.gc?.();
      const cpuBefore = process.cpuUsage();
      const began = Date.now();
      const ends = destinations.map((to, index) => new Promise((resolve) => {
        const row = { to, until };
        row.ended = resolve;
        rows.set(`${process.pid}-${index}`, row);
        sequence += 1;
        sender.receive({ _msgid: `${process.pid}-${sequence}`, payload: { to }, row: `${process.pid}-${index}` });
      }));
      await Promise.race([Promise.all(ends), settle(timeoutMs)]);
      const cpu = process.cpuUsage(cpuBefore);
      const found = [...rows.values()];
      rows.clear();
      const outcomes = {};
      for (const row of found) if (row.outcome !== undefined) outcomes[row.outcome] = (outcomes[row.outcome] ?? 0) + 1;
      const errors = found.filter((row) => row.error !== undefined).map((row) => row.error);
      return {
        outcomes, errors: errors.slice(0, 5), failed: errors.length,
        unended: found.filter((row) => row.error === undefined && row.outcome === undefined && (until !== 'placed' || row.placedAt === undefined)).length,
        placedAt: found.map((row) => row.placedAt).filter((at) => at !== undefined), began, cpuMs: (cpu.user + cpu.system) / 1000,
      };
    },
    /** `count` bare got calls placing a call (POST Call/, as the node sends it), `concurrency` in flight: the CPU spent. */
    bareCalls({ count, concurrency, body }) {
      return bareRequests(count, concurrency, () => ({ method: 'POST', path: 'Call/', json: body }));
    },
    /** Each of `requests` ({method, path, json}) `times` times, by bare got, `concurrency` in flight: the CPU spent. */
    bareRequests({ requests, times = 1, concurrency = 10 }) {
      return bareRequests(requests.length * times, concurrency, (i) => requests[i % requests.length]);
    },
    /** Each of `payloads` `times` times into the plivo conference node, `concurrency` in flight: what failed, and the CPU spent. */
    async conference({ payloads, times = 1, concurrency = 10 }) {
      const node = RED.nodes.getNode('conference');
      const count = payloads.length * times;
      global.gc?.();
      const cpuBefore = process.cpuUsage();
      const errors = [];
      let next = 0;
      await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
        while (next < count) {
          const body = payloads[next % payloads.length];
          next += 1;
          const error = await send(node, body);
          if (error !== undefined) errors.push(error);
        }
      }));
      const cpu = process.cpuUsage(cpuBefore);
      return { failed: errors.length, errors: errors.slice(0, 5), cpuMs: (cpu.user + cpu.system) / 1000 };
    },
    async answered() {
      return { answered: answered.splice(0) };
    },
    async logs() {
      return { logs };
    },
    async status() {
      return { status: lastStatus };
    },
    async stop() {
      await RED.stop();
      fs.rmSync(userDir, { recursive: true, force: true });
      return {};
    },
  };
  process.on('message', ({ id, op, ...args }) => {
    operations[op](args).then(
      (answer) => process.send({ id, ...answer }),
      (error) => process.send({ id, failed: error?.stack ?? String(error) }),
    );
  });
  process.send({ ready: true });
}

/** Forks a runtime; resolves when its flow is running. */
async function startRuntime(options) {
  const child = fork(__filename, [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map();
  let nextId = 0;
  await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`runtime exited with code ${code}`)));
    child.on('message', (message) => {
      if (message.ready) resolve();
      else pending.get(message.id)?.(message);
    });
  });
  const ask = (op, args = {}) => new Promise((resolve, reject) => {
    nextId += 1;
    pending.set(nextId, (answer) => (answer.failed ? reject(new Error(answer.failed)) : resolve(answer)));
    child.send({ id: nextId, op, ...args });
  });
  return {
    pid: child.pid,
    play: (count, concurrency) => ask('play', { count, concurrency }),
    sequential: (count) => ask('sequential', { count }),
    mixed: (args) => ask('mixed', args),
    broadcast: (calls) => ask('broadcast', { calls }),
    makeCalls: (destinations, timeoutMs = 60_000, until = 'outcome') => ask('makeCalls', { destinations, timeoutMs, until }),
    bareCalls: (count, concurrency, body) => ask('bareCalls', { count, concurrency, body }),
    bareRequests: (requests, times, concurrency) => ask('bareRequests', { requests, times, concurrency }),
    conference: (payloads, times, concurrency) => ask('conference', { payloads, times, concurrency }),
    answered: async () => (await ask('answered')).answered,
    logs: async () => (await ask('logs')).logs,
    status: async () => (await ask('status')).status,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await ask('stop').catch(() => undefined);
      child.disconnect();
      await exited;
    },
    /** Ends the process at once, as a crash would. */
    kill() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      return exited;
    },
  };
}

module.exports = { startRuntime, startEmbeddedNodeRed, plivoClientFor, URL_A };

if (require.main === module) {
  process.on('disconnect', () => process.exit(0));
  run(JSON.parse(process.argv[2])).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
