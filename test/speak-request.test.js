'use strict';
const assert = require('node:assert/strict');
const { buildSpeakRequest } = require('../dist/nodes/lib/call/speak-request.js');
const { SPEAK_LANGUAGES } = require('../dist/nodes/lib/call/speak-languages.js');
const { InputError } = require('../dist/nodes/lib/common/errors.js');
const { SPEAK_VOICES } = require('../sandbox/plivo-sandbox.js');

const UUID = 'eba53b9e-8fbd-45c1-9444-696d2172fbc8';
const FROM_MESSAGE = { action: '', callUuid: '', text: '', voice: '', language: '', legs: '', loop: '', mix: '' };

function build(payload, settings = FROM_MESSAGE, typed = {}) {
  return buildSpeakRequest(settings, payload, typed);
}

/** Asserts that building fails with an InputError naming `field` and showing each of `shown`. */
function rejects(payload, field, shown, settings = FROM_MESSAGE, typed = {}) {
  assert.throws(() => build(payload, settings, typed), (error) => {
    assert.ok(error instanceof InputError, `expected InputError, got ${error}`);
    assert.equal(error.field, field);
    for (const text of [shown].flat()) {
      assert.ok(error.message.includes(text), `"${error.message}" should show ${text}`);
    }
    return true;
  });
}

