'use strict';
/**
 * `npm run bench` (`-- --quick` for a smoke run of about a minute): the account limit (plays
 * alone, and plays and speaks on one account), CPU per play and per speak, added latency,
 * connections and memory, measured against sandboxes on loopback;
 * then the limit at real round trips (the sandbox delays its answers), several Node-RED
 * processes on one account with and without Redis, and peers (the core http request node,
 * a function node calling the official plivo SDK), plays through a local proxy (tinyproxy), and
 * prompts sent while a broadcast fills the limit ("interactive behind bulk"); CPU per plivo call
 * operation, a broadcast during which callers hang up (bench/broadcast-hangups.js), plivo xml
 * against the template node (bench/xml-throughput.js), campaigns through plivo make call
 * (bench/make-call-campaign.js), and conference operations (bench/conference-ops.js).
 * Node-RED runs in this process with the package installed in a temporary user dir; each
 * sandbox, and each extra Node-RED, runs in a child process of its own. Comparisons with bare
 * got calls (the same options the node uses) are made side by side in the same run and
 * reported as ratios. Prints a table; a full run also writes BENCHMARKS.md and the charts.
 * Never fails on a number: the targets are reported, not enforced.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const v8 = require('node:v8');
const { limitChart, rateChart } = require('./chart.js');
const { startRuntime, startEmbeddedNodeRed, URL_A } = require('../scripts/runtime-process.js');
const { startRedis } = require('../scripts/redis-server.js');
const { startTinyproxy } = require('../scripts/tinyproxy.js');
const { numberedCall } = require('../sandbox/plivo-sandbox.js');
const { measureBroadcastHangups, describeRun, SIZE: BROADCAST, HANGUP_SHARE } = require('./broadcast-hangups.js');
const { XML_NODES, measureXmlThroughput, sender } = require('./xml-throughput.js');
const { measureCampaigns, campaignRows } = require('./make-call-campaign.js');
const { measureConferenceOps, conferenceRows } = require('./conference-ops.js');
const { forkSandbox } = require('./sandbox-process.js');

const QUICK = process.argv.includes('--quick');
const SPEAK_TEXT = 'You are caller number 3 in the queue. Please hold.';
const root = path.join(__dirname, '..');
const N = QUICK
  ? { limit: 60, cpu: 300, cpuRounds: 1, warmup: 50, latency: 100, connections: 100, memory: 500, peerCpu: 300 }
  : { limit: 1200, cpu: 5000, cpuRounds: 3, warmup: 500, latency: 1000, connections: 1000, memory: 10000, peerCpu: 3000 };
/** Round trips the sandbox adds for the limit at real latency, in ms (0: loopback, about 0.3 ms). */
const ROUND_TRIPS = QUICK ? [0, 250] : [0, 50, 250, 500];
/**
 * Interactive behind bulk: broadcast sizes, round trips, and the prompts (one every 500 ms from 1 s
 * after the broadcast starts, while it lasts, at most `prompts`; a longer broadcast is cut there).
 */
const MIXED = QUICK
  ? { bulks: [120], roundTrips: [0, 250], prompts: 10 }
  : { bulks: [1800, 10_000], roundTrips: [0, 50, 250], prompts: 60 };
/**
 * plivo call's operations for figure 2.2, each with the fields its node sets, and the same request
 * as a bare got call sends it (`body`, `query`; `path` under the account, given the call).
 */
const TRANSFER_URL = 'http://127.0.0.1:9/next';
const CALL_OPERATIONS = [
  { operation: 'hangup', fields: {}, method: 'DELETE', path: (uuid) => `Call/${uuid}/` },
  { operation: 'transfer', fields: { aleg_url: TRANSFER_URL }, method: 'POST', path: (uuid) => `Call/${uuid}/`, body: { aleg_url: TRANSFER_URL } },
  { operation: 'send-digits', fields: { digits: '1w2' }, method: 'POST', path: (uuid) => `Call/${uuid}/DTMF/`, body: { digits: '1w2' } },
  { operation: 'record', fields: {}, method: 'POST', path: (uuid) => `Call/${uuid}/Record/`, body: {} },
  { operation: 'stop-recording', fields: {}, method: 'DELETE', path: (uuid) => `Call/${uuid}/Record/` },
  { operation: 'live-details', fields: {}, method: 'GET', path: (uuid) => `Call/${uuid}/`, query: { status: 'live' } },
  { operation: 'live-calls', fields: { call_direction: 'outbound' }, method: 'GET', path: () => 'Call/', query: { call_direction: 'outbound', status: 'live' } },
];

/** The limit under test: Plivo's own in a full run; a small one in a quick run. */
const LIMIT = QUICK ? { rateLimit: 20, rateWindow: 1 } : { rateLimit: 300, rateWindow: 5 };

if (require.main === module && typeof global.gc !== 'function') {
  console.error('run with node --expose-gc (npm run bench does)');
  process.exit(2);
}

// ---------- sandboxes, one process each ----------

async function startSandboxProcess(name, options) {
  const { url, account, ask, stop } = await forkSandbox(options);
  return {
    name,
    url,
    account,
    callUuid: options.liveCalls[0],
    calls: options.liveCalls,
    stats: () => ask({ op: 'stats' }),
    requestLog: async () => (await ask({ op: 'requestLog' })).log,
    fail: (fault, times = 1) => ask({ op: 'fail', fault, times }),
    stop,
  };
}

// ---------- Node-RED in this process ----------

