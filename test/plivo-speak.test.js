'use strict';
const assert = require('node:assert/strict');
const { startSandbox } = require('../sandbox/plivo-sandbox.js');
const {
  helper, textKey, loadSpeakFlow, configNode, playNode, speakNode, Outcomes, startOwnSandbox, credentialsFor, AUTH_ID, AUTH_TOKEN,
} = require('./support.js');

describe('plivo-speak node', () => {
  let sandbox;
  let callUuid;

  before(async () => {
    sandbox = await startSandbox({ authId: AUTH_ID, authToken: AUTH_TOKEN });
  });
  after(async () => {
    await sandbox.close();
  });
  beforeEach(() => {
    sandbox.reset();
    callUuid = sandbox.addCall();
  });
  afterEach(async () => {
    await helper.unload();
  });

  const lastStatus = (node) => node.status.lastCall?.args[0];

  describe('a good message', () => {
    it('makes the Speak request and sends the acknowledgement on, keeping the msg', async () => {
      const run = await loadSpeakFlow(sandbox.url);
      const { output } = await run.send({
        payload: { call_uuid: callUuid, text: 'Sie sind Anrufer Nummer 3', voice: 'MAN', language: 'de-DE', legs: 'both', loop: 'false', mix: true },
        topic: 'caller-42',
      });
      assert.equal(output.statusCode, 202);
      assert.equal(output.payload.message, 'speak started');
      assert.equal(output.topic, 'caller-42');
      assert.equal(sandbox.requests.length, 1);
      const [request] = sandbox.requests;
      assert.equal(request.method, 'POST');
      assert.equal(request.path, `/v1/Account/${AUTH_ID}/Call/${callUuid}/Speak/`);
      assert.deepEqual(request.json, { text: 'Sie sind Anrufer Nummer 3', voice: 'MAN', language: 'de-DE', legs: 'both', loop: false, mix: true });
      assert.deepEqual(lastStatus(run.node), { fill: 'green', shape: 'dot', text: textKey('status.speaking') });
    });

    it('speaks a string msg.payload into the call of a Plivo webhook\'s CallUUID set on the node', async () => {
      const run = await loadSpeakFlow(sandbox.url, { callUuid: 'CallUUID', callUuidType: 'msg' });
      const { output } = await run.send({ CallUUID: callUuid, payload: 'You are caller number 3' });
      assert.equal(output.statusCode, 202);
      assert.deepEqual(sandbox.requests[0].json, { text: 'You are caller number 3' });
    });

    it('reads typed settings: text from flow context, language from JSONata, voice from the msg', async () => {
      const run = await loadSpeakFlow(sandbox.url, {
        text: 'greeting', textType: 'flow',
        language: 'payload.country = "FR" ? "fr-FR" : "en-GB"', languageType: 'jsonata',
        voice: 'voice', voiceType: 'msg',
      });
      run.node.context().flow.set('greeting', 'Bonjour');
      const { output } = await run.send({ payload: { call_uuid: callUuid, country: 'FR' }, voice: 'MAN' });
      assert.equal(output.statusCode, 202);
      assert.deepEqual(sandbox.requests[0].json, { text: 'Bonjour', voice: 'MAN', language: 'fr-FR' });
    });

    it('stops speech with DELETE .../Speak/ and no body', async () => {
      const run = await loadSpeakFlow(sandbox.url, { action: 'stop' });
      const { output } = await run.send({ payload: { call_uuid: callUuid } });
      assert.equal(output.statusCode, 204);
      assert.equal(sandbox.requests[0].method, 'DELETE');
      assert.equal(sandbox.requests[0].path, `/v1/Account/${AUTH_ID}/Call/${callUuid}/Speak/`);
      assert.equal(sandbox.requests[0].body, '');
      assert.deepEqual(lastStatus(run.node), { fill: 'green', shape: 'dot', text: textKey('status.speech-stopped') });
    });
  });

  describe('bad input: a clear error at Catch with the message, and no request', () => {
    const cases = [
      ['empty text', { text: '  ' }, 'msg.payload.text is empty'],
      ['missing text', {}, 'msg.payload.text is missing'],
      ['a voice outside WOMAN and MAN', { text: 'Hi', voice: 'robot' }, 'msg.payload.voice must be WOMAN or MAN (got "robot")'],
      ['a language Plivo does not speak', { text: 'Hi', language: 'tlh' }, 'msg.payload.language is not one of the languages Plivo speaks'],
      ['a voice the language lacks', { text: 'Hi', language: 'en-IN', voice: 'MAN' }, 'en-IN (English (India)) has only WOMAN'],
      ['a bad legs', { text: 'Hi', legs: 'all' }, '"all"'],
      ['a bad loop', { text: 'Hi', loop: 'maybe' }, 'msg.payload.loop must be true or false'],
    ];
    for (const [what, fields, shown] of cases) {
      it(what, async () => {
        const run = await loadSpeakFlow(sandbox.url);
        const { error } = await run.send({ payload: { call_uuid: callUuid, ...fields }, topic: 't' });
        assert.ok(error, 'expected the message at the catch node');
        assert.ok(error.error.message.includes(shown), `"${error.error.message}" should include ${shown}`);
        assert.equal(error.topic, 't');
        assert.equal(sandbox.requests.length, 0);
        assert.equal(lastStatus(run.node).fill, 'red');
      });
    }

    it('a call UUID that is not one', async () => {
      const run = await loadSpeakFlow(sandbox.url);
      const { error } = await run.send({ payload: { call_uuid: 'not-a-call', text: 'Hi' } });
      assert.match(error.error.message, /msg\.payload\.call_uuid .*"not-a-call"/);
      assert.equal(sandbox.requests.length, 0);
    });

    it('a bad typed source names the source', async () => {
      process.env.SPEAK_TEST_LANGUAGE = 'Klingon';
      const run = await loadSpeakFlow(sandbox.url, { language: 'SPEAK_TEST_LANGUAGE', languageType: 'env' });
      const { error } = await run.send({ payload: { call_uuid: callUuid, text: 'Hi' } });
      delete process.env.SPEAK_TEST_LANGUAGE;
      assert.match(error.error.message, /env\.SPEAK_TEST_LANGUAGE .*"Klingon"/);
      assert.equal(sandbox.requests.length, 0);
    });

    it('goes to the second output instead when the node has one', async () => {
      const run = await loadSpeakFlow(sandbox.url, { errorOutput: true, outputs: 2, wires: [['out'], ['caught']] });
      const before = run.all.length;
      run.node.receive({ payload: { call_uuid: callUuid, text: '' } });
      await run.waitFor(before + 1);
      assert.equal(run.errors.length, 1, 'on the second output (wired to the catch node\'s helper)');
      assert.equal(run.errors[0].error.source, undefined, 'not from the catch node, which adds error.source');
      assert.match(run.errors[0].error.message, /msg\.payload\.text is missing/);
      assert.equal(sandbox.requests.length, 0);
    });
  });

  it('passes Plivo\'s refusal on with its status code', async () => {
    const run = await loadSpeakFlow(sandbox.url);
    const { error } = await run.send({ payload: { call_uuid: '00000000-0000-4000-8000-000000000000', text: 'Hi' } });
    assert.equal(error.statusCode, 404);
    assert.match(error.error.message, /404 not found/);
    assert.equal(sandbox.requests.length, 1);
  });
});