describe('buildSpeakRequest', () => {
  describe('request shape', () => {
    it('sends only the text when nothing else is given, so Plivo\'s defaults (WOMAN, en-US) apply', () => {
      const { request, ignoredFields } = build({ call_uuid: UUID, text: 'Hello' });
      assert.deepEqual(request, { action: 'speak', callUuid: UUID, body: { text: 'Hello' } });
      assert.deepEqual(ignoredFields, []);
    });

    it('types every field as the Node SDK does', () => {
      const { request } = build({ call_uuid: UUID, text: 'Hallo', voice: 'MAN', language: 'de-DE', legs: 'both', loop: 'true', mix: false });
      assert.deepEqual(request.body, { text: 'Hallo', voice: 'MAN', language: 'de-DE', legs: 'both', loop: true, mix: false });
    });

    it('speaks a number as its digits, and trims the text', () => {
      assert.equal(build({ call_uuid: UUID, text: 4711 }).request.body.text, '4711');
      assert.equal(build({ call_uuid: UUID, text: '  You are caller 3 \n' }).request.body.text, 'You are caller 3');
    });

    it('keeps text of up to 3,000 characters whole (Plivo\'s bound for a Polly <Speak>), counting characters, not UTF-16 units', () => {
      const text = 'word '.repeat(600).trim();
      assert.equal(build({ call_uuid: UUID, text }).request.body.text, text);
      const emoji = '😀'.repeat(3000);
      assert.equal(build({ call_uuid: UUID, text: emoji }).request.body.text, emoji);
    });

    it('refuses text longer than 3,000 characters, saying how long it is, without showing it', () => {
      for (const text of ['a'.repeat(3001), '😀'.repeat(3001), 'x'.repeat(100_000)]) {
        rejects({ call_uuid: UUID, text }, 'text', `msg.payload.text is ${[...text].length} characters long; Plivo speaks at most 3000`);
        assert.throws(() => build({ call_uuid: UUID, text }), (error) => error.message.length < 300);
      }
      // Past 100,000 code units the characters are not counted (it would cost what the text weighs): at least half as many.
      rejects({ call_uuid: UUID, text: 'x'.repeat(1_000_001) }, 'text', 'msg.payload.text is at least 500001 characters long; Plivo speaks at most 3000');
    });

    it('a node setting shadowing a message value that cannot be turned into text: ignored and named, no TypeError', () => {
      for (const value of [Object.create(null), { toString() { throw new Error('no'); } }]) {
        const built = build({ call_uuid: UUID, text: value }, { ...FROM_MESSAGE, text: 'Hello' });
        assert.equal(built.request.body.text, 'Hello');
        assert.deepEqual(built.ignoredFields, ['msg.payload.text']);
      }
    });

    it('takes CallUUID as Plivo webhooks send it', () => {
      assert.equal(build({ CallUUID: UUID, text: 'Hi' }).request.callUuid, UUID);
    });

    it('stops speech with the call UUID alone: no text needed, no body', () => {
      assert.deepEqual(build({ call_uuid: UUID, action: 'stop' }).request, { action: 'stop', callUuid: UUID });
      assert.deepEqual(build(null, { ...FROM_MESSAGE, action: 'stop', callUuid: UUID }).request, { action: 'stop', callUuid: UUID });
    });

    it('treats null and empty optional fields as not given', () => {
      const { request } = build({ call_uuid: UUID, text: 'Hi', voice: null, language: '', legs: undefined });
      assert.deepEqual(request.body, { text: 'Hi' });
    });
  });

  describe('node settings, typed sources and the message', () => {
    const all = { callUuid: UUID, text: 'Welcome', voice: 'MAN', language: 'en-GB', legs: 'aleg', loop: 'false', mix: 'true' };

    it('uses the node settings for everything when all are set, with any payload', () => {
      for (const payload of [1732000000000, 'hello', null, undefined, [], {}]) {
        assert.deepEqual(build(payload, all).request, {
          action: 'speak', callUuid: UUID, body: { text: 'Welcome', voice: 'MAN', language: 'en-GB', legs: 'aleg', loop: false, mix: true },
        });
      }
    });

    it('speaks a string msg.payload when Text is blank and the node sets the call UUID', () => {
      const { request } = build('You are caller number 3', { ...FROM_MESSAGE, callUuid: UUID });
      assert.deepEqual(request.body, { text: 'You are caller number 3' });
    });

    it('reports the message fields the node settings shadow', () => {
      const other = '11111111-2222-3333-4444-555555555555';
      const { request, ignoredFields } = build({ call_uuid: other, text: 'x', voice: 'WOMAN', language: 'en-US' }, all);
      assert.equal(request.body.text, 'Welcome');
      assert.deepEqual(ignoredFields, ['msg.payload.call_uuid', 'msg.payload.text', 'msg.payload.voice', 'msg.payload.language']);
    });

    it('takes values read from typed sources (msg, flow, global, env, JSONata) over the message', () => {
      const typed = {
        text: { value: 'You are number 2', where: 'flow.greeting' },
        language: { value: 'fr-FR', where: 'env.LANGUAGE' },
        voice: { value: 'MAN', where: 'msg.voice' },
      };
      const { request } = build({ call_uuid: UUID, text: 'ignored', language: 'de-DE' }, FROM_MESSAGE, typed);
      assert.deepEqual(request.body, { text: 'You are number 2', voice: 'MAN', language: 'fr-FR' });
    });

    it('names the typed source of a bad value', () => {
      rejects({ call_uuid: UUID }, 'text', 'flow.greeting', FROM_MESSAGE, { text: { value: '', where: 'flow.greeting' } });
      rejects({ call_uuid: UUID, text: 'Hi' }, 'language', ['env.LANGUAGE', '"klingon"'], FROM_MESSAGE,
        { language: { value: 'klingon', where: 'env.LANGUAGE' } });
      rejects({ call_uuid: UUID, text: 'Hi' }, 'voice', 'msg.voice', FROM_MESSAGE, { voice: { value: 'CHILD', where: 'msg.voice' } });
    });

    it('speaks when the node\'s Action is speak, whatever msg.payload.action says', () => {
      const { request, ignoredFields } = build({ call_uuid: UUID, text: 'Hi', action: 'stop' }, { ...FROM_MESSAGE, action: 'speak' });
      assert.equal(request.action, 'speak');
      assert.deepEqual(ignoredFields, ['msg.payload.action']);
    });

    it('treats settings missing from an old flow as "from the message"', () => {
      assert.deepEqual(build({ call_uuid: UUID, text: 'Hi', mix: false }, {}).request.body, { text: 'Hi', mix: false });
    });
  });

  describe('voices and languages', () => {
    it('the node\'s list and the sandbox\'s (written apart) agree language for language', () => {
      const ours = Object.fromEntries(SPEAK_LANGUAGES.map(({ code, voices }) => [code, voices.map((voice) => voice[0]).join('')]));
      assert.deepEqual(ours, SPEAK_VOICES);
    });

    for (const { code, voices } of SPEAK_LANGUAGES) {
      for (const voice of ['WOMAN', 'MAN']) {
        const has = voices.includes(voice);
        it(`${code} with ${voice}: ${has ? 'sent' : 'refused, naming the voices it has'}`, () => {
          const payload = { call_uuid: UUID, text: 'Hi', voice, language: code };
          if (has) assert.deepEqual(build(payload).request.body, { text: 'Hi', voice, language: code });
          else rejects(payload, 'voice', [`msg.payload.voice asks for the ${voice} voice`, `${code} (`, `has only ${voices.join(', ')}`]);
        });
      }
    }

    it('refuses a language that has no WOMAN voice when no voice is given (Plivo would use WOMAN)', () => {
      rejects({ call_uuid: UUID, text: 'Hi', language: 'en-GB-WLS' }, 'voice', ['en-GB-WLS', 'only the MAN voice', 'Plivo uses WOMAN']);
    });

    it('refuses MAN when no language is given and en-US is meant', () => {
      assert.deepEqual(build({ call_uuid: UUID, text: 'Hi', voice: 'MAN' }).request.body, { text: 'Hi', voice: 'MAN' });
    });

    it('says how to write a language given in the wrong case', () => {
      rejects({ call_uuid: UUID, text: 'Hi', language: 'en-us' }, 'language', 'must be written en-US');
      rejects({ call_uuid: UUID, text: 'Hi', language: 'DE-de' }, 'language', 'must be written de-DE');
    });
  });

  describe('bad input', () => {
    it('rejects a missing call UUID', () => rejects({ text: 'Hi' }, 'call_uuid', 'msg.payload.call_uuid is missing'));
    it('rejects a malformed call UUID', () => rejects({ call_uuid: 'abc/../../x', text: 'Hi' }, 'call_uuid', '"abc/../../x"'));
    it('rejects a malformed call UUID on stop too', () => rejects({ call_uuid: 'nope', action: 'stop' }, 'call_uuid', '"nope"'));
    it('rejects missing text', () => rejects({ call_uuid: UUID }, 'text', 'msg.payload.text is missing'));
    it('treats empty text as missing, as every field', () => rejects({ call_uuid: UUID, text: '' }, 'text', 'msg.payload.text is missing'));
    for (const text of ['   ', '\n\t']) {
      it(`rejects empty text ${JSON.stringify(text)}`, () => rejects({ call_uuid: UUID, text }, 'text', 'msg.payload.text is empty'));
    }
    for (const text of [true, { say: 'hi' }, ['a', 'b'], Number.NaN, Number.POSITIVE_INFINITY]) {
      it(`rejects text ${String(text)} that is not text`, () =>
        rejects({ call_uuid: UUID, text }, 'text', 'msg.payload.text must be text to speak'));
    }
    for (const voice of ['woman', 'Man', 'CHILD', 1, true]) {
      it(`rejects voice ${JSON.stringify(voice)}`, () =>
        rejects({ call_uuid: UUID, text: 'Hi', voice }, 'voice', ['msg.payload.voice must be WOMAN or MAN', JSON.stringify(voice)]));
    }
    for (const language of ['en', 'english', 'xx-XX', 'en_US', 42, {}]) {
      it(`rejects language ${JSON.stringify(language)}`, () =>
        rejects({ call_uuid: UUID, text: 'Hi', language }, 'language', 'msg.payload.language is not one of the languages Plivo speaks'));
    }
    for (const legs of ['ALEG', 'a', 1]) {
      it(`rejects legs ${JSON.stringify(legs)}`, () => rejects({ call_uuid: UUID, text: 'Hi', legs }, 'legs', JSON.stringify(legs)));
    }
    for (const field of ['loop', 'mix']) {
      for (const value of ['yes', 1, 'TRUE']) {
        it(`rejects ${field} ${JSON.stringify(value)}`, () =>
          rejects({ call_uuid: UUID, text: 'Hi', [field]: value }, field, `msg.payload.${field} must be true or false`));
      }
    }
    it('rejects an action other than speak or stop', () =>
      rejects({ call_uuid: UUID, text: 'Hi', action: 'play' }, 'action', 'must be speak or stop'));
    for (const payload of [42, null, undefined, [UUID, 'Hi'], Buffer.from('x')]) {
      it(`rejects payload ${String(payload)} when the node sets neither call UUID nor text`, () =>
        rejects(payload, 'payload', 'msg.payload must be an object with call_uuid and text'));
    }
    it('rejects a string payload when the call UUID must come from it', () =>
      rejects('Hello', 'payload', 'msg.payload must be an object with call_uuid and text'));
    it('rejects a payload that is neither text nor object when the node sets the call UUID', () =>
      rejects(42, 'payload', 'msg.payload must be the text to speak', { ...FROM_MESSAGE, callUuid: UUID }));
    it('rejects a bad node setting and says it is the setting', () =>
      rejects({ call_uuid: UUID, text: 'Hi' }, 'language', 'the node\'s language setting', { ...FROM_MESSAGE, language: 'xx' }));
    it('shortens a huge value in the message', () => {
      assert.throws(() => build({ call_uuid: UUID, text: 'Hi', voice: 'x'.repeat(10000) }), (error) => error.message.length < 300);
    });
  });
});
