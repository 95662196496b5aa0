'use strict';
/**
 * Figure 14 of `npm run bench` (alone: `node --expose-gc bench/make-call-campaign.js [--quick]`):
 * campaigns through plivo make call, each Node-RED in a process of its own (scripts/runtime-process.js),
 * against a sandbox (its own process) that places outbound calls as Plivo does: calls start at its
 * CPS, and one over its cap of concurrent calls fails at once (India's 5030). Rows:
 * - 600 destinations at calls per second 2 and 10: the share of the CPS used while calls wait (the
 *   span n calls need at exactly the CPS, over the span their `POST Call/` took), the most calls
 *   started in any second, and the longest a call waited in the sandbox's queue (Plivo's, beyond the CPS);
 * - Max concurrent calls 50, calls lasting 10-40 s (the answer XML waits that long): the most live
 *   at once, calls failed for the cap, and the cap used while calls wait (mean live calls from the
 *   first time the cap is reached to the last call's start, over the cap);
 * - two processes on one Redis, a campaign each, one CPS and one cap: both exact across them;
 * - plays into a live call (one each 500 ms, as figure 11's prompts) before and during the CPS 10 campaign: p95;
 * - CPU per placed call (until Plivo's answer is on output 1) against bare got placing the same calls.
 */
const http = require('node:http');
const { forkSandbox } = require('./sandbox-process.js');
const { startRuntime } = require('../scripts/runtime-process.js');
const { startRedis } = require('../scripts/redis-server.js');
const { freePort } = require('../scripts/dev-runtime.js');
const { numberedCall } = require('../sandbox/plivo-sandbox.js');

const QUICK = process.argv.includes('--quick');
const SIZE = QUICK
  ? { campaign: 12, cps: [2, 10], cap: { calls: 16, cap: 4, cps: 10, waitS: [1, 3] }, pair: { calls: 16, cap: 4, cps: 10, waitS: [1, 2] }, cpu: 200, cpuRounds: 1, warmup: 50, prompts: 6 }
  : { campaign: 600, cps: [2, 10], cap: { calls: 600, cap: 50, cps: 10, waitS: [10, 40] }, pair: { calls: 300, cap: 20, cps: 10, waitS: [2, 8] }, cpu: 2000, cpuRounds: 5, warmup: 500, prompts: 60 };
const FROM = '+14155550100';

function startSandbox(options) {
  return forkSandbox(options).then(({ url, account, ask, stop }) => ({
    target: { url, authId: account.authId, authToken: account.authToken, callUuid: numberedCall(0) },
    outbound: () => ask({ op: 'outbound' }),
    stop,
  }));
}

