/**
 * Turns the plivo-conference node's settings and an incoming msg.payload into one validated
 * request of Plivo's Conference API (https://www.plivo.com/docs/voice/api/conference/): list the
 * live conferences, one conference's details, hang up one or all, record and stop; and for
 * members (one member ID, a comma list, `all`, or members named by their call UUID): hang up,
 * kick, mute/unmute, deaf/undeaf, play/stop playing, speak/stop speaking. No Node-RED here.
 *
 * Settings work as plivo call's (call-request.ts): '' takes the field from the message, a set
 * value wins, a typed source arrives already read; fields carry Plivo's parameter names. Requests
 * and their forms follow the official Node SDK (plivo/dist/resources/conferences.js:
 * conferences.list, get, hangup, hangupAll, record, stopRecording, hangupMember, kickMember,
 * muteMember, unmuteMember, deafMember, undeafMember, playAudioToMember,
 * stopPlayingAudioToMember, speakTextToMember, stopSpeakingTextToMember).
 */
import { InputError } from '../common/errors';
import { parseUrl } from './play-request';
import { RECORDING_FIELDS, RECORDING_PARSERS, type RecordingSettings } from './call-request';
import { checkVoiceInLanguage, parseLanguage, parseText, parseVoice } from './speak-request';
import type { Voice } from './speak-languages';
import {
  choiceParser, fromMessage, isAbsent, isRecord, label, namedOperation, pick, pickOperation, readField, settingText, type Source, type TypedValues,
} from './fields';

export const CONFERENCE_OPERATIONS = [
  'list', 'details', 'hangup', 'hangup-all', 'record', 'stop-recording',
  'member-hangup', 'kick', 'mute', 'unmute', 'deaf', 'undeaf', 'play', 'stop-play', 'speak', 'stop-speak',
] as const;
export type ConferenceOperation = (typeof CONFERENCE_OPERATIONS)[number];

/** The node's settings as saved in the flow; '' (or absent) means "from the message". Operation 'msg': msg.payload.operation. */
export interface ConferenceSettings extends RecordingSettings {
  operation?: unknown;
  /** Hang up all conferences is sent only when this box is ticked, whatever the message asks. */
  allowHangupAll?: unknown;
  conference_name?: unknown;
  member_id?: unknown;
  url?: unknown;
  text?: unknown;
  voice?: unknown;
  language?: unknown;
}

const MEMBER = ['conference_name', 'member_id'] as const;

/** The settings each operation reads, by Plivo's names. */
export const CONFERENCE_FIELDS: Record<ConferenceOperation, readonly (keyof ConferenceSettings)[]> = {
  list: [],
  details: ['conference_name'],
  hangup: ['conference_name'],
  'hangup-all': [],
  record: ['conference_name', ...RECORDING_FIELDS],
  'stop-recording': ['conference_name'],
  'member-hangup': MEMBER,
  kick: MEMBER,
  mute: MEMBER,
  unmute: MEMBER,
  deaf: MEMBER,
  undeaf: MEMBER,
  play: [...MEMBER, 'url'],
  'stop-play': MEMBER,
  speak: [...MEMBER, 'text', 'voice', 'language'],
  'stop-speak': MEMBER,
};

export const CONFERENCE_TYPED_FIELDS = [...new Set(Object.values(CONFERENCE_FIELDS).flat())] as const;

/** A member as a message names it: Plivo's member ID, or the call it is. */
export type MemberItem = { memberId: string } | { callUuid: string };
/** The members an operation is for: `all`, or a list. */
export type Members = 'all' | readonly MemberItem[];

/** A play or speak that Plivo stops only when the stop names the members as the start did. */
export type MemberMedia = 'play' | 'speak';

/** The request, ready for the client once its members are member IDs: `path` is under /v1/Account/{auth_id}/. */
export interface ConferenceRequest {
  operation: ConferenceOperation;
  method: 'GET' | 'POST' | 'DELETE';
  /** The whole path; for a member operation, up to Member/ (memberPath adds the members and the action). */
  path: string;
  conference?: string;
  members?: Members;
  /** After Member/{ids}/: '', 'Kick/', 'Mute/', 'Deaf/', 'Play/' or 'Speak/'. */
  action?: string;
  /** The members as member IDs (`all`, one, or a comma list), once resolved; the path then holds them. */
  memberIds?: string;
  /** A JSON body, as the SDK sends it. */
  body?: Record<string, string>;
}

export interface BuiltConferenceRequest {
  request: ConferenceRequest;
  ignoredFields: string[];
}

/** What each member operation sends after Member/{ids}/, and how. */
const MEMBER_ACTIONS: Partial<Record<ConferenceOperation, { method: 'POST' | 'DELETE'; action: string }>> = {
  'member-hangup': { method: 'DELETE', action: '' },
  kick: { method: 'POST', action: 'Kick/' },
  mute: { method: 'POST', action: 'Mute/' },
  unmute: { method: 'DELETE', action: 'Mute/' },
  deaf: { method: 'POST', action: 'Deaf/' },
  undeaf: { method: 'DELETE', action: 'Deaf/' },
  play: { method: 'POST', action: 'Play/' },
  'stop-play': { method: 'DELETE', action: 'Play/' },
  speak: { method: 'POST', action: 'Speak/' },
  'stop-speak': { method: 'DELETE', action: 'Speak/' },
};

