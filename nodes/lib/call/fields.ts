/**
 * What the call nodes' request builders share: where a value came from (the node, msg.payload
 * or a typed source) and how it is named in errors, picking a field by precedence, and the
 * fields every call request has (call UUID, legs, loop, mix). No Node-RED here.
 */
import { formatValue, InputError, reasonOf, textOrUndefined } from '../common/errors';
import { text } from '../common/messages';

export type Legs = 'aleg' | 'bleg' | 'both';
const LEGS: readonly Legs[] = ['aleg', 'bleg', 'both'];

/** A value read from a typed source, and the source as the user wrote it ("msg.call.uuid", "env.HOLD"). */
export interface TypedValue {
  value: unknown;
  where: string;
}

/** Values read from typed sources, by setting name. */
export type TypedValues = Partial<Record<string, TypedValue>>;

const CALL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Where a value came from: a msg.payload field, one of the node's settings, or a typed source (`where`). */
export interface Source {
  field: string;
  node: boolean;
  where?: string;
}

export function fromMessage(field: string): Source {
  return { field, node: false };
}

export function fromNode(field: string): Source {
  return { field, node: true };
}

/** The source as the user would name it in an error (only ever needed for one). */
export function label(source: Source): string {
  if (source.where !== undefined) return source.where;
  return source.node ? text('node-setting', { field: source.field }) : `msg.payload.${source.field}`;
}

export function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

export function settingText(value: unknown): string {
  return value === undefined || value === null ? '' : String(value).trim();
}

/** `record[key]`; a getter that throws is an error naming `where`, not whatever it threw. */
export function readField(record: Record<string, unknown>, key: string, field: string, where: string): unknown {
  try {
    return record[key];
  } catch (error) {
    throw new InputError(field, undefined, 'unreadable', { where, reason: reasonOf(error) });
  }
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

/** One of a fixed set of words (surrounding spaces allowed), or an error with `key`. */
export function choiceParser<T extends string>(choices: readonly T[], key: string) {
  return (value: unknown, source: Source): T => {
    const word = typeof value === 'string' ? value.trim() : value;
    const choice = choices.find((candidate) => candidate === word);
    if (choice === undefined) throw new InputError(source.field, value, key, { where: label(source) });
    return choice;
  };
}

const parseLegs = choiceParser(LEGS, 'legs-invalid');

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

/**
 * Picks a field from its typed source, the node's setting or the message. A message value
 * that the setting shadows is recorded in `ignored` only when it says something different;
 * a typed source shadows nothing (the user pointed the field elsewhere on purpose).
 */
export function pick(
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
  const messageValue = readField(payload, messageKey, field, `msg.payload.${messageKey}`);
  if (setting !== '') {
    // A value that cannot be turned into text is not the setting either: it is ignored, and the warning names it.
    if (!isAbsent(messageValue) && textOrUndefined(messageValue)?.trim() !== setting) {
      ignored.push(`msg.payload.${messageKey}`);
    }
    return { value: setting, source: fromNode(field) };
  }
  if (isAbsent(messageValue)) {
    return undefined;
  }
  return { value: messageValue, source: fromMessage(messageKey) };
}

/**
 * The operation of `choices` a message asks for, read without checks (to know which typed settings
 * to read before the request is built): the node's setting, or msg.payload.operation when that is
 * '' or 'msg'. Undefined when there is none, or not one of `choices`.
 */
export function namedOperation<T extends string>(setting: unknown, payload: unknown, choices: readonly T[]): T | undefined {
  const text = settingText(setting);
  const named = text === '' || text === 'msg' ? (isRecord(payload) ? payload.operation : undefined) : text;
  return choices.find((candidate) => candidate === (typeof named === 'string' ? named.trim() : named));
}

/**
 * The operation a node with an Operation menu (plivo call, plivo conference) does for a message: its
 * setting, or msg.payload.operation when the setting is '' or 'msg'; `missing` is the error key when neither has one.
 */
export function pickOperation<T>(
  setting: unknown, payload: unknown, ignored: string[], parse: (value: unknown, source: Source) => T, missing: string,
): { operation: T; value: unknown; source: Source } {
  const fields = isRecord(payload) ? payload : {};
  const text = settingText(setting);
  const picked = pick('operation', text === '' || text === 'msg' ? '' : text, fields, 'operation', ignored);
  if (!picked) {
    if (!isRecord(payload)) throw new InputError('payload', payload, 'payload-not-object', { needed: 'operation' });
    throw new InputError('operation', undefined, missing);
  }
  return { operation: parse(picked.value, picked.source), value: picked.value, source: picked.source };
}

/** The message's call UUID key: Plivo's API name, or the webhooks' CallUUID. */
function callUuidKey(payload: Record<string, unknown>): string {
  const snake = readField(payload, 'call_uuid', 'call_uuid', 'msg.payload.call_uuid');
  const webhook = readField(payload, 'CallUUID', 'call_uuid', 'msg.payload.CallUUID');
  if (!isAbsent(snake) && !isAbsent(webhook) && snake !== webhook) {
    throw new InputError('call_uuid', snake, 'call-uuid-conflict', { first: formatValue(snake), second: formatValue(webhook) });
  }
  return isAbsent(snake) && !isAbsent(webhook) ? 'CallUUID' : 'call_uuid';
}

/** The call UUID from the node's setting, a typed source or the message (call_uuid or CallUUID), validated. */
export function pickCallUuid(setting: string, payload: Record<string, unknown>, ignored: string[], typed: TypedValues): string {
  const messageKey = typed.callUuid ? 'call_uuid' : callUuidKey(payload);
  const callUuid = pick('callUuid', setting, payload, messageKey, ignored, typed.callUuid);
  return parseCallUuid(callUuid?.value, callUuid?.source ?? fromMessage('call_uuid'));
}

/**
 * Whether a request sent to these legs is about the call itself (the A leg, Plivo's default):
 * only then does Plivo's 404 mean the call has ended (Plivo's "Errors" page: 404, the call is
 * no longer in progress). Sent to a B leg, a 404 may mean only that the call has none.
 */
export function aLegOnly(legs: unknown): boolean {
  return legs === undefined || legs === 'aleg';
}

/** What a Play and a Speak both carry besides their own fields: Plivo's legs, loop and mix. */
export interface CallOptions {
  legs?: Legs;
  loop?: boolean;
  mix?: boolean;
}

/** Legs, loop and mix, each from the node's setting, a typed source or the message; only those given. */
export function pickCallOptions(
  settings: { legs?: unknown; loop?: unknown; mix?: unknown }, payload: Record<string, unknown>, ignored: string[], typed: TypedValues,
): CallOptions {
  const options: CallOptions = {};
  const legs = pick('legs', settingText(settings.legs), payload, 'legs', ignored, typed.legs);
  const loop = pick('loop', settingText(settings.loop), payload, 'loop', ignored, typed.loop);
  const mix = pick('mix', settingText(settings.mix), payload, 'mix', ignored, typed.mix);
  if (legs) options.legs = parseLegs(legs.value, legs.source);
  if (loop) options.loop = parseFlag(loop.value, loop.source);
  if (mix) options.mix = parseFlag(mix.value, mix.source);
  return options;
}