/** Answers each call's answer URL with a Wait of `?min=..&max=..` seconds (uniform), so calls last that long. */
async function startAnswers() {
  const port = await freePort();
  const server = http.createServer((req, res) => {
    const query = new URL(req.url, 'http://localhost').searchParams;
    const min = Number(query.get('min') ?? 0);
    const max = Number(query.get('max') ?? min);
    const seconds = Math.round(min + Math.random() * (max - min));
    req.resume();
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end(seconds > 0 ? `<Response><Wait length="${seconds}"/></Response>` : '<Response/>');
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: (min, max) => `http://127.0.0.1:${port}/answer?min=${min}&max=${max}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

const destinations = (count, first) => Array.from({ length: count }, (_, i) => `+1415${String(first + i).padStart(7, '0')}`);

/** The most timestamps in any window of `windowMs`. */
function busiest(times, windowMs) {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; j < sorted.length; j += 1) {
    while (sorted[j] - sorted[i] >= windowMs) i += 1;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

/** The CPS used while calls waited: at exactly the CPS, call k (from 0) starts floor(k / cps) seconds after the first. */
function cpsUsed(posts, cps) {
  const sorted = [...posts].sort((a, b) => a - b);
  const spanS = (sorted[sorted.length - 1] - sorted[0]) / 1000;
  const idealS = Math.floor((sorted.length - 1) / cps);
  return spanS > 0 ? Math.min(1, idealS / spanS) : 1;
}

/** How long calls waited in the sandbox's queue (Plivo's, beyond its CPS): it starts them in the order they arrived. */
function queuedMs(posts, starts) {
  const arrived = [...posts].sort((a, b) => a - b);
  const started = [...starts].sort((a, b) => a - b);
  return Math.max(0, ...started.map((at, i) => at - arrived[i]));
}

/** Mean live calls over the cap, from the first time the cap was reached to the last call's start. */
function capUsed(spans, cap) {
  // A call that ends as another starts: the end first.
  const events = spans.flatMap(([start, end]) => [[start, 1], [end, -1]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const lastStart = Math.max(...spans.map(([start]) => start));
  let live = 0;
  let from;
  let previous;
  let area = 0;
  for (const [at, change] of events) {
    if (at > lastStart) break;
    if (from !== undefined) area += live * (at - previous);
    previous = at;
    live += change;
    if (from === undefined && live >= cap) from = at;
  }
  return from === undefined || lastStart <= from ? undefined : area / ((lastStart - from) * cap);
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
};

/** One campaign in one Node-RED (its own webhook hears the hangups); prompts alone before, and during when `prompts`. */
async function measureCampaign({ cps, cap, count, waitS, prompts }, answers, log) {
  const sandbox = await startSandbox({ numberedCalls: 1, cps, ...(cap ? { maxConcurrent: cap } : {}) });
  const port = await freePort();
  const runtime = await startRuntime({
    sandbox: sandbox.target, webhookPort: port,
    account: { callsPerSecond: cps, ...(cap ? { maxConcurrentCalls: cap } : {}) },
    makeCall: { answerUrl: answers.url(...waitS), hangupUrl: `http://127.0.0.1:${port}/plivo/hangup` },
  });
  const promptArgs = { bulk: 0, prompts: SIZE.prompts, promptEveryMs: 500, promptDelayMs: 0 };
  const alone = prompts ? await runtime.mixed(promptArgs) : undefined;
  log(`make call: ${count} destinations at ${cps} calls per second${cap ? `, at most ${cap} live, calls of ${waitS.join('-')} s` : ''}...`);
  const campaign = runtime.makeCalls(destinations(count, 1000), 3_600_000);
  const during = prompts ? await new Promise((resolve) => setTimeout(resolve, 1000)).then(() => runtime.mixed(promptArgs)) : undefined;
  const result = await campaign;
  const seen = await sandbox.outbound();
  await runtime.stop();
  sandbox.stop();
  return {
    cps, cap, count, result, posts: seen.posts.length, busiestArrivals: busiest(seen.posts, 1000), busiestStarts: busiest(seen.startedAt, 1000),
    queuedMs: queuedMs(seen.posts, seen.startedAt), cpsUsed: cpsUsed(seen.posts, cps),
    mostLive: seen.mostConcurrent, failedForCap: seen.failedForCap, capUsed: cap ? capUsed(seen.spans, cap) : undefined,
    prompts: prompts ? { alone: percentile(alone.latencies, 95), during: percentile(during.latencies, 95), lost: alone.promptLost + during.promptLost } : undefined,
  };
}

/** Two Node-RED processes on one Redis, a campaign each, and a third hearing the callbacks. */
async function measurePair({ cps, cap, count, waitS }, answers, redisUrl, log) {
  log(`make call: two processes on Redis, ${count} destinations each, ${cps} calls per second, at most ${cap} live...`);
  const sandbox = await startSandbox({ numberedCalls: 1, cps, maxConcurrent: cap });
  const port = await freePort();
  const account = { callsPerSecond: cps, maxConcurrentCalls: cap, redisUrl };
  const webhooks = await startRuntime({ sandbox: sandbox.target, webhookPort: port, account });
  const makeCall = { answerUrl: answers.url(...waitS), hangupUrl: `http://127.0.0.1:${port}/plivo/hangup` };
  const placers = [await startRuntime({ sandbox: sandbox.target, account, makeCall }), await startRuntime({ sandbox: sandbox.target, account, makeCall })];
  const results = await Promise.all(placers.map((placer, i) => placer.makeCalls(destinations(count, 1000 + i * 10_000), 3_600_000)));
  const seen = await sandbox.outbound();
  await Promise.all([webhooks, ...placers].map((runtime) => runtime.stop()));
  sandbox.stop();
  return {
    cps, cap, count, results, posts: seen.posts.length, busiestStarts: busiest(seen.startedAt, 1000), queuedMs: queuedMs(seen.posts, seen.startedAt),
    mostLive: seen.mostConcurrent, failedForCap: seen.failedForCap, capUsed: capUsed(seen.spans, cap),
  };
}

