/**
 * Errors the plivo-play node reports. None ever carries credentials or request options.
 * Node-RED shows `err.toString()` ("<name>: <message>"), so names and messages are written
 * for people, in the catalog (messages.ts).
 */
import { types } from 'node:util';
import { text, type Params } from './messages';

const MAX_SHOWN = 80;

/** Values looked at, at most, to show one: a huge or deep payload costs no more than a small one. */
const MAX_VISITED = 40;

/**
 * A short, safe rendering of a value the user sent, for error messages: JSON of its first few
 * parts, at most MAX_SHOWN characters. Never throws, whatever the value (a Proxy, a throwing
 * getter or toJSON), and never reads more than MAX_VISITED of its parts.
 */
export function formatValue(value: unknown): string {
  if (typeof value === 'function' || typeof value === 'symbol') return `a ${typeof value}`;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return cut(JSON.stringify(value.length > MAX_SHOWN ? value.slice(0, MAX_SHOWN) : value), value.length > MAX_SHOWN);
  let text: string | undefined;
  try {
    if (Buffer.isBuffer(value)) return `a Buffer of ${value.length} bytes`;
    let visited = 0;
    text = JSON.stringify(value, (_key, part: unknown) => {
      visited += 1;
      if (visited > MAX_VISITED) return undefined;
      if (typeof part === 'string' && part.length > MAX_SHOWN) return part.slice(0, MAX_SHOWN);
      if (Array.isArray(part) && part.length > MAX_VISITED) return part.slice(0, MAX_VISITED);
      return part;
    }) ?? textOrUndefined(value);
  } catch {
    text = undefined;
  }
  return cut(text ?? reasonOf(value), false);
}

/** `text` cut to MAX_SHOWN characters, with `...` where something was left out. */
function cut(text: string, shortened: boolean): string {
  return text.length > MAX_SHOWN || shortened ? `${text.slice(0, MAX_SHOWN - 3)}...` : text;
}

/** `value` as text, or undefined when it cannot be turned into text (a null-prototype object, a throwing toString). */
export function textOrUndefined(value: unknown): string | undefined {
  try {
    return String(value);
  } catch {
    return undefined;
  }
}

/**
 * The reason an error gives, whatever was thrown; never throws itself. A message getter, a
 * toString or a Proxy's trap that throws (even what it was asked about) leaves the value's kind.
 */
export function reasonOf(error: unknown): string {
  try {
    const message = (error as { message?: unknown } | undefined)?.message;
    if (typeof message === 'string') return message;
  } catch {
    // No message to be had: the value's own text, or its kind.
  }
  const own = textOrUndefined(error);
  if (own !== undefined) return own;
  try {
    return Object.prototype.toString.call(error);
  } catch {
    return `an unreadable ${typeof error}`;
  }
}

/**
 * What was thrown, as an Error that can be read and printed (JSONata and promise rejections may
 * throw anything); never throws itself. A Proxy, or an Error whose message or name cannot be
 * read, becomes a plain Error with what reasonOf could make of it.
 */
export function asError(error: unknown): Error {
  try {
    if (!types.isProxy(error) && error instanceof Error && typeof error.message === 'string' && typeof String(error) === 'string') return error;
  } catch {
    // Not an Error that can be handed on as it is.
  }
  return new Error(reasonOf(error));
}

/** `text(key, params)`, then the bad value when there is one: "... (got "abc")". */
export function describe(key: string, params: Params, value: unknown): string {
  const reason = text(key, params);
  return value === undefined ? reason : `${reason} ${text('got', { value: formatValue(value) })}`;
}

/** Bad input: no request was sent. `field` is the Plivo parameter (or 'payload'); a missing value is not shown. */
export class InputError extends Error {
  readonly field: string;
  readonly value: unknown;

  constructor(field: string, value: unknown, key: string, params: Params = {}) {
    super(describe(key, params, value));
    this.name = text('names.input');
    this.field = field;
    this.value = value;
  }
}

/** The code of a proxy refusal (407, 502, ...): the client gives it, the retry policy retries it like a reset. */
export const PROXY_REFUSED = 'EPROXYREFUSED';

