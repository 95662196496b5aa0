'use strict';
/**
 * Property: no signature Plivo made for a GET to a URL is accepted by a POST webhook there, however
 * an attacker splits the GET's signed text between the POST's query and its body, and every form
 * Plivo really posts (a query in the URL, repeated names, empty values) still is; and the other way
 * round, no POST's signature is accepted by a GET webhook, and every GET Plivo sends is.
 *
 * A GET Plivo signs is a URL (perhaps with a query of its own) with Plivo's callback parameters
 * added, among them one that names what the callback is about (CallUUID, RequestUUID, ...; see
 * IDENTIFYING_PARAMETERS). Names and values are random, with `+`, `.`, `%`, `&`, `=`, spaces,
 * empty values and repeated names. Each forgery is first shown to be a real collision (the POST's
 * signature, made by the sandbox's signer, is the GET's), then sent through the node's checks.
 */
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { plivoSignature } = require('../sandbox/plivo-sandbox.js');
const { checkWebhook, signatureHeaders } = require('../dist/nodes/lib/webhook/request.js');
const { ReplayGuard } = require('../dist/nodes/lib/webhook/replay-guard.js');
const { IDENTIFYING_PARAMETERS } = require('../dist/nodes/lib/webhook/signature.js');
const { AUTH_TOKEN } = require('./support');

const NODE_URL = 'https://flows.example.com/plivo/answer';
const HOSTILE = ['a', 'Z', '0', '9', ' ', '+', '%', '%2B', '%26', '&', '=', '.', '-', '_', '/', '?', '#', 'é', '😀'];
const PLIVO_NAMES = ['From', 'To', 'Direction', 'CallStatus', 'BillRate', 'Duration', 'Digits', 'SessionStart', 'X-PH-Tenant'];
const REALISTIC = ['+14155550100', '0.0085', 'b7d0a5c6-43a8-4d2e-9a8e-2f1e6c3b9a10', '2026-12-02 15:04:05.123456', 'https://media.plivo.com/r.mp3?x=1&y=2', ''];

const hostile = (minLength) => fc.string({ unit: fc.constantFrom(...HOSTILE), minLength, maxLength: 10 });
const value = fc.oneof(hostile(0), fc.constantFrom(...REALISTIC));
const values = fc.array(value, { minLength: 1, maxLength: 3 });
const nonceArb = fc.stringMatching(/^[0-9]{20}$/);
/** A URL's own query, as a user writes it: any names but Plivo's identifying ones. */
const userQuery = fc.dictionary(hostile(1), values, { maxKeys: 3 })
  .filter((query) => !Object.keys(query).some((name) => name === '__proto__' || IDENTIFYING_PARAMETERS.includes(name)));
/** Plivo's callback parameters: at least one identifying parameter (a UUID, as Plivo's are), some of the others. */
const plivoParams = fc.record({
  identifying: fc.uniqueArray(fc.constantFrom(...IDENTIFYING_PARAMETERS), { minLength: 1, maxLength: 3 }),
  others: fc.uniqueArray(fc.constantFrom(...PLIVO_NAMES), { maxLength: PLIVO_NAMES.length }),
}).chain(({ identifying, others }) => fc.tuple(
  ...identifying.map((name) => fc.uuid().map((uuid) => [name, [uuid]])),
  ...others.map((name) => values.map((list) => [name, list])),
)).map((entries) => Object.fromEntries(entries));

/** Name/value pairs as a query or form: spaces as `+` (URLSearchParams) or `%20`. */
function encode(pairs, plusForSpace) {
  if (plusForSpace) return new URLSearchParams(pairs).toString();
  return pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
}
const pairsOf = (params) => Object.entries(params).flatMap(([name, list]) => list.map((one) => [name, one]));

/** What Plivo signs after `?` for a GET with these query parameters: sorted `name=value` pieces. */
function getText(params) {
  return Object.keys(params).sort().flatMap((name) => [...params[name]].sort().map((one) => `${name}=${one}`)).join('&');
}

/** Body parameters whose run-together text is exactly `text`: one parameter, split at a character boundary picked by `pick`. */
function bodyFor(text, pick) {
  const chars = [...text];
  const at = pick % (chars.length + 1);
  return { [chars.slice(0, at).join('')]: [chars.slice(at).join('')] };
}

/**
 * The POSTs whose signed text is the GET's `text`: the whole text in the body (split at `pick`),
 * and for each `.` whose head reads as a query (it has a `=`), the head as the URL's query and
 * the rest in the body.
 */
function forgeries(text, pick, plus) {
  const out = [{ url: NODE_URL, params: bodyFor(text, pick) }];
  for (let dot = text.indexOf('.'); dot !== -1; dot = text.indexOf('.', dot + 1)) {
    const head = text.slice(0, dot);
    const equals = head.indexOf('=');
    if (equals === -1) continue;
    const tail = text.slice(dot + 1);
    const query = encode([[head.slice(0, equals), head.slice(equals + 1)]], plus);
    out.push({ url: `${NODE_URL}?${query}`, params: bodyFor(tail, pick) });
  }
  return out;
}

async function postCheck(url, params, signature, nonce, replay = new ReplayGuard()) {
  const headers = signatureHeaders(signature, undefined, nonce);
  assert.ok(!('reason' in headers), JSON.stringify(headers));
  return checkWebhook({ method: 'POST', url, headers, body: encode(pairsOf(params), false) }, { authToken: AUTH_TOKEN, replay }, 0);
}

