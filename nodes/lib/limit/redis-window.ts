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
 * Runtimes take turns as nodes do within one (fair-queue.ts). A runtime that was not granted
 * all it asked for is waiting: it is noted in a hash per Auth ID with the priority of its most
 * urgent message, since when it waits, and until when the note holds (a runtime that stops
 * asking is forgotten after a window). Each acquire leaves one free slot per other runtime
 * ahead of it: waiting with a more urgent priority, or with the same one and waiting longer
 * since it was last granted a slot (a runtime not waiting yet is behind every one that is).
 * So a runtime with a backlog cannot take the slot another runtime's prompt waits for: the
 * prompt gets the next one that frees, within a window; `low` work never takes a slot a
 * `normal` or `high` message waits for.
 *
 * Replies are checked: anything but the counts and waits asked for counts as Redis failing.
 */
import { randomUUID } from 'node:crypto';
import type { Redis as RedisClient } from 'ioredis';
import { closeRedis, connectRedis, CONNECT_WAIT_MS, showRedisUrl, withoutPassword, type RedisLog, type RedisSettings } from '../redis/connection';
import { PRIORITIES, type Priority } from './fair-queue';
import type { Grant, SharedWindow, SharedWindowState } from './shared-window';

const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, wanted, windowMs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[5])
local me, rank = ARGV[6], tonumber(ARGV[7])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local notes = redis.call('HGETALL', KEYS[2])
local mine = nil
local others = {}
for i = 1, #notes, 2 do
  local r, since, expires = string.match(notes[i + 1], '^(%d):(%d+):(%d+)$')
  if not r or tonumber(expires) <= now then
    redis.call('HDEL', KEYS[2], notes[i])
  elseif notes[i] == me then
    mine = tonumber(since)
  else
    table.insert(others, {tonumber(r), tonumber(since), notes[i]})
  end
end
local ahead = 0
for _, other in ipairs(others) do
  -- Equally urgent and waiting since the same millisecond: the client ids decide, so exactly one goes first.
  if other[1] < rank or (other[1] == rank and (mine == nil or other[2] < mine or (other[2] == mine and other[3] < me))) then
    ahead = ahead + 1
  end
end
local held = redis.call('ZCARD', KEYS[1])
local granted = math.max(0, math.min(wanted, limit - held - ahead))
local leaves = now + tonumber(ARGV[3])
for i = 1, granted do
  redis.call('ZADD', KEYS[1], leaves, ARGV[4] .. i)
end
local wait = 0
if granted < wanted then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if first[2] then wait = math.min(tonumber(first[2]) - now, windowMs) end
  -- Held back for runtimes ahead: ask again after about a slot, not in a tight loop.
  if held < limit then wait = math.max(wait, math.floor(windowMs / limit)) end
  wait = math.max(wait, 1)
  -- Waiting since the last grant: a runtime that got some slots goes to the back of the line.
  local since = mine
  if granted > 0 or not mine then since = now end
  redis.call('HSET', KEYS[2], me, rank .. ':' .. since .. ':' .. (now + wait + windowMs))
  redis.call('PEXPIRE', KEYS[2], 2 * windowMs)
elseif mine then
  redis.call('HDEL', KEYS[2], me)
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

/** After a failed command on a live connection, how long before Redis is tried again. */
const RETRY_AFTER_FAILURE_MS = 2_000;

interface ScriptCommands {
  plivoAcquire(key: string, waitingKey: string, limit: number, wanted: number, holdMs: number, prefix: string, windowMs: number,
    client: string, rank: number): Promise<unknown>;
  plivoRelease(key: string, windowMs: number, ...slots: string[]): Promise<number>;
}

export type { RedisLog, RedisSettings };

/**
 * The acquire script's answer as [granted, waitMs], when it is one: whole numbers, at most
 * `wanted` slots and a wait of at most a window. Else undefined: a broken or foreign server
 * must not make this runtime allocate millions of slots or ask again in a tight loop.
 */
export function checkedGrant(reply: unknown, wanted: number, windowMs: number): [number, number] | undefined {
  if (!Array.isArray(reply) || reply.length !== 2) return undefined;
  const [granted, waitMs] = reply as unknown[];
  if (!Number.isSafeInteger(granted) || (granted as number) < 0 || (granted as number) > wanted) return undefined;
  if (!Number.isSafeInteger(waitMs) || (waitMs as number) < 0 || (waitMs as number) > windowMs) return undefined;
  return [granted as number, waitMs as number];
}

export class RedisWindow implements SharedWindow {
  state: SharedWindowState = 'connecting';
  private readonly client: RedisClient & ScriptCommands;
  private readonly key: string;
  /** The runtimes waiting for a slot, with their priorities (see the top). */
  private readonly waitingKey: string;
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
    this.key = `plivo-play:window:${authId}`;
    this.waitingKey = `plivo-play:waiting:${authId}`;
    this.shown = showRedisUrl(settings.url);
    this.password = settings.password;
    this.log = log;
    this.client = connectRedis(settings) as RedisClient & ScriptCommands;
    this.client.defineCommand('plivoAcquire', { numberOfKeys: 2, lua: ACQUIRE });
    this.client.defineCommand('plivoRelease', { numberOfKeys: 1, lua: RELEASE });
    this.client.on('ready', () => this.up());
    this.client.on('error', (error: Error) => this.down(error));
    this.client.on('close', () => this.down(new Error('connection closed')));
    this.connectTimer = setTimeout(() => this.down(new Error('no connection in time')), CONNECT_WAIT_MS);
  }

  async acquire(count: number, limit: number, holdMs: number, windowMs: number, priority: Priority): Promise<Grant> {
    this.sequence += 1;
    const prefix = `${this.prefix}:${this.sequence}:`;
    try {
      const reply = await this.client.plivoAcquire(this.key, this.waitingKey, limit, count, Math.ceil(holdMs), prefix,
        Math.ceil(windowMs), this.prefix, PRIORITIES.indexOf(priority));
      const grant = checkedGrant(reply, count, Math.ceil(windowMs));
      if (!grant) throw new Error(`unexpected answer to the limit script: ${JSON.stringify(reply)?.slice(0, 60)}`);
      const [granted, waitMs] = grant;
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
    await closeRedis(this.client);
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
    this.log('warn', `Redis at ${this.shown} cannot be used (${withoutPassword(error.message, this.password)}): this Node-RED keeps the account's limit on its own, slowing down when Plivo answers 429, until Redis is back`);
    this.setState('down');
  }

  /** The connection is up but a command failed: try Redis again a little later. */
  private retryLater(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.client.status === 'ready') this.up();
    }, RETRY_AFTER_FAILURE_MS);
  }

  private setState(state: SharedWindowState): void {
    this.state = state;
    for (const listener of this.listeners) listener();
  }
}