function flowFor(sandboxes, redisUrl) {
  const unthrottled = { rateLimit: 1_000_000, rateWindow: 1, concurrency: 10, queueLimit: 20_000, timeout: 10, retries: 2 };
  const account = (id, sandbox, limits) => ({ id, type: 'plivo-config', name: `${sandbox.name} account`, baseUrl: sandbox.url, ...limits });
  const play = (id, accountId, y) => ({
    id, type: 'plivo-play', z: 'bench', name: id, account: accountId, action: 'play', urls: URL_A, callUuid: '',
    legs: '', loop: '', mix: '', length: '', errorOutput: false, x: 200, y, wires: [[]],
  });
  const speak = (id, accountId, y) => ({
    id, type: 'plivo-speak', z: 'bench', name: id, account: accountId, action: 'speak', text: SPEAK_TEXT, textType: 'str',
    callUuid: '', voice: '', language: '', legs: '', loop: '', mix: '', errorOutput: false, x: 400, y, wires: [[]],
  });
  const call = (operation, fields) => ({
    id: `call-${operation}`, type: 'plivo-call', z: 'bench', name: operation, account: 'cfg-calls', operation, callUuid: '', callUuidType: 'str',
    ...fields, errorOutput: false, x: 600, y: 40, wires: [[]],
  });
  return [
    { id: 'bench', type: 'tab', label: 'bench' },
    account('cfg-calls', sandboxes.calls, unthrottled),
    ...CALL_OPERATIONS.map(({ operation, fields }) => call(operation, fields)),
    account('cfg-limit', sandboxes.limit, LIMIT),
    account('cfg-mixed', sandboxes.mixed, LIMIT),
    account('cfg-fast', sandboxes.fast, unthrottled),
    account('cfg-connections', sandboxes.connections, unthrottled),
    account('cfg-memory', sandboxes.memory, unthrottled),
    // As cfg-fast, with the limit kept in Redis: what Redis adds.
    account('cfg-redis', sandboxes.fastRedis, { ...unthrottled, redisUrl }),
    play('limit-a', 'cfg-limit', 40), play('limit-b', 'cfg-limit', 80),
    play('fast', 'cfg-fast', 120), play('connections', 'cfg-connections', 160), play('memory', 'cfg-memory', 200),
    play('redis', 'cfg-redis', 240),
    speak('fast-speak', 'cfg-fast', 120), play('mixed-play', 'cfg-mixed', 280), speak('mixed-speak', 'cfg-mixed', 280),
    ...XML_NODES,
  ];
}

async function startNodeRed(sandboxes, redisUrl) {
  const credentials = {};
  for (const [id, sandbox] of [['cfg-calls', sandboxes.calls], ['cfg-limit', sandboxes.limit], ['cfg-mixed', sandboxes.mixed], ['cfg-fast', sandboxes.fast],
    ['cfg-connections', sandboxes.connections], ['cfg-memory', sandboxes.memory], ['cfg-redis', sandboxes.fastRedis]]) {
    credentials[id] = { authId: sandbox.account.authId, authToken: sandbox.account.authToken };
  }
  const { RED, userDir } = await startEmbeddedNodeRed({
    flow: flowFor(sandboxes, redisUrl),
    credentials,
    readyNode: 'redis',
    settings: { logging: { console: { level: 'warn', metrics: false, audit: false } } },
  });
  const waiters = new Map();
  RED.hooks.add('onComplete.bench', ({ msg, error }) => {
    const waiter = waiters.get(msg._msgid);
    if (waiter) {
      waiters.delete(msg._msgid);
      waiter(error);
    }
  });
  let sequence = 0;
  /** Sends one message into a node (plivo play or speak); resolves with its error (undefined for success) when it ends. */
  const play = (nodeId, callUuid) => new Promise((resolve) => {
    sequence += 1;
    const msg = { _msgid: `bench-${sequence}`, payload: { call_uuid: callUuid } };
    waiters.set(msg._msgid, resolve);
    RED.nodes.getNode(nodeId).receive(msg);
  });
  return { RED, play, userDir };
}

// ---------- bare got, with the options the node's client uses ----------

async function bareGot(sandbox) {
  const { got } = await import('got');
  const agents = { http: new http.Agent({ keepAlive: true }), https: undefined };
  const { authId, authToken } = sandbox.account;
  const authorization = `Basic ${Buffer.from(`${authId}:${authToken}`).toString('base64')}`;
  /** A request as CALL_OPERATIONS describes one (`path` given the call), for the call `uuid`. */
  const operation = ({ method, path: pathOf, body, query }) => async (uuid) => {
    const response = await got(`${sandbox.url}/v1/Account/${encodeURIComponent(authId)}/${pathOf(uuid)}`, {
      method,
      json: body,
      searchParams: query,
      headers: { authorization, 'user-agent': 'bench', accept: 'application/json' },
      agent: agents,
      responseType: 'text',
      throwHttpErrors: false,
      followRedirect: false,
      retry: { limit: 0 },
      timeout: { request: 10_000 },
    });
    if (response.statusCode >= 300) throw new Error(`${method} ${pathOf(uuid)}: ${response.statusCode}`);
    return response.body === '' ? {} : JSON.parse(response.body);
  };
  const play = operation({ method: 'POST', path: (uuid) => `Call/${uuid}/Play/`, body: { urls: URL_A } });
  const speak = operation({ method: 'POST', path: (uuid) => `Call/${uuid}/Speak/`, body: { text: SPEAK_TEXT } });
  return {
    call: () => play(sandbox.callUuid), speak: () => speak(sandbox.callUuid), operation, close: () => agents.http.destroy(),
  };
}

// ---------- measuring ----------

const cpuMs = (usage) => (usage.user + usage.system) / 1000;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const heapMb = () => {
  global.gc();
  global.gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};
const settle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The share of the limit used: a strict sliding window lets request i+L start no sooner than a
 * window after request i, so the window divided by the mean time from each request to the L-th
 * after it is 1 at full use. Unlike (requests - L) / elapsed it does not count against the node
 * the time the first L take to go out (a second at 250 ms round trips).
 */
function utilisationOf(starts) {
  const L = LIMIT.rateLimit;
  if (starts.length <= L) return Number.NaN;
  let total = 0;
  for (let i = 0; i + L < starts.length; i += 1) total += starts[i + L] - starts[i];
  return (LIMIT.rateWindow * 1000) / (total / (starts.length - L));
}

/** The most requests in any window of the limit. */
function busiestWindow(starts) {
  const windowMs = LIMIT.rateWindow * 1000;
  let busiest = 0;
  for (let i = 0, j = 0; j < starts.length; j += 1) {
    while (starts[j] - starts[i] >= windowMs) i += 1;
    busiest = Math.max(busiest, j - i + 1);
  }
  return busiest;
}

