'use strict';
/**
 * Property-based fuzz: 5,000 generated payloads under 50 generated node settings, through
 * the node and over real HTTP to the sandbox. Whatever comes in, each message ends once,
 * every error names a field, and no request breaks the contract.
 * FUZZ_SEED reruns a failing case.
 */
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { startSandbox } = require('../sandbox/plivo-sandbox.js');
const { helper, loadPlayFlow, startOwnSandbox, credentialsFor, isCallEnded } = require('./support.js');

const SEED = Number(process.env.FUZZ_SEED ?? 20261121);
const SETTINGS_RUNS = 50;
const PAYLOADS_PER_SETTING = 100;
const LIVE = 'LIVE-CALL';
/** A call that has ended: Plivo answers 404. */
const GONE = 'GONE-CALL';
const URL_A = 'https://s3.amazonaws.com/plivocloud/music.mp3';
const URL_B = 'http://example.com/b.wav';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A setting: mostly blank (from the message) or valid, rarely one the editor would refuse. */
const setting = (valid, invalid) => fc.oneof(
  { weight: 6, arbitrary: fc.constant('') },
  { weight: 5, arbitrary: fc.constantFrom(...valid) },
  { weight: 1, arbitrary: fc.constant(invalid) },
);
const settingsArbitrary = fc.record({
  action: fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 5, arbitrary: setting(['play', 'play', 'stop'], 'pause') }),
  callUuid: setting([LIVE, ` ${LIVE} `, GONE], 'not-a-uuid'),
  urls: setting([URL_A, `${URL_A}, ${URL_B}`], 'music.mp3'),
  legs: setting(['aleg', 'bleg', 'both'], 'c'),
  loop: setting(['true', 'false'], 'yes'),
  mix: setting(['true', 'false'], '1'),
  length: setting(['10', '30'], '0'),
});

/** Mostly a good value, sometimes any string or any value at all. */
const mostly = (good) => fc.oneof(
  { weight: 12, arbitrary: good },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) },
);
const payloadArbitrary = fc.oneof(
  { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) },
  {
    weight: 9,
    arbitrary: fc.record({
      call_uuid: mostly(fc.oneof({ weight: 6, arbitrary: fc.constant(LIVE) }, { weight: 1, arbitrary: fc.constantFrom(GONE) },
        { weight: 1, arbitrary: fc.uuid() })),
      CallUUID: fc.oneof({ weight: 8, arbitrary: fc.constant(LIVE) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }),
      urls: mostly(fc.oneof(fc.constant(URL_A), fc.constant([URL_A, URL_B]), fc.webUrl(), fc.array(fc.webUrl(), { maxLength: 3 }))),
      legs: mostly(fc.constantFrom('aleg', 'bleg', 'both')),
      loop: mostly(fc.oneof(fc.boolean(), fc.constantFrom('true', 'false'))),
      mix: mostly(fc.oneof(fc.boolean(), fc.constantFrom('true', 'false'))),
      length: mostly(fc.oneof(fc.integer({ min: -5, max: 100 }), fc.constantFrom('10', '3.5', ' 7 '))),
      action: mostly(fc.constantFrom('play', 'play', 'stop')),
    }, { requiredKeys: [] }),
  },
);

/** Puts the sandbox's real call UUIDs in place of the LIVE and GONE markers. */
function withCalls(value, calls) {
  if (value === LIVE) return calls.live;
  if (value === ` ${LIVE} `) return ` ${calls.live} `;
  if (value === GONE) return calls.gone;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withCalls(item, calls)]));
  }
  return value;
}

const isHttpUrl = (text) => {
  try {
    const url = new URL(text);
    return ['http:', 'https:'].includes(url.protocol) && url.hostname !== '' && !/\s/.test(text);
  } catch {
    return false;
  }
};

/** What the contract says a request must look like; returns the first breach found. */
function contractBreach(request, authId) {
  const match = /^\/v1\/Account\/([^/]+)\/Call\/([^/]+)\/Play\/$/.exec(request.path);
  if (!match || match[1] !== authId || !UUID.test(match[2])) return `path ${request.path}`;
  if (request.method === 'DELETE') return request.body === '' ? undefined : 'DELETE with a body';
  if (request.method !== 'POST') return `method ${request.method}`;
  const body = request.json;
  if (typeof body !== 'object' || body === null) return 'no JSON body';
  const extra = Object.keys(body).filter((key) => !['urls', 'length', 'legs', 'loop', 'mix'].includes(key));
  if (extra.length) return `unknown keys ${extra}`;
  if (typeof body.urls !== 'string' || !body.urls.split(',').every(isHttpUrl)) return `urls ${body.urls}`;
  if ('length' in body && !(Number.isSafeInteger(body.length) && body.length > 0)) return `length ${body.length}`;
  if ('legs' in body && !['aleg', 'bleg', 'both'].includes(body.legs)) return `legs ${body.legs}`;
  if ('loop' in body && typeof body.loop !== 'boolean') return `loop ${body.loop}`;
  if ('mix' in body && typeof body.mix !== 'boolean') return `mix ${body.mix}`;
  return undefined;
}

