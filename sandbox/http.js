'use strict';
/** The sandbox's answers, shaped as Plivo's: JSON with an api_id, errors as {api_id, error}. */
const { randomUUID } = require('node:crypto');

function json(res, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

function apiError(res, status, error, headers) {
  json(res, status, { api_id: randomUUID(), error }, headers);
}

module.exports = { json, apiError };