/** Runs `count` calls with at most `concurrency` at once. */
async function pool(count, concurrency, call) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      await call();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** `count` messages at once, alternating between `nodes` of one account, against a strict sandbox. */
async function measureLimit(nodeRed, sandbox, nodes, count) {
  const results = await Promise.all(Array.from({ length: count }, (_, i) => nodeRed.play(nodes[i % nodes.length], sandbox.callUuid)));
  const stats = await sandbox.stats();
  const starts = stats.starts;
  const allowed = LIMIT.rateLimit / LIMIT.rateWindow;
  const utilisation = utilisationOf(starts);
  return {
    starts,
    utilisation,
    achieved: utilisation * allowed,
    allowed,
    rejected: stats.rateLimited,
    lost: count - results.filter((error) => error === undefined).length,
    busiestWindow: busiestWindow(starts),
  };
}

async function measureCpu(nodeRed, sandboxes, got) {
  const throughNode = (nodeId, sandbox) => Promise.all(Array.from({ length: N.cpu }, () => nodeRed.play(nodeId, sandbox.callUuid)));
  const bare = () => pool(N.cpu, 10, got.call);
  const bareSpeak = () => pool(N.cpu, 10, got.speak);
  await Promise.all(Array.from({ length: N.warmup }, () => nodeRed.play('fast', sandboxes.fast.callUuid)));
  await Promise.all(Array.from({ length: N.warmup }, () => nodeRed.play('fast-speak', sandboxes.fast.callUuid)));
  await Promise.all(Array.from({ length: N.warmup }, () => nodeRed.play('redis', sandboxes.fastRedis.callUuid)));
  await pool(N.warmup, 10, got.call);
  await pool(N.warmup, 10, got.speak);
  const measure = async (run) => {
    global.gc();
    const before = process.cpuUsage();
    const began = performance.now();
    const errors = ((await run()) ?? []).filter(Boolean).length;
    return { cpu: cpuMs(process.cpuUsage(before)), wall: performance.now() - began, errors };
  };
  const rounds = [];
  for (let round = 0; round < N.cpuRounds; round += 1) {
    const node = await measure(() => throughNode('fast', sandboxes.fast));
    const redis = await measure(() => throughNode('redis', sandboxes.fastRedis));
    const plain = await measure(bare);
    const speak = await measure(() => throughNode('fast-speak', sandboxes.fast));
    const plainSpeak = await measure(bareSpeak);
    rounds.push({
      node, redis, plain, speak, plainSpeak,
      ratio: node.cpu / plain.cpu, redisRatio: redis.cpu / plain.cpu, speakRatio: speak.cpu / plainSpeak.cpu,
    });
  }
  return {
    rounds,
    ratio: median(rounds.map((round) => round.ratio)),
    redisRatio: median(rounds.map((round) => round.redisRatio)),
    speakRatio: median(rounds.map((round) => round.speakRatio)),
    errors: rounds.reduce((sum, round) => sum + round.node.errors + round.redis.errors + round.speak.errors, 0),
  };
}

/**
 * Figure 2.2: CPU per request of each plivo call operation against bare got to the same path, as
 * figure 2 for plays. A hang-up ends its call, and so does a transfer (the sandbox, as Plivo, runs
 * the XML of the new URL, which here answers nothing), so each goes to a call of its own (the
 * sandbox's numbered calls: the node's first, then got's); the other operations go to one live call.
 */
const ENDS_CALL = new Set(['hangup', 'transfer']);
async function measureCallCpu(nodeRed, sandbox, got) {
  let nextCall = 0;
  const callFor = (operation) => (ENDS_CALL.has(operation) ? numberedCall(nextCall++) : sandbox.callUuid);
  const measure = async (run) => {
    global.gc();
    const before = process.cpuUsage();
    const errors = (await run()).filter(Boolean).length;
    return { cpu: cpuMs(process.cpuUsage(before)), errors };
  };
  const byNode = (operation, count) => Promise.all(Array.from({ length: count }, () => nodeRed.play(`call-${operation}`, callFor(operation))));
  const byGot = async (described, count) => {
    const request = got.operation(described);
    const errors = [];
    await pool(count, 10, () => request(callFor(described.operation)).catch((error) => errors.push(error.message)));
    return errors;
  };
  const results = [];
  for (const described of CALL_OPERATIONS) {
    await byNode(described.operation, N.warmup);
    await byGot(described, N.warmup);
    const rounds = [];
    for (let round = 0; round < N.cpuRounds; round += 1) {
      const node = await measure(() => byNode(described.operation, N.cpu));
      const plain = await measure(() => byGot(described, N.cpu));
      rounds.push({ node, plain, ratio: node.cpu / plain.cpu });
    }
    results.push({
      operation: described.operation,
      ratio: median(rounds.map((round) => round.ratio)),
      nodeUs: (median(rounds.map((round) => round.node.cpu)) / N.cpu) * 1000,
      plainUs: (median(rounds.map((round) => round.plain.cpu)) / N.cpu) * 1000,
      errors: rounds.reduce((sum, round) => sum + round.node.errors + round.plain.errors, 0),
    });
  }
  return results;
}

async function measureLatency(nodeRed, sandboxes, got) {
  const node = [];
  const redis = [];
  const plain = [];
  const timed = async (values, call) => {
    const began = performance.now();
    await call();
    values.push(performance.now() - began);
  };
  for (let block = 0; block < N.latency / 100; block += 1) {
    for (let i = 0; i < 100; i += 1) await timed(node, () => nodeRed.play('fast', sandboxes.fast.callUuid));
    for (let i = 0; i < 100; i += 1) await timed(redis, () => nodeRed.play('redis', sandboxes.fastRedis.callUuid));
    for (let i = 0; i < 100; i += 1) await timed(plain, got.call);
  }
  const summary = (values) => ({ p50: percentile(values, 50), p99: percentile(values, 99) });
  return { node: summary(node), redis: summary(redis), plain: summary(plain) };
}

async function measureConnections(nodeRed, sandbox) {
  await Promise.all(Array.from({ length: N.connections }, () => nodeRed.play('connections', sandbox.callUuid)));
  return (await sandbox.stats()).connections;
}

async function measureMemory(nodeRed, sandbox) {
  await Promise.all(Array.from({ length: 200 }, () => nodeRed.play('memory', sandbox.callUuid)));
  const baseline = heapMb();
  await sandbox.fail({ status: 429, headers: { 'retry-after': '3', 'content-type': 'application/json' }, body: { error: 'too many requests' } });
  let ended = 0;
  const first = nodeRed.play('memory', sandbox.callUuid);
  await settle(200);
  const all = [first, ...Array.from({ length: N.memory - 1 }, () => nodeRed.play('memory', sandbox.callUuid))]
    .map((done) => done.then(() => { ended += 1; }));
  const queued = N.memory - ended;
  const peak = heapMb();
  await Promise.all(all);
  await settle(100);
  const after = heapMb();
  return { baseline, queued, peakGrowth: peak - baseline, afterGrowth: after - baseline };
}

