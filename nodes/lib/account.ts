/**
 * The settings of a Plivo account node, resolved and checked: credentials fall back to
 * PLIVO_AUTH_ID / PLIVO_AUTH_TOKEN as Plivo's SDKs do, and the base URL must be http(s).
 */
import { ConfigError, formatValue } from './errors';

export const DEFAULT_BASE_URL = 'https://api.plivo.com';

export interface AccountSettings {
  baseUrl?: unknown;
  authId?: unknown;
  authToken?: unknown;
}

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
    throw new ConfigError('no Auth ID: set it in the Plivo account node or in the PLIVO_AUTH_ID environment variable');
  }
  const authToken = text(settings.authToken) || text(env.PLIVO_AUTH_TOKEN);
  if (authToken === '') {
    throw new ConfigError('no Auth Token: set it in the Plivo account node or in the PLIVO_AUTH_TOKEN environment variable');
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
    throw new ConfigError(`the API base URL must be an http(s) URL like ${DEFAULT_BASE_URL} (got ${formatValue(raw)})`);
  }
  if (url.username || url.password) {
    throw new ConfigError('the API base URL must not contain a user name or password');
  }
  return url.href.replace(/\/+$/, '');
}
