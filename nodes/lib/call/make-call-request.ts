/**
 * Turns the plivo-make-call node's settings and an incoming msg.payload into validated requests
 * of Plivo's "Make an outbound call" (https://www.plivo.com/docs/voice/api/call/make-a-call):
 * one `POST Call/` per destination, so each destination is paced, cancelled and followed on its
 * own (Plivo counts a `<`-joined request as one call per destination against the CPS anyway).
 * No Node-RED here: unit tests call it directly. Settings work as plivo call's: '' takes the field
 * from msg.payload by Plivo's name, a set value wins, a typed source arrives already read.
 *
 * Each request's body is what the official Node SDK's `client.calls.create(from, to, answerUrl,
 * options)` sends for one destination (plivo/dist/resources/call.js); every range is the page's.
 */
import { InputError } from '../common/errors';
import { longerThan } from '../common/text-length';
import { parseUrl } from './play-request';
import { choiceParser, isAbsent, isRecord, label, pick, settingText, type Source, type TypedValues } from './fields';

/** The node's settings as saved in the flow, by Plivo's parameter names; '' (or absent) means "from msg.payload". */
export type MakeCallSettings = Partial<Record<string, unknown>>;

type Parser = (value: unknown, source: Source) => string | number | boolean;

const parseMethod = choiceParser(['GET', 'POST'] as const, 'method-invalid');
const parseMachineDetection = choiceParser(['true', 'hangup'] as const, 'machine-detection-invalid');

/** At most this many destinations in one message: the page's limit for one request. */
export const MAX_DESTINATIONS = 1000;
/** caller_name: "up to 50 characters" (the page). */
const MAX_CALLER_NAME = 50;
/** A phone number as the page asks for it: country code and digits (a leading + is taken off, as the SDK's doc says "without the + sign"). */
const NUMBER = /^\+?([0-9]{3,20})$/;
/** A SIP endpoint: `sip:user@host`, nothing that separates destinations or breaks a URI. */
const SIP_URI = /^sip:[^\s<>",;]{1,128}@[^\s<>",;@]{1,128}$/;
/** send_digits: 0-9 * #, w (0.5 s) and W (1 s) waits, and an optional @tone length in ms (the page, and the SDK's doc: `1w2w3@1000`). */
const SEND_DIGITS = /^[0-9*#wW]{1,256}(@[0-9]{1,5})?$/;
/** sip_headers: `key=value` pairs joined by commas; Plivo sends each as X-PH-key. Keys and values of URL-safe characters. */
const SIP_HEADERS = /^[A-Za-z0-9-]{1,32}=[A-Za-z0-9_.%~+-]{0,256}(,[A-Za-z0-9-]{1,32}=[A-Za-z0-9_.%~+-]{0,256}){0,19}$/;
const CALL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A call lasts at most 4 hours (time_limit's default and maximum). */
const MAX_CALL_SECONDS = 14_400;

function wholeNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\s*[0-9]{1,9}\s*$/.test(value)) return Number(value);
  return Number.NaN;
}

/** A whole number in [min, max]; the error names the range. */
function integerIn(min: number, max: number, unit: string): Parser {
  return (value, source) => {
    const number = wholeNumber(value);
    if (!Number.isSafeInteger(number) || number < min || number > max) {
      throw new InputError(source.field, value, 'number-out-of-range', { where: label(source), min, max, unit });
    }
    return number;
  };
}

function parseFlag(value: unknown, source: Source): boolean {
  const flag = typeof value === 'string' ? value.trim() : value;
  if (flag === true || flag === 'true') return true;
  if (flag === false || flag === 'false') return false;
  throw new InputError(source.field, value, 'flag-invalid', { where: label(source) });
}

function parseFrom(value: unknown, source: Source): string {
  const number = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  const match = number === undefined ? null : NUMBER.exec(number);
  if (!match) throw new InputError(source.field, value, 'from-invalid', { where: label(source) });
  return match[1];
}