// ---------- real round trips, several runtimes, peers: Node-RED in child processes ----------

let accountNumber = 0;
/** A fresh sandbox with an Auth ID of its own (Redis keys never meet); strict unless `unlimited`. */
function runSandbox(delayMs = 0, unlimited = false, calls = 1) {
  accountNumber += 1;
  return startSandboxProcess('run', {
    // A call per sender, so the sandbox's log tells the senders apart.
    liveCalls: Array.from({ length: calls }, (_, i) => `00000000-0000-4000-9${String(i).padStart(3, '0')}-${String(accountNumber).padStart(12, '0')}`),
    authId: `MABENCHRUN${String(accountNumber).padStart(10, '0')}`,
    rateLimit: unlimited ? undefined : { limit: LIMIT.rateLimit, windowMs: LIMIT.rateWindow * 1000 },
    delayMs,
  });
}
const targetOf = (sandbox) => ({ url: sandbox.url, authId: sandbox.account.authId, authToken: sandbox.account.authToken, callUuid: sandbox.callUuid });

/** Another client of the account (the user's backend): `perWindow` requests each window while `running()`. */
async function foreignClient(sandbox, perWindow, running, callUuid = sandbox.callUuid) {
  const { authId, authToken } = sandbox.account;
  const authorization = `Basic ${Buffer.from(`${authId}:${authToken}`).toString('base64')}`;
  const url = `${sandbox.url}/v1/Account/${authId}/Call/${callUuid}/Play/`;
  const counts = { requests: 0, rateLimited: 0 };
  for (let window = 0; running() && window < 200; window += 1) {
    const answers = await Promise.all(Array.from({ length: perWindow }, () => fetch(url, {
      method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify({ urls: URL_A }),
    }).then(async (response) => { await response.arrayBuffer(); return response.status; })));
    counts.requests += answers.length;
    counts.rateLimited += answers.filter((status) => status === 429).length;
    await settle(LIMIT.rateWindow * 1000);
  }
  return counts;
}

/**
 * `processes` Node-RED runtimes (default settings but the limit) share `plays` on one account
 * against a strict sandbox; optionally with Redis, a round trip, a foreign client. Figures as
 * the sandbox saw them; 429s and requests are this package's (the foreign client's apart).
 */
async function measureRuntimes({ processes = 1, plays = N.limit, redisUrl, delayMs = 0, via = 'plivo-play', foreignPerWindow = 0 }) {
  // The peers (http request, the SDK) send to the sandbox's first call; each runtime of the package to a call of its own.
  const sandbox = await runSandbox(delayMs, false, processes + 1);
  // A long run's messages all arrive at once: the queue takes them all.
  const account = { rateLimit: LIMIT.rateLimit, rateWindow: LIMIT.rateWindow, queueLimit: Math.max(10_000, plays), ...(redisUrl ? { redisUrl } : {}) };
  const callOf = (i) => (via === 'plivo-play' ? sandbox.calls[i] : sandbox.callUuid);
  const runtimes = await Promise.all(Array.from({ length: processes }, (_, i) => startRuntime({ sandbox: { ...targetOf(sandbox), callUuid: callOf(i) }, via, account })));
  let running = true;
  const foreign = foreignPerWindow > 0 ? foreignClient(sandbox, foreignPerWindow, () => running, sandbox.calls[processes]) : Promise.resolve({ requests: 0, rateLimited: 0 });
  const results = await Promise.all(runtimes.map((runtime) => runtime.play(Math.ceil(plays / processes))));
  running = false;
  const foreignCounts = await foreign;
  const stats = await sandbox.stats();
  const trace = windowTrace(await sandbox.requestLog(), [...Array.from({ length: processes }, (_, i) => callOf(i)), ...(foreignPerWindow > 0 ? [sandbox.calls[processes]] : [])]);
  await Promise.all(runtimes.map((runtime) => runtime.stop()));
  sandbox.stop();
  const accepted = stats.accepted;
  const utilisation = utilisationOf(accepted);
  const requests = stats.starts.length - foreignCounts.requests;
  const rejected = stats.rateLimited - foreignCounts.rateLimited;
  return {
    accepted,
    utilisation,
    achieved: utilisation * (LIMIT.rateLimit / LIMIT.rateWindow),
    requests,
    rejected,
    rejectedShare: rejected / requests,
    lost: results.reduce((sum, result) => sum + result.lost, 0),
    busiestWindow: busiestWindow(accepted),
    foreign: foreignCounts,
    trace,
  };
}

/**
 * Per window of the limit, from the first request: the requests accepted and the 429s, each
 * sender's apart (`senders` are their call UUIDs, in order; a peer's senders share one).
 */
function windowTrace(log, senders) {
  if (log.length === 0) return [];
  const windowMs = LIMIT.rateWindow * 1000;
  const t0 = log[0][0];
  const windows = [];
  for (const [at, status, callUuid] of log) {
    const k = Math.floor((at - t0) / windowMs);
    while (windows.length <= k) windows.push({ accepted: senders.map(() => 0), rejected: senders.map(() => 0) });
    const sender = senders.indexOf(callUuid);
    if (sender === -1) continue;
    if (status === 429) windows[k].rejected[sender] += 1;
    else windows[k].accepted[sender] += 1;
  }
  return windows;
}

/** CPU per play in a runtime process of its own, `via` the node or a peer, 10 outstanding. */
async function measurePeerCpu(via) {
  const sandbox = await runSandbox(0, true);
  const runtime = await startRuntime({ sandbox: targetOf(sandbox), via, account: { rateLimit: 1_000_000, rateWindow: 1 } });
  await runtime.play(N.warmup, 10);
  const result = await runtime.play(N.peerCpu, 10);
  await runtime.stop();
  sandbox.stop();
  return { cpuUs: (result.cpuMs / N.peerCpu) * 1000, lost: result.lost };
}

/**
 * CPU per play and p50 latency in a runtime process of its own, direct and through a local
 * tinyproxy (HTTP_PROXY in the runtime's environment), 10 outstanding for CPU, sequential for latency.
 */
