/**
 * Whether a request to a plivo-webhook node is Plivo's, in the order that makes refusing
 * cheap: the signature headers (before any body is read), the URL the node checks (built only
 * from what it trusts), the body within a limit, the signature, and last the replay guard.
 * Needs no Node-RED.
 */
import type { Readable } from 'node:stream';
import { text } from '../common/messages';
import { urlOrUndefined, urlSafeToShow } from '../common/url';
import type { ReplayGuard } from './replay-guard';
import {
  matchingSignature, MAX_PARAMETERS, parameterCount, parseParams, readsAsGetText, signedText, type WebhookMethod, type WebhookParams,
} from './signature';

/** Plivo's call webhooks are a few kilobytes; anything near this is not Plivo. */
export const MAX_BODY_BYTES = 64 * 1024;

const SIGNATURE = /^[A-Za-z0-9+/]{43}=$/;
/** Plivo's nonces are 20 digits; letters and digits are allowed, nothing that could join signed text. */
const NONCE = /^[A-Za-z0-9]{1,64}$/;
/** Plivo sends one signature per header; a few more are allowed, not an unbounded list. */
const MAX_SIGNATURES = 8;
/** A DNS name or IPv4 address, or an IPv6 address in brackets, then an optional port: nothing else. */
const HOST = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::([0-9]{1,5}))?$/;

export type RejectReason =
  | 'no-signature' | 'malformed-signature' | 'bad-host' | 'bad-scheme' | 'body-too-large' | 'body-timeout' | 'busy'
  | 'too-many-parameters' | 'no-parameters' | 'get-text' | 'post-text' | 'bad-signature' | 'replayed';

export type Refusal = { reason: RejectReason };

/** The signatures and nonce of a request, as Plivo sends them. */
export interface SignatureHeaders {
  candidates: string[];
  nonce: string;
}

/**
 * X-Plivo-Signature-V3 and X-Plivo-Signature-Ma-V3 (each a comma-separated list) and the nonce,
 * checked for form before anything else is done with the request.
 */
export function signatureHeaders(v3: string | undefined, maV3: string | undefined, nonce: string | undefined): SignatureHeaders | Refusal {
  const lists = [v3, maV3].map((list) => list?.trim() ?? '').filter((list) => list !== '');
  const trimmedNonce = nonce?.trim() ?? '';
  if (lists.length === 0 || trimmedNonce === '') return { reason: 'no-signature' };
  const candidates = lists.flatMap((list) => list.split(',', MAX_SIGNATURES + 1)).map((one) => one.trim());
  if (candidates.length > MAX_SIGNATURES || !candidates.every((one) => SIGNATURE.test(one)) || !NONCE.test(trimmedNonce)) {
    return { reason: 'malformed-signature' };
  }
  return { candidates, nonce: trimmedNonce };
}

/** The Host header when it is a valid `host[:port]` and nothing else; else undefined. */
export function validHost(value: string | undefined): string | undefined {
  if (value === undefined || value.length > 260) return undefined;
  const match = HOST.exec(value);
  if (!match || (match[1] !== undefined && Number(match[1]) > 65535)) return undefined;
  // The form is right; the URL parser has the last word (an IPv6 address with too many colons, say).
  return urlOrUndefined(`http://${value}/`) ? value : undefined;
}

export interface UrlParts {
  /** The Public URL setting, parsed; undefined when blank. */
  publicUrl: string | undefined;
  /** The scheme of the connection, as Express gives it (X-Forwarded-Proto only when `trust proxy` says so). */
  protocol: string;
  host: string | undefined;
}

/**
 * What a signature is checked against before this node's route: the Public URL, or the scheme
 * and Host as received when the Host is `host[:port]` and nothing else. No header can change
 * the path: the node's own route always follows.
 */
export function checkedBase(parts: UrlParts): string | Refusal {
  if (parts.publicUrl !== undefined) return parts.publicUrl;
  if (parts.protocol !== 'http' && parts.protocol !== 'https') return { reason: 'bad-scheme' };
  const host = validHost(parts.host);
  if (host === undefined) return { reason: 'bad-host' };
  return `${parts.protocol}://${host}`;
}

/** The query of a request target as received (`?a=1`), or ''. */
export function queryOf(originalUrl: string): string {
  const queryAt = originalUrl.indexOf('?');
  return queryAt === -1 ? '' : originalUrl.slice(queryAt);
}

