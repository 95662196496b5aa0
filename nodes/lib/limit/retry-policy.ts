/**
 * Which failed attempts to try again, and when.
 *
 * A 429 means Plivo did nothing, so it is always safe to try again: it does not use up
 * `retries`; a message waits out 429s until the account's rate-limit wait is used up.
 * 503 waits for Retry-After when Plivo gives it; other 5xx, resets and timeouts back off
 * exponentially with jitter; these count against `retries`. Any other 4xx is final.
 */
import { PlivoApiError, PROXY_REFUSED } from '../common/errors';
import { text } from '../common/messages';

const BASE_DELAY_MS = 500;
const MAX_BACKOFF_MS = 8_000;
/** A 503's Retry-After longer than this is not waited for: the message fails and says so. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** Network failures where a new attempt may pass. */
const RETRYABLE_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH',
  // A proxy that refuses (407, 502, ...) may be restarting or reconfigured: tried again like a reset.
  PROXY_REFUSED,
]);

/** Failures where the request cannot have reached the server: safe to try again even for a request sent at most once. */
const NEVER_ARRIVED_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', PROXY_REFUSED]);

export interface RetryDecision {
  retry: boolean;
  delayMs: number;
  /** How long the whole account should hold back; 0 for none. */
  pauseAccountMs: number;
  /** Why a retryable status was not retried, for the final error. */
  note?: string;
}

/** Retry-After as seconds or an HTTP date, in milliseconds from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | undefined, now: number): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^[0-9]+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff with equal jitter: half fixed, half random. */
export function backoffMs(attempt: number, random: () => number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, BASE_DELAY_MS * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

export function isRateLimited(error: unknown): error is PlivoApiError {
  return error instanceof PlivoApiError && error.statusCode === 429;
}

/**
 * After a 429. The message tries again after Retry-After, or without it after a jittered tenth
 * to a fifth of the window (so runtimes sharing the account do not retry in step). Retry-After
 * holds the whole account back too. Without it, the runtime's own window, cut by the 429
 * (adaptive-limit.ts), decides when it sends again; only once that share is at its floor does
 * the whole account hold back as well, so an account another client fills draws a 429 every
 * half second or so, not the floor's worth each window. (Holding back on every 429 idled the
 * runtime up to a second beyond what its cut share already held back.)
 *
 * @param rateLimitedForMs how long this message has been rate limited (since its first 429)
 * @param waitLimitMs the account's rate-limit wait: the most a message may spend rate limited
 * @param shareAtFloor this runtime's share of the account can be cut no further
 */
export function decideAfterRateLimit(
  error: PlivoApiError,
  rateLimitedForMs: number,
  waitLimitMs: number,
  windowMs: number,
  now: number,
  random: () => number = Math.random,
  shareAtFloor = false,
): RetryDecision {
  const left = waitLimitMs - rateLimitedForMs;
  if (left <= 0) {
    return { retry: false, delayMs: 0, pauseAccountMs: 0, note: text('rate-limit-wait-used', { seconds: Math.round(waitLimitMs / 1000) }) };
  }
  const retryAfter = parseRetryAfter(error.retryAfter, now);
  if (retryAfter !== undefined && retryAfter > left) {
    return { retry: false, delayMs: 0, pauseAccountMs: retryAfter, note: text('retry-after-too-long', { seconds: Math.round(retryAfter / 1000) }) };
  }
  const delayMs = Math.min(left, retryAfter ?? Math.round(windowMs * (0.1 + 0.1 * random())));
  return { retry: true, delayMs, pauseAccountMs: retryAfter !== undefined || shareAtFloor ? delayMs : 0 };
}

/**
 * After any failure but a 429.
 * @param failures the failed attempts so far, 429s not counted (1 after the first)
 * @param retries how many such failures may be tried again
 * @param atMostOnce the request must not take effect twice: only a connection never made is tried again
 */
export function decideRetry(
  error: unknown,
  failures: number,
  retries: number,
  now: number,
  random: () => number = Math.random,
  atMostOnce = false,
): RetryDecision {
  const final = { retry: false, delayMs: 0, pauseAccountMs: 0 };
  if (!(error instanceof PlivoApiError)) return final;
  if (atMostOnce && !(error.statusCode === undefined && error.code !== undefined && NEVER_ARRIVED_CODES.has(error.code))) {
    const mayHaveArrived = error.statusCode === undefined ? error.code !== undefined && RETRYABLE_CODES.has(error.code) : error.statusCode >= 500;
    return mayHaveArrived ? { ...final, note: text('sent-at-most-once') } : final;
  }
  const status = error.statusCode;
  const left = failures <= retries;

  if (status === 503) {
    const retryAfter = parseRetryAfter(error.retryAfter, now);
    if (retryAfter !== undefined && retryAfter > MAX_RETRY_AFTER_MS) {
      return { ...final, note: text('retry-after-too-long', { seconds: Math.round(retryAfter / 1000) }) };
    }
    const delayMs = retryAfter ?? backoffMs(failures, random);
    return { retry: left, delayMs, pauseAccountMs: retryAfter ?? 0 };
  }
  const retryable = status === undefined
    ? error.code !== undefined && RETRYABLE_CODES.has(error.code)
    : status >= 500;
  return retryable && left ? { retry: true, delayMs: backoffMs(failures, random), pauseAccountMs: 0 } : final;
}

/**
 * The error a message ends with when no retry is left: aborted at close, or the last answer
 * with `note` (why no retry) and the number of attempts when there was more than one.
 */
export function finalError(error: unknown, ended: { aborted: boolean; attempts: number; note?: string }): Error {
  if (!(error instanceof PlivoApiError)) {
    return error instanceof Error ? error : new Error(String(error));
  }
  if (ended.aborted) {
    return new PlivoApiError(text('closed-in-flight'), { code: error.code });
  }
  const notes = [ended.note, ended.attempts > 1 ? text('attempts', { count: ended.attempts }) : undefined].filter(Boolean);
  if (notes.length === 0) return error;
  return new PlivoApiError(`${error.message} (${notes.join('; ')})`, {
    statusCode: error.statusCode, body: error.body, code: error.code, retryAfter: error.retryAfter,
  });
}