async function getCheck(url, signature, nonce) {
  const headers = signatureHeaders(signature, undefined, nonce);
  assert.ok(!('reason' in headers), JSON.stringify(headers));
  return checkWebhook({ method: 'GET', url, headers, body: '' }, { authToken: AUTH_TOKEN, replay: new ReplayGuard() }, 0);
}

/** What Plivo signs after `?` for a POST: the URL's own query sorted, `.`, the body's names run into their values. */
function postText(own, params) {
  const body = Object.keys(params).sort().flatMap((name) => [...params[name]].sort().map((one) => `${name}${one}`)).join('');
  const query = getText(own);
  return `${query}${query ? '.' : ''}${body}`;
}

describe('property: a GET\'s signature never passes as a POST, Plivo\'s POSTs always do', function () {
  this.timeout(120_000);
  const counts = { gets: 0, forgeries: 0, posts: 0, postSignatures: 0, forgedGets: 0, plivoGets: 0 };
  after(() => console.log(`      (${counts.gets} GET signatures, ${counts.forgeries} forged POSTs refused, ${counts.posts} Plivo POSTs accepted; `
    + `${counts.postSignatures} POST signatures, ${counts.forgedGets} forged GETs refused, ${counts.plivoGets} Plivo GETs accepted)`));

  it('every POST whose signed text is a GET\'s is refused as get-text (600 GETs, each split every way it reads)', async () => {
    await fc.assert(fc.asyncProperty(userQuery, plivoParams, nonceArb, fc.boolean(), fc.nat(), async (own, plivo, nonce, plus, pick) => {
      const getParams = { ...own };
      for (const [name, list] of Object.entries(plivo)) getParams[name] = [...(getParams[name] ?? []), ...list];
      const getUrl = `${NODE_URL}?${encode(pairsOf(getParams), plus)}`;
      const signature = plivoSignature(AUTH_TOKEN, 'GET', getUrl, {}, nonce);
      counts.gets += 1;
      for (const forged of forgeries(getText(getParams), pick, plus)) {
        assert.equal(plivoSignature(AUTH_TOKEN, 'POST', forged.url, forged.params, nonce), signature, `not a collision: ${JSON.stringify(forged)}`);
        assert.deepEqual(await postCheck(forged.url, forged.params, signature, nonce), { reason: 'get-text' }, JSON.stringify(forged));
        counts.forgeries += 1;
      }
    }), { numRuns: 600 });
  });

  it('every GET whose signed text is a POST\'s is refused as post-text (600 POSTs, each whose text a GET can spell)', async () => {
    await fc.assert(fc.asyncProperty(userQuery, plivoParams, nonceArb, fc.boolean(), async (own, params, nonce, plus) => {
      const url = Object.keys(own).length > 0 ? `${NODE_URL}?${encode(pairsOf(own), plus)}` : NODE_URL;
      const signature = plivoSignature(AUTH_TOKEN, 'POST', url, params, nonce);
      counts.postSignatures += 1;
      const text = postText(own, params);
      const equals = text.indexOf('=');
      // Every piece of a GET's text has a `=`: a POST's text without one cannot be spelt as a GET.
      if (equals === -1) return;
      const forged = `${NODE_URL}?${encode([[text.slice(0, equals), text.slice(equals + 1)]], plus)}`;
      assert.equal(plivoSignature(AUTH_TOKEN, 'GET', forged, {}, nonce), signature, `not a collision: ${forged}`);
      assert.deepEqual(await getCheck(forged, signature, nonce), { reason: 'post-text' }, forged);
      counts.forgedGets += 1;
    }), { numRuns: 600 });
  });

  it('Plivo\'s GETs pass: the URL\'s own query, repeated names, empty values, any value (600 GETs)', async () => {
    await fc.assert(fc.asyncProperty(userQuery, plivoParams, nonceArb, fc.boolean(), async (own, plivo, nonce, plus) => {
      const getParams = { ...own };
      for (const [name, list] of Object.entries(plivo)) getParams[name] = [...(getParams[name] ?? []), ...list];
      const url = `${NODE_URL}?${encode(pairsOf(getParams), plus)}`;
      const answer = await getCheck(url, plivoSignature(AUTH_TOKEN, 'GET', url, {}, nonce), nonce);
      assert.ok('params' in answer, `${url}: ${JSON.stringify(answer)}`);
      counts.plivoGets += 1;
    }), { numRuns: 600 });
  });

  it('Plivo\'s POSTs pass: the URL\'s own query, repeated names, empty values, any value (600 POSTs)', async () => {
    await fc.assert(fc.asyncProperty(fc.option(userQuery, { nil: undefined }), plivoParams, nonceArb, fc.boolean(), async (own, params, nonce, plus) => {
      const url = own && Object.keys(own).length > 0 ? `${NODE_URL}?${encode(pairsOf(own), plus)}` : NODE_URL;
      const signature = plivoSignature(AUTH_TOKEN, 'POST', url, params, nonce);
      const answer = await postCheck(url, params, signature, nonce);
      assert.ok('params' in answer, `${JSON.stringify({ url, params })}: ${JSON.stringify(answer)}`);
      assert.deepEqual({ ...answer.params }, params);
      counts.posts += 1;
    }), { numRuns: 600 });
  });
});
