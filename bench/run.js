'use strict';
/**
 * `npm run bench` (`-- --quick` for a few-second smoke run): the account limit, CPU per
 * play, added latency, connections and memory, measured against sandboxes on loopback.
 * Node-RED runs in this process with the package installed in a temporary user dir; each
 * sandbox runs in a child process of its own. Comparisons with bare got calls (the same
 * options the node uses) are made side by side in the same run and reported as ratios.
 * Prints a table; a full run also writes BENCHMARKS.md and bench/limit-chart.svg.
 * Never fails on a number: the targets are reported, not enforced.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const v8 = require('node:v8');
const { fork } = require('node:child_process');
const { linkPackage } = require('../scripts/dev-runtime.js');
const { limitChart } = require('./chart.js');

const QUICK = process.argv.includes('--quick');
const root = path.join(__dirname, '..');
const URL_A = 'https://s3.amazonaws.com/plivocloud/music.mp3';
const N = QUICK
  ? { limit: 60, cpu: 300, cpuRounds: 1, warmup: 50, latency: 100, connections: 100, memory: 500 }
  : { limit: 1200, cpu: 5000, cpuRounds: 3, warmup: 500, latency: 1000, connections: 1000, memory: 10000 };
/** The limit under test: Plivo's own in a full run; a small one in a quick run. */
const LIMIT = QUICK ? { rateLimit: 20, rateWindow: 1 } : { rateLimit: 300, rateWindow: 5 };

if (typeof global.gc !== 'function') {
  console.error('run with node --expose-gc (npm run bench does)');
  process.exit(2);
}

// ---------- sandboxes, one process each ----------

let requestId = 0;
async function startSandboxProcess(name, options) {
  const child = fork(path.join(__dirname, 'sandbox-process.js'), [JSON.stringify(options)], { stdio: 'inherit' });
  const pending = new Map();
  const ready = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.on('message', (message) => {
      if (message.ready) resolve(message);
      else pending.get(message.id)?.(message);
    });
  });
  const ask = (request) => new Promise((resolve) => {
    requestId += 1;
    pending.set(requestId, resolve);
    child.send({ id: requestId, ...request });
  });
  return {
    name,
    url: ready.url,
    account: ready.account,
    callUuid: options.liveCalls[0],
    stats: () => ask({ op: 'stats' }),
    fail: (fault, times = 1) => ask({ op: 'fail', fault, times }),
    stop: () => child.disconnect(),
  };
}

// ---------- Node-RED in this process ----------

function flowFor(sandboxes) {
  const unthrottled = { rateLimit: 1_000_000, rateWindow: 1, concurrency: 10, queueLimit: 20_000, timeout: 10, retries: 2 };
  const account = (id, sandbox, limits) => ({ id, type: 'plivo-config', name: `${sandbox.name} account`, baseUrl: sandbox.url, ...limits });
  const play = (id, accountId, y) => ({
    id, type: 'plivo-play', z: 'bench', name: id, account: accountId, action: 'play', urls: URL_A, callUuid: '',
    legs: '', loop: '', mix: '', length: '', errorOutput: false, x: 200, y, wires: [[]],
  });
  return [
    { id: 'bench', type: 'tab', label: 'bench' },
    account('cfg-limit', sandboxes.limit, { ...LIMIT, concurrency: 10, queueLimit: 10_000, timeout: 10, retries: 2 }),
    account('cfg-fast', sandboxes.fast, unthrottled),
    account('cfg-connections', sandboxes.connections, unthrottled),
    account('cfg-memory', sandboxes.memory, unthrottled),
    play('limit-a', 'cfg-limit', 40), play('limit-b', 'cfg-limit', 80),
    play('fast', 'cfg-fast', 120), play('connections', 'cfg-connections', 160), play('memory', 'cfg-memory', 200),
  ];
}