export interface SignedRequest {
  method: WebhookMethod;
  /** checkedBase, the node's route and the query as received. */
  url: string;
  headers: SignatureHeaders;
  /** The form body of a POST ('' for GET). */
  body: string;
}

/** What the account gives a webhook node. */
export interface WebhookAccount {
  authToken: string;
  replay: ReplayGuard;
}

/** The request's parameters when Plivo signed it for this URL and it was not seen before. */
export async function checkWebhook(request: SignedRequest, account: WebhookAccount, now: number): Promise<{ params: WebhookParams } | Refusal> {
  // Counted before anything is parsed, sorted or hashed: a flood of names costs no more than a few.
  const queryAt = request.url.indexOf('?');
  const query = queryAt === -1 ? '' : request.url.slice(queryAt + 1);
  if (parameterCount(request.body) + parameterCount(query) > MAX_PARAMETERS) return { reason: 'too-many-parameters' };
  const postParams = request.method === 'POST' ? parseParams(request.body) : {};
  // Without POST parameters Plivo's scheme signs the URL alone, as for GET: a GET's signature must not pass as a POST.
  if (request.method === 'POST' && Object.keys(postParams).length === 0) return { reason: 'no-parameters' };
  // What Plivo would have signed, made once: read for a GET's shape, then checked against the signatures.
  const text = signedText(request.method, request.url, postParams);
  // Nor may a GET's text split between the query and the body in any other way, nor a POST's pass as a GET.
  const getText = readsAsGetText(text);
  if (request.method === 'POST' && getText) return { reason: 'get-text' };
  if (request.method === 'GET' && !getText) return { reason: 'post-text' };
  const { candidates, nonce } = request.headers;
  const matched = matchingSignature(account.authToken, text, nonce, candidates);
  if (matched === undefined) return { reason: 'bad-signature' };
  if (!(await account.replay.firstTime(matched, now))) return { reason: 'replayed' };
  return { params: request.method === 'POST' ? postParams : parseParams(new URL(request.url).search) };
}

/** A body Plivo sends arrives in milliseconds; one still coming after this is refused and its connection closed. */
export const BODY_DEADLINE_MS = 5_000;

export type BodyRead = { body: string } | { reason: 'body-too-large' | 'body-timeout' };

/**
 * Reads a request body as text; stops reading (and leaves the caller to answer and close the
 * connection) as soon as it is longer than `limit` bytes or still unfinished after `deadlineMs`.
 */
export function readBody(stream: Readable, limit = MAX_BODY_BYTES, deadlineMs = BODY_DEADLINE_MS): Promise<BodyRead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const stop = (result: BodyRead | Error) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', stop);
      if (result instanceof Error) {
        reject(result);
        return;
      }
      if ('reason' in result) stream.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length > limit) stop({ reason: 'body-too-large' });
      else chunks.push(chunk);
    };
    const onEnd = () => stop({ body: Buffer.concat(chunks).toString('utf8') });
    const timer = setTimeout(() => stop({ reason: 'body-timeout' }), deadlineMs);
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', stop);
  });
}

/** `msg.payload`: each parameter as a string, or an array of strings when given more than once. */
export function payloadOf(params: WebhookParams): Record<string, string | string[]> {
  const payload: Record<string, string | string[]> = {};
  for (const [name, values] of Object.entries(params)) {
    // Defined, not assigned: a parameter named __proto__ is a field like any other, never the object's prototype.
    Object.defineProperty(payload, name, { value: values.length === 1 ? values[0] : values, enumerable: true, writable: true, configurable: true });
  }
  return payload;
}

/**
 * The Public URL setting: scheme and host (and port), optionally a path prefix a proxy adds;
 * undefined when blank. Throws with the reason when it is not an absolute http(s) URL.
 */
export function parsePublicUrl(value: unknown): string | undefined {
  const raw = typeof value === 'string' ? value.trim() : '';
  if (raw === '') return undefined;
  const url = urlOrUndefined(raw);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username || url.password) {
    throw new Error(text('public-url-invalid', { value: urlSafeToShow(raw) }));
  }
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/** The path a node serves under httpNodeRoot (`/` or `/red/`, as Node-RED formats it). */
export function routePath(httpNodeRoot: unknown, path: string): string {
  const root = typeof httpNodeRoot === 'string' ? httpNodeRoot.replace(/\/+$/, '') : '';
  return `${root}${path}`;
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
