'use strict';
/**
 * Reads an answer's Plivo XML and refuses what Plivo would: XML that is not well formed, an
 * element Plivo does not know or in a place it cannot be, an attribute the element does not
 * have or a value outside what Plivo's XML pages allow, a missing text. Written apart from the
 * plivo xml node's own table (nodes/lib/xml/elements.ts), so that the tests check one against
 * the other: a test of an example that runs here proves its XML valid.
 */
const sax = require('sax');
const { SPEAK_VOICES, isHttpUrl } = require('./api-checks.js');

const PROMPTS = ['Speak', 'Play', 'Wait'];
const SSML = ['break', 'emphasis', 'lang', 'p', 'phoneme', 'prosody', 's', 'say-as', 'sub', 'w'];

/** Each element: its attributes, what it nests, whether it needs text, and what its text must be. */
const RULES = {
  Speak: { attributes: 'voice language loop', children: SSML, text: 'any' },
  Play: { attributes: 'loop', text: 'url' },
  Wait: { attributes: 'length silence minSilence beep' },
  GetDigits: {
    attributes: 'action method timeout digitTimeout finishOnKey numDigits retries validDigits invalidDigitsSound playBeep redirect log',
    children: PROMPTS,
  },
  GetInput: {
    attributes: 'action method inputType executionTimeout digitEndTimeout speechEndTimeout finishOnKey numDigits speechModel hints '
      + 'language interimSpeechResultsCallback interimSpeechResultsCallbackMethod log redirect profanityFilter',
    children: PROMPTS,
    required: ['action'],
  },
  Record: {
    attributes: 'action method fileFormat redirect timeout maxLength playBeep finishOnKey recordSession startOnDialAnswer '
      + 'recordChannelType transcriptionType transcriptionUrl transcriptionMethod callbackUrl callbackMethod',
  },
  Dial: {
    attributes: 'action method hangupOnStar timeLimit timeout callerId callerName confirmSound confirmKey confirmTimeout dialMusic '
      + 'redirect callbackUrl callbackMethod digitsMatch digitsMatchBLeg sipHeaders',
    children: ['Number', 'User'],
    needsChild: true,
  },
  Number: { attributes: 'sendDigits sendOnPreanswer callerId callerName', text: 'phone', only: 'Dial' },
  User: { attributes: 'sendDigits sendOnPreanswer sipHeaders', text: 'sip', only: 'Dial' },
  Conference: {
    attributes: 'muted enterSound exitSound startConferenceOnEnter endConferenceOnExit stayAlone waitSound maxMembers timeLimit '
      + 'hangupOnStar record recordFileFormat action method redirect callbackUrl callbackMethod digitsMatch floorEvent relayDTMF '
      + 'transcriptionType transcriptionUrl transcriptionMethod',
    text: 'any',
  },
  DTMF: { attributes: 'async', text: 'dtmf' },
  Redirect: { attributes: 'method', text: 'url' },
  Hangup: { attributes: 'reason schedule' },
  Stream: {
    attributes: 'bidirectional audioTrack streamTimeout statusCallbackUrl statusCallbackMethod contentType extraHeaders keepCallAlive',
    text: 'wss',
  },
  PreAnswer: { attributes: '', children: ['Speak', 'Play', 'Wait', 'GetDigits', 'Redirect', 'DTMF'] },
};
for (const name of SSML) RULES[name] = { attributes: '', children: SSML, text: 'ssml', any: true, only: 'ssml' };

const BOOLEANS = new Set(['silence', 'beep', 'playBeep', 'redirect', 'log', 'profanityFilter', 'recordSession', 'startOnDialAnswer',
  'hangupOnStar', 'sendOnPreanswer', 'muted', 'startConferenceOnEnter', 'endConferenceOnExit', 'stayAlone', 'record', 'floorEvent',
  'relayDTMF', 'async', 'bidirectional', 'keepCallAlive']);
