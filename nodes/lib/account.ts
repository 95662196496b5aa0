/**
 * The settings of a Plivo account node, resolved and checked: credentials fall back to
 * PLIVO_AUTH_ID / PLIVO_AUTH_TOKEN as Plivo's SDKs do, and the base URL must be http(s).
 */
import { ConfigError, describe } from './errors';
import { text as message } from './messages';
import type { EngineLimits } from './request-engine';

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
}

export interface RequestPolicy {
  limits: EngineLimits;
  /** Per attempt. */
  timeoutMs: number;
  /** Attempts after the first. */
  retries: number;
}

/** Plivo's documented limit (300 requests in 5 s), and its SDKs' retries. */
export const ENGINE_DEFAULTS = {
  rateLimit: 300, rateWindow: 5, concurrency: 10, queueLimit: 10_000, timeout: 10, retries: 2,
} as const;

const ENGINE_MINIMUMS: Record<keyof typeof ENGINE_DEFAULTS, number> = {
  rateLimit: 1, rateWindow: 1, concurrency: 1, queueLimit: 1, timeout: 1, retries: 0,
};

export interface Account {
  /** Origin plus optional path prefix, without a trailing slash. */
  baseUrl: string;
  authId: string;
  authToken: string;
}

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
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new ConfigError(describe('base-url-invalid', {}, raw));
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
    },
    timeoutMs: engineSetting(settings, 'timeout') * 1000,
    retries: engineSetting(settings, 'retries'),
  };
}
