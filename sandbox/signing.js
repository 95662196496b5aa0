'use strict';
/** Plivo's webhook signatures, made as Plivo makes them, and webhooks sent the way Plivo sends them. */
const crypto = require('node:crypto');

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
  return { status: response.status, contentType: response.headers.get('content-type'), body: await response.text() };
}

module.exports = { plivoSignature, sendWebhook };
