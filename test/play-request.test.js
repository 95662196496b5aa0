'use strict';
const assert = require('node:assert/strict');
const { buildCallRequest } = require('../dist/nodes/lib/call/play-request.js');
const { InputError } = require('../dist/nodes/lib/common/errors.js');

const UUID = 'eba53b9e-8fbd-45c1-9444-696d2172fbc8';
const URL_A = 'https://s3.amazonaws.com/plivocloud/music.mp3';
const URL_B = 'https://example.com/b.wav';
const FROM_MESSAGE = { callUuid: '', urls: '', legs: '', loop: '', mix: '', length: '' };

function build(payload, settings = FROM_MESSAGE) {
  return buildCallRequest(settings, payload);
}

/** Asserts that building fails with an InputError naming `field` and showing `shown`. */
function rejects(payload, field, shown, settings = FROM_MESSAGE) {
  assert.throws(() => build(payload, settings), (error) => {
    assert.ok(error instanceof InputError, `expected InputError, got ${error}`);
    assert.equal(error.field, field);
    assert.ok(error.message.includes(shown), `"${error.message}" should show ${shown}`);
    return true;
  });
}

describe('buildCallRequest', () => {
  describe('request shape', () => {
    it('sends only urls when nothing else is given, so Plivo defaults apply', () => {
      const { request, ignoredFields } = build({ call_uuid: UUID, urls: URL_A });
      assert.deepEqual(request, { action: 'play', callUuid: UUID, body: { urls: URL_A } });
      assert.deepEqual(ignoredFields, []);
    });

    it('types every field as the Node SDK does: joined urls, integer length, boolean loop and mix', () => {
      const { request } = build({ call_uuid: UUID, urls: [URL_A, URL_B], length: 10, legs: 'both', loop: true, mix: false });
      assert.deepEqual(request.body, { urls: `${URL_A},${URL_B}`, length: 10, legs: 'both', loop: true, mix: false });
    });

    it('sends each URL as parsed, so Plivo fetches the host the check saw; refuses user info without showing it', () => {
      assert.equal(build({ call_uuid: UUID, urls: 'http:/evil.example/a.mp3' }).request.body.urls, 'http://evil.example/a.mp3');
      assert.equal(build({ call_uuid: UUID, urls: 'https://evil.example\\@good.example/a.mp3' }).request.body.urls, 'https://evil.example/@good.example/a.mp3');
      assert.equal(build({ call_uuid: UUID, urls: 'https://media.example.com' }).request.body.urls, 'https://media.example.com', 'a bare origin as written');
      for (const url of ['https://user:pw@evil.example/x.mp3', 'https://user@evil.example/x.mp3', 'https://:pw@evil.example/x.mp3']) {
        assert.throws(() => build({ call_uuid: UUID, urls: [URL_A, url] }), (error) => {
          assert.ok(error instanceof InputError);
          assert.match(error.message, /msg\.payload\.urls\[1\] holds a user name or password/);
          assert.doesNotMatch(error.message, /pw|evil/);
          return true;
        });
      }
    });

    it('accepts the string forms of Plivo\'s Postman sample', () => {
      const { request } = build({ call_uuid: UUID, urls: URL_A, length: '10', legs: 'aleg', loop: 'false', mix: 'true' });
      assert.deepEqual(request.body, { urls: URL_A, length: 10, legs: 'aleg', loop: false, mix: true });
    });

    it('keeps mix=false and loop=false (a bug class of plivo-go)', () => {
      const { request } = build({ call_uuid: UUID, urls: URL_A, loop: false, mix: false });
      assert.equal(request.body.loop, false);
      assert.equal(request.body.mix, false);
    });

    it('takes CallUUID as Plivo webhooks send it', () => {
      assert.equal(build({ CallUUID: UUID, urls: URL_A }).request.callUuid, UUID);
    });

    it('accepts a comma-separated list with spaces, and version-1 UUIDs', () => {
      const v1 = '07abfd94-58c0-11e1-86da-adf28403fe48';
      const { request } = build({ call_uuid: v1, urls: ` ${URL_A} , ${URL_B} ` });
      assert.equal(request.callUuid, v1);
      assert.equal(request.body.urls, `${URL_A},${URL_B}`);
    });

    it('treats null and empty optional fields as not given', () => {
      const { request } = build({ call_uuid: UUID, urls: URL_A, length: null, legs: '', loop: undefined });
      assert.deepEqual(request.body, { urls: URL_A });
    });
  });

  describe('node settings and the message', () => {
    const all = { callUuid: UUID, urls: URL_A, legs: 'bleg', loop: 'true', mix: 'false', length: '30' };

    it('uses the node settings for everything when all are set, with any payload', () => {
      for (const payload of [1732000000000, 'hello', null, undefined, [], {}]) {
        const { request } = build(payload, all);
        assert.deepEqual(request, { action: 'play', callUuid: UUID, body: { urls: URL_A, length: 30, legs: 'bleg', loop: true, mix: false } });
      }
    });

    it('lets a setting win over the message and reports the shadowed fields', () => {
      const other = '11111111-2222-3333-4444-555555555555';
      const { request, ignoredFields } = build(
        { call_uuid: other, urls: URL_B, legs: 'aleg', loop: false, mix: true, length: 5 }, all);
      assert.deepEqual(request, { action: 'play', callUuid: UUID, body: { urls: URL_A, length: 30, legs: 'bleg', loop: true, mix: false } });
      assert.deepEqual(ignoredFields,
        ['msg.payload.call_uuid', 'msg.payload.urls', 'msg.payload.legs', 'msg.payload.loop', 'msg.payload.mix', 'msg.payload.length']);
    });

    it('does not report a message value equal to the setting', () => {
      const { ignoredFields } = build({ call_uuid: UUID, urls: URL_A, legs: 'bleg', loop: true, length: 30 }, all);
      assert.deepEqual(ignoredFields, []);
    });

    it('mixes: settings for some fields, the message for the rest', () => {
      const { request } = build({ call_uuid: UUID, loop: 'true' }, { ...FROM_MESSAGE, urls: URL_A, legs: 'both' });
      assert.deepEqual(request, { action: 'play', callUuid: UUID, body: { urls: URL_A, legs: 'both', loop: true } });
    });

    it('treats settings missing from an old flow as "from the message"', () => {
      const { request } = build({ call_uuid: UUID, urls: URL_A, mix: false }, {});
      assert.deepEqual(request.body, { urls: URL_A, mix: false });
    });
  });

  describe('bad input', () => {
    it('rejects a missing call UUID', () => rejects({ urls: URL_A }, 'call_uuid', 'msg.payload.call_uuid is missing'));
    it('rejects a malformed call UUID', () => rejects({ call_uuid: 'abc/../../x', urls: URL_A }, 'call_uuid', '"abc/../../x"'));
    it('rejects a UUID with extra text', () => rejects({ call_uuid: `${UUID}/Play`, urls: URL_A }, 'call_uuid', UUID));
    it('rejects a numeric call UUID', () => rejects({ call_uuid: 42, urls: URL_A }, 'call_uuid', '42'));
    it('rejects call_uuid and CallUUID that disagree', () => rejects(
      { call_uuid: UUID, CallUUID: '07abfd94-58c0-11e1-86da-adf28403fe48', urls: URL_A }, 'call_uuid', 'disagree'));
    it('rejects missing URLs', () => rejects({ call_uuid: UUID }, 'urls', 'msg.payload.urls is missing'));
    it('rejects an empty URL array', () => rejects({ call_uuid: UUID, urls: [] }, 'urls', 'got []'));
    it('rejects a relative URL', () => rejects({ call_uuid: UUID, urls: 'music.mp3' }, 'urls', '"music.mp3"'));
    it('rejects a non-http URL', () => rejects({ call_uuid: UUID, urls: 'ftp://x.com/a.mp3' }, 'urls', 'ftp://x.com/a.mp3'));
    it('rejects an empty item in a list', () => rejects({ call_uuid: UUID, urls: `${URL_A},,${URL_B}` }, 'urls', '(item 2)'));
    it('rejects a URL with a space', () => rejects({ call_uuid: UUID, urls: 'https://x.com/my file.mp3' }, 'urls', 'my file.mp3'));
    it('rejects a comma inside an array item', () => rejects({ call_uuid: UUID, urls: [`${URL_A},x`] }, 'urls', 'comma'));
    it('rejects a non-string array item', () => rejects({ call_uuid: UUID, urls: [URL_A, 7] }, 'urls', 'msg.payload.urls[1]'));
    it('rejects urls that are an object', () => rejects({ call_uuid: UUID, urls: { a: 1 } }, 'urls', '{"a":1}'));
    for (const length of [0, -5, 2.5, '2.5', 'ten', true, Number.NaN, 1e20, 14_401, 2 ** 53 - 1]) {
      it(`rejects length ${JSON.stringify(length)}`, () =>
        rejects({ call_uuid: UUID, urls: URL_A, length }, 'length', 'msg.payload.length must be a whole number of seconds from 1 to 14400'));
    }
    it('takes length up to 14,400 s, a call\'s longest life', () => {
      assert.equal(build({ call_uuid: UUID, urls: URL_A, length: 14_400 }).request.body.length, 14_400);
    });
    for (const [name, url] of [['NUL', 'https://x.com/a\u0000.mp3'], ['DEL', 'https://x.com/a\u007f.mp3'], ['ESC', 'https://x.com/\u001b[31m.mp3']]) {
      it(`rejects a URL holding ${name}`, () => rejects({ call_uuid: UUID, urls: url }, 'urls', 'control character'));
    }
    it('rejects a URL longer than 2,048 characters, showing only its start', () => {
      const long = `https://x.com/${'a'.repeat(2100)}.mp3`;
      rejects({ call_uuid: UUID, urls: long }, 'urls', 'longer than 2048 characters');
      assert.throws(() => build({ call_uuid: UUID, urls: long }), (error) => error.message.length < 300);
    });
    it('takes 100 URLs and refuses 101 (as an array or a list), without listing them', () => {
      const many = (n) => Array.from({ length: n }, (_, i) => `https://x.com/${i}.mp3`);
      assert.equal(build({ call_uuid: UUID, urls: many(100) }).request.body.urls.split(',').length, 100);
      rejects({ call_uuid: UUID, urls: many(101) }, 'urls', 'lists 101 URLs; one Play takes at most 100');
      rejects({ call_uuid: UUID, urls: many(20_000).join(',') }, 'urls', 'lists 20000 URLs');
      assert.throws(() => build({ call_uuid: UUID, urls: many(20_000) }), (error) => error.message.length < 300);
    });
    for (const legs of ['ALEG', 'a', 'a leg', 1]) {
      it(`rejects legs ${JSON.stringify(legs)}`, () => rejects({ call_uuid: UUID, urls: URL_A, legs }, 'legs', JSON.stringify(legs)));
    }
    for (const field of ['loop', 'mix']) {
      for (const value of ['yes', 1, 0, 'TRUE', {}]) {
        it(`rejects ${field} ${JSON.stringify(value)}`, () =>
          rejects({ call_uuid: UUID, urls: URL_A, [field]: value }, field, `msg.payload.${field} must be true or false`));
      }
    }
    for (const payload of ['hello', 42, null, undefined, [UUID, URL_A], Buffer.from('x')]) {
      it(`rejects payload ${String(payload)} when the node does not set call UUID and URLs`, () =>
        rejects(payload, 'payload', 'msg.payload must be an object'));
    }
    it('rejects a bad node setting and says it is the setting', () =>
      rejects({ call_uuid: UUID, urls: URL_A }, 'length', 'the node\'s length setting', { ...FROM_MESSAGE, length: 'abc' }));
    it('shortens a huge value in the message', () => {
      assert.throws(() => build({ call_uuid: 'x'.repeat(10000), urls: URL_A }), (error) => error.message.length < 300);
    });
  });
});
