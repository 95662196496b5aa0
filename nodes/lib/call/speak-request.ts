/**
 * Turns the plivo-speak node's settings and an incoming msg.payload into a validated
 * "Speak text on a call" (or "Stop speaking") request. No Node-RED here: unit tests call it
 * directly. Settings work as plivo play's (play-request.ts): '' takes the field from the
 * message, a set value wins (the message fields it shadows are reported), a typed source
 * arrives already read. A string msg.payload is the text when the node's Text is blank.
 */
import { InputError } from '../common/errors';
import { codePointsUpTo, longerThan } from '../common/text-length';
import {
  choiceParser, fromMessage, isAbsent, isRecord, label, pick, pickCallOptions, pickCallUuid, settingText,
  type CallOptions, type Source, type TypedValues,
} from './fields';
import { DEFAULT_LANGUAGE, DEFAULT_VOICE, languageCaseOf, speakLanguage, type Voice } from './speak-languages';

export type SpeakAction = 'speak' | 'stop';
const ACTIONS: readonly SpeakAction[] = ['speak', 'stop'];
const VOICES: readonly Voice[] = ['WOMAN', 'MAN'];

/** The node's settings as saved in the flow; '' (or absent) means "from the message". */
export interface SpeakSettings {
  action?: unknown;
  callUuid?: unknown;
  text?: unknown;
  voice?: unknown;
  language?: unknown;
  legs?: unknown;
  loop?: unknown;
  mix?: unknown;
}

/** The settings that can be read from a typed source, saved with a `<field>Type` beside them. */
export const SPEAK_TYPED_FIELDS = ['callUuid', 'text', 'voice', 'language', 'legs', 'loop', 'mix'] as const;

/** The JSON body Plivo's Node SDK (`calls.speakText`) sends for the same parameters. */
export interface SpeakBody extends CallOptions {
  text: string;
  voice?: Voice;
  language?: string;
}

export type SpeakRequest =
  | { action: 'speak'; callUuid: string; body: SpeakBody }
  | { action: 'stop'; callUuid: string };

export interface BuiltSpeakRequest {
  request: SpeakRequest;
  /** msg.payload fields that were present but shadowed by the node's settings. */
  ignoredFields: string[];
}

const parseAction = choiceParser(ACTIONS, 'speak-action-invalid');
export const parseVoice = choiceParser(VOICES, 'voice-invalid');

/**
 * The most text one Speak carries: Plivo's SSML page gives 3,000 characters for a Polly `<Speak>`
 * (https://www.plivo.com/docs/voice/concepts/ssml), the voices this node uses; the API page gives none.
 */
export const MAX_TEXT_CHARACTERS = 3_000;

/** Text longer than this (code units) is said to be at least half as many characters long, not counted. */
const COUNTED_UP_TO = 100_000;

/** Text as given (numbers too: "4711"), trimmed, at most MAX_TEXT_CHARACTERS. */
export function parseText(value: unknown, source: Source): string {
  if (isAbsent(value)) throw new InputError(source.field, undefined, 'text-missing');
  if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
    throw new InputError(source.field, value, 'text-type', { where: label(source) });
  }
  const text = String(value).trim();
  if (text === '') throw new InputError(source.field, value, 'text-empty', { where: label(source) });
  // Characters as Plivo counts them (code points), counted exactly only while that is cheap.
  if (longerThan(text, MAX_TEXT_CHARACTERS)) {
    const count = codePointsUpTo(text, COUNTED_UP_TO);
    throw count === undefined
      ? new InputError(source.field, undefined, 'text-far-too-long', { where: label(source), min: Math.ceil(text.length / 2), max: MAX_TEXT_CHARACTERS })
      : new InputError(source.field, undefined, 'text-too-long', { where: label(source), count, max: MAX_TEXT_CHARACTERS });
  }
  return text;
}

export function parseLanguage(value: unknown, source: Source): string {
  const code = typeof value === 'string' ? value.trim() : undefined;
  if (code !== undefined && speakLanguage(code)) return code;
  const cased = code === undefined ? undefined : languageCaseOf(code);
  if (cased) throw new InputError(source.field, value, 'language-case', { where: label(source), language: cased });
  throw new InputError(source.field, value, 'language-invalid', { where: label(source) });
}

/** The voice must be one the language has, counting Plivo's defaults for whichever is not given. */
export function checkVoiceInLanguage(voice: { value: unknown; source: Source } | undefined, body: { voice?: Voice; language?: string }): void {
  const language = speakLanguage(body.language ?? DEFAULT_LANGUAGE);
  const wanted = body.voice ?? DEFAULT_VOICE;
  if (!language || language.voices.includes(wanted)) return;
  const params = { language: language.code, name: language.name, voices: language.voices.join(', '), voice: wanted };
  if (voice) {
    throw new InputError('voice', voice.value, 'voice-unavailable', { ...params, where: label(voice.source) });
  }
  throw new InputError('voice', undefined, 'voice-default-unavailable', params);
}

export function buildSpeakRequest(settings: SpeakSettings, payload: unknown, typed: TypedValues = {}): BuiltSpeakRequest {
  const actionSetting = settings.action === undefined ? 'speak' : settingText(settings.action);
  const callUuidSetting = settingText(settings.callUuid);
  const textSetting = settingText(settings.text);
  const fields = isRecord(payload) ? payload : {};
  const ignoredFields: string[] = [];
  const picked = pick('action', actionSetting, fields, 'action', ignoredFields);
  const action = picked ? parseAction(picked.value, picked.source) : 'speak';
  const needsCallUuid = callUuidSetting === '' && !typed.callUuid;
  const needsText = action === 'speak' && textSetting === '' && !typed.text;
  const payloadIsText = needsText && typeof payload === 'string';
  if (!isRecord(payload) && (needsCallUuid || (needsText && !payloadIsText))) {
    if (!needsCallUuid) throw new InputError('payload', payload, 'payload-not-text');
    throw new InputError('payload', payload, 'payload-not-object', { needed: needsText ? 'call_uuid and text' : 'call_uuid' });
  }

  const validCallUuid = pickCallUuid(callUuidSetting, fields, ignoredFields, typed);
  if (action === 'stop') {
    return { request: { action, callUuid: validCallUuid }, ignoredFields };
  }

  const text = payloadIsText
    ? { value: payload, source: { field: 'text', node: false, where: 'msg.payload' } }
    : pick('text', textSetting, fields, 'text', ignoredFields, typed.text);
  const voice = pick('voice', settingText(settings.voice), fields, 'voice', ignoredFields, typed.voice);
  const language = pick('language', settingText(settings.language), fields, 'language', ignoredFields, typed.language);
  const body: SpeakBody = { text: parseText(text?.value, text?.source ?? fromMessage('text')) };
  if (voice) body.voice = parseVoice(voice.value, voice.source);
  if (language) body.language = parseLanguage(language.value, language.source);
  checkVoiceInLanguage(voice, body);
  const options = pickCallOptions(settings, fields, ignoredFields, typed);

  return { request: { action, callUuid: validCallUuid, body: { ...body, ...options } }, ignoredFields };
}
