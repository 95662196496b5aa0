'use strict';
/**
 * A local stand-in for the part of Plivo's Voice API this package uses, on 127.0.0.1.
 * Used by `npm start` (so a newcomer needs no Plivo account) and by the tests, which
 * talk to it over real HTTP and read what it recorded.
 *
 * It is a little stricter than Plivo: unknown body parameters are a 400, so a request
 * that breaks the contract cannot pass unnoticed.
 *
 * Run alone: `node sandbox/plivo-sandbox.js` (SANDBOX_PORT, default 18800).
 */
const http = require('node:http');
const https = require('node:https');
const crypto = require('node:crypto');

const { randomUUID } = crypto;

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

const LIST_PARAMETERS = new Set(['status', 'call_direction', 'from_number', 'to_number']);
const TRANSFER_PARAMETERS = new Set(['legs', 'aleg_url', 'aleg_method', 'bleg_url', 'bleg_method']);
const DTMF_PARAMETERS = new Set(['digits', 'leg']);
/** Plivo's page and Python SDK send URL; the Node SDK lower-cases it. */
const STOP_RECORDING_PARAMETERS = new Set(['URL', 'url']);
const RECORD_PARAMETERS = new Set([
  'time_limit', 'file_format', 'transcription_type', 'transcription_url', 'transcription_method', 'callback_url', 'callback_method',
]);
const PLAY_PARAMETERS = new Set(['urls', 'length', 'legs', 'loop', 'mix']);
const SPEAK_PARAMETERS = new Set(['text', 'voice', 'language', 'legs', 'loop', 'mix']);
/**
 * The voices of each language Plivo speaks (W: WOMAN, M: MAN), written apart from the node's
 * own list (nodes/lib/call/speak-languages.ts) so that the tests check one against the other.
 */
const SPEAK_VOICES = {
  arb: 'W', 'cmn-CN': 'W', 'da-DK': 'WM', 'nl-NL': 'WM', 'en-AU': 'WM', 'en-IN': 'W', 'en-GB': 'WM', 'en-US': 'WM',
  'en-GB-WLS': 'M', 'fr-CA': 'W', 'fr-FR': 'WM', 'de-DE': 'WM', 'hi-IN': 'W', 'is-IS': 'WM', 'it-IT': 'WM', 'ja-JP': 'WM',
  'ko-KR': 'W', 'nb-NO': 'W', 'pl-PL': 'WM', 'pt-BR': 'WM', 'pt-PT': 'WM', 'ro-RO': 'W', 'ru-RU': 'WM', 'es-MX': 'W',
  'es-ES': 'WM', 'es-US': 'WM', 'sv-SE': 'W', 'tr-TR': 'W', 'cy-GB': 'W',
};

