'use strict';
/**
 * Plivo-like validation of the API requests the sandbox serves, a little stricter than Plivo:
 * an unknown body parameter is a 400, so a request that breaks the contract cannot pass unnoticed.
 * Written apart from the nodes' own checks, so that the tests check one against the other.
 */

const LIST_PARAMETERS = new Set(['status', 'call_direction', 'from_number', 'to_number']);
const TRANSFER_PARAMETERS = new Set(['legs', 'aleg_url', 'aleg_method', 'bleg_url', 'bleg_method']);
const DTMF_PARAMETERS = new Set(['digits', 'leg']);
/** Plivo's page and Python SDK send URL; the Node SDK lower-cases it. */
const STOP_RECORDING_PARAMETERS = new Set(['URL', 'url']);
const RECORD_PARAMETERS = new Set([
  'time_limit', 'file_format', 'transcription_type', 'transcription_url', 'transcription_method', 'callback_url', 'callback_method',
]);
const PLAY_PARAMETERS = new Set(['urls', 'length', 'legs', 'loop', 'mix']);
const SPEAK_PARAMETERS = new Set(['text', 'voice', 'language', 'legs', 'loop', 'mix']);
/**
 * The voices of each language Plivo speaks (W: WOMAN, M: MAN), written apart from the node's
 * own list (nodes/lib/call/speak-languages.ts) so that the tests check one against the other.
 */
const SPEAK_VOICES = {
  arb: 'W', 'cmn-CN': 'W', 'da-DK': 'WM', 'nl-NL': 'WM', 'en-AU': 'WM', 'en-IN': 'W', 'en-GB': 'WM', 'en-US': 'WM',
  'en-GB-WLS': 'M', 'fr-CA': 'W', 'fr-FR': 'WM', 'de-DE': 'WM', 'hi-IN': 'W', 'is-IS': 'WM', 'it-IT': 'WM', 'ja-JP': 'WM',
  'ko-KR': 'W', 'nb-NO': 'W', 'pl-PL': 'WM', 'pt-BR': 'WM', 'pt-PT': 'WM', 'ro-RO': 'W', 'ru-RU': 'WM', 'es-MX': 'W',
  'es-ES': 'WM', 'es-US': 'WM', 'sv-SE': 'W', 'tr-TR': 'W', 'cy-GB': 'W',
};

function isBoolean(value) {
  return typeof value === 'boolean' || value === 'true' || value === 'false';
}

function isPositiveInteger(value) {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0;
  return typeof value === 'string' && /^[0-9]+$/.test(value) && Number(value) > 0;
}

