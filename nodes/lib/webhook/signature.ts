/**
 * Plivo's V3 webhook signature (X-Plivo-Signature-V3, X-Plivo-Signature-V3-Nonce), as Plivo's
 * SDKs compute it: HMAC-SHA256 with the Auth Token over
 * - GET: the URL with its query parameters sorted (`https://host/path?a=1&b=2`);
 * - POST: the URL, `?`, the sorted query and a `.` when there is one, then each POST parameter
 *   as name and value run together, names sorted (`https://host/path?CallUUIDabcFrom123`);
 *   with no POST parameters, as GET;
 * then `.` and the nonce; base64. A parameter given more than once has its values sorted.
 * Plivo sends two headers, X-Plivo-Signature-V3 (the token of the account or subaccount that
 * owns the application) and X-Plivo-Signature-Ma-V3 (the main account's token), each a
 * comma-separated list: one match with the configured token is enough.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Parameter name to its values, in the order received. */
export type WebhookParams = Record<string, string[]>;

export type WebhookMethod = 'GET' | 'POST';

/** Plivo sends a few dozen parameters; more than this is refused before any is parsed, sorted or hashed. */
export const MAX_PARAMETERS = 200;

/** The number of parameters `text` holds at most (its `&`-separated pieces), counted without parsing. */
export function parameterCount(text: string): number {
  let count = text === '' ? 0 : 1;
  for (let at = text.indexOf('&'); at !== -1; at = text.indexOf('&', at + 1)) count += 1;
  return count;
}

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

/**
 * Parameters by which Plivo's callbacks name what they are about: every request Plivo makes to
 * an application for a voice call (answer, ring, hangup, fallback, and the actions and callbacks
 * of its XML elements) carries CallUUID (https://www.plivo.com/docs/voice/xml/request/, "Parameters
 * Plivo sends for voice calls"; https://www.plivo.com/docs/account/api/application/ for the answer
 * and hangup URLs), an outbound call's RequestUUID, a conference's ConferenceUUID, and the API's
 * recording callbacks call_uuid or recording_id. A GET Plivo signs therefore always holds one of
 * them as a `Name=value` piece of its sorted query.
 */
export const IDENTIFYING_PARAMETERS = ['CallUUID', 'RequestUUID', 'ConferenceUUID', 'call_uuid', 'request_uuid', 'recording_id'] as const;
const GET_PIECE = new RegExp(`(?:^|&)(?:${IDENTIFYING_PARAMETERS.join('|')})=`);

/**
 * True when `text` (from signedText) reads, after its `?`, as what Plivo signs for a GET: one of
 * IDENTIFYING_PARAMETERS as `Name=` at the start or after an `&`. A GET's signed text always
 * reads so; a POST's never does by itself, since it runs each name into its value. So a POST
 * whose text reads so can only carry a GET's signature, and a GET whose text does not can only
 * carry a POST's, however the text was split between the URL's query and the body, and whatever
 * `+`, `%`, `.` or `&` it holds: the text is read exactly as signed, never parsed again. (Only a
 * POST URL whose own query names one of those parameters, which Plivo itself then sends, is
 * refused with it.)
 */
export function readsAsGetText(text: string): boolean {
  // A URL's path never holds a `?`: what follows the first one is the signed query and parameters.
  const at = text.indexOf('?');
  return at !== -1 && GET_PIECE.test(text.slice(at + 1));
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

/** The V3 signature of a signed text (from signedText) with `nonce`. */
function signText(authToken: string, text: string, nonce: string): string {
  return createHmac('sha256', authToken).update(`${text}.${nonce}`).digest('base64');
}

export function signV3(authToken: string, method: WebhookMethod, url: string, postParams: WebhookParams, nonce: string): string {
  return signText(authToken, signedText(method, url, postParams), nonce);
}

/**
 * The signature among `candidates` that is the one for this signed text, compared in constant
 * time; undefined when none is. The one that matched is what a replay would repeat.
 */
export function matchingSignature(authToken: string, text: string, nonce: string, candidates: readonly string[]): string | undefined {
  const expected = Buffer.from(signText(authToken, text, nonce));
  let matched: string | undefined;
  for (const candidate of candidates) {
    const given = Buffer.from(candidate);
    // Every candidate is compared, so the time taken does not say which one matched.
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = candidate;
  }
  return matched;
}
