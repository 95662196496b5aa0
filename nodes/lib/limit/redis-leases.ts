/**
 * Leases (leases.ts) held by every runtime sharing a Redis: one sorted set per name, each
 * member a lease scored with when it expires. Changed only by Lua scripts, which are atomic
 * and read Redis's clock, so a cap is never passed by two runtimes taking the last room at
 * once, and hosts' clocks never matter. A runtime that crashes leaves its leases to expire.
 *
 * Each change publishes how many are held on the set's channel; every runtime also counts
 * again each second (what expired elsewhere tells nobody). While Redis cannot answer, each
 * runtime keeps its own leases only: the share says so (`ready`), and the caller goes on alone.
 */
import type { Redis as RedisClient } from 'ioredis';
import { closeRedis, connectRedis, type RedisSettings } from '../redis/connection';
import type { LeaseShare, LeaseTake } from './leases';

const CLEAN = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
`;

const TAKE = `${CLEAN}
local cap = tonumber(ARGV[3])
local held = redis.call('ZCARD', KEYS[1])
if cap >= 0 and held >= cap and not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return {0, held} end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
held = redis.call('ZCARD', KEYS[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
redis.call('PUBLISH', KEYS[1], held)
return {1, held}
`;

/** ARGV: the lease to end, then (optionally) the lease it goes on as and for how long. */
const MOVE = `${CLEAN}
local had = redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[2] and had == 1 then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', KEYS[1], last[2])
end
local held = redis.call('ZCARD', KEYS[1])
redis.call('PUBLISH', KEYS[1], held)
return held
`;

const COUNT = `${CLEAN}
return redis.call('ZCARD', KEYS[1])
`;

const RECOUNT_MS = 1_000;
/** More leases than any account holds: an answer beyond it is not Redis's set. */
const MAX_HELD = 10_000_000;

interface ScriptCommands {
  plivoLeaseTake(key: string, name: string, holdMs: number, cap: number): Promise<unknown>;
  plivoLeaseMove(key: string, ...args: Array<string | number>): Promise<unknown>;
  plivoLeaseCount(key: string): Promise<unknown>;
}

const heldIn = (reply: unknown) => (Number.isSafeInteger(reply) && (reply as number) >= 0 && (reply as number) <= MAX_HELD ? reply as number : undefined);

export class RedisLeases implements LeaseShare {
  private readonly client: RedisClient & ScriptCommands;
  private readonly subscriber: RedisClient;
  private readonly key: string;
  private readonly listeners = new Set<(held: number) => void>();
  private readonly recount: NodeJS.Timeout;

  /** `name` names the set (the account's, with what it counts). */
  constructor(name: string, settings: RedisSettings) {
    this.key = `plivo-play:leases:${name}`;
    this.client = connectRedis(settings) as RedisClient & ScriptCommands;
    this.client.defineCommand('plivoLeaseTake', { numberOfKeys: 1, lua: TAKE });
    this.client.defineCommand('plivoLeaseMove', { numberOfKeys: 1, lua: MOVE });
    this.client.defineCommand('plivoLeaseCount', { numberOfKeys: 1, lua: COUNT });
    this.subscriber = connectRedis(settings);
    // Outages are the account's Redis's, told by its window; here they only mean going on alone.
    this.client.on('error', () => undefined);
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(this.key).catch(() => undefined);
    });
    this.subscriber.on('message', (_channel: string, message: string) => {
      const held = /^[0-9]{1,8}$/.test(message) ? Number(message) : undefined;
      if (held !== undefined) this.tell(held);
    });
    this.recount = setInterval(() => {
      if (!this.ready) return;
      this.client.plivoLeaseCount(this.key).then((reply) => {
        const held = heldIn(reply);
        if (held !== undefined) this.tell(held);
      }, () => undefined);
    }, RECOUNT_MS);
    this.recount.unref();
  }

  get ready(): boolean {
    return this.client.status === 'ready';
  }

  async take(name: string, holdMs: number, cap: number | undefined): Promise<LeaseTake> {
    const reply = await this.client.plivoLeaseTake(this.key, name, Math.max(1, Math.ceil(holdMs)), cap ?? -1);
    const [taken, held] = Array.isArray(reply) && reply.length === 2 ? reply as unknown[] : [];
    if ((taken !== 0 && taken !== 1) || heldIn(held) === undefined) {
      throw new Error(`unexpected answer to the lease script: ${JSON.stringify(reply)?.slice(0, 60)}`);
    }
    return { taken: taken === 1, held: held as number };
  }

  /** A lease that fails to move or end here stays until it expires: safe, only stricter. */
  rename(from: string, to: string, holdMs: number): void {
    this.move(from, to, Math.max(1, Math.ceil(holdMs)));
  }

  release(name: string): void {
    this.move(name);
  }

  onCount(listener: (held: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    clearInterval(this.recount);
    this.listeners.clear();
    await Promise.all([closeRedis(this.subscriber), closeRedis(this.client)]);
  }

  private move(...args: Array<string | number>): void {
    if (!this.ready) return;
    this.client.plivoLeaseMove(this.key, ...args).catch(() => undefined);
  }

  private tell(held: number): void {
    for (const listener of this.listeners) listener(held);
  }
}