/** The UUID of the sandbox's i-th numbered call (option numberedCalls). */
function numberedCall(i) {
  return `c0000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
}

function json(res, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

function apiError(res, status, error, headers) {
  json(res, status, { api_id: randomUUID(), error }, headers);
}

function isBoolean(value) {
  return typeof value === 'boolean' || value === 'true' || value === 'false';
}

function isPositiveInteger(value) {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0;
  return typeof value === 'string' && /^[0-9]+$/.test(value) && Number(value) > 0;
}

function isHttpUrl(text) {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** The body's keys outside `parameters`, as an error text; undefined when there are none. */
function unknownParameters(body, parameters) {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'invalid request body';
  const unknown = Object.keys(body).filter((key) => !parameters.has(key));
  return unknown.length > 0 ? `unknown parameter(s): ${unknown.join(', ')}` : undefined;
}

/** Checks the parameters Play and Speak share, and that no other is sent; returns the error text or undefined. */
function commonBodyError(body, parameters) {
  const unknown = unknownParameters(body, parameters);
  if (unknown) return unknown;
  if ('legs' in body && !['aleg', 'bleg', 'both'].includes(body.legs)) return 'legs must be aleg, bleg or both';
  if ('loop' in body && !isBoolean(body.loop)) return 'loop must be true or false';
  if ('mix' in body && !isBoolean(body.mix)) return 'mix must be true or false';
  return undefined;
}

/** Plivo-like validation of a Play body; returns the error text or undefined. */
function playBodyError(body) {
  const common = commonBodyError(body, PLAY_PARAMETERS);
  if (common) return common;
  if (typeof body.urls !== 'string' || body.urls === '') return 'urls parameter is required';
  if (!body.urls.split(',').every(isHttpUrl)) return 'invalid urls';
  if ('length' in body && !isPositiveInteger(body.length)) return 'length must be a positive integer';
  return undefined;
}

/** Plivo-like validation of a Speak body: Plivo's defaults are WOMAN and en-US. */
function speakBodyError(body) {
  const common = commonBodyError(body, SPEAK_PARAMETERS);
  if (common) return common;
  if (typeof body.text !== 'string' || body.text.trim() === '') return 'text parameter is required';
  if ('voice' in body && body.voice !== 'MAN' && body.voice !== 'WOMAN') return 'voice must be MAN or WOMAN';
  const language = 'language' in body ? body.language : 'en-US';
  const voices = Object.hasOwn(SPEAK_VOICES, language) ? SPEAK_VOICES[language] : undefined;
  if (voices === undefined) return `language ${language} is not supported`;
  if (!voices.includes((body.voice ?? 'WOMAN')[0])) return `voice ${body.voice ?? 'WOMAN'} is not available for ${language}`;
  return undefined;
}

const isMethod = (value) => value === 'GET' || value === 'POST';

/** Plivo-like validation of a transfer: where each moved leg goes. */
function transferBodyError(body) {
  const unknown = unknownParameters(body, TRANSFER_PARAMETERS);
  if (unknown) return unknown;
  const legs = body.legs ?? 'aleg';
  if (!['aleg', 'bleg', 'both'].includes(legs)) return 'legs must be aleg, bleg or both';
  for (const leg of ['aleg', 'bleg']) {
    const url = body[`${leg}_url`];
    if (url !== undefined && !isHttpUrl(url)) return `invalid ${leg}_url`;
    if (url === undefined && (legs === leg || legs === 'both')) return `${leg}_url is required to transfer the ${leg}`;
    if (`${leg}_method` in body && !isMethod(body[`${leg}_method`])) return `${leg}_method must be GET or POST`;
  }
  return undefined;
}

function dtmfBodyError(body) {
  const unknown = unknownParameters(body, DTMF_PARAMETERS);
  if (unknown) return unknown;
  if (typeof body.digits !== 'string' || !/^[0-9*#wW]+$/.test(body.digits)) return 'digits must be 0-9, *, #, w or W';
  if ('leg' in body && body.leg !== 'aleg' && body.leg !== 'bleg') return 'leg must be aleg or bleg';
  return undefined;
}

function recordBodyError(body) {
  const unknown = unknownParameters(body, RECORD_PARAMETERS);
  if (unknown) return unknown;
  if ('time_limit' in body && !isPositiveInteger(body.time_limit)) return 'time_limit must be a positive integer';
  if ('file_format' in body && body.file_format !== 'mp3' && body.file_format !== 'wav') return 'file_format must be mp3 or wav';
  if ('transcription_type' in body && body.transcription_type !== 'auto') return 'transcription_type must be auto';
  for (const name of ['transcription_url', 'callback_url']) if (name in body && !isHttpUrl(body[name])) return `invalid ${name}`;
  for (const name of ['transcription_method', 'callback_method']) if (name in body && !isMethod(body[name])) return `${name} must be GET or POST`;
  return undefined;
}

const BODY_ERRORS = { Play: playBodyError, Speak: speakBodyError, DTMF: dtmfBodyError, Record: recordBodyError };

/**
 * Starts a sandbox. Options: port (0 = any free port), authId, authToken, accountName,
 * liveCalls (call UUIDs that are "in progress"), numberedCalls (that many more, numberedCall(0...n-1)),
 * hangupUrl (where those calls' ends are posted), rateLimit ({limit, windowMs}: a strict
 * sliding window answered with 429, counted on arrival), delayMs (answer this long after the
 * request arrives: a real network's round trip), tls ({key, cert}: serve https, as Plivo does).
 *
 * `requests` records each request as {method, path, headers, body, json, at, status, finishedAt}.
 */
async function startSandbox(options = {}) {
  const account = {
    authId: options.authId ?? DEMO_ACCOUNT.authId,
    authToken: options.authToken ?? DEMO_ACCOUNT.authToken,
    name: options.accountName ?? DEMO_ACCOUNT.name,
  };
  const expectedAuth = `Basic ${Buffer.from(`${account.authId}:${account.authToken}`).toString('base64')}`;
  /** Live calls: UUID to {from, to, direction, callerName, started, hangupUrl, recordings (URL to id), digits sent}. */
  const liveCalls = new Map();
  const newCall = (uuid, details = {}) => liveCalls.set(uuid, {
    from: details.from ?? '+14155550100', to: details.to ?? '+14155550111', direction: details.direction ?? 'inbound',
    callerName: 'Sandbox Caller', started: new Date().toISOString(), hangupUrl: details.hangupUrl, recordings: new Map(), digits: [],
  });
  for (const uuid of options.liveCalls ?? [DEMO_CALL_UUID, ...DEMO_BROADCAST_CALLS]) newCall(uuid, { hangupUrl: options.hangupUrl });
  for (let i = 0; i < (options.numberedCalls ?? 0); i += 1) newCall(numberedCall(i), { hangupUrl: options.hangupUrl });
  /** Webhooks the sandbox posted as Plivo would: {url, params, method, status or error}. */
  const webhooks = [];
  const pendingWebhooks = new Set();
  /** Calls that ended: UUID to when. */
  const ended = new Map();
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

  function route(req, res, record) {
    const [pathname, search = ''] = record.path.split('?');
    const query = new URLSearchParams(search);
    const match = /^\/v1\/Account\/([^/]+)\/(?:(Call)\/(?:([^/]+)\/?(?:(Play|Speak|DTMF|Record)\/)?)?)?$/.exec(pathname);
    if (!match) return apiError(res, 404, 'not found');
    if (req.headers.authorization !== expectedAuth || decodeURIComponent(match[1]) !== account.authId) {
      return apiError(res, 401, 'authentication failed');
    }
    const [, , callPath, callUuid, action] = match;
    if (callPath === undefined) {
      if (req.method !== 'GET') return apiError(res, 405, 'method not allowed');
      return json(res, 200, {
        account_type: 'standard',
        api_id: randomUUID(),
        auth_id: account.authId,
        name: account.name,
        resource_uri: `/v1/Account/${account.authId}/`,
      });
    }
    if (callUuid === undefined) return callList(req, res, query);
    const call = liveCalls.get(callUuid);
    if (!call) return apiError(res, 404, 'not found');
    if (action === undefined) return callItself(req, res, record, query, callUuid, call);
    if (action === 'Record' && req.method === 'DELETE') return stopRecording(res, record, call);
    if (req.method !== 'POST' && req.method !== 'DELETE') return apiError(res, 405, 'method not allowed');
    if (req.method === 'DELETE') {
      if (action === 'DTMF') return apiError(res, 405, 'method not allowed');
      res.writeHead(204);
      return res.end();
    }
    const body = jsonBody(req, res, record);
    if (body === undefined) return undefined;
    const invalid = BODY_ERRORS[action](body);
    if (invalid) return apiError(res, 400, invalid);
    if (action === 'Record') return startRecording(res, body, callUuid, call);
    if (action === 'DTMF') {
      call.digits.push(body.digits);
      return json(res, 202, { message: 'digits sent', api_id: randomUUID() });
    }
    return json(res, 202, { message: action === 'Speak' ? 'speak started' : 'play started', api_id: randomUUID() });
  }

  /** The JSON body of a POST, or undefined once a 400 has been answered. */
  function jsonBody(req, res, record) {
    if (!String(req.headers['content-type']).startsWith('application/json')) {
      apiError(res, 400, 'content type must be application/json');
      return undefined;
    }
    if (record.json === undefined) {
      apiError(res, 400, 'invalid JSON body');
      return undefined;
    }
    return record.json;
  }

  /** GET Call/?status=live: the live calls' UUIDs, filtered as Plivo filters them. */
  function callList(req, res, query) {
    if (req.method !== 'GET') return apiError(res, 405, 'method not allowed');
    if (query.get('status') !== 'live') return apiError(res, 400, 'the sandbox lists live calls only: status=live');
    const unknown = [...query.keys()].filter((key) => !LIST_PARAMETERS.has(key));
    if (unknown.length > 0) return apiError(res, 400, `unknown parameter(s): ${unknown.join(', ')}`);
    const direction = query.get('call_direction');
    if (direction !== null && direction !== 'inbound' && direction !== 'outbound') return apiError(res, 400, 'call_direction must be inbound or outbound');
    const calls = [...liveCalls].filter(([, call]) => (direction === null || call.direction === direction)
      && (!query.has('from_number') || call.from === query.get('from_number'))
      && (!query.has('to_number') || call.to === query.get('to_number'))).map(([uuid]) => uuid);
    return json(res, 200, { api_id: randomUUID(), calls });
  }

  /** Call/{uuid}/: GET its live details, POST a transfer, DELETE a hang-up. */
  function callItself(req, res, record, query, callUuid, call) {
    if (req.method === 'GET') {
      if (query.get('status') !== 'live') return apiError(res, 400, 'the sandbox has live calls only: status=live');
      return json(res, 200, {
        api_id: randomUUID(), call_uuid: callUuid, call_status: 'in-progress', direction: call.direction, from: call.from, to: call.to,
        caller_name: call.callerName, session_start: call.started, request_uuid: callUuid,
      });
    }
    if (req.method === 'DELETE') {
      endCall(callUuid);
      res.writeHead(204);
      return res.end();
    }
    if (req.method !== 'POST') return apiError(res, 405, 'method not allowed');
    const body = jsonBody(req, res, record);
    if (body === undefined) return undefined;
    const invalid = transferBodyError(body);
    if (invalid) return apiError(res, 400, invalid);
    // As Plivo does, each leg moved fetches its new URL (signed, like every Plivo webhook).
    const legs = body.legs ?? 'aleg';
    for (const leg of legs === 'both' ? ['aleg', 'bleg'] : [legs]) {
      const url = body[`${leg}_url`];
      deliver(url, { ...callParams(callUuid, call), CallStatus: 'in-progress', Event: 'Transfer' }, body[`${leg}_method`] ?? 'POST');
    }
    return json(res, 202, { message: 'call transferred', api_id: randomUUID() });
  }

  function startRecording(res, body, callUuid, call) {
    const recordingId = randomUUID();
    const url = `https://media.plivo.com/v1/Account/${account.authId}/Recording/${recordingId}.${body.file_format ?? 'mp3'}`;
    call.recordings.set(url, recordingId);
    return json(res, 202, { url, message: 'call recording started', recording_id: recordingId, api_id: randomUUID() });
  }

  /** DELETE Call/{uuid}/Record/: one recording (URL) or all of them. */
  function stopRecording(res, record, call) {
    const body = record.json ?? {};
    const invalid = unknownParameters(body, STOP_RECORDING_PARAMETERS);
    if (invalid) return apiError(res, 400, invalid);
    const url = body.URL ?? body.url;
    if (url !== undefined && !call.recordings.has(url)) return apiError(res, 404, 'recording not found');
    if (url !== undefined) call.recordings.delete(url);
    else call.recordings.clear();
    res.writeHead(204);
    return res.end();
  }

  function callParams(callUuid, call) {
    return { CallUUID: callUuid, From: call.from, To: call.to, Direction: call.direction, CallerName: call.callerName };
  }

  /** Posts a signed webhook without holding up the answer; what it got is kept in `webhooks`. */
  function deliver(url, params, method = 'POST') {
    const sent = { url, params, method };
    webhooks.push(sent);
    const done = sendWebhook(account.authToken, url, params, { method }).then(
      (answer) => {
        sent.status = answer.status;
        sent.answeredAt = Date.now();
      },
      (error) => { sent.error = error.message; },
    );
    pendingWebhooks.add(done);
    done.finally(() => pendingWebhooks.delete(done));
  }

  /**
   * The call ends: every request for it is answered 404 from now on, and its hangup URL (if any)
   * is told, unless `tell` is false (a call that ends unseen).
   */
  function endCall(callUuid, tell = true) {
    const call = liveCalls.get(callUuid);
    if (!call) return;
    liveCalls.delete(callUuid);
    ended.set(callUuid, Date.now());
    if (call.hangupUrl && tell) {
      deliver(call.hangupUrl, { ...callParams(callUuid, call), CallStatus: 'completed', Event: 'Hangup', HangupCause: 'NORMAL_CLEARING' });
    }
  }

  /**
   * Not Plivo's API: a demo call comes in. The sandbox adds a live call and calls `answer_url`
   * (with `answer_method`, POST by default) the way Plivo calls an application's answer URL, signed.
   */
  function placeDemoCall(res, body) {
    const answerUrl = body?.answer_url;
    if (!isHttpUrl(answerUrl)) return apiError(res, 400, 'answer_url must be an http(s) URL');
    const callUuid = randomUUID();
    newCall(callUuid, { hangupUrl: isHttpUrl(body.hangup_url) ? body.hangup_url : undefined });
    const params = {
      CallUUID: callUuid, From: '+14155550100', To: '+14155550111', Direction: 'inbound',
      CallStatus: 'ringing', Event: 'StartApp', CallerName: 'Sandbox Caller',
    };
    sendWebhook(account.authToken, answerUrl, params, { method: body.answer_method === 'GET' ? 'GET' : 'POST' }).then(
      (answer) => json(res, 201, { call_uuid: callUuid, answer_url: answerUrl, webhook_status: answer.status, webhook_answer: answer.body }),
      (error) => apiError(res, 502, `could not call ${answerUrl}: ${error.message}`),
    );
    return undefined;
  }

  /**
   * Not Plivo's API: a demo caller hangs up. The sandbox ends the call and posts the signed
   * hangup webhook to `hangup_url`, as Plivo calls an application's hangup URL.
   */
  function hangUpDemoCall(res, body) {
    const callUuid = body?.call_uuid;
    if (typeof callUuid !== 'string' || !liveCalls.has(callUuid)) return apiError(res, 404, 'no such live call');
    if (!isHttpUrl(body.hangup_url)) return apiError(res, 400, 'hangup_url must be an http(s) URL');
    liveCalls.get(callUuid).hangupUrl = undefined;
    liveCalls.delete(callUuid);
    const params = {
      CallUUID: callUuid, From: '+14155550100', To: '+14155550111', Direction: 'inbound',
      CallStatus: 'completed', Event: 'Hangup', HangupCause: 'NORMAL_CLEARING',
    };
    sendWebhook(account.authToken, body.hangup_url, params).then(
      (answer) => json(res, 200, { call_uuid: callUuid, webhook_status: answer.status }),
      (error) => apiError(res, 502, `could not call ${body.hangup_url}: ${error.message}`),
    );
    return undefined;
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
      if (record.path === '/sandbox/calls' && req.method === 'POST') return placeDemoCall(res, record.json);
      if (record.path === '/sandbox/hangups' && req.method === 'POST') return hangUpDemoCall(res, record.json);
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
    webhooks,
    /**
     * Adds a live call; returns its UUID. details: {from, to, direction, hangupUrl}; with a
     * hangupUrl the call's end is posted there (signed), as Plivo calls an application's hangup URL.
     */
    addCall(uuid = randomUUID(), details = {}) {
      newCall(uuid, details);
      return uuid;
    },
    /**
     * The caller hangs up: 404 for the call from now on, and its hangup webhook when it has a
     * hangup URL, unless `{webhook: false}` (the call ends unseen).
     */
    hangUp(uuid, { webhook = true } = {}) {
      endCall(uuid, webhook);
    },
    /** Calls that have ended: UUID to when (ms). */
    ended,
    /** A live call's state ({from, to, direction, recordings, digits}), or undefined once it has ended. */
    call(uuid) {
      return liveCalls.get(uuid);
    },
    /** Resolves when every webhook posted so far has been answered. */
    async webhooksSettled() {
      while (pendingWebhooks.size > 0) await Promise.allSettled([...pendingWebhooks]);
    },
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
      webhooks.length = 0;
      faults.length = 0;
      recentStarts.length = 0;
      stats.connections = 0;
      stats.rateLimited = 0;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Signs a webhook as Plivo does (X-Plivo-Signature-V3 over the URL, the sorted POST parameters
 * and a nonce, HMAC-SHA256 with the Auth Token), written apart from the node's own signer so
 * that the tests check one against the other, and both against the official SDK.
 */
function plivoSignature(authToken, method, url, params, nonce) {
  const parsed = new URL(url);
  const sortedPairs = (entries, join) => entries
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([name, values]) => [].concat(values).sort().map((value) => join(name, value)));
  const queryEntries = Object.entries([...parsed.searchParams].reduce((all, [name, value]) => {
    (all[name] ??= []).push(value);
    return all;
  }, {}));
  const query = sortedPairs(queryEntries, (name, value) => `${name}=${value}`).join('&');
  let text = `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  const postEntries = method === 'POST' ? Object.entries(params) : [];
  if (postEntries.length > 0) text += `?${query}${query ? '.' : ''}${sortedPairs(postEntries, (name, value) => `${name}${value}`).join('')}`;
  else if (query) text += `?${query}`;
  return crypto.createHmac('sha256', authToken).update(`${text}.${nonce}`).digest('base64');
}

/**
 * Calls a webhook as Plivo does: a form POST (or GET with the parameters in the query), signed
 * twice, V3 with the token of the account that owns the application and Ma-V3 with the main
 * account's (`mainAuthToken`; the sandbox's account is a main account, so by default the same).
 */
async function sendWebhook(authToken, url, params, { method = 'POST', nonce = String(crypto.randomInt(1e9, 1e10)) + String(Date.now()), mainAuthToken = authToken } = {}) {
  const target = new URL(url);
  if (method === 'GET') for (const [name, value] of Object.entries(params)) target.searchParams.append(name, value);
  const sign = (token) => plivoSignature(token, method, target.toString(), method === 'POST' ? params : {}, nonce);
  const response = await fetch(target, {
    method,
    headers: {
      'x-plivo-signature-v3': sign(authToken),
      'x-plivo-signature-ma-v3': sign(mainAuthToken),
      'x-plivo-signature-v3-nonce': nonce,
      ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    body: method === 'POST' ? new URLSearchParams(Object.entries(params).flatMap(([name, values]) => [].concat(values).map((value) => [name, value]))).toString() : undefined,
  });
  return { status: response.status, body: await response.text() };
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
