'use strict';
/**
 * Property: every request signed as Plivo signs it (the sandbox's signer, checked here against
 * the official SDK's validator) for this node's URL is accepted exactly once, and every
 * single-character change to the URL, a parameter, the nonce or the signature is refused.
 * Random parameter names and values, repeated keys, unicode, and spaces as `+` or `%20`.
 */
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { validateV3Signature } = require('plivo/dist/utils/v3Security.js');
const { plivoSignature } = require('../sandbox/plivo-sandbox.js');
const { checkWebhook, signatureHeaders } = require('../dist/nodes/lib/webhook/request.js');
const { ReplayGuard } = require('../dist/nodes/lib/webhook/replay-guard.js');
const { AUTH_TOKEN } = require('./support');
const { PATH, request, webhookHarness } = require('./webhook-support');

const NODE_URL = `https://flows.example.com${PATH}`;
const ALPHABET = ['a', 'B', 'z', '0', '9', ' ', '+', '%', '&', '=', '.', '-', '_', '~', '/', '?', 'é', '日', '😀', '\u00a0'];
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

const text = (minLength) => fc.string({ unit: fc.constantFrom(...ALPHABET), minLength, maxLength: 12 });
/** Parameter name to values: several names, some given more than once. */
const paramsArb = fc.dictionary(text(1), fc.array(text(0), { minLength: 1, maxLength: 3 }), { minKeys: 1, maxKeys: 6 })
  .filter((params) => !Object.keys(params).includes('__proto__'));
const nonceArb = fc.string({ unit: fc.constantFrom(...ALNUM), minLength: 10, maxLength: 30 });
const queryArb = fc.option(fc.dictionary(text(1), fc.array(text(0), { minLength: 1, maxLength: 2 }), { minKeys: 1, maxKeys: 3 })
  .filter((params) => !Object.keys(params).includes('__proto__')), { nil: undefined });

/** A form body or query with spaces as `+` (URLSearchParams) or as `%20` (encodeURIComponent). */
function encode(params, plusForSpace) {
  const pairs = Object.entries(params).flatMap(([name, values]) => values.map((value) => [name, value]));
  if (plusForSpace) return new URLSearchParams(pairs).toString();
  return pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
}

function urlWith(query, plusForSpace) {
  return query ? `${NODE_URL}?${encode(query, plusForSpace)}` : NODE_URL;
}

/** `value` with the character at `index` replaced by another one. */
function changed(value, index, from) {
  const chars = [...value];
  const at = index % chars.length;
  const replacement = from.find((one) => one !== chars[at]);
  chars[at] = replacement;
  return chars.join('');
}

async function check({ url, body, signature, nonce }, replay) {
  const headers = signatureHeaders(signature, undefined, nonce);
  if ('reason' in headers) return headers;
  return checkWebhook({ method: 'POST', url, headers, body }, { authToken: AUTH_TOKEN, replay }, 0);
}

describe('property: signed for this URL passes once, any one change is refused', function () {
  this.timeout(60_000);

  it('through the checks (400 random requests, each with every kind of change)', async () => {
    await fc.assert(fc.asyncProperty(paramsArb, queryArb, nonceArb, fc.boolean(), fc.nat(), async (params, query, nonce, plus, pick) => {
      const url = urlWith(query, plus);
      const signature = plivoSignature(AUTH_TOKEN, 'POST', url, params, nonce);
      assert.equal(validateV3Signature('POST', url, nonce, AUTH_TOKEN, signature, params), true, 'the SDK agrees with the signer');
      const good = { url, body: encode(params, plus), signature, nonce };
      const replay = new ReplayGuard();
      const first = await check(good, replay);
      assert.ok('params' in first, JSON.stringify(first));
      assert.deepEqual({ ...first.params }, { ...params });
      assert.deepEqual(await check(good, replay), { reason: 'replayed' });

      const names = Object.keys(params);
      const name = names[pick % names.length];
      const values = params[name];
      const valueAt = pick % values.length;
      const changes = {
        'a parameter name': { ...good, body: encode({ ...Object.fromEntries(Object.entries(params).filter(([key]) => key !== name)), [changed(name, pick, ALPHABET)]: values }, plus) },
        'the URL path': { ...good, url: url.replace(PATH, changed(PATH, pick, ['x', 'y'])) },
        'the nonce': { ...good, nonce: changed(nonce, pick, [...ALNUM]) },
        'the signature': { ...good, signature: changed(signature.slice(0, 43), pick, [...BASE64]) + signature.slice(43) },
      };
      if (values[valueAt] !== '') {
        changes['a parameter value'] = { ...good, body: encode({ ...params, [name]: values.map((value, i) => (i === valueAt ? changed(value, pick, ALPHABET) : value)) }, plus) };
      }
      if (query) {
        const queryName = Object.keys(query)[pick % Object.keys(query).length];
        changes['a query name'] = { ...good, url: urlWith({ ...Object.fromEntries(Object.entries(query).filter(([key]) => key !== queryName)), [changed(queryName, pick, ALPHABET)]: query[queryName] }, plus) };
      }
      for (const [what, request] of Object.entries(changes)) {
        const answer = await check(request, new ReplayGuard());
        assert.ok('reason' in answer, `a change to ${what} was accepted: ${JSON.stringify(request)}`);
      }
    }), { numRuns: 400 });
  });

  describe('through the node', () => {
    const harness = webhookHarness();

    it('25 random requests signed for the node\'s URL: each accepted once, its replay refused', async () => {
      const { messages } = await harness.load({ publicUrl: 'https://flows.example.com' });
      await fc.assert(fc.asyncProperty(paramsArb, queryArb, nonceArb, fc.boolean(), async (params, query, nonce, plus) => {
        const url = urlWith(query, plus);
        const signature = plivoSignature(AUTH_TOKEN, 'POST', url, params, nonce);
        const sent = {
          path: url.slice('https://flows.example.com'.length),
          headers: { 'x-plivo-signature-v3': signature, 'x-plivo-signature-v3-nonce': nonce, 'content-type': 'application/x-www-form-urlencoded' },
          body: encode(params, plus),
        };
        const before = messages.length;
        assert.equal((await request(harness.port(), sent)).status, 200);
        assert.equal((await request(harness.port(), sent)).status, 403);
        assert.equal(messages.length, before + 1);
        assert.deepEqual({ ...messages.at(-1).payload }, Object.fromEntries(Object.entries(params).map(([key, values]) => [key, values.length === 1 ? values[0] : values])));
      }), { numRuns: 25 });
    });
  });
});