/** CPU per placed call: the node (until output 1) against bare got, the same calls, 10 in flight each way. */
async function measureCpu(answers, log) {
  log(`make call: CPU per placed call, ${SIZE.cpu} each way...`);
  const sandbox = await startSandbox({ numberedCalls: 1, cps: 1_000_000 });
  const runtime = await startRuntime({
    sandbox: sandbox.target, account: { callsPerSecond: 1_000_000, concurrency: 10 }, makeCall: { answerUrl: answers.url(0, 0) },
  });
  // Destinations that do not exist: the sandbox's calls fail at once, and no callback reaches this Node-RED.
  const failing = (count, first) => destinations(count, first).map((number) => `${number.slice(0, -4)}0004`);
  const body = { from: FROM, to: '+14155550004', answer_url: answers.url(0, 0), answer_method: 'POST' };
  await runtime.makeCalls(failing(SIZE.warmup, 0), 60_000, 'placed');
  await runtime.bareCalls(SIZE.warmup, 10, body);
  const rounds = [];
  let failed = 0;
  for (let round = 0; round < SIZE.cpuRounds; round += 1) {
    // Each way first in turn: a machine that speeds up or slows down during a round favours neither.
    const first = round % 2 === 0 ? 'node' : 'bare';
    const measured = {};
    for (const way of first === 'node' ? ['node', 'bare'] : ['bare', 'node']) {
      measured[way] = way === 'node' ? await runtime.makeCalls(failing(SIZE.cpu, 0), 600_000, 'placed') : await runtime.bareCalls(SIZE.cpu, 10, body);
    }
    const { node, bare } = measured;
    failed += node.failed + node.unended + bare.failed;
    rounds.push({ nodeUs: (node.cpuMs / SIZE.cpu) * 1000, bareUs: (bare.cpuMs / SIZE.cpu) * 1000 });
  }
  await runtime.stop();
  sandbox.stop();
  // The round with the median ratio.
  rounds.sort((a, b) => a.nodeUs / a.bareUs - b.nodeUs / b.bareUs);
  return { ...rounds[Math.floor(rounds.length / 2)], failed, rounds: rounds.length };
}

async function measureCampaigns(redisUrl, log = () => undefined) {
  const answers = await startAnswers();
  try {
    const campaigns = [];
    for (const cps of SIZE.cps) {
      campaigns.push(await measureCampaign({ cps, count: SIZE.campaign, waitS: [1, 1], prompts: cps === 10 }, answers, log));
    }
    const capped = await measureCampaign({ ...SIZE.cap, count: SIZE.cap.calls }, answers, log);
    const pair = redisUrl ? await measurePair({ ...SIZE.pair, count: SIZE.pair.calls / 2 }, answers, redisUrl, log) : undefined;
    const cpu = await measureCpu(answers, log);
    return { campaigns, capped, pair, cpu };
  } finally {
    await answers.close();
  }
}

const fixed = (value, digits = 2) => (value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits));

/** Ended counts of a campaign result: "600 answered, 0 failed, 0 unended". */
function ended(results) {
  const all = [results].flat();
  const outcomes = {};
  for (const result of all) for (const [status, n] of Object.entries(result.outcomes)) outcomes[status] = (outcomes[status] ?? 0) + n;
  const failed = all.reduce((sum, result) => sum + result.failed, 0);
  const unended = all.reduce((sum, result) => sum + result.unended, 0);
  return { text: `${Object.entries(outcomes).map(([status, n]) => `${n} ${status}`).join(', ') || 'none ended'}, ${failed} failed, ${unended} unended`, lost: failed + unended };
}