async function startNodeRed(userDir, sandboxes) {
  fs.mkdirSync(userDir, { recursive: true });
  fs.writeFileSync(path.join(userDir, 'package.json'), '{"name":"bench-user-dir","private":true}');
  linkPackage(userDir);
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flowFor(sandboxes)));
  const credentials = {};
  for (const [id, sandbox] of [['cfg-limit', sandboxes.limit], ['cfg-fast', sandboxes.fast],
    ['cfg-connections', sandboxes.connections], ['cfg-memory', sandboxes.memory]]) {
    credentials[id] = { authId: sandbox.account.authId, authToken: sandbox.account.authToken };
  }
  fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(credentials));
  const RED = require('node-red');
  RED.init(http.createServer(), {
    userDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    disableEditor: true,
    telemetry: { enabled: false },
    logging: { console: { level: 'warn', metrics: false, audit: false } },
  });
  await RED.start();
  await new Promise((resolve) => {
    const check = () => (RED.nodes.getNode('memory') ? resolve() : setTimeout(check, 50));
    check();
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
  /** Sends one message into a node; resolves with its error (undefined for success) when it ends. */
  const play = (nodeId, callUuid) => new Promise((resolve) => {
    sequence += 1;
    const msg = { _msgid: `bench-${sequence}`, payload: { call_uuid: callUuid } };
    waiters.set(msg._msgid, resolve);
    RED.nodes.getNode(nodeId).receive(msg);
  });
  return { RED, play };
}

// ---------- bare got, with the options the node's client uses ----------

async function bareGot(sandbox) {
  const { got } = await import('got');
  const agents = { http: new http.Agent({ keepAlive: true }), https: undefined };
  const { authId, authToken } = sandbox.account;
  const authorization = `Basic ${Buffer.from(`${authId}:${authToken}`).toString('base64')}`;
  const url = `${sandbox.url}/v1/Account/${encodeURIComponent(authId)}/Call/${sandbox.callUuid}/Play/`;
  const call = async () => {
    const response = await got(url, {
      method: 'POST',
      json: { urls: URL_A },
      headers: { authorization, 'user-agent': 'bench', accept: 'application/json' },
      agent: agents,
      responseType: 'text',
      throwHttpErrors: false,
      followRedirect: false,
      retry: { limit: 0 },
      timeout: { request: 10_000 },
    });
    return JSON.parse(response.body);
  };
  return { call, close: () => agents.http.destroy() };
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

async function measureLimit(nodeRed, sandbox) {
  const nodes = ['limit-a', 'limit-b'];
  const results = await Promise.all(Array.from({ length: N.limit }, (_, i) => nodeRed.play(nodes[i % 2], sandbox.callUuid)));
  const stats = await sandbox.stats();
  const starts = stats.starts;
  const windowMs = LIMIT.rateWindow * 1000;
  const elapsed = starts[starts.length - 1] - starts[0];
  const achieved = (starts.length - LIMIT.rateLimit) / (elapsed / 1000);
  const allowed = LIMIT.rateLimit / LIMIT.rateWindow;
  let busiestWindow = 0;
  for (let i = 0, j = 0; j < starts.length; j += 1) {
    while (starts[j] - starts[i] >= windowMs) i += 1;
    busiestWindow = Math.max(busiestWindow, j - i + 1);
  }
  return {
    starts,
    utilisation: achieved / allowed,
    achieved,
    allowed,
    rejected: stats.rateLimited,
    lost: N.limit - results.filter((error) => error === undefined).length,
    busiestWindow,
    elapsed,
  };
}

async function measureCpu(nodeRed, sandbox, got) {
  const throughNode = () => Promise.all(Array.from({ length: N.cpu }, () => nodeRed.play('fast', sandbox.callUuid)));
  const bare = () => pool(N.cpu, 10, got.call);
  await Promise.all(Array.from({ length: N.warmup }, () => nodeRed.play('fast', sandbox.callUuid)));
  await pool(N.warmup, 10, got.call);
  const rounds = [];
  for (let round = 0; round < N.cpuRounds; round += 1) {
    global.gc();
    let before = process.cpuUsage();
    let began = performance.now();
    const errors = (await throughNode()).filter(Boolean).length;
    const node = { cpu: cpuMs(process.cpuUsage(before)), wall: performance.now() - began, errors };
    global.gc();
    before = process.cpuUsage();
    began = performance.now();
    await bare();
    const plain = { cpu: cpuMs(process.cpuUsage(before)), wall: performance.now() - began };
    rounds.push({ node, plain, ratio: node.cpu / plain.cpu });
  }
  return { rounds, ratio: median(rounds.map((round) => round.ratio)), errors: rounds.reduce((sum, round) => sum + round.node.errors, 0) };
}

async function measureLatency(nodeRed, sandbox, got) {
  const node = [];
  const plain = [];
  for (let block = 0; block < N.latency / 100; block += 1) {
    for (let i = 0; i < 100; i += 1) {
      const began = performance.now();
      await nodeRed.play('fast', sandbox.callUuid);
      node.push(performance.now() - began);
    }
    for (let i = 0; i < 100; i += 1) {
      const began = performance.now();
      await got.call();
      plain.push(performance.now() - began);
    }
  }
  const summary = (values) => ({ p50: percentile(values, 50), p99: percentile(values, 99) });
  return { node: summary(node), plain: summary(plain) };
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

// ---------- report ----------

function table(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column]).length)));
  const line = (row) => `| ${row.map((cell, column) => String(cell).padEnd(widths[column])).join(' | ')} |`;
  return [line(rows[0]), `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`, ...rows.slice(1).map(line)].join('\n');
}

