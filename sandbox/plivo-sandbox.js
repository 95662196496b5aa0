'use strict';
/**
 * A local stand-in for the part of Plivo's Voice API this package uses, on 127.0.0.1.
 * Used by `npm start` (so a newcomer needs no Plivo account) and by the tests, which
 * talk to it over real HTTP and read what it recorded. Arranged by concern: the API routes
 * (api-routes.js, checked as api-checks.js says), outbound calls (outbound.js), conferences (conferences.js), the calls and their state (calls.js), the
 * XML a call runs (xml-runner.js, checked by xml-check.js), the caller's own endpoints
 * (demo-routes.js), and signing its webhooks (signing.js).
 *
 * Run alone: `node sandbox/plivo-sandbox.js` (SANDBOX_PORT, default 18800).
 */
const http = require('node:http');
const https = require('node:https');
const { randomUUID } = require('node:crypto');
const { apiError } = require('./http.js');
const { SPEAK_VOICES } = require('./api-checks.js');
const { createApi } = require('./api-routes.js');
const { createCalls } = require('./calls.js');
const { createDemo } = require('./demo-routes.js');
const { createRunner } = require('./xml-runner.js');
const { createOutbound } = require('./outbound.js');
const { createConferences } = require('./conferences.js');
const { plivoSignature, sendWebhook } = require('./signing.js');

const DEMO_ACCOUNT = Object.freeze({
  authId: 'MASANDBOX0000000000A',
  authToken: 'sandbox-auth-token-not-a-real-secret',
  name: 'Plivo Sandbox',
});
const DEMO_CALL_UUID = 'b7c3e0f2-5a1d-4e8b-9c6f-2d4a8e1b3c5f';
/** Live calls for the broadcast example, which also names one call that has ended. */
const DEMO_BROADCAST_CALLS = Object.freeze([
  '1f4e9a20-3b7c-4d5e-8f60-7a8b9c0d1e21',
  '2a5f0b31-4c8d-4e6f-9071-8b9c0d1e2f32',
  '3b601c42-5d9e-4f70-a182-9c0d1e2f3043',
  '4c712d53-6eaf-4081-b293-0d1e2f304154',
]);

