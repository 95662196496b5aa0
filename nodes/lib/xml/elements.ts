/**
 * The Plivo XML elements the plivo xml node writes: each one's attributes and allowed values,
 * its text, and what may nest in it. Checked against Plivo's XML pages (cited per element) and
 * the official Node SDK's builder (plivo/dist/utils/plivoxml.js, `plivo.Response`). Where the
 * SDK accepts what a page forbids, the page wins and a comment says so. No Node-RED here; the
 * editor gets this table at build time (scripts/build.js), so it is written once.
 */

/** What an attribute's value may be. */
export type AttributeKind =
  /** An absolute http(s) URL; `special` words are allowed too (a Conference's "beep:1"). */
  | { kind: 'url'; special?: readonly string[] }
  | { kind: 'method' }
  | { kind: 'boolean' }
  | { kind: 'integer'; min: number; max?: number }
  | { kind: 'choice'; values: readonly string[] }
  /** One key of a phone's keypad, or none at all when `none` ('' and "none"). */
  | { kind: 'key'; none: boolean }
  /** Keypad keys, as a set (validDigits) or a sequence with Plivo's 0.5 s / 1 s waits (w, W). */
  | { kind: 'keys'; waits: boolean }
  /** Comma-separated keypad patterns (digitsMatch: "123,*9"). */
  | { kind: 'key-patterns' }
  | { kind: 'phone-number' }
  | { kind: 'text'; maxLength?: number; pattern?: RegExp }
  | { kind: 'voice' }
  | { kind: 'speak-language' }
  /** A speech-recognition language tag (GetInput): Plivo's list is not plivo speak's, so only its form is checked. */
  | { kind: 'language-tag' };

export interface AttributeSpec {
  name: string;
  value: AttributeKind;
  /**
   * How Plivo calls this URL, for a value naming a plivo webhook node: with the method set in
   * the named attribute (`method`), or always with POST (`post`). Absent: not a webhook (a sound file).
   */
  webhook?: { method: string } | 'post';
  required?: boolean;
}

/** What an element holds as its text. */
export type BodyKind = 'none' | 'speech' | 'audio-url' | 'webhook-url' | 'wss-url' | 'dtmf' | 'phone-number' | 'sip-uri' | 'room';

export interface ElementSpec {
  name: string;
  body: BodyKind;
  attributes: readonly AttributeSpec[];
  /** Elements that may nest in this one; none when empty. */
  children: readonly string[];
  /** At least one child is required (a Dial dials someone). */
  needsChild?: boolean;
  /** Plivo's page for this element. */
  page: string;
}

const url = (special?: readonly string[]): AttributeKind => ({ kind: 'url', special });
const METHOD: AttributeKind = { kind: 'method' };
const BOOLEAN: AttributeKind = { kind: 'boolean' };
const positive = (max?: number): AttributeKind => ({ kind: 'integer', min: 1, max });
const choice = (...values: string[]): AttributeKind => ({ kind: 'choice', values });

/** An attribute plus the method Plivo calls it with, as most callbacks come. */
function callback(name: string, methodName: string): AttributeSpec[] {
  return [{ name, value: url(), webhook: { method: methodName } }, { name: methodName, value: METHOD }];
}

const LOOP: AttributeSpec = { name: 'loop', value: { kind: 'integer', min: 0 } };
const PROMPTS = ['Speak', 'Play', 'Wait'];
const SOUND_WORDS = ['beep:1', 'beep:2'];

/**
 * Plivo's "Latest" XML reference, https://www.plivo.com/docs/voice/xml/<page>/ (and the newer
 * grouped pages audio-output, input, routing, conferencing). Attributes in Plivo's spelling.
 */