function parseCallerName(value: unknown, source: Source): string {
  if (typeof value !== 'string' || value.trim() === '' || longerThan(value.trim(), MAX_CALLER_NAME) || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new InputError(source.field, value, 'caller-name-invalid', { where: label(source), max: MAX_CALLER_NAME });
  }
  return value.trim();
}

function matching(pattern: RegExp, key: string): Parser {
  return (value, source) => {
    const text = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? String(value) : typeof value === 'string' ? value.trim() : undefined;
    if (text === undefined || !pattern.test(text)) throw new InputError(source.field, value, key, { where: label(source) });
    return text;
  };
}

function parseParentCallUuid(value: unknown, source: Source): string {
  const uuid = typeof value === 'string' ? value.trim() : undefined;
  if (uuid === undefined || !CALL_UUID.test(uuid)) throw new InputError(source.field, value, 'call-uuid-invalid', { where: label(source) });
  return uuid.toLowerCase();
}

/**
 * Every optional parameter of the page, in the page's order, with its check. Ranges: time_limit
 * "> 0" up to a call's 4 hours; hangup_on_ring ">= 0"; ring_timeout default 120 s;
 * machine_detection_time 2,000-10,000 ms; maximum_speech_length 1,000-6,000 ms; initial_silence
 * 2,000-10,000 ms; maximum_words 2-10; initial_greeting 1,000-5,000 ms; silence 500-5,000 ms.
 */
const OPTIONAL: Record<string, Parser> = {
  answer_method: parseMethod,
  ring_url: parseUrl,
  ring_method: parseMethod,
  hangup_url: parseUrl,
  hangup_method: parseMethod,
  fallback_url: parseUrl,
  fallback_method: parseMethod,
  caller_name: parseCallerName,
  send_digits: matching(SEND_DIGITS, 'send-digits-invalid'),
  send_on_preanswer: parseFlag,
  time_limit: integerIn(1, MAX_CALL_SECONDS, 's'),
  hangup_on_ring: integerIn(0, MAX_CALL_SECONDS, 's'),
  ring_timeout: integerIn(1, MAX_CALL_SECONDS, 's'),
  machine_detection: parseMachineDetection,
  machine_detection_time: integerIn(2000, 10_000, 'ms'),
  machine_detection_url: parseUrl,
  machine_detection_method: parseMethod,
  machine_detection_maximum_speech_length: integerIn(1000, 6000, 'ms'),
  machine_detection_initial_silence: integerIn(2000, 10_000, 'ms'),
  machine_detection_maximum_words: integerIn(2, 10, ''),
  machine_detection_initial_greeting: integerIn(1000, 5000, 'ms'),
  machine_detection_silence: integerIn(500, 5000, 'ms'),
  sip_headers: matching(SIP_HEADERS, 'sip-headers-invalid'),
  parent_call_uuid: parseParentCallUuid,
  error_if_parent_not_found: parseFlag,
};

export const MAKE_CALL_PARAMETERS: readonly string[] = ['from', 'to', 'answer_url', ...Object.keys(OPTIONAL)];

/** The settings that can be read from a typed source (all of them), saved with a `<field>Type` beside them. */
export const MAKE_CALL_TYPED_FIELDS: readonly string[] = MAKE_CALL_PARAMETERS;

/** The URL settings, which can name a plivo webhook node. */
export const MAKE_CALL_URL_FIELDS = ['answer_url', 'ring_url', 'hangup_url', 'fallback_url', 'machine_detection_url'] as const;

/** One destination: digits (the + taken off) or a SIP URI. */
function parseDestination(value: unknown, source: Source, position: string): string {
  const text = typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  const number = text === undefined ? null : NUMBER.exec(text);
  if (number) return number[1];
  if (text !== undefined && SIP_URI.test(text)) return text;
  throw new InputError(source.field, value, 'destination-invalid', { where: `${label(source)}${position}` });
}

