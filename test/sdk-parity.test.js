'use strict';
/**
 * The nodes send what Plivo's official Node SDK sends for the same values: both talk to the
 * sandbox, which records the requests; method, path, content type and JSON body must match.
 */
const assert = require('node:assert/strict');
const { startSandbox } = require('../sandbox/plivo-sandbox.js');
const { plivoClientFor } = require('../scripts/runtime-process.js');
const { PlivoClient } = require('../dist/nodes/lib/plivo/client.js');
const { buildSpeakRequest } = require('../dist/nodes/lib/call/speak-request.js');
const { buildCallRequest } = require('../dist/nodes/lib/call/play-request.js');

describe('the nodes\' requests are the official SDK\'s', function () {
  this.timeout(10_000);
  let sandbox;
  let sdk;
  let ours;
  let callUuid;

  before(async () => {
    sandbox = await startSandbox();
    const { authId, authToken } = sandbox.account;
    sdk = plivoClientFor({ url: sandbox.url, authId, authToken });
    ours = new PlivoClient({ baseUrl: sandbox.url, authId, authToken },
      { timeoutMs: 2000, userAgent: 'parity-test' });
  });
  after(async () => {
    ours.close();
    await sandbox.close();
  });
  beforeEach(() => {
    sandbox.reset();
    callUuid = sandbox.addCall();
  });

  /** The one request `send` made, as the sandbox saw it. */
  async function recorded(send) {
    const before = sandbox.requests.length;
    await send();
    assert.equal(sandbox.requests.length, before + 1, 'one request');
    const { method, path, headers, json, status } = sandbox.requests[before];
    return { method, path, contentType: String(headers['content-type']).split(';')[0], json, status };
  }

  async function same(sdkSend, nodeSend) {
    const theirs = await recorded(sdkSend);
    const mine = await recorded(nodeSend);
    assert.deepEqual(mine, theirs);
    return mine;
  }

  const SPEAK_CASES = [
    {},
    { voice: 'MAN' },
    { voice: 'WOMAN', language: 'de-DE' },
    { language: 'ja-JP', legs: 'both', loop: true, mix: false },
    { legs: 'bleg', loop: false, mix: true },
  ];
  for (const options of SPEAK_CASES) {
    it(`speak ${JSON.stringify(options)}`, async () => {
      const text = 'You are caller number 3';
      const { request } = buildSpeakRequest({}, { call_uuid: callUuid, text, ...options });
      const sent = await same(
        () => sdk.calls.speakText(callUuid, text, { ...options }),
        () => ours.speak(request.callUuid, request.body),
      );
      assert.equal(sent.status, 202);
      assert.equal(sent.path, `/v1/Account/${sandbox.account.authId}/Call/${callUuid}/Speak/`);
    });
  }

  /** Stops go to the same place; the SDK adds an empty JSON body, the nodes send none, as Plivo's own curl example. */
  async function sameStop(sdkSend, nodeSend) {
    const { method, path, status } = await recorded(sdkSend);
    const mine = await recorded(nodeSend);
    assert.deepEqual({ method: mine.method, path: mine.path, status: mine.status }, { method, path, status });
    assert.equal(mine.json, undefined, 'no body');
    assert.equal(method, 'DELETE');
    assert.equal(status, 204);
    return mine;
  }

  it('stop speaking', async () => {
    const { request } = buildSpeakRequest({ action: 'stop' }, { call_uuid: callUuid });
    const sent = await sameStop(() => sdk.calls.stopSpeakingText(callUuid), () => ours.stopSpeak(request.callUuid));
    assert.equal(sent.path, `/v1/Account/${sandbox.account.authId}/Call/${callUuid}/Speak/`);
  });

  it('play, with every option', async () => {
    const urls = 'https://a.example/one.mp3,https://a.example/two.wav';
    const options = { length: 30, legs: 'aleg', loop: true, mix: false };
    const { request } = buildCallRequest({}, { call_uuid: callUuid, urls: urls.split(','), ...options });
    const sent = await same(() => sdk.calls.playMusic(callUuid, urls, { ...options }), () => ours.play(request.callUuid, request.body));
    assert.equal(sent.status, 202);
  });

  it('stop playing', async () => {
    const { request } = buildCallRequest({ action: 'stop' }, { call_uuid: callUuid });
    const sent = await sameStop(() => sdk.calls.stopPlayingMusic(callUuid), () => ours.stopPlay(request.callUuid));
    assert.equal(sent.path, `/v1/Account/${sandbox.account.authId}/Call/${callUuid}/Play/`);
  });
});