/** Figure 14's rows: [row, what, result, target, met]. */
function campaignRows(measured) {
  const rows = [];
  const { campaigns, capped, pair, cpu } = measured;
  campaigns.forEach((run, i) => {
    const { text: outcome, lost } = ended(run.result);
    rows.push([`14.${i + 1}`, `${run.count} destinations at ${run.cps} calls per second (calls of 1 s)`,
      `${fixed(run.cpsUsed)} of the CPS used; most ${run.busiestStarts} calls started in any second; a call waited in Plivo's queue ${run.queuedMs} ms at most `
        + `(most ${run.busiestArrivals} POST Call/ arrived in any second); ${outcome}`,
      `>= 0.97; <= ${run.cps} started a second; < 1 s in Plivo's queue (no backlog there); 0 lost`,
      run.cpsUsed >= 0.97 && run.busiestStarts <= run.cps && run.queuedMs < 1000 && lost === 0]);
  });
  const { text: cappedOutcome, lost: cappedLost } = ended(capped.result);
  rows.push([`14.${rows.length + 1}`, `${capped.count} destinations, max concurrent calls ${capped.cap}, calls of ${SIZE.cap.waitS.join('-')} s, ${capped.cps} calls per second`,
    `most ${capped.mostLive} live; ${capped.failedForCap} failed for the cap; ${fixed(capped.capUsed)} of the cap used while calls waited; ${cappedOutcome}`,
    `<= ${capped.cap} live; 0 failed for the cap; >= 0.95`, capped.mostLive <= capped.cap && capped.failedForCap === 0 && capped.capUsed >= 0.95 && cappedLost === 0]);
  if (pair) {
    const { text: pairOutcome, lost: pairLost } = ended(pair.results);
    rows.push([`14.${rows.length + 1}`, `two processes on Redis, ${pair.count} destinations each, ${pair.cps} calls per second, max concurrent ${pair.cap}, calls of ${SIZE.pair.waitS.join('-')} s`,
      `most ${pair.mostLive} live; ${pair.failedForCap} failed for the cap; ${fixed(pair.capUsed)} of the cap used; most ${pair.busiestStarts} calls started in any second, `
        + `${pair.queuedMs} ms in Plivo's queue at most; ${pairOutcome}`,
      `<= ${pair.cap} live; 0 failed for the cap; <= ${pair.cps} started a second; < 1 s in Plivo's queue; 0 lost`,
      pair.mostLive <= pair.cap && pair.failedForCap === 0 && pair.busiestStarts <= pair.cps && pair.queuedMs < 1000 && pairLost === 0]);
  }
  const prompted = campaigns.find((run) => run.prompts);
  if (prompted) {
    const { alone, during, lost } = prompted.prompts;
    rows.push([`14.${rows.length + 1}`, `plays into a live call, one each 500 ms (${SIZE.prompts}), alone / during the ${prompted.cps} calls per second campaign`,
      `p95 ${fixed(alone, 1)} / ${fixed(during, 1)} ms; ${lost} lost`, 'p95 during <= alone + 10 ms; 0 lost', during <= alone + 10 && lost === 0]);
  }
  rows.push([`14.${rows.length + 1}`, `CPU per placed call (until output 1) / bare got placing the same call (${SIZE.cpu} each, 10 in flight, median of ${cpu.rounds} rounds)`,
    `${fixed(cpu.nodeUs / cpu.bareUs)} (${fixed(cpu.nodeUs, 0)} us vs ${fixed(cpu.bareUs, 0)} us); ${cpu.failed} failed`, '<= 1.25', cpu.nodeUs / cpu.bareUs <= 1.25 && cpu.failed === 0]);
  return rows;
}

module.exports = { measureCampaigns, measureCpu, campaignRows, SIZE };

if (require.main === module) {
  (async () => {
    const redis = await startRedis().catch(() => undefined);
    const measured = await measureCampaigns(redis?.url, (line) => console.log(line));
    await redis?.kill();
    for (const [row, what, result, target, met] of campaignRows(measured)) console.log(`| ${row} | ${what} | ${result} | ${target} | ${met ? 'met' : 'NOT met'} |`);
  })().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
