/**
 * Which failed attempts to try again, and when. 429 and 503 wait for Retry-After when
 * Plivo gives it; other 5xx, resets and timeouts back off exponentially with jitter;
 * any other 4xx is final. A 429 also pauses the whole account.
 */
import { PlivoApiError } from './errors';
import { text } from './messages';

const BASE_DELAY_MS = 500;
const MAX_BACKOFF_MS = 8_000;
/** A Retry-After longer than this is not waited for: the message fails and says so. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** Network failures where a new attempt may pass. */
const RETRYABLE_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH',
]);

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

/**
 * @param attempt the number of attempts made so far (1 after the first)
 * @param retries how many attempts may follow the first
 */
export function decideRetry(
  error: unknown,
  attempt: number,
  retries: number,
  now: number,
  random: () => number = Math.random,
): RetryDecision {
  const final = { retry: false, delayMs: 0, pauseAccountMs: 0 };
  if (!(error instanceof PlivoApiError)) return final;
  const status = error.statusCode;
  const left = attempt <= retries;

  if (status === 429 || status === 503) {
    const retryAfter = parseRetryAfter(error.retryAfter, now);
    const delayMs = Math.min(retryAfter ?? backoffMs(attempt, random), MAX_RETRY_AFTER_MS);
    const pauseAccountMs = status === 429 || retryAfter !== undefined ? delayMs : 0;
    if (retryAfter !== undefined && retryAfter > MAX_RETRY_AFTER_MS) {
      return { retry: false, delayMs, pauseAccountMs, note: text('retry-after-too-long', { seconds: Math.round(retryAfter / 1000) }) };
    }
    return { retry: left, delayMs, pauseAccountMs };
  }
  const retryable = status === undefined
    ? error.code !== undefined && RETRYABLE_CODES.has(error.code)
    : status >= 500;
  return retryable && left ? { retry: true, delayMs: backoffMs(attempt, random), pauseAccountMs: 0 } : final;
}