async function measureProxy() {
  const proxy = await startTinyproxy();
  const sandbox = await runSandbox(0, true);
  const measure = async (viaProxy) => {
    if (viaProxy) process.env.HTTP_PROXY = proxy.url;
    const runtime = await startRuntime({ sandbox: targetOf(sandbox), account: { rateLimit: 1_000_000, rateWindow: 1 } });
    delete process.env.HTTP_PROXY;
    await runtime.play(N.warmup, 10);
    const result = await runtime.play(N.peerCpu, 10);
    const { latencies } = await runtime.sequential(N.latency);
    await runtime.stop();
    return { cpuUs: (result.cpuMs / N.peerCpu) * 1000, p50: percentile(latencies, 50), lost: result.lost };
  };
  const direct = await measure(false);
  const proxied = await measure(true);
  const tunnels = proxy.tunnels().length;
  sandbox.stop();
  await proxy.stop();
  return { direct, proxied, tunnels };
}

/**
 * A broadcast of `bulk` plays and prompts every 500 ms, on one account with the default settings
 * but the limit: `priorities` {sender, prompt} per node; with `redisUrl`, the broadcast and the
 * prompts come from two Node-RED processes sharing the limit through Redis. Prompt latency is from
 * input to the node's output; limit use counts what the sandbox accepted while the prompts ran.
 */
async function measureMixed({ bulk, delayMs, priorities, redisUrl }) {
  const sandbox = await runSandbox(delayMs);
  const account = { rateLimit: LIMIT.rateLimit, rateWindow: LIMIT.rateWindow, ...(redisUrl ? { redisUrl } : {}) };
  const runtimes = await Promise.all((redisUrl ? [0, 1] : [0]).map(() => startRuntime({ sandbox: targetOf(sandbox), account, priorities })));
  const prompts = { prompts: MIXED.prompts, promptEveryMs: 500, promptDelayMs: 1000 };
  const [result, promptResult] = redisUrl
    ? await Promise.all([runtimes[0].mixed({ bulk, prompts: 0, promptEveryMs: 500, promptDelayMs: 0 }), runtimes[1].mixed({ bulk: 0, ...prompts })])
    : [await runtimes[0].mixed({ bulk, ...prompts })];
  const prompted = promptResult ?? result;
  const stats = await sandbox.stats();
  await Promise.all(runtimes.map((runtime) => runtime.stop()));
  sandbox.stop();
  const busyMs = prompted.busyUntil - prompted.busyFrom;
  const acceptedWhileBusy = stats.accepted.filter((at) => at >= prompted.busyFrom && at < prompted.busyUntil).length;
  const latencies = prompted.latencies;
  return {
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    max: Math.max(...latencies),
    prompts: latencies.length,
    used: acceptedWhileBusy / ((LIMIT.rateLimit / (LIMIT.rateWindow * 1000)) * busyMs),
    rejected: stats.rateLimited,
    lost: prompted.promptLost + result.bulkLost,
    errors: [...prompted.promptErrors, ...result.bulkErrors],
    // Only when the broadcast had ended: a cut one spent CPU queueing plays it never sent.
    cpuUs: redisUrl || result.bulkEnded < bulk ? undefined : (result.cpuMs / result.played) * 1000,
    bulkEnded: result.bulkEnded,
  };
}

// ---------- report ----------

function table(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column]).length)));
  const line = (row) => `| ${row.map((cell, column) => String(cell).padEnd(widths[column])).join(' | ')} |`;
  return [line(rows[0]), `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`, ...rows.slice(1).map(line)].join('\n');
}

