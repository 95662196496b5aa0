/**
 * Whether a request to the plivo-webhook node's path is Plivo's: the body read within a limit,
 * the V3 signature checked, the nonce not seen before. Needs no Node-RED.
 */
import type { Readable } from 'node:stream';
import { text } from '../plivo/messages';
import { urlOrUndefined } from '../plivo/url';
import { NonceCache, parseParams, verifyV3, type WebhookMethod, type WebhookParams } from './signature';

/** Plivo's call webhooks are a few kilobytes; anything near this is not Plivo. */
export const MAX_BODY_BYTES = 64 * 1024;

const SIGNATURE = /^[A-Za-z0-9+/]{43}=$/;
const NONCE = /^[\x21-\x7e]{1,256}$/;

export type RejectReason = 'no-signature' | 'malformed-signature' | 'bad-signature' | 'replayed-nonce' | 'body-too-large';

export interface WebhookRequest {
  method: WebhookMethod;
  /** The URL Plivo called: scheme, host, path and query. */
  url: string;
  signatures: string | undefined;
  nonce: string | undefined;
  /** The form body of a POST ('' for GET). */
  body: string;
}

export type WebhookCheck = { params: WebhookParams } | { reason: RejectReason };

export function checkWebhook(request: WebhookRequest, authToken: string, nonces: NonceCache, now: number): WebhookCheck {
  const signatures = request.signatures?.trim() ?? '';
  const nonce = request.nonce?.trim() ?? '';
  if (signatures === '' || nonce === '') return { reason: 'no-signature' };
  if (!NONCE.test(nonce) || !signatures.split(',').every((one) => SIGNATURE.test(one.trim()))) {
    return { reason: 'malformed-signature' };
  }
  const postParams = request.method === 'POST' ? parseParams(request.body) : {};
  if (!verifyV3(authToken, request.method, request.url, postParams, nonce, signatures)) return { reason: 'bad-signature' };
  // Only signed nonces are recorded: unsigned junk cannot fill the cache.
  if (nonces.seen(nonce, now)) return { reason: 'replayed-nonce' };
  const queryParams = parseParams(new URL(request.url).search);
  return { params: request.method === 'POST' ? postParams : queryParams };
}

/** Reads a request body as text; undefined when it is longer than `limit` bytes. */
export function readBody(stream: Readable, limit = MAX_BODY_BYTES): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length > limit) {
        stream.off('data', onData);
        stream.off('end', onEnd);
        stream.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolve(Buffer.concat(chunks).toString('utf8'));
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', reject);
  });
}

/** `msg.payload`: each parameter as a string, or an array of strings when given more than once. */
export function payloadOf(params: WebhookParams): Record<string, string | string[]> {
  const payload: Record<string, string | string[]> = {};
  for (const [name, values] of Object.entries(params)) payload[name] = values.length === 1 ? values[0] : values;
  return payload;
}

/**
 * The public base URL setting: scheme and host (and port), optionally a path prefix; undefined
 * when blank. Throws with the reason when it is not an absolute http(s) URL.
 */
export function parsePublicUrl(value: unknown): string | undefined {
  const raw = typeof value === 'string' ? value.trim() : '';
  if (raw === '') return undefined;
  const url = urlOrUndefined(raw);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username || url.password) {
    throw new Error(text('public-url-invalid', { value: raw }));
  }
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/** The URL Plivo called: the public base URL, or the scheme and Host the request came with, then its path and query. */
export function calledUrl(publicUrl: string | undefined, protocol: string, host: string | undefined, originalUrl: string): string {
  return `${publicUrl ?? `${protocol}://${host ?? 'localhost'}`}${originalUrl}`;
}

/**
 * At most one warning per `intervalMs`; the ones held back are counted into the next, so a
 * flood of bad requests cannot flood the log.
 */
export class WarningLimiter {
  private lastAt = Number.NEGATIVE_INFINITY;
  private held = 0;

  constructor(private readonly intervalMs = 10_000) {}

  /** Calls `warn` with the number held back since the last warning, or counts this one. */
  offer(now: number, warn: (heldBack: number) => void): void {
    if (now - this.lastAt < this.intervalMs) {
      this.held += 1;
      return;
    }
    const heldBack = this.held;
    this.held = 0;
    this.lastAt = now;
    warn(heldBack);
  }
}
