'use strict';
/**
 * Not Plivo's API: the sandbox's own endpoints that stand in for a caller. A call comes in
 * (POST /sandbox/calls), the caller presses keys (POST /sandbox/digits) or hangs up
 * (POST /sandbox/hangups), and what a call's XML did can be read (GET /sandbox/calls/{uuid}), and a
 * conference's members with their state (GET /sandbox/conferences/{name}).
 */
const { json, apiError } = require('./http.js');
const { isHttpUrl } = require('./api-checks.js');
const { sendWebhook } = require('./signing.js');

function createDemo(account, calls, runner, conferences) {
  /**
   * A demo call comes in: the sandbox adds a live call and calls `answer_url` (with `answer_method`,
   * POST by default) the way Plivo calls an application's answer URL, signed, then runs the XML it answers.
   */
  function placeCall(res, body) {
    const answerUrl = body?.answer_url;
    if (!isHttpUrl(answerUrl)) return apiError(res, 400, 'answer_url must be an http(s) URL');
    const callUuid = calls.add(calls.newUuid(), { hangupUrl: isHttpUrl(body.hangup_url) ? body.hangup_url : undefined });
    const call = calls.live.get(callUuid);
    const params = { ...calls.params(callUuid, call), CallStatus: 'ringing', Event: 'StartApp' };
    sendWebhook(account.authToken, answerUrl, params, { method: body.answer_method === 'GET' ? 'GET' : 'POST' }).then(
      (answer) => {
        json(res, 201, { call_uuid: callUuid, answer_url: answerUrl, webhook_status: answer.status, webhook_answer: answer.body });
        if (answer.status === 200) runner.runXml(callUuid, answer.body, answerUrl).catch(() => {});
        else calls.end(callUuid, { cause: 'XML_FETCH_FAILED' });
      },
      (error) => {
        calls.end(callUuid, { tell: false });
        apiError(res, 502, `could not call ${answerUrl}: ${error.message}`);
      },
    );
    return undefined;
  }

  /**
   * A demo caller hangs up: the sandbox ends the call and posts the signed hangup webhook to
   * `hangup_url`, as Plivo calls an application's hangup URL.
   */
  function hangUp(res, body) {
    const callUuid = body?.call_uuid;
    if (typeof callUuid !== 'string' || !calls.live.has(callUuid)) return apiError(res, 404, 'no such live call');
    if (!isHttpUrl(body.hangup_url)) return apiError(res, 400, 'hangup_url must be an http(s) URL');
    const call = calls.live.get(callUuid);
    calls.end(callUuid, { tell: false });
    const params = { ...calls.params(callUuid, call), CallStatus: 'completed', Event: 'Hangup', HangupCause: 'NORMAL_CLEARING' };
    sendWebhook(account.authToken, body.hangup_url, params).then(
      (answer) => json(res, 200, { call_uuid: callUuid, webhook_status: answer.status }),
      (error) => apiError(res, 502, `could not call ${body.hangup_url}: ${error.message}`),
    );
    return undefined;
  }

  /** The caller presses `digits` in `call_uuid`, or in the newest call waiting for keys when none is named. */
  function press(res, body) {
    const digits = body?.digits;
    if (typeof digits !== 'string' || !/^[0-9*#]{1,32}$/.test(digits)) return apiError(res, 400, 'digits must be 1 to 32 of 0-9, * and #');
    const waiting = [...calls.live].filter(([, call]) => call.waiting?.element === 'GetDigits' || call.waiting?.element === 'GetInput');
    const callUuid = body.call_uuid ?? waiting.at(-1)?.[0];
    if (callUuid === undefined || !runner.press(callUuid, digits)) return apiError(res, 409, 'no call is waiting for keys');
    return json(res, 200, { call_uuid: callUuid, digits });
  }

  /** Routes a /sandbox/ request; false when it is not one. */
  return function route(req, res, record) {
    if (record.path === '/sandbox/calls' && req.method === 'POST') placeCall(res, record.json);
    else if (record.path === '/sandbox/hangups' && req.method === 'POST') hangUp(res, record.json);
    else if (record.path === '/sandbox/digits' && req.method === 'POST') press(res, record.json);
    else if (record.path.startsWith('/sandbox/calls/') && req.method === 'GET') {
      const uuid = decodeURIComponent(record.path.slice('/sandbox/calls/'.length));
      const call = calls.live.get(uuid) ?? calls.history.get(uuid);
      if (!call) apiError(res, 404, 'no such call');
      else json(res, 200, { call_uuid: uuid, live: calls.live.has(uuid), log: call.log });
    } else if (record.path.startsWith('/sandbox/conferences/') && req.method === 'GET') {
      conferences.view(res, decodeURIComponent(record.path.slice('/sandbox/conferences/'.length)));
    } else return false;
    return true;
  };
}

module.exports = { createDemo };