/** Whole numbers: the least each may be, and the most. */
const NUMBERS = {
  loop: [0], length: [1], minSilence: [1], timeout: [1], digitTimeout: [1], numDigits: [1], retries: [1], maxLength: [2],
  timeLimit: [1], confirmTimeout: [1], schedule: [1], maxMembers: [1, 20], streamTimeout: [1], executionTimeout: [5, 60],
};
const CHOICES = {
  inputType: ['dtmf', 'speech', 'dtmf speech'], fileFormat: ['mp3', 'wav'], recordFileFormat: ['mp3', 'wav'],
  recordChannelType: ['mono', 'stereo'], transcriptionType: ['auto'], reason: ['rejected', 'busy'], audioTrack: ['inbound', 'outbound', 'both'],
  speechModel: ['default', 'command_and_search', 'phone_call'],
  contentType: ['audio/x-l16;rate=8000', 'audio/x-l16;rate=16000', 'audio/x-mulaw;rate=8000'],
};
const URLS = new Set(['action', 'callbackUrl', 'transcriptionUrl', 'statusCallbackUrl', 'invalidDigitsSound', 'confirmSound', 'waitSound',
  'interimSpeechResultsCallback']);

/** What is wrong with one attribute's value, or undefined. */
function valueError(element, name, value) {
  if (BOOLEANS.has(name)) return value === 'true' || value === 'false' ? undefined : `${name} must be true or false`;
  if (name in NUMBERS) {
    const [min, max = Infinity] = NUMBERS[name];
    return /^[0-9]+$/.test(value) && Number(value) >= min && Number(value) <= max ? undefined : `${name} must be a whole number from ${min}`;
  }
  if (name in CHOICES) return CHOICES[name].includes(value) ? undefined : `${name} must be one of ${CHOICES[name].join(', ')}`;
  if (/[mM]ethod$/.test(name)) return value === 'GET' || value === 'POST' ? undefined : `${name} must be GET or POST`;
  if (URLS.has(name)) return isHttpUrl(value) ? undefined : `${name} must be a URL`;
  if (name === 'enterSound' || name === 'exitSound') return ['', 'beep:1', 'beep:2'].includes(value) || isHttpUrl(value) ? undefined : `invalid ${name}`;
  if (name === 'dialMusic') return value === 'real' || isHttpUrl(value) ? undefined : 'invalid dialMusic';
  if (name === 'finishOnKey') return /^[0-9*#]?$/.test(value) || value === 'none' ? undefined : 'invalid finishOnKey';
  if (name === 'confirmKey') return /^[0-9*#]$/.test(value) ? undefined : 'invalid confirmKey';
  if (name === 'validDigits') return /^[0-9*#]+$/.test(value) ? undefined : 'invalid validDigits';
  if (name === 'sendDigits') return /^[0-9*#wW]+$/.test(value) ? undefined : 'invalid sendDigits';
  if (name === 'callerName') return value.length <= 50 ? undefined : 'callerName is longer than 50 characters';
  if (element === 'Speak' && name === 'voice') return ['MAN', 'WOMAN'].includes(value) || /^Polly\.[A-Za-z-]+$/.test(value) ? undefined : 'invalid voice';
  if (element === 'Speak' && name === 'language') return Object.hasOwn(SPEAK_VOICES, value) ? undefined : `language ${value} is not supported`;
  return undefined;
}

/** What is wrong with an element's text, or undefined. */
function textError(kind, text) {
  const trimmed = text.trim();
  if (kind === 'any' || kind === 'ssml') return trimmed === '' && kind === 'any' ? 'text is required' : undefined;
  if (trimmed === '') return 'text is required';
  if (kind === 'url') return isHttpUrl(trimmed) ? undefined : 'invalid URL';
  if (kind === 'wss') return /^wss?:\/\/\S+$/.test(trimmed) ? undefined : 'invalid WebSocket URL';
  if (kind === 'dtmf') return /^[0-9*#wW]+$/.test(trimmed) ? undefined : 'invalid digits';
  if (kind === 'phone') return /^\+?[0-9]+$/.test(trimmed) ? undefined : 'invalid phone number';
  if (kind === 'sip') return /^sips?:\S+$/.test(trimmed) ? undefined : 'invalid SIP URI';
  return undefined;
}

/** Checks one element where it stands; returns the first problem as text, naming the element. */
function elementError(node, parent) {
  const rule = Object.hasOwn(RULES, node.name) ? RULES[node.name] : undefined;
  if (!rule) return `unknown element <${node.name}>`;
  const allowed = parent === 'Response' ? Object.keys(RULES).filter((name) => !RULES[name].only) : RULES[parent].children ?? [];
  if (!allowed.includes(node.name)) return `<${node.name}> cannot be inside <${parent}>`;
  const names = rule.attributes.split(' ').filter(Boolean);
  for (const [name, value] of Object.entries(node.attributes)) {
    if (!names.includes(name)) return `<${node.name}> has no attribute ${name}`;
    const invalid = valueError(node.name, name, value);
    if (invalid) return `<${node.name}>: ${invalid}`;
  }
  for (const name of rule.required ?? []) if (!(name in node.attributes)) return `<${node.name}> needs ${name}`;
  if (rule.text) {
    const invalid = textError(rule.text, node.text);
    if (invalid) return `<${node.name}>: ${invalid}`;
  } else if (node.text.trim() !== '') return `<${node.name}> holds no text`;
  if (rule.needsChild && node.children.length === 0) return `<${node.name}> needs a ${rule.children.join(' or ')} inside it`;
  if (node.name === 'Speak') {
    const voices = SPEAK_VOICES[node.attributes.language ?? 'en-US'];
    const voice = node.attributes.voice ?? 'WOMAN';
    if ((voice === 'MAN' || voice === 'WOMAN') && !voices.includes(voice[0])) return `<Speak>: voice ${voice} is not available for ${node.attributes.language ?? 'en-US'}`;
  }
  if (node.name === 'Stream' && node.attributes.bidirectional === 'true' && (node.attributes.audioTrack ?? 'inbound') !== 'inbound') {
    return '<Stream>: a bidirectional stream takes audioTrack inbound only';
  }
  for (const child of node.children) {
    const invalid = elementError(child, node.name);
    if (invalid) return invalid;
  }
  return undefined;
}

/** The XML as a tree of {name, attributes, text, children}, or {error}. */
function parse(xml) {
  const root = { name: '#document', attributes: {}, text: '', children: [] };
  const stack = [root];
  const parser = sax.parser(true, { trim: false, normalize: false });
  let failure;
  parser.onerror = (error) => {
    failure ??= error.message.split('\n')[0];
    parser.error = null;
  };
  parser.onopentag = (tag) => {
    const node = { name: tag.name, attributes: { ...tag.attributes }, text: '', children: [] };
    stack.at(-1).children.push(node);
    stack.push(node);
  };
  parser.ontext = (text) => {
    stack.at(-1).text += text;
    // SSML's text belongs to its Speak too.
    for (let i = stack.length - 2; i > 0 && RULES[stack[i + 1].name]?.only === 'ssml'; i -= 1) stack[i].text += text;
  };
  parser.onclosetag = () => stack.pop();
  try {
    parser.write(xml).close();
  } catch (error) {
    failure ??= error.message;
  }
  if (failure) return { error: `not well-formed XML: ${failure}` };
  if (root.children.length !== 1 || root.children[0].name !== 'Response') return { error: 'the XML must be one <Response>' };
  return { response: root.children[0] };
}

/** The Response of an answer, checked as Plivo checks it: {response} or {error}. */
function checkXml(xml) {
  const parsed = parse(typeof xml === 'string' ? xml : '');
  if (parsed.error) return parsed;
  const { response } = parsed;
  if (Object.keys(response.attributes).length > 0) return { error: '<Response> has no attributes' };
  if (response.text.trim() !== '') return { error: '<Response> holds elements, not text' };
  for (const child of response.children) {
    const invalid = elementError(child, 'Response');
    if (invalid) return { error: invalid };
  }
  return { response };
}

module.exports = { checkXml };
