/**
 * The account's sliding window in Redis, shared by every runtime with the same Auth ID and
 * Redis: one sorted set per Auth ID, each member a request's slot scored with the time it
 * leaves the window. Changed only by Lua scripts, which are atomic and read Redis's clock,
 * so hosts' clocks never matter:
 * - acquire: drop members that have left, grant up to the free slots, each scored
 *   now + timeout + window (a crashed runtime's slots leave by themselves), and say how long
 *   until the earliest member leaves when not all were granted: at most a window, since a slot
 *   still in flight (scored past that) leaves a window after its answer, which may come now;
 * - release (the answer came): score the slots now + window, the local window's semantics.
 *
 * ioredis is loaded only here, and this module only when an account sets a Redis URL.
 */
import { randomUUID } from 'node:crypto';
import type { Redis as RedisClient } from 'ioredis';
import type { Grant, SharedWindow, SharedWindowState } from './shared-window';

const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local wanted = tonumber(ARGV[2])
local granted = math.max(0, math.min(wanted, tonumber(ARGV[1]) - redis.call('ZCARD', KEYS[1])))
local leaves = now + tonumber(ARGV[3])
for i = 1, granted do
  redis.call('ZADD', KEYS[1], leaves, ARGV[4] .. i)
end
local wait = 0
if granted < wanted then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  wait = math.min(tonumber(first[2]) - now, tonumber(ARGV[5]))
end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIREAT', KEYS[1], last[2]) end
return {granted, wait}
`;

const RELEASE = `
local t = redis.call('TIME')
local leaves = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], leaves, ARGV[i])
end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIREAT', KEYS[1], last[2]) end
return 0
`;

/** A command that takes longer than this counts as Redis failing: the local window takes over. */
const COMMAND_TIMEOUT_MS = 1_000;
/** How long the first connection may take before the local window takes over. */
const CONNECT_WAIT_MS = 3_000;
/** After a failed command on a live connection, how long before Redis is tried again. */
const RETRY_AFTER_FAILURE_MS = 2_000;

interface ScriptCommands {
  plivoAcquire(key: string, limit: number, wanted: number, holdMs: number, prefix: string, windowMs: number): Promise<[number, number]>;
  plivoRelease(key: string, windowMs: number, ...slots: string[]): Promise<number>;
}

export interface RedisSettings {
  /** redis:// or rediss:// URL, without a password. */
  url: string;
  password?: string;
}

export type RedisLog = (level: 'info' | 'warn', message: string) => void;

/** The URL as it may be shown: scheme, host, port and database. */
export function showRedisUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}

export class RedisWindow implements SharedWindow {
  state: SharedWindowState = 'connecting';
  private readonly client: RedisClient & ScriptCommands;
  private readonly key: string;
  private readonly shown: string;
  private readonly password: string | undefined;
  private readonly log: RedisLog;
  private readonly prefix = randomUUID();
  private sequence = 0;
  private readonly listeners = new Set<() => void>();
  private releases: string[] = [];
  private releaseWindowMs = 0;
  private releaseTimer: NodeJS.Immediate | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private everReady = false;
  private closed = false;

  constructor(authId: string, settings: RedisSettings, log: RedisLog) {
    const { Redis } = require('ioredis') as typeof import('ioredis');
    this.key = `plivo-play:window:${authId}`;
    this.shown = showRedisUrl(settings.url);
    this.password = settings.password;
    this.log = log;
    this.client = new Redis(settings.url, {
      password: settings.password,
      // Fail at once while disconnected: the local window takes over instead of waiting.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: CONNECT_WAIT_MS,
      retryStrategy: (times: number) => Math.min(times * 250, 2_000),
    }) as RedisClient & ScriptCommands;
    this.client.defineCommand('plivoAcquire', { numberOfKeys: 1, lua: ACQUIRE });
    this.client.defineCommand('plivoRelease', { numberOfKeys: 1, lua: RELEASE });
    this.client.on('ready', () => this.up());
    this.client.on('error', (error: Error) => this.down(error));
    this.client.on('close', () => this.down(new Error('connection closed')));
    this.connectTimer = setTimeout(() => this.down(new Error('no connection in time')), CONNECT_WAIT_MS);
  }

  async acquire(count: number, limit: number, holdMs: number, windowMs: number): Promise<Grant> {
    this.sequence += 1;
    const prefix = `${this.prefix}:${this.sequence}:`;
    try {
      const [granted, waitMs] = await this.client.plivoAcquire(this.key, limit, count, Math.ceil(holdMs), prefix, Math.ceil(windowMs));
      return { slots: Array.from({ length: granted }, (_, i) => `${prefix}${i + 1}`), waitMs };
    } catch (error) {
      this.down(error as Error);
      if (this.client.status === 'ready') this.retryLater();
      throw error;
    }
  }

  /** Releases are sent together, once per turn of the event loop. */
  release(slot: string, windowMs: number): void {
    this.releases.push(slot);
    this.releaseWindowMs = Math.ceil(windowMs);
    this.releaseTimer ??= setImmediate(() => this.flushReleases());
  }

  cancel(slot: string): void {
    // A slot that stays is only held longer than needed; it leaves by itself.
    this.client.zrem(this.key, slot).catch(() => undefined);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.connectTimer);
    clearTimeout(this.retryTimer);
    if (this.releaseTimer) {
      clearImmediate(this.releaseTimer);
      this.flushReleases();
    }
    this.listeners.clear();
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private flushReleases(): void {
    this.releaseTimer = undefined;
    const slots = this.releases;
    this.releases = [];
    if (slots.length === 0 || this.client.status !== 'ready') return;
    // A release that fails leaves its slots held until their timeout: safe, only slower.
    this.client.plivoRelease(this.key, this.releaseWindowMs, ...slots).catch(() => undefined);
  }

  private up(): void {
    if (this.closed || this.state === 'ready') return;
    clearTimeout(this.connectTimer);
    clearTimeout(this.retryTimer);
    this.log('info', this.everReady
      ? `Redis at ${this.shown} is back: the account's limit is shared again`
      : `the account's limit is shared through Redis at ${this.shown}`);
    this.everReady = true;
    this.setState('ready');
  }

  private down(error: Error): void {
    if (this.closed) return;
    clearTimeout(this.connectTimer);
    if (this.state === 'down') return;
    this.log('warn', `Redis at ${this.shown} cannot be used (${this.safe(error.message)}): this Node-RED keeps the account's limit on its own, slowing down when Plivo answers 429, until Redis is back`);
    this.setState('down');
  }

  /** The connection is up but a command failed: try Redis again a little later. */
  private retryLater(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.client.status === 'ready') this.up();
    }, RETRY_AFTER_FAILURE_MS);
  }

  /** An error text with the password, should a library ever echo it, taken out. */
  private safe(message: string): string {
    return this.password ? message.split(this.password).join('***') : message;
  }

  private setState(state: SharedWindowState): void {
    this.state = state;
    for (const listener of this.listeners) listener();
  }
}