/** `to`: one destination, an array of them, or `<`-joined; duplicates are called once (as Plivo does), at most MAX_DESTINATIONS. */
export function parseDestinations(value: unknown, source: Source): string[] {
  let items: unknown[];
  if (Array.isArray(value)) items = value;
  else if (typeof value === 'string') {
    // Counted before splitting: a huge string is refused without making a huge array.
    let count = 1;
    for (let at = value.indexOf('<'); at !== -1 && count <= MAX_DESTINATIONS; at = value.indexOf('<', at + 1)) count += 1;
    if (count > MAX_DESTINATIONS) throw new InputError(source.field, undefined, 'too-many-destinations', { where: label(source), max: MAX_DESTINATIONS });
    items = value.split('<');
  } else items = [value];
  if (items.length === 0) throw new InputError(source.field, value, 'destinations-empty', { where: label(source) });
  const unique = new Set<string>();
  for (let i = 0; i < items.length; i += 1) {
    unique.add(parseDestination(items[i], source, items.length > 1 ? `[${i}]` : ''));
    if (unique.size > MAX_DESTINATIONS) throw new InputError(source.field, undefined, 'too-many-destinations', { where: label(source), max: MAX_DESTINATIONS });
  }
  return [...unique];
}

/** The destinations and the body every one of them is sent with (its `to` added per request). */
export interface MakeCallRequest {
  destinations: string[];
  /** from, answer_url and the optional parameters given, each checked; what the SDK sends besides `to`. */
  body: Record<string, string | number | boolean>;
}

export interface BuiltMakeCall {
  request: MakeCallRequest;
  /** msg.payload fields that were present but shadowed by the node's settings. */
  ignoredFields: string[];
}

/** A required parameter, or an error that says where it may come from. */
function required(name: 'from' | 'to' | 'answer_url', settings: MakeCallSettings, fields: Record<string, unknown>, payload: unknown,
  ignored: string[], typed: TypedValues) {
  const picked = pick(name, settingText(settings[name]), fields, name, ignored, typed[name]);
  if (picked) return picked;
  if (!isRecord(payload)) throw new InputError('payload', payload, 'payload-not-object', { needed: name });
  throw new InputError(name, undefined, 'make-call-missing', { field: name });
}

export function buildMakeCall(settings: MakeCallSettings, payload: unknown, typed: TypedValues = {}): BuiltMakeCall {
  const fields = isRecord(payload) ? payload : {};
  const ignoredFields: string[] = [];
  const from = required('from', settings, fields, payload, ignoredFields, typed);
  const to = required('to', settings, fields, payload, ignoredFields, typed);
  const answer = required('answer_url', settings, fields, payload, ignoredFields, typed);
  const body: MakeCallRequest['body'] = { from: parseFrom(from.value, from.source) };
  const destinations = parseDestinations(to.value, to.source);
  body.answer_url = parseUrl(answer.value, answer.source);
  for (const [name, parse] of Object.entries(OPTIONAL)) {
    const picked = pick(name, settingText(settings[name]), fields, name, ignoredFields, typed[name]);
    if (picked && !isAbsent(picked.value)) body[name] = parse(picked.value, picked.source);
  }
  return { request: { destinations, body }, ignoredFields };
}

/** What the request for one destination sends. */
export function callBody(request: MakeCallRequest, destination: string): Record<string, string | number | boolean> {
  return { ...request.body, to: destination };
}

/**
 * The longest a placed call can take from placement to its hangup callback: Plivo's queue at the
 * CPS, its ring timeout (120 s by default) and its time limit (4 h by default), plus a margin.
 * Past it a call's outcome is not coming.
 */
export function longestCallMs(request: MakeCallRequest, queuedMs: number): number {
  const ring = typeof request.body.ring_timeout === 'number' ? request.body.ring_timeout : 120;
  const limit = typeof request.body.time_limit === 'number' ? request.body.time_limit : MAX_CALL_SECONDS;
  return queuedMs + (ring + limit) * 1000 + 60_000;
}
