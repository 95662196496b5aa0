/**
 * A connection to the Redis an account node names, for the shared limit and the webhook
 * replay guard. ioredis is loaded here, only when an account sets a Redis URL. Commands fail at
 * once while disconnected and time out quickly: callers fall back to this runtime's own state
 * rather than wait.
 */
import type { Redis as RedisClient } from 'ioredis';

export interface RedisSettings {
  /** redis:// or rediss:// URL, without a password. */
  url: string;
  password?: string;
}

export type RedisLog = (level: 'info' | 'warn', message: string) => void;

/** A command that takes longer than this counts as Redis failing. */
const COMMAND_TIMEOUT_MS = 1_000;
/** How long the first connection may take before the caller's own state takes over. */
export const CONNECT_WAIT_MS = 3_000;

export function connectRedis(settings: RedisSettings): RedisClient {
  const { Redis } = require('ioredis') as typeof import('ioredis');
  return new Redis(settings.url, {
    password: settings.password,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_WAIT_MS,
    retryStrategy: (times: number) => Math.min(times * 250, 2_000),
  });
}

/** The URL as it may be shown: scheme, host, port and database. */
export function showRedisUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}

/** An error text with the password, should a library ever echo it, taken out. */
export function withoutPassword(message: string, password: string | undefined): string {
  return password ? message.split(password).join('***') : message;
}

/** Closes politely, or at once when that fails. */
export async function closeRedis(client: RedisClient): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}
