/**
 * Plivo's V3 webhook signature (X-Plivo-Signature-V3, X-Plivo-Signature-V3-Nonce), as Plivo's
 * SDKs compute it: HMAC-SHA256 with the Auth Token over
 * - GET: the URL with its query parameters sorted (`https://host/path?a=1&b=2`);
 * - POST: the URL, `?`, the sorted query and a `.` when there is one, then each POST parameter
 *   as name and value run together, names sorted (`https://host/path?CallUUIDabcFrom123`);
 *   with no POST parameters, as GET;
 * then `.` and the nonce; base64. A parameter given more than once has its values sorted.
 * Several signatures may come, comma-separated: one match is enough.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Parameter name to its values, in the order received. */
export type WebhookParams = Record<string, string[]>;

export type WebhookMethod = 'GET' | 'POST';

/** Parses a query string or a form body the way Plivo's SDKs do (`+` is a space). */
export function parseParams(text: string): WebhookParams {
  const params: WebhookParams = Object.create(null);
  for (const [name, value] of new URLSearchParams(text)) (params[name] ??= []).push(value);
  return params;
}

function sortedQuery(params: WebhookParams): string {
  return Object.keys(params).sort()
    .flatMap((name) => [...params[name]].sort().map((value) => `${name}=${value}`))
    .join('&');
}

function sortedPostString(params: WebhookParams): string {
  return Object.keys(params).sort()
    .flatMap((name) => [...params[name]].sort().map((value) => `${name}${value}`))
    .join('');
}

/** The text Plivo signs for a request to `url` (scheme, host, path and query) with these POST parameters. */
export function signedText(method: WebhookMethod, url: string, postParams: WebhookParams = {}): string {
  const parsed = new URL(url);
  const base = `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  const query = sortedQuery(parseParams(parsed.search));
  const hasPost = method === 'POST' && Object.keys(postParams).length > 0;
  if (!hasPost) return query ? `${base}?${query}` : base;
  return `${base}?${query}${query ? '.' : ''}${sortedPostString(postParams)}`;
}

export function signV3(authToken: string, method: WebhookMethod, url: string, postParams: WebhookParams, nonce: string): string {
  return createHmac('sha256', authToken).update(`${signedText(method, url, postParams)}.${nonce}`).digest('base64');
}

/** True when one of the comma-separated `signatures` is the one for this request; compared in constant time. */
export function verifyV3(authToken: string, method: WebhookMethod, url: string, postParams: WebhookParams, nonce: string, signatures: string): boolean {
  const expected = Buffer.from(signV3(authToken, method, url, postParams, nonce));
  let matched = false;
  for (const candidate of signatures.split(',')) {
    const given = Buffer.from(candidate.trim());
    // Every candidate is compared, so the time taken does not say which one matched.
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  return matched;
}

/**
 * Nonces of accepted requests, each kept `ttlMs` (a replay within that time is refused), at
 * most `capacity` of them: when full, the oldest goes first, so memory stays bounded even
 * under a flood of validly signed requests.
 */
export class NonceCache {
  private readonly seenAt = new Map<string, number>();

  constructor(private readonly ttlMs = 10 * 60_000, private readonly capacity = 100_000) {}

  /** Records `nonce`; true when it was already seen within the time kept. */
  seen(nonce: string, now: number): boolean {
    for (const [old, at] of this.seenAt) {
      if (now - at < this.ttlMs && this.seenAt.size < this.capacity) break;
      this.seenAt.delete(old);
    }
    if (this.seenAt.has(nonce)) return true;
    this.seenAt.set(nonce, now);
    return false;
  }

  get size(): number {
    return this.seenAt.size;
  }
}