describe(`fuzz: ${SETTINGS_RUNS * PAYLOADS_PER_SETTING} generated messages (seed ${SEED})`, function () {
  this.timeout(180_000);
  let sandbox;

  before(async () => {
    sandbox = await startOwnSandbox(startSandbox);
  });
  after(() => sandbox.close());
  afterEach(() => helper.unload());

  it('ends each message once, names a field in every input error, and sends only contract-abiding requests', async () => {
    const calls = { live: sandbox.addCall(), gone: sandbox.addCall() };
    sandbox.hangUp(calls.gone);
    const settingsList = fc.sample(settingsArbitrary, { numRuns: SETTINGS_RUNS, seed: SEED });
    const payloads = fc.sample(payloadArbitrary, { numRuns: SETTINGS_RUNS * PAYLOADS_PER_SETTING, seed: SEED + 1 });
    const seen = { messages: 0, played: 0, stopped: 0, apiErrors: 0, skipped: 0, inputErrors: 0 };
    for (const [index, rawSettings] of settingsList.entries()) {
      const settings = withCalls(rawSettings, calls);
      sandbox.reset();
      const run = await loadPlayFlow(sandbox.url, settings, {
        configProps: { rateLimit: '100000', concurrency: '20', retries: '0' },
        credentials: credentialsFor(sandbox),
      });
      const batch = payloads.slice(index * PAYLOADS_PER_SETTING, (index + 1) * PAYLOADS_PER_SETTING);
      batch.forEach((payload, n) => run.node.receive({ payload: withCalls(payload, calls), n }));
      await run.waitFor(batch.length, 20, 20_000);
      const context = `settings ${JSON.stringify(rawSettings)} (seed ${SEED})`;

      const ends = run.all.map((outcome) => (outcome.output ?? outcome.error).n).sort((a, b) => a - b);
      assert.deepEqual(ends, [...Array(batch.length).keys()], `each message ends once: ${context}`);

      let apiErrors = 0;
      for (const msg of run.errors) {
        const text = msg.error.message;
        if (text.startsWith('Plivo API error: 404 not found')) {
          apiErrors += 1;
          continue;
        }
        // After Plivo's first 404 for the call that has ended, the account skips its requests.
        if (isCallEnded(msg)) {
          seen.skipped += 1;
          assert.match(text, /^Not sent: the call has ended .*Plivo answered 404 for it/, context);
          continue;
        }
        seen.inputErrors += 1;
        assert.match(text, /^Invalid input: /, `unexpected error "${text}": ${context}`);
        assert.match(text, /msg\.payload|the node's \w+ setting/, `error names no field: "${text}"`);
      }
      for (const request of sandbox.requests) {
        const breach = contractBreach(request, sandbox.account.authId);
        assert.equal(breach, undefined, `request breaks the contract (${breach}): ${context}`);
        assert.notEqual(request.status, 400, `sandbox rejected ${request.body}: ${context}`);
      }
      assert.equal(sandbox.requests.length, run.outputs.length + apiErrors, `input errors sent nothing: ${context}`);
      await helper.unload();
      seen.messages += batch.length;
      seen.apiErrors += apiErrors;
      seen.played += run.outputs.filter((msg) => msg.statusCode === 202).length;
      seen.stopped += run.outputs.filter((msg) => msg.statusCode === 204).length;
    }
    console.log(`      ${JSON.stringify(seen)}`);
    assert.equal(seen.messages, 5000);
    for (const kind of ['played', 'stopped', 'inputErrors']) {
      assert.ok(seen[kind] >= 50, `the generators reach too few ${kind}: ${seen[kind]}`);
    }
    assert.ok(seen.apiErrors >= 1 && seen.apiErrors + seen.skipped >= 50, `the generators reach too few ended calls: ${JSON.stringify(seen)}`);
  });
});