/** The play or speak an operation starts, if it starts one. */
export function mediaStarted(operation: ConferenceOperation): MemberMedia | undefined {
  return operation === 'play' || operation === 'speak' ? operation : undefined;
}

/** The play or speak an operation stops, if it stops one. */
export function mediaStopped(operation: ConferenceOperation): MemberMedia | undefined {
  return operation === 'stop-play' ? 'play' : operation === 'stop-speak' ? 'speak' : undefined;
}

/**
 * Operations that change a room or a call and are not the same when done twice (a hang-up, a
 * kick, a recording, a play or speech started) are sent at most once: never tried again once
 * they may have reached Plivo. Mute, deaf, their undoing, stops and reading are safe to repeat.
 */
export function conferenceSentAtMostOnce(operation: ConferenceOperation): boolean {
  return ['hangup', 'hangup-all', 'record', 'member-hangup', 'kick', 'play', 'speak'].includes(operation);
}

/** The settings a message's request reads; undefined when its operation is not known yet (then all). */
export function conferenceFieldsFor(settings: ConferenceSettings, payload: unknown): readonly string[] | undefined {
  const operation = namedOperation(settings.operation, payload, CONFERENCE_OPERATIONS);
  return operation === undefined ? undefined : CONFERENCE_FIELDS[operation];
}

/** A room's path under /v1/Account/{auth_id}/: its name percent-encoded as one segment (parseConferenceName checked it). */
export function conferencePath(name: string): string {
  return `Conference/${encodeURIComponent(name)}/`;
}

/** The request's whole path, its members given as member IDs (one, a comma list, or `all`). */
export function memberPath(request: ConferenceRequest, ids: string): string {
  return `${request.path}${ids}/${request.action ?? ''}`;
}

const parseOperation = choiceParser(CONFERENCE_OPERATIONS, 'conference.operation-invalid');

/** Longest name accepted: Plivo gives none; 128 is far past any room's name and keeps paths short. */
export const MAX_CONFERENCE_NAME = 128;
/** At most this many members named in one request: a conference holds at most 20 (Conference XML's maxMembers). */
export const MAX_MEMBERS = 100;

/**
 * A room's name goes into the request's path (Conference/{conference_name}/): Plivo's pages allow
 * spaces ("My Conf Room") and give no character set, so any text is taken, percent-encoded,
 * except what could change the path whatever the encoding (a slash or backslash, ?, #, %, a
 * control character, a name of only dots) or is no name at all.
 */