describe('plivo speak and plivo play on one account', () => {
  let sandbox;
  afterEach(async () => {
    await helper.unload();
    await sandbox?.close();
  });

  it('share the account\'s limit: 15 plays and 15 speaks at 10 per second meet no 429 from a strict Plivo', async function () {
    this.timeout(20_000);
    sandbox = await startOwnSandbox(startSandbox, { rateLimit: { limit: 10, windowMs: 1000 } });
    const flow = [
      { id: 'tab', type: 'tab', label: 'shared' },
      { id: 'cfg', type: 'plivo-config', baseUrl: sandbox.url, rateLimit: '10', rateWindow: '1' },
      { id: 'player', type: 'plivo-play', z: 'tab', x: 100, y: 100, account: 'cfg', wires: [['out']] },
      { id: 'speaker', type: 'plivo-speak', z: 'tab', x: 100, y: 200, account: 'cfg', wires: [['out']] },
      { id: 'out', type: 'helper', z: 'tab', x: 300, y: 100, wires: [] },
      { id: 'catcher', type: 'catch', z: 'tab', x: 100, y: 300, scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab', x: 300, y: 300, wires: [] },
    ];
    await helper.load([configNode, playNode, speakNode], flow, credentialsFor(sandbox));
    const run = new Outcomes(null, helper.getNode('out'), helper.getNode('caught'));
    const call = sandbox.addCall();
    for (let n = 0; n < 15; n += 1) {
      helper.getNode('player').receive({ payload: { call_uuid: call, urls: 'https://a.example/hold.mp3' } });
      helper.getNode('speaker').receive({ payload: { call_uuid: call, text: `You are number ${n + 1}` } });
    }
    await run.waitFor(30, 100, 15_000);
    assert.equal(run.outputs.length, 30, `${run.errors.length} errors: ${run.errors[0]?.error.message}`);
    assert.equal(sandbox.stats.rateLimited, 0, 'no 429');
    const kinds = sandbox.requests.map((request) => request.path.split('/')[6]);
    assert.equal(kinds.filter((kind) => kind === 'Play').length, 15);
    assert.equal(kinds.filter((kind) => kind === 'Speak').length, 15);
    const engines = new Set(['player', 'speaker'].map((id) => helper.getNode('cfg').account().engine));
    assert.equal(engines.size, 1, 'one engine for the account');
  });
});
