/**
 * Turns the plivo-play node's settings and an incoming msg.payload into a validated
 * "Play audio on a call" (or "Stop playing") request. No Node-RED here: unit tests call it directly.
 *
 * Settings use '' for "take this from the message". A value set in the node wins over
 * the message; the message fields it shadows are reported so the node can warn. A setting
 * read from a typed source (msg, flow, global, env, JSONata) arrives already read, in `typed`,
 * and is validated as a msg.payload value would be, under the name the user gave its source.
 */
import { InputError } from '../plivo/errors';
import { text } from '../plivo/messages';
import { urlOrUndefined } from '../plivo/url';

export type Legs = 'aleg' | 'bleg' | 'both';
const LEGS: readonly Legs[] = ['aleg', 'bleg', 'both'];
export type CallAction = 'play' | 'stop';
const ACTIONS: readonly CallAction[] = ['play', 'stop'];

/** The node's settings as saved in the flow; '' (or absent) means "from the message". */
export interface PlaySettings {
  /** Absent in flows saved before stop existed: play. */
  action?: unknown;
  callUuid?: unknown;
  urls?: unknown;
  legs?: unknown;
  loop?: unknown;
  mix?: unknown;
  length?: unknown;
}

/** The settings that can be read from a typed source, saved with a `<field>Type` beside them. */
export const TYPED_FIELDS = ['callUuid', 'urls', 'legs', 'loop', 'mix', 'length'] as const;
export type TypedField = (typeof TYPED_FIELDS)[number];

/** A value read from a typed source, and the source as the user wrote it ("msg.call.uuid", "env.HOLD"). */
export interface TypedValue {
  value: unknown;
  where: string;
}

export type TypedValues = Partial<Record<TypedField, TypedValue>>;

/** The JSON body Plivo's Node SDK sends for the same parameters. */
export interface PlayBody {
  urls: string;
  length?: number;
  legs?: Legs;
  loop?: boolean;
  mix?: boolean;
}

export type CallRequest =
  | { action: 'play'; callUuid: string; body: PlayBody }
  | { action: 'stop'; callUuid: string };

export interface BuiltCallRequest {
  request: CallRequest;
  /** msg.payload fields that were present but shadowed by the node's settings. */
  ignoredFields: string[];
}

const CALL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const WHOLE_NUMBER = /^[0-9]+$/;

/** Where a value came from: a msg.payload field, one of the node's settings, or a typed source (`where`). */
interface Source {
  field: string;
  node: boolean;
  where?: string;
}

function fromMessage(field: string): Source {
  return { field, node: false };
}

function fromNode(field: string): Source {
  return { field, node: true };
}

/** The source as the user would name it in an error (only ever needed for one). */
function label(source: Source): string {
  if (source.where !== undefined) return source.where;
  return source.node ? text('node-setting', { field: source.field }) : `msg.payload.${source.field}`;
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function settingText(value: unknown): string {
  return value === undefined || value === null ? '' : String(value).trim();
}

function parseCallUuid(value: unknown, source: Source): string {
  if (isAbsent(value)) {
    throw new InputError(source.field, value, 'call-uuid-missing');
  }
  const text = typeof value === 'string' ? value.trim() : value;
  if (typeof text !== 'string' || !CALL_UUID.test(text)) {
    throw new InputError(source.field, value, 'call-uuid-invalid', { where: label(source) });
  }
  return text;
}

/** `position` is "[2]" for an array item, " (item 2)" for a list item, "" for a single URL. */
function parseUrl(value: unknown, source: Source, position: string): string {
  const fail = (key: string) => new InputError(source.field, value, key, { where: `${label(source)}${position}` });
  if (typeof value !== 'string') throw fail('url-type');
  const url = value.trim();
  if (url === '') throw fail('url-empty');
  if (/\s/.test(url)) throw fail('url-whitespace');
  const parsed = urlOrUndefined(url);
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.hostname === '') {
    throw fail('url-invalid');
  }
  return url;
}

/** One URL, a comma-separated list, or an array of URLs; Plivo takes them comma-joined. */
function parseUrls(value: unknown, source: Source): string {
  if (isAbsent(value) || (Array.isArray(value) && value.length === 0)) {
    throw new InputError(source.field, value, 'urls-missing');
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => {
      const url = parseUrl(item, source, `[${index}]`);
      if (url.includes(',')) {
        throw new InputError(source.field, item, 'url-comma', { where: `${label(source)}[${index}]` });
      }
      return url;
    }).join(',');
  }
  if (typeof value !== 'string') {
    throw new InputError(source.field, value, 'urls-type', { where: label(source) });
  }
  const items = value.split(',');
  const single = items.length === 1;
  return items.map((item, index) => parseUrl(item, source, single ? '' : ` ${text('list-item', { n: index + 1 })}`)).join(',');
}

/** One of a fixed set of words (surrounding spaces allowed), or an error with `key`. */
function choiceParser<T extends string>(choices: readonly T[], key: string) {
  return (value: unknown, source: Source): T => {
    const word = typeof value === 'string' ? value.trim() : value;
    const choice = choices.find((candidate) => candidate === word);
    if (choice === undefined) throw new InputError(source.field, value, key, { where: label(source) });
    return choice;
  };
}

