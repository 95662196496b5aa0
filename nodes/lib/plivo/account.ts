/**
 * The settings of a Plivo account node, resolved and checked: credentials fall back to
 * PLIVO_AUTH_ID / PLIVO_AUTH_TOKEN as Plivo's SDKs do, and the base URL must be http(s).
 */
import { ConfigError, describe } from '../common/errors';
import { text as message } from '../common/messages';
import { urlOrUndefined, urlSafeToShow } from '../common/url';
import type { EngineLimits, TaskPolicy } from '../limit/engine-types';
import type { RequestEngine } from '../limit/request-engine';
import type { WebhookAccount } from '../webhook/request';
import type { Account, PlivoClient } from './client';
import type { EndedCalls } from './ended-calls';
import type { Leases } from '../limit/leases';
import type { PlacedCalls } from './placed-calls';
import type { ConferenceMembers } from './conference-members';


export const DEFAULT_BASE_URL = 'https://api.plivo.com';

export interface AccountSettings {
  baseUrl?: unknown;
  authId?: unknown;
  authToken?: unknown;
}

/** The request engine's settings as saved in the flow; '' or absent means the default. */
export interface EngineSettings {
  rateLimit?: unknown;
  rateWindow?: unknown;
  concurrency?: unknown;
  queueLimit?: unknown;
  timeout?: unknown;
  retries?: unknown;
  rateLimitWait?: unknown;
  /** Calls started per second (Plivo's CPS, 2 unless Plivo raised it). */
  callsPerSecond?: unknown;
  /** Calls live at once at most; blank: no cap. */
  maxConcurrentCalls?: unknown;
}

/** How the account starts calls: Plivo's calls per second, and optionally a cap on calls live at once. */
export interface CallLimits {
  cps: number;
  maxConcurrent: number | undefined;
}

export interface RequestPolicy {
  limits: EngineLimits;
  task: TaskPolicy;
  calls: CallLimits;
}

/**
 * Plivo's documented limit (300 requests in 5 s) and its SDKs' retries. In flight: Little's
 * law (in flight = rate x round trip) gives 60/s x 0.5 s = 30 for a slow network; twice that
 * sends a window's worth quickly enough to use the limit at round trips up to a second.
 */
export const ENGINE_DEFAULTS = {
  rateLimit: 300, rateWindow: 5, concurrency: 60, queueLimit: 10_000, timeout: 10, retries: 2, rateLimitWait: 60, callsPerSecond: 2,
} as const;

const ENGINE_MINIMUMS: Record<keyof typeof ENGINE_DEFAULTS, number> = {
  rateLimit: 1, rateWindow: 1, concurrency: 1, queueLimit: 1, timeout: 1, retries: 0, rateLimitWait: 0, callsPerSecond: 1,
};

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

export function resolveAccount(settings: AccountSettings, env: NodeJS.ProcessEnv = process.env): Account {
  const authId = text(settings.authId) || text(env.PLIVO_AUTH_ID);
  if (authId === '') {
    throw new ConfigError(message('no-auth-id'));
  }
  const authToken = text(settings.authToken) || text(env.PLIVO_AUTH_TOKEN);
  if (authToken === '') {
    throw new ConfigError(message('no-auth-token'));
  }
  return { baseUrl: parseBaseUrl(settings.baseUrl), authId, authToken };
}

export function parseBaseUrl(value: unknown): string {
  const raw = text(value) || DEFAULT_BASE_URL;
  const url = urlOrUndefined(raw);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new ConfigError(describe('base-url-invalid', {}, urlSafeToShow(raw)));
  }
  if (url.username || url.password) {
    throw new ConfigError(message('base-url-credentials'));
  }
  return url.href.replace(/\/+$/, '');
}

function engineSetting(settings: EngineSettings, name: keyof typeof ENGINE_DEFAULTS): number {
  const value = settings[name];
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    return ENGINE_DEFAULTS[name];
  }
  const number = typeof value === 'number' ? value : Number(String(value).trim());
  const minimum = ENGINE_MINIMUMS[name];
  if (!Number.isSafeInteger(number) || number < minimum) {
    throw new ConfigError(describe('account-setting-invalid', { name, minimum }, value));
  }
  return number;
}

export function resolveRequestPolicy(settings: EngineSettings): RequestPolicy {
  return {
    limits: {
      rateLimit: engineSetting(settings, 'rateLimit'),
      rateWindowMs: engineSetting(settings, 'rateWindow') * 1000,
      concurrency: engineSetting(settings, 'concurrency'),
      queueLimit: engineSetting(settings, 'queueLimit'),
      timeoutMs: engineSetting(settings, 'timeout') * 1000,
    },
    task: {
      retries: engineSetting(settings, 'retries'),
      rateLimitWaitMs: engineSetting(settings, 'rateLimitWait') * 1000,
    },
    calls: { cps: engineSetting(settings, 'callsPerSecond'), maxConcurrent: maxConcurrentCalls(settings.maxConcurrentCalls) },
  };
}

/** Blank: no cap; else a whole number of calls, at least 1. */
function maxConcurrentCalls(value: unknown): number | undefined {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return undefined;
  const number = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isSafeInteger(number) || number < 1) {
    throw new ConfigError(describe('account-setting-invalid', { name: 'maxConcurrentCalls', minimum: 1 }, value));
  }
  return number;
}

/**
 * The Redis URL that shares the limit with other runtimes; undefined when blank (this
 * runtime only). The password belongs in the node's credentials, never in the flow.
 */
export function parseRedisUrl(value: unknown): string | undefined {
  const raw = text(value);
  if (raw === '') return undefined;
  const url = urlOrUndefined(raw);
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '' || url.search || url.hash
    || !/^\/?([0-9]+)?$/.test(url.pathname)) {
    throw new ConfigError(describe('redis-url-invalid', {}, urlSafeToShow(raw)));
  }
  if (url.password) {
    throw new ConfigError(message('redis-url-password'));
  }
  return url.href;
}

/** A usable account, as the account node gives it to the nodes that use it. */
export interface PlivoAccount {
  client: PlivoClient;
  engine: RequestEngine;
  policy: RequestPolicy;
  /** What a webhook node needs: the token that signs, and the account's replay guard. */
  webhook: WebhookAccount;
  /** The calls that have ended, which the account's webhooks and requests tell it of. */
  endedCalls: EndedCalls;
  /** Whether requests for a call that has ended end unsent (the account's setting; on unless turned off). */
  skipEndedCalls: boolean;
  /** Make a call's own engine: the account's calls per second, gated by its live calls. */
  calls: RequestEngine;
  live: Leases;
  placed: PlacedCalls;
  /** Who is in the account's conferences, by call: learnt from conference callbacks and details lookups. */
  members: ConferenceMembers;
}