/** The UUID of the sandbox's i-th numbered call (option numberedCalls). */
function numberedCall(i) {
  return `c0000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
}

/**
 * Starts a sandbox. Options: port (0 = any free port), authId, authToken, accountName,
 * liveCalls (call UUIDs that are "in progress"), numberedCalls (that many more, numberedCall(0...n-1)),
 * hangupUrl (where those calls' ends are posted), rateLimit ({limit, windowMs}: a strict
 * sliding window answered with 429, counted on arrival), delayMs (answer this long after the
 * request arrives: a real network's round trip), tls ({key, cert}: serve https, as Plivo does),
 * timeScale and keysTimeoutMs (how long a call's XML waits: xml-runner.js), cps and maxConcurrent (outbound
 * calls: started at most cps a second, failed at once over maxConcurrent; outbound.js).
 *
 * `requests` records each request as {method, path, headers, body, json, at, status, finishedAt}.
 */
async function startSandbox(options = {}) {
  const account = {
    authId: options.authId ?? DEMO_ACCOUNT.authId,
    authToken: options.authToken ?? DEMO_ACCOUNT.authToken,
    name: options.accountName ?? DEMO_ACCOUNT.name,
  };
  const calls = createCalls(account);
  for (const uuid of options.liveCalls ?? [DEMO_CALL_UUID, ...DEMO_BROADCAST_CALLS]) calls.add(uuid, { hangupUrl: options.hangupUrl });
  for (let i = 0; i < (options.numberedCalls ?? 0); i += 1) calls.add(numberedCall(i), { hangupUrl: options.hangupUrl });
  const conferences = createConferences(calls);
  const runner = createRunner(calls, conferences, options);
  const outbound = createOutbound(calls, runner, options);
  const route = createApi(account, calls, runner.transfer, outbound, conferences);
  const demo = createDemo(account, calls, runner, conferences);
  const requests = [];
  const faults = [];
  const rateLimit = options.rateLimit;
  const delayMs = options.delayMs ?? 0;
  const recentStarts = [];
  const stats = { connections: 0, rateLimited: 0 };

  function overRateLimit(now) {
    if (!rateLimit) return false;
    while (recentStarts.length > 0 && recentStarts[0] <= now - rateLimit.windowMs) recentStarts.shift();
    if (recentStarts.length >= rateLimit.limit) return true;
    recentStarts.push(now);
    return false;
  }

  function applyFault(fault, req, res) {
    if (fault.kind === 'reset') {
      req.socket.destroy();
    } else if (fault.kind === 'hang') {
      // Never answer: the client's timeout must end it.
    } else {
      res.writeHead(fault.status, fault.headers ?? {});
      res.end(fault.body === undefined ? '' : typeof fault.body === 'string' ? fault.body : JSON.stringify(fault.body));
    }
  }

  const handle = (req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let parsed;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const record = {
        method: req.method,
        path: req.url,
        headers: req.headers,
        body: text,
        json: parsed,
        at: Date.now(),
      };
      requests.push(record);
      res.on('finish', () => {
        record.status = res.statusCode;
        record.finishedAt = Date.now();
      });
      if (record.path.startsWith('/sandbox/') && demo(req, res, record)) return;
      const fault = faults.shift();
      const limited = !fault && overRateLimit(record.at);
      const answer = () => {
        if (fault) return applyFault(fault, req, res);
        if (limited) {
          stats.rateLimited += 1;
          return apiError(res, 429, 'too many requests');
        }
        return route(req, res, record);
      };
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  };
  const server = options.tls ? https.createServer(options.tls, handle) : http.createServer(handle);
  server.on('connection', () => {
    stats.connections += 1;
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address();

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    account,
    requests,
    stats,
    webhooks: calls.webhooks,
    /**
     * Adds a live call; returns its UUID. details: {from, to, direction, hangupUrl}; with a
     * hangupUrl the call's end is posted there (signed), as Plivo calls an application's hangup URL.
     */
    addCall(uuid = randomUUID(), details = {}) {
      return calls.add(uuid, details);
    },
    /**
     * The caller hangs up: 404 for the call from now on, and its hangup webhook when it has a
     * hangup URL, unless `{webhook: false}` (the call ends unseen).
     */
    hangUp(uuid, { webhook = true } = {}) {
      calls.end(uuid, { tell: webhook });
    },
    /** Calls that have ended: UUID to when (ms). */
    ended: calls.ended,
    /** A live call's state ({from, to, direction, recordings, digits, log}), or undefined once it has ended. */
    call(uuid) {
      return calls.live.get(uuid);
    },
    /** What a call's XML did, in order (live or ended): [{element, ...}], ending with {element: 'end', cause}. */
    callLog(uuid) {
      return calls.history.get(uuid)?.log;
    },
    /** The caller presses `keys` in a call whose XML waits for them; false when it waits for none. */
    press(uuid, keys) {
      return runner.press(uuid, keys);
    },
    /** Resolves when every webhook posted so far has been answered. */
    webhooksSettled: calls.settled,
    /**
     * Makes the next `times` requests misbehave. fault: {status, body?, headers?} to answer
     * with, {kind: 'reset'} to drop the connection, {kind: 'hang'} to never answer.
     */
    fail(fault, times = 1) {
      for (let i = 0; i < times; i += 1) faults.push(fault);
    },
    /** Forgets recorded requests and webhooks, pending faults and counters. */
    reset() {
      requests.length = 0;
      calls.webhooks.length = 0;
      faults.length = 0;
      recentStarts.length = 0;
      stats.connections = 0;
      stats.rateLimited = 0;
    },
    /** Outbound calls placed through the API: {started, failedForCap, mostConcurrent}. */
    outbound: outbound.stats,
    close() {
      runner.stop();
      outbound.stop();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

module.exports = {
  startSandbox, sendWebhook, plivoSignature, numberedCall, SPEAK_VOICES, DEMO_ACCOUNT, DEMO_CALL_UUID, DEMO_BROADCAST_CALLS,
};

if (require.main === module) {
  startSandbox({ port: Number(process.env.SANDBOX_PORT ?? 18800) }).then((sandbox) => {
    console.log(`Plivo sandbox on ${sandbox.url}`);
    console.log(`  Auth ID ${sandbox.account.authId}, live call ${DEMO_CALL_UUID}`);
  });
}