const NOT_IN_NAME = /[/\\?#%\u0000-\u001f\u007f]/;

export function parseConferenceName(value: unknown, source: Source): string {
  if (isAbsent(value)) throw new InputError(source.field, undefined, 'conference.name-missing');
  const name = typeof value === 'string' ? value.trim() : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
  if (name === undefined || name === '' || name.length > MAX_CONFERENCE_NAME || NOT_IN_NAME.test(name) || /^\.+$/.test(name)) {
    throw new InputError(source.field, value, 'conference.name-invalid', { where: label(source), max: MAX_CONFERENCE_NAME });
  }
  return name;
}

const MEMBER_ID = /^[0-9]{1,12}$/;
const CALL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseMemberItem(item: unknown, source: Source, position: string): MemberItem {
  const word = typeof item === 'number' && Number.isSafeInteger(item) && item >= 0 ? String(item) : typeof item === 'string' ? item.trim() : undefined;
  if (word !== undefined && MEMBER_ID.test(word)) return { memberId: word };
  if (word !== undefined && CALL_UUID.test(word)) return { callUuid: word.toLowerCase() };
  throw new InputError(source.field, item, 'conference.member-invalid', { where: `${label(source)}${position}` });
}

/**
 * Members as Plivo's member operations take them (one ID, a comma list, or `all`), or named by
 * their call UUIDs, in a comma list or an array; `all` stands alone.
 */
export function parseMembers(value: unknown, source: Source): Members {
  if (typeof value === 'string' && value.trim().toLowerCase() === 'all') return 'all';
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [value];
  if (items.length > MAX_MEMBERS) throw new InputError(source.field, undefined, 'conference.members-too-many', { where: label(source), count: items.length, max: MAX_MEMBERS });
  if (items.length === 0) throw new InputError(source.field, value, 'conference.member-invalid', { where: label(source) });
  const several = items.length > 1;
  return items.map((item, index) => parseMemberItem(item, source, !several ? '' : Array.isArray(value) ? `[${index}]` : ` (${index + 1})`));
}

/** The room's name: the node's setting, a typed source, msg.payload.conference_name, or a conference callback's ConferenceName. */
function pickConference(settings: ConferenceSettings, fields: Record<string, unknown>, ignored: string[], typed: TypedValues): string {
  const setting = settingText(settings.conference_name);
  const snake = readField(fields, 'conference_name', 'conference_name', 'msg.payload.conference_name');
  const key = setting === '' && !typed.conference_name && isAbsent(snake) ? 'ConferenceName' : 'conference_name';
  const picked = pick('conference_name', setting, fields, key, ignored, typed.conference_name);
  return parseConferenceName(picked?.value, picked?.source ?? fromMessage('conference_name'));
}

/**
 * The members: the node's setting, a typed source, or from the message by the first of
 * member_id, a conference callback's ConferenceMemberID, call_uuid and CallUUID that it has.
 */
function pickMembers(settings: ConferenceSettings, fields: Record<string, unknown>, ignored: string[], typed: TypedValues): Members {
  const setting = settingText(settings.member_id);
  let key = 'member_id';
  if (setting === '' && !typed.member_id) {
    key = ['member_id', 'ConferenceMemberID', 'call_uuid', 'CallUUID']
      .find((name) => !isAbsent(readField(fields, name, 'member_id', `msg.payload.${name}`))) ?? 'member_id';
  }
  const picked = pick('member_id', setting, fields, key, ignored, typed.member_id);
  if (!picked) throw new InputError('member_id', undefined, 'conference.member-missing');
  return parseMembers(picked.value, picked.source);
}

/** A play's URL, or a speech's text, voice and language (voice within the language, as plivo speak checks). */
function mediaBody(operation: ConferenceOperation, settings: ConferenceSettings, fields: Record<string, unknown>, ignored: string[], typed: TypedValues): Record<string, string> {
  if (operation === 'play') {
    const url = pick('url', settingText(settings.url), fields, 'url', ignored, typed.url);
    if (!url) throw new InputError('url', undefined, 'conference.url-missing');
    return { url: parseUrl(url.value, url.source) };
  }
  const text = pick('text', settingText(settings.text), fields, 'text', ignored, typed.text);
  if (!text) throw new InputError('text', undefined, 'conference.text-missing');
  const body: { text: string; voice?: Voice; language?: string } = { text: parseText(text.value, text.source) };
  const voice = pick('voice', settingText(settings.voice), fields, 'voice', ignored, typed.voice);
  const language = pick('language', settingText(settings.language), fields, 'language', ignored, typed.language);
  if (voice) body.voice = parseVoice(voice.value, voice.source);
  if (language) body.language = parseLanguage(language.value, language.source);
  checkVoiceInLanguage(voice, body);
  return body;
}

function recordBody(settings: ConferenceSettings, fields: Record<string, unknown>, ignored: string[], typed: TypedValues): Record<string, string> {
  const body: Record<string, string> = {};
  for (const name of RECORDING_FIELDS) {
    const picked = pick(name, settingText(settings[name]), fields, name, ignored, typed[name]);
    if (picked) body[name] = RECORDING_PARSERS[name](picked.value, picked.source);
  }
  return body;
}

export function buildConferenceRequest(settings: ConferenceSettings, payload: unknown, typed: TypedValues = {}): BuiltConferenceRequest {
  const fields = isRecord(payload) ? payload : {};
  const ignoredFields: string[] = [];
  const picked = pickOperation(settings.operation, payload, ignoredFields, parseOperation, 'conference.operation-missing');
  const { operation } = picked;
  if (operation === 'list') return { request: { operation, method: 'GET', path: 'Conference/' }, ignoredFields };
  if (operation === 'hangup-all') {
    if (settings.allowHangupAll !== true) throw new InputError('operation', picked.value, 'conference.hangup-all-not-allowed', { where: label(picked.source) });
    return { request: { operation, method: 'DELETE', path: 'Conference/' }, ignoredFields };
  }
  const conference = pickConference(settings, fields, ignoredFields, typed);
  const room = conferencePath(conference);
  const member = MEMBER_ACTIONS[operation];
  if (member) {
    const members = pickMembers(settings, fields, ignoredFields, typed);
    const media = mediaStarted(operation);
    const body = media ? mediaBody(operation, settings, fields, ignoredFields, typed) : undefined;
    return {
      request: { operation, method: member.method, path: `${room}Member/`, conference, members, action: member.action, ...(body ? { body } : {}) },
      ignoredFields,
    };
  }
  switch (operation) {
    case 'details':
      return { request: { operation, method: 'GET', path: room, conference }, ignoredFields };
    case 'hangup':
      return { request: { operation, method: 'DELETE', path: room, conference }, ignoredFields };
    case 'record':
      return { request: { operation, method: 'POST', path: `${room}Record/`, conference, body: recordBody(settings, fields, ignoredFields, typed) }, ignoredFields };
    default:
      return { request: { operation, method: 'DELETE', path: `${room}Record/`, conference }, ignoredFields };
  }
}
