'use strict';
/**
 * The part of Plivo's Voice API the sandbox serves: the account, each call's Play, Speak, DTMF, Record, transfer and
 * hang-up, outbound calls (placed, listed while queued, cancelled: outbound.js), and conferences (conferences.js).
 */
const { randomUUID } = require('node:crypto');
const { json, apiError } = require('./http.js');
const { BODY_ERRORS, LIST_PARAMETERS, STOP_RECORDING_PARAMETERS, unknownParameters, transferBodyError } = require('./api-checks.js');

/**
 * The API's router for `account` and its `calls`; `transfer(uuid, call, url, method)` moves a
 * call leg to new XML, as Plivo does after a transfer request; `outbound` places calls; `conferences` serves Conference/.
 */
function createApi(account, calls, transfer, outbound, conferences) {
  const expectedAuth = `Basic ${Buffer.from(`${account.authId}:${account.authToken}`).toString('base64')}`;

  function route(req, res, record) {
    const [pathname, search = ''] = record.path.split('?');
    const query = new URLSearchParams(search);
    const request = /^\/v1\/Account\/([^/]+)\/Request\/([^/]+)\/$/.exec(pathname);
    const conference = /^\/v1\/Account\/([^/]+)\/Conference\/(?:([^/]+)\/(?:(Record)\/|(Member)\/([^/]+)\/(?:(Kick|Mute|Deaf|Play|Speak)\/)?)?)?$/.exec(pathname);
    const match = request ?? conference ?? /^\/v1\/Account\/([^/]+)\/(?:(Call)\/(?:([^/]+)\/?(?:(Play|Speak|DTMF|Record)\/)?)?)?$/.exec(pathname);
    if (!match) return apiError(res, 404, 'not found');
    if (req.headers.authorization !== expectedAuth || decodeURIComponent(match[1]) !== account.authId) {
      return apiError(res, 401, 'authentication failed');
    }
    if (request) return req.method === 'DELETE' ? outbound.cancel(res, decodeURIComponent(request[2])) : apiError(res, 405, 'method not allowed');
    if (conference) {
      const [, , name, recordPart, memberPart, ids, action] = conference;
      const decoded = (text) => (text === undefined ? undefined : decodeURIComponent(text));
      return conferences.route(req, res, record, decoded(name), recordPart ?? memberPart, decoded(ids), action);
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
    if (callUuid === undefined && req.method === 'POST') {
      const body = jsonBody(req, res, record);
      return body === undefined ? undefined : outbound.place(res, body);
    }
    if (callUuid === undefined && query.get('status') === 'queued') return req.method === 'GET' ? outbound.listQueued(res) : apiError(res, 405, 'method not allowed');
    if (callUuid === undefined) return callList(req, res, query);
    const call = calls.live.get(callUuid);
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
    const uuids = [...calls.live].filter(([, call]) => (direction === null || call.direction === direction)
      && (!query.has('from_number') || call.from === query.get('from_number'))
      && (!query.has('to_number') || call.to === query.get('to_number'))).map(([uuid]) => uuid);
    return json(res, 200, { api_id: randomUUID(), calls: uuids });
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
      calls.end(callUuid);
      res.writeHead(204);
      return res.end();
    }
    if (req.method !== 'POST') return apiError(res, 405, 'method not allowed');
    const body = jsonBody(req, res, record);
    if (body === undefined) return undefined;
    const invalid = transferBodyError(body);
    if (invalid) return apiError(res, 400, invalid);
    // As Plivo does, each leg moved fetches its new URL (signed, like every Plivo webhook) and follows its XML.
    const legs = body.legs ?? 'aleg';
    for (const leg of legs === 'both' ? ['aleg', 'bleg'] : [legs]) transfer(callUuid, call, body[`${leg}_url`], body[`${leg}_method`] ?? 'POST');
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

  return route;
}

module.exports = { createApi };
