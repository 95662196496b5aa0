/**
 * A small HTTP client for Plivo's Call API, on got. One client per account node.
 *
 * Secrets: got's errors carry the request options (and so the Authorization header and the
 * proxy's credentials); they never leave this module. Callers get a PlivoApiError built from
 * safe parts only.
 *
 * Through a proxy, every request goes through a CONNECT tunnel (hpagent, as Node-RED's http
 * request node does), kept alive like a direct connection.
 */
import http from 'node:http';
import https from 'node:https';
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';
import type { Got, RequestError } from 'got' with { 'resolution-mode': 'import' };
import { PlivoApiError, PROXY_REFUSED } from '../common/errors';
import { text } from '../common/messages';
import type { ProxyRoute } from './proxy';
import type { PlayBody } from '../call/play-request';
import type { SpeakBody } from '../call/speak-request';

export interface PlivoResponse {
  statusCode: number;
  /** Parsed JSON; the raw text when the body is not JSON; {} when it is empty. */
  body: unknown;
}

export interface PlivoClientOptions {
  /** Per attempt, in milliseconds. */
  timeoutMs: number;
  userAgent: string;
  /** The proxy to go through (see proxy.ts); undefined: direct. */
  proxy?: ProxyRoute;
}

export interface RequestOptions {
  json?: object;
  /** Query parameters, URL-encoded by got: a value can never add a parameter or change the path. */
  query?: Record<string, string>;
  signal?: AbortSignal;
}

let gotModule: Promise<Got> | undefined;

/** The account a client sends as: resolved by account.ts from the node's settings. */
export interface Account {
  /** Origin plus optional path prefix, without a trailing slash. */
  baseUrl: string;
  authId: string;
  authToken: string;
}

/** got 14 is ESM-only: load it once with a real dynamic import (tsc keeps import() under node16). */
function loadGot(): Promise<Got> {
  gotModule ??= import('got').then((module) => module.got);
  return gotModule;
}

/** Network error codes the catalog explains; others are "request failed". */
const EXPLAINED_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE', 'ERR_ABORTED']);
/** hpagent's error when the proxy answers CONNECT with anything but 200. */
const PROXY_REFUSAL = /^Bad response: (\d{3})$/;

function parseBody(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Plivo's own error answer: a JSON object with its `api_id` and an `error` (Plivo's "Errors"
 * page: `{"api_id": "...", "error": "not found"}`). An empty 404, or a proxy's or another
 * server's page, is not Plivo saying anything about a call.
 */
export function isPlivoErrorAnswer(body: unknown): boolean {
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    && typeof (body as { api_id?: unknown }).api_id === 'string' && 'error' in body;
}

/** Plivo's error text from its JSON body; for other bodies the HTTP reason phrase. */
function errorText(body: unknown, statusMessage: string | undefined): string {
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const error = (body as { error: unknown }).error;
    return typeof error === 'string' ? error : JSON.stringify(error);
  }
  return statusMessage ?? 'error';
}

export class PlivoClient {
  private readonly account: Account;
  private readonly options: PlivoClientOptions;
  private readonly authorization: string;
  private readonly agents: { http: http.Agent; https: https.Agent };
  private readonly active = new Set<Promise<unknown>>();

  constructor(account: Account, options: PlivoClientOptions) {
    this.account = account;
    this.options = options;
    this.authorization = `Basic ${Buffer.from(`${account.authId}:${account.authToken}`).toString('base64')}`;
    const proxy = options.proxy?.url;
    this.agents = proxy
      ? { http: new HttpProxyAgent({ keepAlive: true, proxy }), https: new HttpsProxyAgent({ keepAlive: true, proxy }) }
      : { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  }

  /** The account's origin, safe to show: no path, no credentials. */
  get origin(): string {
    return new URL(this.account.baseUrl).origin;
  }

  play(callUuid: string, body: PlayBody, signal?: AbortSignal): Promise<PlivoResponse> {
    return this.request('POST', `Call/${callUuid}/Play/`, { json: body, signal });
  }

  /** Stops whatever is playing on the call. */
  stopPlay(callUuid: string, signal?: AbortSignal): Promise<PlivoResponse> {
    return this.request('DELETE', `Call/${callUuid}/Play/`, { signal });
  }

  speak(callUuid: string, body: SpeakBody, signal?: AbortSignal): Promise<PlivoResponse> {
    return this.request('POST', `Call/${callUuid}/Speak/`, { json: body, signal });
  }

  /** Stops whatever is being spoken on the call. */
  stopSpeak(callUuid: string, signal?: AbortSignal): Promise<PlivoResponse> {
    return this.request('DELETE', `Call/${callUuid}/Speak/`, { signal });
  }

  /** Sends one request under /v1/Account/{authId}/. Resolves for 2xx, rejects with PlivoApiError otherwise. */
  request(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    options: RequestOptions = {},
  ): Promise<PlivoResponse> {
    const sent = this.send(method, path, options);
    this.active.add(sent);
    const forget = () => this.active.delete(sent);
    sent.then(forget, forget);
    return sent;
  }

  private async send(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    { json, query, signal }: RequestOptions,
  ): Promise<PlivoResponse> {
    const got = await loadGot();
    const url = `${this.account.baseUrl}/v1/Account/${encodeURIComponent(this.account.authId)}/${path}`;
    let response;
    try {
      response = await got(url, {
        method,
        json,
        searchParams: query,
        signal,
        headers: { authorization: this.authorization, 'user-agent': this.options.userAgent, accept: 'application/json' },
        agent: this.agents,
        responseType: 'text',
        throwHttpErrors: false,
        followRedirect: false,
        retry: { limit: 0 },
        timeout: { request: this.options.timeoutMs },
      });
    } catch (error) {
      throw this.unreachable(error as RequestError, signal);
    }
    const body = parseBody(response.body);
    if (response.statusCode >= 200 && response.statusCode < 300) {
      return { statusCode: response.statusCode, body };
    }
    const retryAfter = response.headers['retry-after'];
    throw new PlivoApiError(`${response.statusCode} ${errorText(body, response.statusMessage)}`, {
      statusCode: response.statusCode,
      body,
      retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
    });
  }

  /** Plivo was not reached: why, naming the proxy (never its credentials) when there is one. */
  private unreachable(error: RequestError, signal: AbortSignal | undefined): PlivoApiError {
    const refusal = this.options.proxy ? PROXY_REFUSAL.exec(error.message) : null;
    const code = signal?.aborted ? 'ERR_ABORTED' : refusal ? PROXY_REFUSED : error.code ?? 'ERR_GOT_REQUEST_ERROR';
    const reason = refusal
      ? text('proxy-refused', { status: refusal[1] })
      : text(`network.${EXPLAINED_CODES.has(code) ? code : 'other'}`);
    const proxy = this.options.proxy?.shown;
    const message = proxy
      ? text('unreachable-via-proxy', { origin: this.origin, proxy, reason, code })
      : text('unreachable', { origin: this.origin, reason, code });
    return new PlivoApiError(message, { code });
  }

  /** Waits for requests in flight (each bounded by the timeout), then frees pooled sockets. */
  async close(): Promise<void> {
    await Promise.allSettled(this.active);
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
