'use strict';
/**
 * Messages no flow should send, sent anyway: read-only, sealed, frozen, with setters and getters
 * that throw, with values that cannot be turned into text. Each ends exactly once (output, Catch,
 * or a logged error naming the node), nothing rejects unhandled (mocha fails a test on that), and
 * the next message is served as usual.
 */
const assert = require('node:assert/strict');
const { startSandbox } = require('../sandbox/plivo-sandbox.js');
const { helper, loadPlayFlow, loadSpeakFlow, AUTH_ID, AUTH_TOKEN } = require('./support.js');

const URL_A = 'https://s3.amazonaws.com/plivocloud/music.mp3';
let ids = 0;
const msgid = () => `hostile-${(ids += 1)}`;

describe('hostile messages cannot take Node-RED down or disturb the next one', () => {
  let sandbox;
  let callUuid;
  let unhandled;
  const onUnhandled = (reason) => unhandled.push(reason);

  before(async () => {
    sandbox = await startSandbox({ authId: AUTH_ID, authToken: AUTH_TOKEN });
  });
  after(() => sandbox.close());
  beforeEach(() => {
    sandbox.reset();
    callUuid = sandbox.addCall();
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    process.off('unhandledRejection', onUnhandled);
    await helper.unload();
    assert.deepEqual(unhandled.map(String), [], 'nothing rejected unhandled');
  });

  /** A good message right after: it must go out as usual. */
  async function nextIsServed(run) {
    const { output } = await run.send({ payload: { call_uuid: callUuid, urls: URL_A } });
    assert.equal(output?.statusCode, 202);
  }

  const cases = {
    'a read-only msg.payload': () => {
      const msg = { _msgid: msgid() };
      Object.defineProperty(msg, 'payload', { writable: false, enumerable: true, value: { call_uuid: callUuid, urls: URL_A } });
      return msg;
    },
    'a sealed msg': () => Object.seal({ _msgid: msgid(), payload: { call_uuid: callUuid, urls: URL_A } }),
    'a frozen msg': () => Object.freeze({ _msgid: msgid(), payload: Object.freeze({ call_uuid: callUuid, urls: URL_A }) }),
    'a msg.payload whose setter throws': () => {
      const value = { call_uuid: callUuid, urls: URL_A };
      const msg = { _msgid: msgid() };
      Object.defineProperty(msg, 'payload', { enumerable: true, get: () => value, set: () => { throw new Error('payload is mine'); } });
      return msg;
    },
  };

  for (const [name, make] of Object.entries(cases)) {
    it(`${name}: the request is sent, the message ends once at Catch saying why, the next one is served`, async () => {
      const run = await loadPlayFlow(sandbox.url);
      const { error } = await run.send(make());
      assert.ok(error, 'ended as an error');
      assert.match(error.error.message, /Plivo answered 202, but the answer could not be put into the message/);
      assert.equal(sandbox.requests.length, 1, 'the request was sent once');
      await nextIsServed(run);
      assert.equal(run.all.length, 2);
    });
  }

  it('a frozen msg on a node with an error output: Catch gets it, since the error output cannot take it', async () => {
    const run = await loadPlayFlow(sandbox.url, { errorOutput: true, wires: [['out'], ['out']] });
    const { error } = await run.send(cases['a frozen msg']());
    assert.match(error.error.message, /could not be put into the message/);
    await nextIsServed(run);
  });

  it('a msg.payload getter that throws: an error naming msg.payload, no request', async () => {
    const run = await loadPlayFlow(sandbox.url);
    const msg = { _msgid: msgid() };
    Object.defineProperty(msg, 'payload', { enumerable: false, get: () => { throw new Error('no payload for you'); } });
    const { error } = await run.send(msg);
    assert.match(error.error.message, /msg\.payload could not be read: no payload for you/);
    assert.equal(sandbox.requests.length, 0);
    await nextIsServed(run);
  });

  it('a msg.maxWait getter that throws, on a node with typed settings: an error naming msg.maxWait, no request', async () => {
    const run = await loadPlayFlow(sandbox.url, { callUuid: 'call', callUuidType: 'msg', urls: URL_A });
    const msg = { _msgid: msgid(), call: callUuid, payload: {} };
    Object.defineProperty(msg, 'maxWait', { enumerable: false, get: () => { throw new Error('wait for it'); } });
    const { error } = await run.send(msg);
    assert.match(error.error.message, /msg\.maxWait could not be read: wait for it/);
    assert.equal(sandbox.requests.length, 0);
    const { output } = await run.send({ call: callUuid, payload: {} });
    assert.equal(output.statusCode, 202, 'the next message is read and sent as usual');
  });

  /** Errors this test's flow logged for the call node (`play`) matching `pattern`, waited for. */
  async function loggedErrors(pattern, atLeast = 1) {
    const logged = () => helper.log().args.filter(([entry]) => entry.level === 20 && entry.id === 'play' && pattern.test(entry.msg));
    const deadline = Date.now() + 5000;
    while (logged().length < atLeast && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return logged().map(([entry]) => entry.msg);
  }

  it('a payload field whose getter throws: an error naming it, logged (Catch cannot copy such a message)', async () => {
    const run = await loadPlayFlow(sandbox.url);
    const payload = { call_uuid: callUuid };
    Object.defineProperty(payload, 'urls', { enumerable: true, get: () => { throw new TypeError('not today'); } });
    run.node.receive({ _msgid: msgid(), payload });
    const logged = await loggedErrors(/could not be sent on or reported to Catch nodes/);
    assert.equal(logged.length, 1);
    assert.match(logged[0], /msg\.payload\.urls could not be read: not today/);
    assert.equal(sandbox.requests.length, 0);
    assert.equal(run.all.length, 0);
    await nextIsServed(run);
  });

  for (const [name, value] of [
    ['a null-prototype object', Object.assign(Object.create(null), { a: 1 })],
    ['an object whose toString throws', { toString() { throw new Error('no text'); } }],
  ]) {
    it(`a node setting shadows ${name} in the message: sent with the setting, the warning names the field`, async () => {
      const run = await loadSpeakFlow(sandbox.url, { text: 'Hello', callUuid });
      const { output } = await run.send({ payload: { text: value } });
      assert.equal(output?.statusCode, 202);
      assert.equal(sandbox.requests[0].json.text, 'Hello');
      assert.equal(run.node.warn.callCount, 1, 'the shadowed value is warned about (its name: speak-request.test.js)');
    });
  }

  it('call_uuid and CallUUID that disagree and cannot be turned into text: an error naming both', async () => {
    const run = await loadPlayFlow(sandbox.url, { urls: URL_A });
    const { error } = await run.send({ payload: { call_uuid: Object.create(null), CallUUID: callUuid } });
    assert.match(error.error.message, /call_uuid and msg\.payload\.CallUUID disagree/);
    assert.equal(sandbox.requests.length, 0);
  });

  /** A Proxy whose every trap throws: an Error, or (`itself`) the Proxy, which nothing can even print. */
  function poisoned(itself) {
    let proxy;
    const trap = () => { throw itself ? proxy : new Error('poisoned'); };
    const traps = ['get', 'set', 'has', 'ownKeys', 'getOwnPropertyDescriptor', 'getPrototypeOf', 'setPrototypeOf', 'defineProperty',
      'deleteProperty', 'isExtensible', 'preventExtensions', 'apply', 'construct'];
    proxy = new Proxy(function poison() {}, Object.fromEntries(traps.map((name) => [name, trap])));
    return proxy;
  }
  /** An object whose `message` getter throws the object again. */
  function unreadableError() {
    const thrown = { get message() { throw thrown; } };
    return thrown;
  }

  /** The error the node `play` logged or sent to Catch for the last message; either way exactly one. */
  async function endedAsError(run, before) {
    const logged = () => helper.log().args.filter(([entry]) => entry.level === 20 && entry.id === 'play').length;
    const deadline = Date.now() + 5000;
    while (run.all.length === 0 && logged() === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(run.all.length + logged() - before, 1, 'ended exactly once');
    assert.equal(run.outputs.length, 0);
  }
  const errorsLogged = () => helper.log().args.filter(([entry]) => entry.level === 20 && entry.id === 'play').length;

  const poisonedNodes = {
    'plivo play': ['plivo-play', {}],
    'plivo play with a typed call UUID': ['plivo-play', { callUuid: 'payload.call', callUuidType: 'msg', urls: URL_A }],
    'plivo call': ['plivo-call', { operation: 'hangup' }],
    'plivo call with a typed call UUID': ['plivo-call', { operation: 'hangup', callUuid: 'payload.call', callUuidType: 'msg' }],
    'plivo conference': ['plivo-conference', { operation: 'mute' }],
    'plivo conference with a typed member': ['plivo-conference', { operation: 'mute', conference_name: 'incident', member_id: 'payload.member', member_idType: 'msg' }],
    'plivo xml': ['plivo-xml', { elements: [{ element: 'Speak', text: 'payload.text', textType: 'msg', attributes: [], children: [] }] }],
    'plivo xml with more elements': ['plivo-xml', { elements: [], more: 'payload', moreType: 'msg' }],
  };
  for (const [name, [type, props]] of Object.entries(poisonedNodes)) {
    for (const itself of [false, true]) {
      it(`${name}: a msg.payload Proxy whose every trap throws ${itself ? 'the Proxy' : 'an Error'} ends once, logged or at Catch`, async () => {
        const run = await loadPlayFlow(sandbox.url, props, { type });
        const before = errorsLogged();
        run.node.receive({ _msgid: msgid(), payload: poisoned(itself) });
        await endedAsError(run, before);
        assert.equal(sandbox.requests.length, 0);
      });
    }
  }

  it('plivo call, typed call UUID: a getter that throws an object whose message getter throws ends the message once as an error', async () => {
    const run = await loadPlayFlow(sandbox.url, { operation: 'hangup', callUuid: 'payload.call', callUuidType: 'msg' }, { type: 'plivo-call' });
    const payload = {};
    Object.defineProperty(payload, 'call', { enumerable: false, get: () => { throw unreadableError(); } });
    const before = errorsLogged();
    run.node.receive({ _msgid: msgid(), payload });
    await endedAsError(run, before);
    assert.equal(sandbox.requests.length, 0);
    const uuid = sandbox.addCall();
    const { output } = await run.send({ payload: { call: uuid } });
    assert.equal(output.statusCode, 204, 'the next message is served');
  });

  it('plivo conference: a member list whose item throws when read ends once, logged naming msg.payload (Catch cannot copy it), no request; the next is served', async () => {
    const run = await loadPlayFlow(sandbox.url, { operation: 'msg', conference_name: 'incident' }, { type: 'plivo-conference' });
    const members = [1];
    Object.defineProperty(members, 0, { enumerable: true, get: () => { throw new Error('no member for you'); } });
    run.node.receive({ _msgid: msgid(), payload: { operation: 'mute', member_id: members } });
    const logged = await loggedErrors(/could not be sent on or reported to Catch nodes/);
    assert.equal(logged.length, 1);
    assert.match(logged[0], /msg\.payload could not be read: no member for you/);
    assert.equal(run.all.length, 0);
    assert.equal(sandbox.requests.length, 0);
    const { output } = await run.send({ payload: { operation: 'list' } });
    assert.equal(output.statusCode, 200, 'the next message is served');
  });

  it('a message that cannot even be copied for Catch (two wires, a throwing getter): one logged error naming the node', async () => {
    const run = await loadPlayFlow(sandbox.url, { wires: [['out', 'nowhere']] });
    const msg = { _msgid: msgid(), payload: { call_uuid: callUuid, urls: URL_A } };
    Object.defineProperty(msg, 'trap', { enumerable: true, get: () => { throw new Error('do not copy me'); } });
    run.node.receive(msg);
    const logged = await loggedErrors(/could not be sent on or reported to Catch nodes/);
    assert.equal(logged.length, 1, 'one error in the log');
    assert.match(logged[0], /could not be put into the message.*do not copy me/);
    assert.equal(run.all.length, 0, 'nothing half-sent on the output, nothing at Catch');
    await nextIsServed(run);
  });
});