async function main() {
  const began = Date.now();
  const calls = (n) => ({ liveCalls: [`00000000-0000-4000-8000-${String(n).padStart(12, '0')}`] });
  const sandboxes = {
    limit: await startSandboxProcess('limit', { ...calls(1), authId: 'MABENCHLIMIT00000001', rateLimit: { limit: LIMIT.rateLimit, windowMs: LIMIT.rateWindow * 1000 } }),
    fast: await startSandboxProcess('fast', { ...calls(2), authId: 'MABENCHFAST000000002' }),
    connections: await startSandboxProcess('connections', { ...calls(3), authId: 'MABENCHCONN000000003' }),
    memory: await startSandboxProcess('memory', { ...calls(4), authId: 'MABENCHMEMORY0000004' }),
  };
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plivo-play-bench-'));
  const nodeRed = await startNodeRed(userDir, sandboxes);
  const got = await bareGot(sandboxes.fast);
  const nodeRedVersion = nodeRed.RED.version();

  const log = (text) => process.stderr.write(`${text}\n`);
  log(`limit: ${N.limit} plays at ${LIMIT.rateLimit} per ${LIMIT.rateWindow} s...`);
  const limit = await measureLimit(nodeRed, sandboxes.limit);
  log(`cpu: ${N.cpuRounds} x ${N.cpu} plays each way...`);
  const cpu = await measureCpu(nodeRed, sandboxes.fast, got);
  log(`latency: ${N.latency} sequential plays each way...`);
  const latency = await measureLatency(nodeRed, sandboxes.fast, got);
  log(`connections: ${N.connections} plays...`);
  const connections = await measureConnections(nodeRed, sandboxes.connections);
  log(`memory: ${N.memory} queued...`);
  const memory = await measureMemory(nodeRed, sandboxes.memory);

  const fixed = (value, digits = 2) => value.toFixed(digits);
  const yes = (ok) => (ok ? 'met' : 'NOT met');
  const addedP50 = latency.node.p50 - latency.plain.p50;
  const rows = [
    ['#', 'figure', 'result', 'target', ''],
    ['1', 'limit utilisation', `${fixed(limit.utilisation)} (${fixed(limit.achieved, 1)}/s of ${fixed(limit.allowed, 1)}/s); busiest window ${limit.busiestWindow}/${LIMIT.rateLimit}; ${limit.rejected} rejected; ${limit.lost} lost`, '>= 0.97; 0 rejected; 0 lost', yes(limit.utilisation >= 0.97 && limit.rejected === 0 && limit.lost === 0)],
    ['2', 'CPU per play, node / bare got', `${fixed(cpu.ratio)} (${fixed(median(cpu.rounds.map((r) => r.node.cpu)) / N.cpu * 1000, 0)} us vs ${fixed(median(cpu.rounds.map((r) => r.plain.cpu)) / N.cpu * 1000, 0)} us)${cpu.errors ? `; ${cpu.errors} plays FAILED` : ''}`, '<= 1.25', yes(cpu.ratio <= 1.25 && !cpu.errors)],
    ['3', 'added latency (p50, p99)', `p50 +${fixed(addedP50)} ms (${fixed(latency.node.p50)} vs ${fixed(latency.plain.p50)}); p99 ${fixed(latency.node.p99)} vs ${fixed(latency.plain.p99)} ms`, 'p50 <= +0.5 ms', yes(addedP50 <= 0.5)],
    ['4', `connections for ${N.connections} plays`, `${connections}`, '<= 10 (concurrency)', yes(connections <= 10)],
    ['5', `heap, ${N.memory} queued / drained`, `+${fixed(memory.peakGrowth, 1)} MB with ${memory.queued} waiting; +${fixed(memory.afterGrowth, 1)} MB after`, '<= 40 MB; within 5 MB', yes(memory.peakGrowth <= 40 && memory.afterGrowth <= 5)],
  ];
  const machine = `${os.cpus().length} x ${os.cpus()[0].model.trim()}, Node ${process.version}, Node-RED ${nodeRedVersion}, got ${JSON.parse(fs.readFileSync(path.join(root, 'node_modules', 'got', 'package.json'), 'utf8')).version}`;
  console.log(`\n${QUICK ? 'QUICK RUN (smaller counts, not comparable)\n' : ''}${machine}\n\n${table(rows)}\n\nfinished in ${((Date.now() - began) / 1000).toFixed(1)} s`);

  if (!QUICK) {
    const chart = limitChart(limit.starts, LIMIT.rateLimit, LIMIT.rateWindow * 1000);
    fs.writeFileSync(path.join(__dirname, 'limit-chart.svg'), chart);
    const report = fs.readFileSync(path.join(__dirname, 'BENCHMARKS.template.md'), 'utf8')
      .replace('{{date}}', new Date().toISOString().slice(0, 10))
      .replace('{{machine}}', machine)
      .replace('{{table}}', table(rows))
      .replace('{{cpuRounds}}', cpu.rounds.map((r, i) => `round ${i + 1}: ${fixed(r.node.cpu, 0)} ms vs ${fixed(r.plain.cpu, 0)} ms CPU (${fixed(r.ratio)}), wall ${fixed(r.node.wall, 0)} vs ${fixed(r.plain.wall, 0)} ms`).join('; '));
    fs.writeFileSync(path.join(root, 'BENCHMARKS.md'), report);
    console.log('wrote BENCHMARKS.md and bench/limit-chart.svg');
  }

  got.close();
  await nodeRed.RED.stop();
  for (const sandbox of Object.values(sandboxes)) sandbox.stop();
  fs.rmSync(userDir, { recursive: true, force: true });
  setTimeout(() => process.exit(0), 200).unref();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