const parseLegs = choiceParser(LEGS, 'legs-invalid');
const parseAction = choiceParser(ACTIONS, 'action-invalid');

function parseFlag(value: unknown, source: Source): boolean {
  if (typeof value === 'boolean') {
    return value;
  }
  const flag = typeof value === 'string' ? value.trim() : undefined;
  if (flag === 'true' || flag === 'false') {
    return flag === 'true';
  }
  throw new InputError(source.field, value, 'flag-invalid', { where: label(source) });
}

function parseLength(value: unknown, source: Source): number {
  let seconds = Number.NaN;
  if (typeof value === 'number') {
    seconds = value;
  } else if (typeof value === 'string' && WHOLE_NUMBER.test(value.trim())) {
    seconds = Number(value.trim());
  }
  if (!Number.isSafeInteger(seconds) || seconds < 1) {
    throw new InputError(source.field, value, 'length-invalid', { where: label(source) });
  }
  return seconds;
}

/**
 * Picks a field from its typed source, the node's setting or the message. A message value
 * that the setting shadows is recorded in `ignored` only when it says something different;
 * a typed source shadows nothing (the user pointed the field elsewhere on purpose).
 */
function pick(
  field: string,
  setting: string,
  payload: Record<string, unknown>,
  messageKey: string,
  ignored: string[],
  typed?: TypedValue,
): { value: unknown; source: Source } | undefined {
  if (typed) {
    const { value, where } = typed;
    if (isAbsent(value) || (Array.isArray(value) && value.length === 0)) {
      throw new InputError(field, value === undefined || value === null ? undefined : value, 'typed-missing', { where, field });
    }
    return { value, source: { field, node: false, where } };
  }
  const messageValue = payload[messageKey];
  if (setting !== '') {
    if (!isAbsent(messageValue) && String(messageValue).trim() !== setting) {
      ignored.push(`msg.payload.${messageKey}`);
    }
    return { value: setting, source: fromNode(field) };
  }
  if (isAbsent(messageValue)) {
    return undefined;
  }
  return { value: messageValue, source: fromMessage(messageKey) };
}

/** The message's call UUID key: Plivo's API name, or the webhooks' CallUUID. */
function callUuidKey(payload: Record<string, unknown>): string {
  const snake = payload.call_uuid;
  const webhook = payload.CallUUID;
  if (!isAbsent(snake) && !isAbsent(webhook) && snake !== webhook) {
    throw new InputError('call_uuid', snake, 'call-uuid-conflict', { first: String(snake), second: String(webhook) });
  }
  return isAbsent(snake) && !isAbsent(webhook) ? 'CallUUID' : 'call_uuid';
}

export function buildCallRequest(settings: PlaySettings, payload: unknown, typed: TypedValues = {}): BuiltCallRequest {
  const actionSetting = settings.action === undefined ? 'play' : settingText(settings.action);
  const callUuidSetting = settingText(settings.callUuid);
  const urlsSetting = settingText(settings.urls);
  const fields = isRecord(payload) ? payload : {};
  const ignoredFields: string[] = [];
  const picked = pick('action', actionSetting, fields, 'action', ignoredFields);
  const action = picked ? parseAction(picked.value, picked.source) : 'play';
  const needsPayload = (callUuidSetting === '' && !typed.callUuid) || (action === 'play' && urlsSetting === '' && !typed.urls);
  if (!isRecord(payload) && needsPayload) {
    const needed = action === 'play' ? 'call_uuid and urls' : 'call_uuid';
    throw new InputError('payload', payload, 'payload-not-object', { needed });
  }

  const callUuidMessageKey = typed.callUuid ? 'call_uuid' : callUuidKey(fields);
  const callUuid = pick('callUuid', callUuidSetting, fields, callUuidMessageKey, ignoredFields, typed.callUuid);
  const validCallUuid = parseCallUuid(callUuid?.value, callUuid?.source ?? fromMessage('call_uuid'));
  if (action === 'stop') {
    return { request: { action, callUuid: validCallUuid }, ignoredFields };
  }

  const urls = pick('urls', urlsSetting, fields, 'urls', ignoredFields, typed.urls);
  const legs = pick('legs', settingText(settings.legs), fields, 'legs', ignoredFields, typed.legs);
  const loop = pick('loop', settingText(settings.loop), fields, 'loop', ignoredFields, typed.loop);
  const mix = pick('mix', settingText(settings.mix), fields, 'mix', ignoredFields, typed.mix);
  const length = pick('length', settingText(settings.length), fields, 'length', ignoredFields, typed.length);
  const body: PlayBody = {
    urls: parseUrls(urls?.value, urls?.source ?? fromMessage('urls')),
  };
  if (length) body.length = parseLength(length.value, length.source);
  if (legs) body.legs = parseLegs(legs.value, legs.source);
  if (loop) body.loop = parseFlag(loop.value, loop.source);
  if (mix) body.mix = parseFlag(mix.value, mix.source);

  return { request: { action, callUuid: validCallUuid, body }, ignoredFields };
}
