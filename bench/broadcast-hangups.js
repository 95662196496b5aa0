'use strict';
/**
 * Figure 12 of `npm run bench` (alone: `node bench/broadcast-hangups.js [--quick]`): a broadcast
 * during which callers hang up. 3 plays for each of 1,000 calls (one round to every call, then the
 * next), all sent at once into one account at Plivo's default limit, against a sandbox answering
 * 50 ms late; 40% of the calls hang up at random times while it runs. With their hangup webhooks
 * (the sandbox posts them to a plivo webhook node of the account) and without (calls that end
 * unseen: only Plivo's 404 tells), with the account's memory of ended calls on and off; and over
 * two Node-RED processes on Redis, the webhook reaching one and the plays queued on the other.
 *
 * Per run: requests sent for calls whose hangup webhook had been answered; for calls that ended
 * unseen, requests that arrived after Plivo's first 404 for the call had been answered (requests
 * already under way then are counted apart); every request sent; and the time from the first
 * message to the last one's end.
 */
const { forkSandbox } = require('./sandbox-process.js');
const { startRuntime } = require('../scripts/runtime-process.js');
const { freePort } = require('../scripts/dev-runtime.js');
const { numberedCall } = require('../sandbox/plivo-sandbox.js');

const QUICK = process.argv.includes('--quick');
const SIZE = QUICK
  ? { calls: 60, plays: 3, limit: { rateLimit: 30, rateWindow: 1 } }
  : { calls: 1000, plays: 3, limit: { rateLimit: 300, rateWindow: 5 } };
const HANGUP_SHARE = 0.4;
const ROUND_TRIP_MS = 50;

/** A deterministic pseudo-random sequence, so each run hangs up the same calls at the same times. */
function random(seed) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function startSandbox(options) {
  return forkSandbox(options).then(({ url, account, ask, stop }) => ({
    url,
    account,
    hangUp: (uuid, webhook) => ask({ op: 'hangUp', uuid, webhook }),
    calls: () => ask({ op: 'calls' }),
    stop,
  }));
}

/**
 * One broadcast. `webhook`: the hangups are posted to a plivo webhook node; `skip`: the account's
 * memory of ended calls is on; `processes` 2: the webhook node in one Node-RED, the plays in another,
 * sharing `redisUrl`.
 */
async function measureBroadcast({ webhook, skip, processes = 1, redisUrl }) {
  const port = await freePort();
  const sandbox = await startSandbox({
    numberedCalls: SIZE.calls, delayMs: ROUND_TRIP_MS, hangupUrl: `http://127.0.0.1:${port}/plivo/hangup`,
    authId: `MABENCHHANGUP${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`,
    rateLimit: { limit: SIZE.limit.rateLimit, windowMs: SIZE.limit.rateWindow * 1000 },
  });
  const target = { url: sandbox.url, authId: sandbox.account.authId, authToken: sandbox.account.authToken, callUuid: numberedCall(0) };
  const account = { ...SIZE.limit, skipEndedCalls: skip, ...(redisUrl ? { redisUrl } : {}) };
  const listener = await startRuntime({ sandbox: target, account, webhookPort: port });
  const sender = processes === 2 ? await startRuntime({ sandbox: target, account }) : listener;

  const calls = Array.from({ length: SIZE.calls }, (_, i) => numberedCall(i));
  const messages = Array.from({ length: SIZE.plays }, () => calls).flat();
  // Hang-ups spread over the time the whole broadcast takes at the limit, so some come before any play of a call.
  const spreadMs = (messages.length / (SIZE.limit.rateLimit / SIZE.limit.rateWindow)) * 1000;
  const next = random(24);
  const hangups = calls.filter(() => next() < HANGUP_SHARE).map((uuid) => ({ uuid, atMs: next() * spreadMs }));
  const timers = hangups.map(({ uuid, atMs }) => new Promise((resolve) => {
    setTimeout(() => sandbox.hangUp(uuid, webhook).then(resolve), atMs);
  }));
  const outcome = await sender.broadcast(messages);
  await Promise.all(timers);
  const seen = await sandbox.calls();
  await Promise.all([...new Set([listener, sender])].map((runtime) => runtime.stop()));
  sandbox.stop();

  const requestsFor = new Map();
  for (const request of seen.requests) {
    if (!requestsFor.has(request.uuid)) requestsFor.set(request.uuid, []);
    requestsFor.get(request.uuid).push(request);
  }
  let afterWebhook = 0;
  let afterFirst404 = 0;
  let underWayAtFirst404 = 0;
  let unseen = 0;
  for (const { uuid } of hangups) {
    const requests = requestsFor.get(uuid) ?? [];
    const heardAt = seen.heard[uuid];
    if (heardAt !== undefined) {
      afterWebhook += requests.filter((request) => request.at > heardAt).length;
      continue;
    }
    unseen += 1;
    const first404 = requests.filter((request) => request.status === 404).sort((a, b) => a.finishedAt - b.finishedAt)[0];
    if (!first404) continue;
    const later = requests.filter((request) => request !== first404 && request.at >= first404.at);
    afterFirst404 += later.filter((request) => request.at > first404.finishedAt).length;
    underWayAtFirst404 += later.filter((request) => request.at <= first404.finishedAt).length;
  }
  return {
    webhook, skip, processes,
    messages: messages.length,
    hungUp: hangups.length,
    unseen,
    requests: seen.requests.length,
    rateLimited: seen.requests.filter((request) => request.status === 429).length,
    afterWebhook,
    afterFirst404,
    underWayAtFirst404,
    ...outcome,
    doneS: outcome.wallMs / 1000,
  };
}

/** The runs of figure 12, each with the memory of ended calls off and on. */
async function measureBroadcastHangups(redisUrl, log = () => undefined) {
  const runs = [];
  for (const [webhook, processes] of [[true, 1], [false, 1], ...(redisUrl ? [[true, 2]] : [])]) {
    for (const skip of [false, true]) {
      log(`broadcast with hangups: ${webhook ? 'hangup webhooks' : 'unseen hangups'}, ${processes} process(es), skipping ${skip ? 'on' : 'off'}...`);
      runs.push(await measureBroadcast({ webhook, skip, processes, redisUrl: processes === 2 ? redisUrl : undefined }));
    }
  }
  return runs;
}

/** A row's result text. */
function describeRun(run) {
  const ended = run.webhook ? `${run.afterWebhook} after the call's hangup webhook`
    : `${run.afterFirst404} after the call's first 404 (${run.underWayAtFirst404} under way then)`;
  return `${run.requests} requests for ${run.messages} plays (${run.rateLimited} x 429); ${ended}; `
    + `${run.played} played, ${run.callEnded} skipped, ${run.notFound} x 404, ${run.other} other; done in ${run.doneS.toFixed(1)} s`;
}

module.exports = { measureBroadcastHangups, describeRun, SIZE, HANGUP_SHARE };

if (require.main === module) {
  (async () => {
    const { startRedis } = require('../scripts/redis-server.js');
    const redis = await startRedis();
    const runs = await measureBroadcastHangups(redis.url, (text) => process.stderr.write(`${text}\n`));
    await redis.kill();
    for (const run of runs) {
      const what = `${run.webhook ? 'hangup webhooks' : 'unseen hangups'}, ${run.processes} process${run.processes > 1 ? 'es on Redis' : ''}, skip ${run.skip ? 'on' : 'off'}`;
      console.log(`${what}: ${describeRun(run)}`);
    }
    process.exit(0);
  })().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
