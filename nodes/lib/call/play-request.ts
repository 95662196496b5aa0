/**
 * Turns the plivo-play node's settings and an incoming msg.payload into a validated
 * "Play audio on a call" (or "Stop playing") request. No Node-RED here: unit tests call it directly.
 *
 * Settings use '' for "take this from the message". A value set in the node wins over
 * the message; the message fields it shadows are reported so the node can warn. A setting
 * read from a typed source (msg, flow, global, env, JSONata) arrives already read, in `typed`,
 * and is validated as a msg.payload value would be, under the name the user gave its source.
 */
import { InputError } from '../common/errors';
import { text } from '../common/messages';
import { urlOrUndefined } from '../common/url';
import {
  choiceParser, fromMessage, isAbsent, isRecord, label, pick, pickCallOptions, pickCallUuid, settingText,
  type CallOptions, type Source, type TypedValues,
} from './fields';

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
export const PLAY_TYPED_FIELDS = ['callUuid', 'urls', 'legs', 'loop', 'mix', 'length'] as const;
/** The JSON body Plivo's Node SDK sends for the same parameters. */
export interface PlayBody extends CallOptions {
  urls: string;
  length?: number;
}

export type CallRequest =
  | { action: 'play'; callUuid: string; body: PlayBody }
  | { action: 'stop'; callUuid: string };

export interface BuiltCallRequest {
  request: CallRequest;
  /** msg.payload fields that were present but shadowed by the node's settings. */
  ignoredFields: string[];
}

const WHOLE_NUMBER = /^[0-9]+$/;
/**
 * Bounds Plivo does not document for Play, set so that no message can send an absurd request:
 * a call lasts at most 4 hours (Plivo's Make a call `time_limit`, 14,400 s), so no play can be
 * longer; 100 files and 2,048 characters a URL are far past any real playlist or audio URL.
 */
export const MAX_LENGTH_SECONDS = 14_400;
export const MAX_URLS = 100;
export const MAX_URL_CHARACTERS = 2_048;
/** Whitespace and control characters (NUL, DEL, ...) never belong in a URL Plivo fetches. */
const NOT_IN_URL = /[\s\u0000-\u001f\u007f]/;

/**
 * An absolute http(s) URL for Plivo to fetch (plivo call's URL fields use it too). `position` is
 * "[2]" for an array item, " (item 2)" for a list item, "" for a single URL.
 */
export function parseUrl(value: unknown, source: Source, position = ''): string {
  const fail = (key: string) => new InputError(source.field, value, key, { where: `${label(source)}${position}` });
  if (typeof value !== 'string') throw fail('url-type');
  const url = value.trim();
  if (url === '') throw fail('url-empty');
  // Not shown: its start may hold user info.
  if (url.length > MAX_URL_CHARACTERS) throw new InputError(source.field, undefined, 'url-too-long', { where: `${label(source)}${position}`, max: MAX_URL_CHARACTERS });
  if (/\s/.test(url)) throw fail('url-whitespace');
  if (NOT_IN_URL.test(url)) throw fail('url-control');
  const parsed = urlOrUndefined(url);
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.hostname === '') {
    throw fail('url-invalid');
  }
  // User info in a URL Plivo fetches would be a password in Plivo's logs, and `a\@b` reads as two hosts to two parsers.
  if (parsed.username !== '' || parsed.password !== '') throw new InputError(source.field, undefined, 'url-user-info', { where: `${label(source)}${position}` });
  // Sent as parsed, so Plivo fetches the host this check saw: `http:/x`, `https://x\@y/` are written out whole.
  return parsed.href === `${url}/` ? url : parsed.href;
}

/** The items of a comma-separated list, counted without splitting it. */
function listLength(list: string): number {
  let count = 1;
  for (let at = list.indexOf(','); at !== -1; at = list.indexOf(',', at + 1)) count += 1;
  return count;
}

/** One URL, a comma-separated list, or an array of URLs; Plivo takes them comma-joined. */
function parseUrls(value: unknown, source: Source): string {
  if (isAbsent(value) || (Array.isArray(value) && value.length === 0)) {
    throw new InputError(source.field, value, 'urls-missing');
  }
  const count = Array.isArray(value) ? value.length : typeof value === 'string' ? listLength(value) : 0;
  if (count > MAX_URLS) throw new InputError(source.field, undefined, 'urls-too-many', { where: label(source), count, max: MAX_URLS });
  // A list longer than its most URLs at their longest is refused before it is split.
  if (typeof value === 'string' && value.length > MAX_URLS * (MAX_URL_CHARACTERS + 1)) {
    throw new InputError(source.field, undefined, 'url-too-long', { where: label(source), max: MAX_URLS * (MAX_URL_CHARACTERS + 1) });
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

const parseAction = choiceParser(ACTIONS, 'action-invalid');

/** Seconds within a call's life, 1 to 14,400 (Play's length; plivo call's recording time_limit too). */
export function parseLength(value: unknown, source: Source): number {
  let seconds = Number.NaN;
  if (typeof value === 'number') {
    seconds = value;
  } else if (typeof value === 'string' && WHOLE_NUMBER.test(value.trim())) {
    seconds = Number(value.trim());
  }
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > MAX_LENGTH_SECONDS) {
    throw new InputError(source.field, value, 'length-invalid', { where: label(source), max: MAX_LENGTH_SECONDS });
  }
  return seconds;
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

  const validCallUuid = pickCallUuid(callUuidSetting, fields, ignoredFields, typed);
  if (action === 'stop') {
    return { request: { action, callUuid: validCallUuid }, ignoredFields };
  }

  const urls = pick('urls', urlsSetting, fields, 'urls', ignoredFields, typed.urls);
  const body: PlayBody = {
    urls: parseUrls(urls?.value, urls?.source ?? fromMessage('urls')),
  };
  const options = pickCallOptions(settings, fields, ignoredFields, typed);
  const length = pick('length', settingText(settings.length), fields, 'length', ignoredFields, typed.length);
  if (length) body.length = parseLength(length.value, length.source);

  return { request: { action, callUuid: validCallUuid, body: { ...body, ...options } }, ignoredFields };
}