function isHttpUrl(text) {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** The body's keys outside `parameters`, as an error text; undefined when there are none. */
function unknownParameters(body, parameters) {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'invalid request body';
  const unknown = Object.keys(body).filter((key) => !parameters.has(key));
  return unknown.length > 0 ? `unknown parameter(s): ${unknown.join(', ')}` : undefined;
}

/** Checks the parameters Play and Speak share, and that no other is sent; returns the error text or undefined. */
function commonBodyError(body, parameters) {
  const unknown = unknownParameters(body, parameters);
  if (unknown) return unknown;
  if ('legs' in body && !['aleg', 'bleg', 'both'].includes(body.legs)) return 'legs must be aleg, bleg or both';
  if ('loop' in body && !isBoolean(body.loop)) return 'loop must be true or false';
  if ('mix' in body && !isBoolean(body.mix)) return 'mix must be true or false';
  return undefined;
}

/** Plivo-like validation of a Play body; returns the error text or undefined. */
function playBodyError(body) {
  const common = commonBodyError(body, PLAY_PARAMETERS);
  if (common) return common;
  if (typeof body.urls !== 'string' || body.urls === '') return 'urls parameter is required';
  if (!body.urls.split(',').every(isHttpUrl)) return 'invalid urls';
  if ('length' in body && !isPositiveInteger(body.length)) return 'length must be a positive integer';
  return undefined;
}

/** Plivo-like validation of a Speak body: Plivo's defaults are WOMAN and en-US. */
function speakBodyError(body) {
  const common = commonBodyError(body, SPEAK_PARAMETERS);
  if (common) return common;
  if (typeof body.text !== 'string' || body.text.trim() === '') return 'text parameter is required';
  if ('voice' in body && body.voice !== 'MAN' && body.voice !== 'WOMAN') return 'voice must be MAN or WOMAN';
  const language = 'language' in body ? body.language : 'en-US';
  const voices = Object.hasOwn(SPEAK_VOICES, language) ? SPEAK_VOICES[language] : undefined;
  if (voices === undefined) return `language ${language} is not supported`;
  if (!voices.includes((body.voice ?? 'WOMAN')[0])) return `voice ${body.voice ?? 'WOMAN'} is not available for ${language}`;
  return undefined;
}

const isMethod = (value) => value === 'GET' || value === 'POST';

/** Plivo-like validation of a transfer: where each moved leg goes. */
function transferBodyError(body) {
  const unknown = unknownParameters(body, TRANSFER_PARAMETERS);
  if (unknown) return unknown;
  const legs = body.legs ?? 'aleg';
  if (!['aleg', 'bleg', 'both'].includes(legs)) return 'legs must be aleg, bleg or both';
  for (const leg of ['aleg', 'bleg']) {
    const url = body[`${leg}_url`];
    if (url !== undefined && !isHttpUrl(url)) return `invalid ${leg}_url`;
    if (url === undefined && (legs === leg || legs === 'both')) return `${leg}_url is required to transfer the ${leg}`;
    if (`${leg}_method` in body && !isMethod(body[`${leg}_method`])) return `${leg}_method must be GET or POST`;
  }
  return undefined;
}

function dtmfBodyError(body) {
  const unknown = unknownParameters(body, DTMF_PARAMETERS);
  if (unknown) return unknown;
  if (typeof body.digits !== 'string' || !/^[0-9*#wW]+$/.test(body.digits)) return 'digits must be 0-9, *, #, w or W';
  if ('leg' in body && body.leg !== 'aleg' && body.leg !== 'bleg') return 'leg must be aleg or bleg';
  return undefined;
}

function recordBodyError(body) {
  const unknown = unknownParameters(body, RECORD_PARAMETERS);
  if (unknown) return unknown;
  if ('time_limit' in body && !isPositiveInteger(body.time_limit)) return 'time_limit must be a positive integer';
  if ('file_format' in body && body.file_format !== 'mp3' && body.file_format !== 'wav') return 'file_format must be mp3 or wav';
  if ('transcription_type' in body && body.transcription_type !== 'auto') return 'transcription_type must be auto';
  for (const name of ['transcription_url', 'callback_url']) if (name in body && !isHttpUrl(body[name])) return `invalid ${name}`;
  for (const name of ['transcription_method', 'callback_method']) if (name in body && !isMethod(body[name])) return `${name} must be GET or POST`;
  return undefined;
}

/** Make a call's parameters (Plivo's "Make an outbound call" page; the Node SDK names the fallback fallback_answer_url). */
const MAKE_CALL_PARAMETERS = new Set([
  'from', 'to', 'answer_url', 'answer_method', 'ring_url', 'ring_method', 'hangup_url', 'hangup_method', 'fallback_url',
  'fallback_answer_url', 'fallback_method', 'caller_name', 'send_digits', 'send_on_preanswer', 'time_limit', 'hangup_on_ring',
  'ring_timeout', 'machine_detection', 'machine_detection_time', 'machine_detection_url', 'machine_detection_method',
  'machine_detection_maximum_speech_length', 'machine_detection_initial_silence', 'machine_detection_maximum_words',
  'machine_detection_initial_greeting', 'machine_detection_silence', 'sip_headers', 'parent_call_uuid', 'error_if_parent_not_found',
]);
/** A destination: a number (digits, an optional +) or a SIP URI. */
const DESTINATION = /^(?:\+?[0-9]{2,20}|sip:[^\s<]+@[^\s<]+)$/;
const MAX_DESTINATIONS = 1000;

/** Whole milliseconds (or seconds) in [min, max], as a number or its text. */
function isIntegerIn(value, min, max) {
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(number) && number >= min && number <= max;
}

/**
 * Plivo-like validation of Make a call; returns the error text or undefined. Ranges from Plivo's
 * page: caller_name at most 50 characters, machine_detection_time 2,000-10,000 ms,
 * machine_detection_maximum_speech_length 1,000-6,000 ms, machine_detection_initial_silence
 * 2,000-10,000 ms, at most 1,000 destinations joined with `<`.
 */
function makeCallBodyError(body) {
  const unknown = unknownParameters(body, MAKE_CALL_PARAMETERS);
  if (unknown) return unknown;
  if (typeof body.from !== 'string' || !/^\+?[0-9]{2,20}$/.test(body.from)) return 'from must be a phone number';
  if (typeof body.to !== 'string' || body.to === '') return 'to parameter is required';
  const destinations = body.to.split('<');
  if (!destinations.every((one) => DESTINATION.test(one))) return 'to must be numbers or sip: URIs joined with <';
  if (new Set(destinations).size > MAX_DESTINATIONS) return `at most ${MAX_DESTINATIONS} destinations`;
  if (!isHttpUrl(body.answer_url)) return 'answer_url must be an http(s) URL';
  for (const name of ['ring_url', 'hangup_url', 'fallback_url', 'fallback_answer_url', 'machine_detection_url']) {
    if (name in body && !isHttpUrl(body[name])) return `invalid ${name}`;
  }
  for (const name of ['answer_method', 'ring_method', 'hangup_method', 'fallback_method', 'machine_detection_method']) {
    if (name in body && !isMethod(body[name])) return `${name} must be GET or POST`;
  }
  if ('caller_name' in body && (typeof body.caller_name !== 'string' || [...body.caller_name].length > 50)) return 'caller_name is at most 50 characters';
  if ('send_digits' in body && (typeof body.send_digits !== 'string' || !/^[0-9*#wW]+(@[0-9]+)?$/.test(body.send_digits))) return 'invalid send_digits';
  for (const name of ['send_on_preanswer', 'error_if_parent_not_found']) if (name in body && !isBoolean(body[name])) return `${name} must be true or false`;
  for (const name of ['time_limit', 'ring_timeout']) if (name in body && !isPositiveInteger(body[name])) return `${name} must be a positive integer`;
  if ('hangup_on_ring' in body && !isIntegerIn(body.hangup_on_ring, 0, 14_400)) return 'hangup_on_ring must be a whole number of seconds';
  if ('machine_detection' in body && body.machine_detection !== 'true' && body.machine_detection !== true && body.machine_detection !== 'hangup') {
    return 'machine_detection must be true or hangup';
  }
  const ranges = {
    machine_detection_time: [2000, 10_000], machine_detection_maximum_speech_length: [1000, 6000], machine_detection_initial_silence: [2000, 10_000],
  };
  for (const [name, [min, max]] of Object.entries(ranges)) if (name in body && !isIntegerIn(body[name], min, max)) return `${name} must be from ${min} to ${max}`;
  return undefined;
}

const BODY_ERRORS = { Play: playBodyError, Speak: speakBodyError, DTMF: dtmfBodyError, Record: recordBodyError };

module.exports = {
  BODY_ERRORS, LIST_PARAMETERS, STOP_RECORDING_PARAMETERS, SPEAK_VOICES, isHttpUrl, unknownParameters, transferBodyError, makeCallBodyError,
};