async function main() {
  const began = Date.now();
  const calls = (n) => ({ liveCalls: [`00000000-0000-4000-8000-${String(n).padStart(12, '0')}`] });
  // Hang-ups and transfers, by the node and by got, each to a call of its own.
  const hangups = 2 * 2 * (N.warmup + N.cpu * N.cpuRounds);
  const sandboxes = {
    calls: await startSandboxProcess('calls', { ...calls(7), numberedCalls: hangups, authId: 'MABENCHCALLS00000007' }),
    limit: await startSandboxProcess('limit', { ...calls(1), authId: 'MABENCHLIMIT00000001', rateLimit: { limit: LIMIT.rateLimit, windowMs: LIMIT.rateWindow * 1000 } }),
    fast: await startSandboxProcess('fast', { ...calls(2), authId: 'MABENCHFAST000000002' }),
    connections: await startSandboxProcess('connections', { ...calls(3), authId: 'MABENCHCONN000000003' }),
    memory: await startSandboxProcess('memory', { ...calls(4), authId: 'MABENCHMEMORY0000004' }),
    fastRedis: await startSandboxProcess('fastRedis', { ...calls(5), authId: 'MABENCHREDIS00000005' }),
    mixed: await startSandboxProcess('mixed', { ...calls(6), authId: 'MABENCHMIXED00000006', rateLimit: { limit: LIMIT.rateLimit, windowMs: LIMIT.rateWindow * 1000 } }),
  };
  const redis = await startRedis();
  const nodeRed = await startNodeRed(sandboxes, redis.url);
  const got = await bareGot(sandboxes.fast);
  const callsGot = await bareGot(sandboxes.calls);
  const nodeRedVersion = nodeRed.RED.version();

  const log = (text) => process.stderr.write(`${text}\n`);
  log(`limit: ${N.limit} plays at ${LIMIT.rateLimit} per ${LIMIT.rateWindow} s...`);
  const limit = await measureLimit(nodeRed, sandboxes.limit, ['limit-a', 'limit-b'], N.limit);
  log(`limit: ${N.limit} plays and ${N.limit} speaks on one account...`);
  const mixedLimit = await measureLimit(nodeRed, sandboxes.mixed, ['mixed-play', 'mixed-speak'], 2 * N.limit);
  log(`cpu: ${N.cpuRounds} x ${N.cpu} plays and speaks each way...`);
  const cpu = await measureCpu(nodeRed, sandboxes, got);
  log(`cpu: ${N.cpuRounds} x ${N.cpu} requests of each plivo call operation, each way...`);
  const callCpu = await measureCallCpu(nodeRed, sandboxes.calls, callsGot);
  log(`latency: ${N.latency} sequential plays each way...`);
  const latency = await measureLatency(nodeRed, sandboxes, got);
  log(`connections: ${N.connections} plays...`);
  const connections = await measureConnections(nodeRed, sandboxes.connections);
  log(`memory: ${N.memory} queued...`);
  const memory = await measureMemory(nodeRed, sandboxes.memory);
  const xml = await measureXmlThroughput(sender(nodeRed.RED), log);

  const roundTrips = [];
  for (const delayMs of ROUND_TRIPS) {
    log(`round trip ${delayMs || 'loopback'} ms: ${N.limit} plays, one runtime...`);
    roundTrips.push({ delayMs, ...(await measureRuntimes({ delayMs })) });
  }
  const scaleOut = [];
  for (const processes of [1, 2, 4]) {
    for (const shared of [false, true]) {
      log(`${processes} runtime(s)${shared ? ' with Redis' : ''}: ${N.limit} plays...`);
      scaleOut.push({ processes, shared, ...(await measureRuntimes({ processes, redisUrl: shared ? redis.url : undefined })) });
    }
  }
  const foreignPerWindow = Math.round(LIMIT.rateLimit / 3);
  log(`one runtime beside a client sending ${foreignPerWindow} per window...`);
  const besideForeign = await measureRuntimes({ foreignPerWindow });
  // The steady state: the senders without Redis again, four times as long (12,000 plays: bench/scale-out.js).
  const longRuns = [];
  for (const [processes, foreignWindow] of [[2, 0], [4, 0], [1, foreignPerWindow]]) {
    log(`${processes} runtime(s)${foreignWindow ? ' beside a client' : ''}, no Redis: ${N.limit * 4} plays...`);
    longRuns.push({ processes, foreignWindow, ...(await measureRuntimes({ processes, foreignPerWindow: foreignWindow, plays: N.limit * 4 })) });
  }
  const peers = [];
  for (const [via, label] of [['plivo-play', 'plivo play'], ['http-request', 'core http request'], ['plivo-sdk', 'function + plivo SDK']]) {
    log(`peer ${label}: CPU per play, and two runtimes bursting ${N.limit} plays...`);
    const cpuFigures = await measurePeerCpu(via);
    const burst = via === 'plivo-play' ? scaleOut.find((run) => run.processes === 2 && !run.shared) : await measureRuntimes({ processes: 2, via });
    peers.push({ label, ...cpuFigures, burst });
  }

  log(`proxy: ${N.peerCpu} plays and ${N.latency} sequential, direct and through tinyproxy...`);
  const proxy = await measureProxy();

  const broadcastHangups = await measureBroadcastHangups(redis.url, log);
  const campaigns = await measureCampaigns(redis.url, log);
  const conferences = await measureConferenceOps(log);

  const mixed = [];
  for (const bulk of MIXED.bulks) {
    for (const delayMs of MIXED.roundTrips) {
      for (const priorities of [{ sender: 'normal', prompt: 'normal' }, { sender: 'low', prompt: 'high' }]) {
        log(`interactive behind bulk: ${bulk} broadcast plays, ${delayMs || 'loopback'} ms, prompts ${priorities.prompt}...`);
        mixed.push({ bulk, delayMs, priorities, ...(await measureMixed({ bulk, delayMs, priorities })) });
      }
    }
  }
  const mixedRedis = [];
  for (const priorities of [{ sender: 'normal', prompt: 'normal' }, { sender: 'low', prompt: 'high' }]) {
    log(`interactive behind bulk, two processes on Redis, prompts ${priorities.prompt}...`);
    mixedRedis.push({ priorities, ...(await measureMixed({ bulk: MIXED.bulks[0], delayMs: 50, priorities, redisUrl: redis.url })) });
  }

  const fixed = (value, digits = 2) => value.toFixed(digits);
  const percent = (value) => `${(value * 100).toFixed(1)}%`;
  const yes = (ok) => (ok ? 'met' : 'NOT met');
  const addedP50 = latency.node.p50 - latency.plain.p50;
  const redisAddedP50 = latency.redis.p50 - latency.node.p50;
  const cpuUs = (key) => fixed(median(cpu.rounds.map((r) => r[key].cpu)) / N.cpu * 1000, 0);
  const runFigure = (run) => `${fixed(run.utilisation)} (${fixed(run.achieved, 1)}/s); ${run.rejected} x 429 (${percent(run.rejectedShare)} of ${run.requests}); ${run.lost} lost; busiest window ${run.busiestWindow}/${LIMIT.rateLimit}`;
  const rows = [
    ['#', 'figure', 'result', 'target', ''],
    ['1', 'limit utilisation', `${fixed(limit.utilisation)} (${fixed(limit.achieved, 1)}/s of ${fixed(limit.allowed, 1)}/s); busiest window ${limit.busiestWindow}/${LIMIT.rateLimit}; ${limit.rejected} rejected; ${limit.lost} lost`, '>= 0.97; 0 rejected; 0 lost', yes(limit.utilisation >= 0.97 && limit.rejected === 0 && limit.lost === 0)],
    ['1.1', `limit utilisation, ${N.limit} plays and ${N.limit} speaks on one account`, `${fixed(mixedLimit.utilisation)} (${fixed(mixedLimit.achieved, 1)}/s of ${fixed(mixedLimit.allowed, 1)}/s); busiest window ${mixedLimit.busiestWindow}/${LIMIT.rateLimit}; ${mixedLimit.rejected} rejected; ${mixedLimit.lost} lost`, '>= 0.97; 0 rejected; 0 lost', yes(mixedLimit.utilisation >= 0.97 && mixedLimit.rejected === 0 && mixedLimit.lost === 0)],
    ['2', 'CPU per play, node / bare got', `${fixed(cpu.ratio)} (${cpuUs('node')} us vs ${cpuUs('plain')} us)${cpu.errors ? `; ${cpu.errors} messages FAILED` : ''}`, '<= 1.25', yes(cpu.ratio <= 1.25 && !cpu.errors)],
    ['2.1', 'CPU per speak, plivo speak / bare got', `${fixed(cpu.speakRatio)} (${cpuUs('speak')} us vs ${cpuUs('plainSpeak')} us)`, '<= 1.25', yes(cpu.speakRatio <= 1.25 && !cpu.errors)],
    ['2.2', 'CPU per request, plivo call / bare got, each operation', callCpu.map((op) => `${op.operation} ${fixed(op.ratio)} (${fixed(op.nodeUs, 0)} vs ${fixed(op.plainUs, 0)} us)`).join('; ')
      + (callCpu.some((op) => op.errors) ? `; ${callCpu.reduce((sum, op) => sum + op.errors, 0)} FAILED` : ''),
    '<= 1.25 each', yes(callCpu.every((op) => op.ratio <= 1.25 && !op.errors))],
    ['3', 'added latency (p50, p99)', `p50 +${fixed(addedP50)} ms (${fixed(latency.node.p50)} vs ${fixed(latency.plain.p50)}); p99 ${fixed(latency.node.p99)} vs ${fixed(latency.plain.p99)} ms`, 'p50 <= +0.5 ms', yes(addedP50 <= 0.5)],
    ['4', `connections for ${N.connections} plays`, `${connections}`, '<= 10 (concurrency)', yes(connections <= 10)],
    ['5', `heap, ${N.memory} queued / drained`, `+${fixed(memory.peakGrowth, 1)} MB with ${memory.queued} waiting; +${fixed(memory.afterGrowth, 1)} MB after`, '<= 40 MB; within 5 MB', yes(memory.peakGrowth <= 40 && memory.afterGrowth <= 5)],
  ];
  const roundTripTarget = { 250: 0.9, 500: 0.85 };
  for (const run of roundTrips) {
    const target = roundTripTarget[run.delayMs];
    rows.push([`6.${rows.length - 5}`, `limit at ${run.delayMs ? `${run.delayMs} ms` : 'loopback'} round trip, default settings`, runFigure(run),
      target ? `>= ${target}; 0 x 429; 0 lost` : '(reported)', target ? yes(run.utilisation >= target && run.rejected === 0 && run.lost === 0) : '']);
  }
  let line = 0;
  for (const run of scaleOut) {
    line += 1;
    const met = run.shared
      ? (run.processes > 1 ? yes(run.rejected === 0 && run.lost === 0 && run.utilisation >= 0.95) : yes(run.rejected === 0 && run.lost === 0))
      : (run.processes === 2 ? yes(run.lost === 0 && run.rejectedShare <= 0.1 && run.utilisation >= 0.8) : (run.processes === 1 ? yes(run.rejected === 0 && run.lost === 0) : ''));
    const target = run.shared
      ? (run.processes > 1 ? '0 x 429; 0 lost; >= 0.95' : '0 x 429; 0 lost')
      : (run.processes === 2 ? '0 lost; 429s <= 10%; >= 0.80' : (run.processes === 1 ? '0 x 429; 0 lost' : '(reported)'));
    rows.push([`7.${line}`, `${run.processes} Node-RED process${run.processes > 1 ? 'es' : ''}, ${run.shared ? 'Redis' : 'no Redis'}`, runFigure(run), target, met]);
  }
  rows.push(['7.7', `one process beside a client sending ${foreignPerWindow} per window`, `${runFigure(besideForeign)}; the client got ${besideForeign.foreign.rateLimited} x 429 of ${besideForeign.foreign.requests}`,
    '0 lost; 429s <= 10%; >= 0.80', yes(besideForeign.lost === 0 && besideForeign.rejectedShare <= 0.1 && besideForeign.utilisation >= 0.8)]);
  for (const [i, run] of longRuns.entries()) {
    const what = run.foreignWindow ? `one process beside a client sending ${run.foreignWindow} per window` : `${run.processes} Node-RED processes, no Redis`;
    const [utilisation, share] = run.foreignWindow ? [0.92, 0.03] : run.processes === 2 ? [0.92, 0.03] : [0.90, 0.05];
    const clientOk = !run.foreignWindow || run.foreign.rateLimited <= 0.02 * run.foreign.requests;
    const client = run.foreignWindow ? `; the client got ${run.foreign.rateLimited} x 429 of ${run.foreign.requests}` : '';
    rows.push([`7.${8 + i}`, `${what}, ${N.limit * 4} plays`, `${runFigure(run)}${client}`,
      `0 lost; 429s <= ${share * 100}%; >= ${utilisation}${run.foreignWindow ? "; the client's 429s <= 2%" : ''}`,
      yes(run.lost === 0 && run.rejectedShare <= share && run.utilisation >= utilisation && clientOk)]);
  }
  rows.push(['8.1', 'CPU per play with Redis / bare got', `${fixed(cpu.redisRatio)} (${cpuUs('redis')} us vs ${cpuUs('plain')} us)`, '<= 1.4', yes(cpu.redisRatio <= 1.4)]);
  rows.push(['8.2', 'latency Redis adds (p50, p99)', `p50 +${fixed(redisAddedP50)} ms (${fixed(latency.redis.p50)} vs ${fixed(latency.node.p50)}); p99 ${fixed(latency.redis.p99)} vs ${fixed(latency.node.p99)} ms`, 'p50 <= +1 ms', yes(redisAddedP50 <= 1)]);
  peers.forEach((peer, i) => {
    rows.push([`9.${i + 1}`, `peer: ${peer.label}`, `${fixed(peer.cpuUs, 0)} us CPU per play${peer.lost ? ` (${peer.lost} failed)` : ''}; two processes bursting: ${peer.burst.rejected} x 429, ${peer.burst.lost} of ${N.limit} lost`, '(compared)', '']);
  });
  rows.push(['10.1', 'CPU per play through a local proxy / direct', `${fixed(proxy.proxied.cpuUs / proxy.direct.cpuUs)} (${fixed(proxy.proxied.cpuUs, 0)} us vs ${fixed(proxy.direct.cpuUs, 0)} us); ${proxy.proxied.lost + proxy.direct.lost} lost; ${proxy.tunnels} CONNECT tunnels`, '(reported)', '']);
  rows.push(['10.2', 'latency a local proxy adds (p50)', `+${fixed(proxy.proxied.p50 - proxy.direct.p50)} ms (${fixed(proxy.proxied.p50)} vs ${fixed(proxy.direct.p50)})`, '(reported)', '']);
  const slotMs = (LIMIT.rateWindow * 1000) / LIMIT.rateLimit;
  const mixedFigure = (run) => `prompt p50 ${fixed(run.p50, 0)} / p95 ${fixed(run.p95, 0)} / max ${fixed(run.max, 0)} ms (${run.prompts} prompts); limit used ${fixed(run.used)}; ${run.rejected} x 429; ${run.lost} lost${run.errors.length ? ` (${run.errors[0]})` : ''}`;
  mixed.forEach((run, i) => {
    const high = run.priorities.prompt === 'high';
    const target = high ? `p95 <= ${fixed(slotMs + (run.delayMs || 1), 0)} ms; >= 0.9; 0 x 429; 0 lost` : 'p95 <= 1 s, max <= 2 s at 50 ms; >= 0.9; 0 x 429; 0 lost';
    const latencyMet = high ? run.p95 <= slotMs + (run.delayMs || 1) : (run.delayMs !== 50 || (run.p95 <= 1000 && run.max <= 2000));
    rows.push([`11.${i + 1}`, `${run.bulk} broadcast plays at ${run.delayMs ? `${run.delayMs} ms` : 'loopback'}, ${high ? 'broadcast low, prompts high' : 'default settings'}${run.bulkEnded < run.bulk ? ` (cut at ${run.bulkEnded})` : ''}`,
      `${mixedFigure(run)}${run.cpuUs === undefined ? '' : `; ${fixed(run.cpuUs, 0)} us CPU per play`}`, target, yes(latencyMet && run.used >= 0.9 && run.rejected === 0 && run.lost === 0)]);
  });
  mixedRedis.forEach((run, i) => {
    const high = run.priorities.prompt === 'high';
    rows.push([`11.${mixed.length + i + 1}`, `two processes on Redis, one broadcasting ${MIXED.bulks[0]}, one prompting, 50 ms, ${high ? 'broadcast low, prompts high' : 'default settings'}`,
      mixedFigure(run), '(reported)', '']);
  });
  broadcastHangups.forEach((run, i) => {
    const what = `${run.messages} plays to ${run.messages / BROADCAST.plays} calls, ${Math.round(HANGUP_SHARE * 100)}% hanging up ${run.webhook ? 'with hangup webhooks' : 'unseen'}`
      + `${run.processes > 1 ? ', webhook on one process and plays on another (Redis)' : ''}, skipping ${run.skip ? 'on' : 'off'}`;
    const offRun = broadcastHangups.find((other) => other.webhook === run.webhook && other.processes === run.processes && !other.skip);
    const sooner = run.skip && offRun ? `; ${percent(1 - run.requests / offRun.requests)} fewer requests, done ${percent(1 - run.doneS / offRun.doneS)} sooner` : '';
    const ended = run.webhook ? run.afterWebhook : run.afterFirst404;
    rows.push([`12.${i + 1}`, what, `${describeRun(run)}${sooner}`, run.skip ? (run.webhook ? '0 after the hangup webhook' : '0 after the first 404') : '(compared)',
      run.skip ? yes(ended === 0 && run.other === 0) : '']);
  });
  rows.push(['13', `messages per second through plivo xml, a 5-element menu with 3 values from msg / the template node writing the same XML (${xml.messages} x ${xml.rounds} rounds)`,
    `${fixed(xml.ratio)} (${fixed(xml.node.perSecond, 0)}/s, ${fixed(xml.node.cpuUs, 1)} us CPU each, vs ${fixed(xml.template.perSecond, 0)}/s, ${fixed(xml.template.cpuUs, 1)} us)`,
    '>= 1.00 (at least as fast)', yes(xml.ratio >= 1)]);
  for (const [row, what, result, target, met] of campaignRows(campaigns)) rows.push([row, what, result, target, yes(met)]);
  for (const [row, what, result, target, met] of conferenceRows(conferences)) rows.push([row, what, result, target, yes(met)]);
  const machine = `${os.cpus().length} x ${os.cpus()[0].model.trim()}, Node ${process.version}, Node-RED ${nodeRedVersion}, got ${JSON.parse(fs.readFileSync(path.join(root, 'node_modules', 'got', 'package.json'), 'utf8')).version}`;
  console.log(`\n${QUICK ? 'QUICK RUN (smaller counts, not comparable)\n' : ''}${machine}\n\n${table(rows)}\n\nfinished in ${((Date.now() - began) / 1000).toFixed(1)} s`);

  if (!QUICK) {
    const chart = limitChart(limit.starts, LIMIT.rateLimit, LIMIT.rateWindow * 1000);
    fs.writeFileSync(path.join(__dirname, 'limit-chart.svg'), chart);
    const runs = [...scaleOut.map((run) => ({ label: `${run.processes} process${run.processes > 1 ? 'es' : ''}${run.shared ? ', Redis' : ''}`, accepted: run.accepted })),
      { label: '1 process + foreign client', accepted: besideForeign.accepted }];
    fs.writeFileSync(path.join(__dirname, 'scale-out-chart.svg'), rateChart(runs, LIMIT.rateLimit, LIMIT.rateWindow * 1000));
    const report = fs.readFileSync(path.join(__dirname, 'BENCHMARKS.template.md'), 'utf8')
      .replace('{{date}}', new Date().toISOString().slice(0, 10))
      .replace('{{machine}}', machine)
      .replace('{{table}}', table(rows))
      .replace('{{cpuRounds}}', cpu.rounds.map((r, i) => `round ${i + 1}: ${fixed(r.node.cpu, 0)} ms vs ${fixed(r.plain.cpu, 0)} ms CPU (${fixed(r.ratio)}), wall ${fixed(r.node.wall, 0)} vs ${fixed(r.plain.wall, 0)} ms`).join('; '))
      .replace('{{speakCpuRounds}}', cpu.rounds.map((r, i) => `round ${i + 1}: ${fixed(r.speak.cpu, 0)} ms vs ${fixed(r.plainSpeak.cpu, 0)} ms CPU (${fixed(r.speakRatio)})`).join('; '));
    fs.writeFileSync(path.join(root, 'BENCHMARKS.md'), report);
    console.log('wrote BENCHMARKS.md, bench/limit-chart.svg and bench/scale-out-chart.svg');
  }

  got.close();
  callsGot.close();
  await nodeRed.RED.stop();
  for (const sandbox of Object.values(sandboxes)) sandbox.stop();
  await redis.kill();
  fs.rmSync(nodeRed.userDir, { recursive: true, force: true });
  setTimeout(() => process.exit(0), 200).unref();
}

module.exports = { measureRuntimes, measureMixed, LIMIT, N };


if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