export interface PlivoApiErrorDetails {
  statusCode?: number;
  body?: unknown;
  /** Network error code (ECONNRESET, ETIMEDOUT, ...) when Plivo was not reached. */
  code?: string;
  /** Plivo's Retry-After header, as sent. */
  retryAfter?: string;
}

/** Plivo answered with an error status, or could not be reached (no statusCode then). */
export class PlivoApiError extends Error {
  readonly statusCode: number | undefined;
  /** Plivo's response body when it was JSON, else the raw text. */
  readonly body: unknown;
  readonly code: string | undefined;
  readonly retryAfter: string | undefined;

  constructor(message: string, details: PlivoApiErrorDetails = {}) {
    super(message);
    this.name = text('names.api');
    this.statusCode = details.statusCode;
    this.body = details.body;
    this.code = details.code;
    this.retryAfter = details.retryAfter;
  }
}

/** The message was accepted but its request was never sent: the queue was full, or the node closed. */
export class NotSentError extends Error {
  readonly statusCode: number | undefined;

  constructor(message: string, statusCode?: number) {
    super(message);
    this.name = text('names.not-sent');
    this.statusCode = statusCode;
  }
}

/** Seconds as the errors show them: whole from 10 s, else to a tenth. */
function seconds(ms: number): number {
  return ms >= 10_000 ? Math.round(ms / 1000) : Math.round(ms / 100) / 10;
}

/** A message that waited in the queue longer than its maximum wait: never sent. */
export class ExpiredError extends NotSentError {
  readonly code = 'EXPIRED';

  constructor(waitedMs: number, maxWaitMs: number, source: string) {
    super(text('waited-too-long', { waited: seconds(waitedMs), limit: seconds(maxWaitMs), source }));
  }
}

/** A call still in this package's queue that the flow cancelled (msg.cancel): never placed. */
export class CancelledError extends NotSentError {
  readonly code = 'CANCELLED';

  constructor() {
    super(text('cancelled'));
  }
}

/** A placed call whose hangup callback never came within the longest the call could last. */
export class NoOutcomeError extends Error {
  readonly code = 'NO_HANGUP_HEARD';

  constructor(requestUuid: string, minutes: number) {
    super(text('no-hangup-heard', { request: requestUuid, minutes }));
    this.name = text('names.outcome');
  }
}

/** Plivo answered, but its answer could not be written into the message the node was given. */
export class OutcomeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = text('names.outcome');
  }
}

/** A problem with the account (config) node itself: missing credentials, bad base URL. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = text('names.account');
  }
}

/** How the account learnt that a call ended. */
export type EndedBy = 'webhook' | 'hang-up' | 'not-found';

/** A call that has ended: when (ms since the epoch) and how the account learnt it. */
export interface EndedCall {
  at: number;
  by: EndedBy;
}

/** "12:04:31", the runtime's local time of day. */
function timeOfDay(at: number): string {
  const date = new Date(at);
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((part) => String(part).padStart(2, '0')).join(':');
}

/**
 * A request for a call that has ended, ended unsent: Plivo would answer 404 and the request
 * would spend a slot of the account's limit. `code` tells it apart in a Catch or switch node
 * (Node-RED copies it to msg.error.code).
 */
export class CallEndedError extends NotSentError {
  readonly code = 'CALL_ENDED';
  readonly callUuid: string;
  readonly ended: EndedCall;

  /** `named`: the request names the call as a conference member (plivo conference), said first. */
  constructor(callUuid: string, ended: EndedCall, named?: string) {
    const said = text('call-ended', { time: timeOfDay(ended.at), by: text(`ended-by.${ended.by}`) });
    super(named === undefined ? said : `${named}: ${said}`);
    this.callUuid = callUuid;
    this.ended = ended;
  }
}

/**
 * A request for conference members one of whom, named by call, is not in the room: it left (its
 * exit event was heard at `leftAt`) or a details lookup did not find it. Ended unsent, as a
 * request for an ended call: Plivo would answer 404. `code` tells it apart in a Catch node.
 */
export class MemberLeftError extends NotSentError {
  readonly code = 'MEMBER_LEFT';

  constructor(readonly callUuid: string, readonly conference: string, leftAt: number | undefined) {
    super(leftAt === undefined
      ? text('conference.member-not-in-room', { callUuid, conference })
      : text('conference.member-left', { callUuid, conference, time: timeOfDay(leftAt) }));
  }
}