export const ELEMENTS: readonly ElementSpec[] = [
  {
    // voice MAN/WOMAN (Polly.<Name> voices too, as the SDK's validateSpeakAttributes allows), language from
    // plivo speak's list, loop >= 0 (0: until the call ends). https://www.plivo.com/docs/voice/xml/audio-output
    name: 'Speak', body: 'speech', children: [], page: 'https://www.plivo.com/docs/voice/xml/speak/',
    attributes: [{ name: 'voice', value: { kind: 'voice' } }, { name: 'language', value: { kind: 'speak-language' } }, LOOP],
  },
  {
    name: 'Play', body: 'audio-url', children: [], page: 'https://www.plivo.com/docs/voice/xml/play/',
    attributes: [LOOP],
  },
  {
    // The SDK also takes min_silence, an old spelling the page no longer lists.
    name: 'Wait', body: 'none', children: [], page: 'https://www.plivo.com/docs/voice/xml/wait/',
    attributes: [
      { name: 'length', value: positive() }, { name: 'silence', value: BOOLEAN },
      { name: 'minSilence', value: positive() }, { name: 'beep', value: BOOLEAN },
    ],
  },
  {
    // The page nests Speak and Play; the SDK (and the input page's examples) Wait as well.
    name: 'GetDigits', body: 'none', children: PROMPTS, page: 'https://www.plivo.com/docs/voice/xml/getdigits/',
    attributes: [
      ...callback('action', 'method'),
      { name: 'timeout', value: positive() }, { name: 'digitTimeout', value: positive() },
      { name: 'finishOnKey', value: { kind: 'key', none: true } }, { name: 'numDigits', value: positive() },
      { name: 'retries', value: positive() }, { name: 'validDigits', value: { kind: 'keys', waits: false } },
      { name: 'invalidDigitsSound', value: url() }, { name: 'playBeep', value: BOOLEAN },
      { name: 'redirect', value: BOOLEAN }, { name: 'log', value: BOOLEAN },
    ],
  },
  {
    // action is required on the page. executionTimeout 5-60, digitEndTimeout/speechEndTimeout 2-10 or auto.
    name: 'GetInput', body: 'none', children: PROMPTS, page: 'https://www.plivo.com/docs/voice/xml/getinput/',
    attributes: [
      { name: 'action', value: url(), webhook: { method: 'method' }, required: true }, { name: 'method', value: METHOD },
      { name: 'inputType', value: choice('dtmf', 'speech', 'dtmf speech') },
      { name: 'executionTimeout', value: { kind: 'integer', min: 5, max: 60 } },
      { name: 'digitEndTimeout', value: choice('auto', '2', '3', '4', '5', '6', '7', '8', '9', '10') },
      { name: 'speechEndTimeout', value: choice('auto', '2', '3', '4', '5', '6', '7', '8', '9', '10') },
      { name: 'finishOnKey', value: { kind: 'key', none: true } }, { name: 'numDigits', value: positive() },
      { name: 'speechModel', value: choice('default', 'command_and_search', 'phone_call') },
      { name: 'hints', value: { kind: 'text' } }, { name: 'language', value: { kind: 'language-tag' } },
      ...callback('interimSpeechResultsCallback', 'interimSpeechResultsCallbackMethod'),
      { name: 'log', value: BOOLEAN }, { name: 'redirect', value: BOOLEAN }, { name: 'profanityFilter', value: BOOLEAN },
    ],
  },
  {
    // maxLength: "integer greater than 1"; finishOnKey: a digit, #, * or none.
    name: 'Record', body: 'none', children: [], page: 'https://www.plivo.com/docs/voice/xml/record/',
    attributes: [
      ...callback('action', 'method'),
      { name: 'fileFormat', value: choice('mp3', 'wav') }, { name: 'redirect', value: BOOLEAN },
      { name: 'timeout', value: positive() }, { name: 'maxLength', value: { kind: 'integer', min: 2 } },
      { name: 'playBeep', value: BOOLEAN }, { name: 'finishOnKey', value: { kind: 'key', none: true } },
      { name: 'recordSession', value: BOOLEAN }, { name: 'startOnDialAnswer', value: BOOLEAN },
      { name: 'recordChannelType', value: choice('mono', 'stereo') },
      { name: 'transcriptionType', value: choice('auto') },
      ...callback('transcriptionUrl', 'transcriptionMethod'),
      ...callback('callbackUrl', 'callbackMethod'),
    ],
  },
  {
    // "You must nest a Number or User element within the Dial element." callerName: at most 50 characters.
    // confirmSound and dialMusic are fetched with POST and answer XML; dialMusic may also be "real".
    name: 'Dial', body: 'none', children: ['Number', 'User'], needsChild: true, page: 'https://www.plivo.com/docs/voice/xml/dial/',
    attributes: [
      ...callback('action', 'method'),
      { name: 'hangupOnStar', value: BOOLEAN }, { name: 'timeLimit', value: positive() }, { name: 'timeout', value: positive() },
      { name: 'callerId', value: { kind: 'phone-number' } }, { name: 'callerName', value: { kind: 'text', maxLength: 50 } },
      { name: 'confirmSound', value: url(), webhook: 'post' }, { name: 'confirmKey', value: { kind: 'key', none: false } },
      { name: 'confirmTimeout', value: positive() },
      { name: 'dialMusic', value: url(['real']), webhook: 'post' }, { name: 'redirect', value: BOOLEAN },
      ...callback('callbackUrl', 'callbackMethod'),
      { name: 'digitsMatch', value: { kind: 'key-patterns' } }, { name: 'digitsMatchBLeg', value: { kind: 'key-patterns' } },
      { name: 'sipHeaders', value: { kind: 'text' } },
    ],
  },
  {
    name: 'Number', body: 'phone-number', children: [], page: 'https://www.plivo.com/docs/voice/xml/dial/number/',
    attributes: [
      { name: 'sendDigits', value: { kind: 'keys', waits: true } }, { name: 'sendOnPreanswer', value: BOOLEAN },
      { name: 'callerId', value: { kind: 'phone-number' } }, { name: 'callerName', value: { kind: 'text', maxLength: 50 } },
    ],
  },
  {
    name: 'User', body: 'sip-uri', children: [], page: 'https://www.plivo.com/docs/voice/xml/dial/user/',
    attributes: [
      { name: 'sendDigits', value: { kind: 'keys', waits: true } }, { name: 'sendOnPreanswer', value: BOOLEAN },
      { name: 'sipHeaders', value: { kind: 'text' } },
    ],
  },
  {
    // maxMembers 1-20 (the conferencing page); enterSound/exitSound "", beep:1, beep:2 or a URL fetched with POST.
    name: 'Conference', body: 'room', children: [], page: 'https://www.plivo.com/docs/voice/xml/conference/',
    attributes: [
      { name: 'muted', value: BOOLEAN },
      { name: 'enterSound', value: url(SOUND_WORDS), webhook: 'post' }, { name: 'exitSound', value: url(SOUND_WORDS), webhook: 'post' },
      { name: 'startConferenceOnEnter', value: BOOLEAN }, { name: 'endConferenceOnExit', value: BOOLEAN },
      { name: 'stayAlone', value: BOOLEAN }, { name: 'waitSound', value: url(), webhook: 'post' },
      { name: 'maxMembers', value: positive(20) }, { name: 'timeLimit', value: positive() },
      { name: 'hangupOnStar', value: BOOLEAN }, { name: 'record', value: BOOLEAN },
      { name: 'recordFileFormat', value: choice('mp3', 'wav') },
      ...callback('action', 'method'), { name: 'redirect', value: BOOLEAN },
      ...callback('callbackUrl', 'callbackMethod'),
      { name: 'digitsMatch', value: { kind: 'key-patterns' } }, { name: 'floorEvent', value: BOOLEAN },
      { name: 'relayDTMF', value: BOOLEAN },
      { name: 'transcriptionType', value: choice('auto') }, ...callback('transcriptionUrl', 'transcriptionMethod'),
    ],
  },
  {
    name: 'DTMF', body: 'dtmf', children: [], page: 'https://www.plivo.com/docs/voice/xml/dtmf/',
    attributes: [{ name: 'async', value: BOOLEAN }],
  },
  {
    name: 'Redirect', body: 'webhook-url', children: [], page: 'https://www.plivo.com/docs/voice/xml/redirect/',
    attributes: [{ name: 'method', value: METHOD }],
  },
  {
    name: 'Hangup', body: 'none', children: [], page: 'https://www.plivo.com/docs/voice/xml/hangup/',
    attributes: [{ name: 'reason', value: choice('rejected', 'busy') }, { name: 'schedule', value: positive() }],
  },
  {
    // The body is the wss:// URL. "When bidirectional is true, audioTrack should not be outbound or both."
    // extraHeaders: at most 512 bytes of letters and digits, as key=value pairs joined by commas.
    name: 'Stream', body: 'wss-url', children: [], page: 'https://www.plivo.com/docs/voice/xml/audiostream/',
    attributes: [
      { name: 'bidirectional', value: BOOLEAN }, { name: 'audioTrack', value: choice('inbound', 'outbound', 'both') },
      { name: 'streamTimeout', value: positive() },
      ...callback('statusCallbackUrl', 'statusCallbackMethod'),
      { name: 'contentType', value: choice('audio/x-l16;rate=8000', 'audio/x-l16;rate=16000', 'audio/x-mulaw;rate=8000') },
      { name: 'extraHeaders', value: { kind: 'text', maxLength: 512, pattern: /^[A-Za-z0-9]+=[A-Za-z0-9]*(,[A-Za-z0-9]+=[A-Za-z0-9]*)*$/ } },
      { name: 'keepCallAlive', value: BOOLEAN },
    ],
  },
];

/** What a Response holds: every element but those that only nest in a Dial. */
export const TOP_LEVEL: readonly string[] = ELEMENTS.map((element) => element.name).filter((name) => name !== 'Number' && name !== 'User');

const BY_NAME = new Map(ELEMENTS.map((element) => [element.name, element]));

export function elementSpec(name: string): ElementSpec | undefined {
  return BY_NAME.get(name);
}
