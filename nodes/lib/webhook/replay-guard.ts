/**
 * Refuses a webhook whose signature was already accepted. Plivo's signature carries no
 * timestamp, so a captured request stays valid for ever; remembering what was signed is the
 * only defence. The key is the signature that matched (not the nonce), so no rearrangement of
 * the signed text makes a "new" request.
 *
 * One guard per Auth ID for the whole runtime (see plivo/shared-accounts.ts): every webhook
 * node of the account shares it and it outlives redeploys. When the account has a Redis URL,
 * each signature is also recorded there (SET NX PX), so every instance refuses what any one
 * accepted, and a restart forgets nothing; while Redis cannot answer, this runtime's memory
 * alone decides.
 */
import type { Redis as RedisClient } from 'ioredis';
import { closeRedis, connectRedis, showRedisUrl, withoutPassword, type RedisLog, type RedisSettings } from '../redis/connection';

/** How long a signature is remembered: a call lasts at most 4 hours, and its webhooks with it. */
const REPLAY_MEMORY_MS = 4 * 60 * 60_000;
/** Signatures kept in this runtime's memory at most (about 12 MB); past it the oldest are forgotten first. */
const LOCAL_CAPACITY = 100_000;

/** Signatures seen in the last `ttlMs`, at most `capacity` of them (the oldest go first). */
export class SeenSignatures {
  /** Signature to the time it may be forgotten; insertion order is expiry order (one ttl for all). */
  private readonly keptUntil = new Map<string, number>();

  constructor(private readonly ttlMs = REPLAY_MEMORY_MS, private readonly capacity = LOCAL_CAPACITY) {}

  /** Records `signature`; true when it was already seen within the time kept. */
  seen(signature: string, now: number): boolean {
    for (const [old, until] of this.keptUntil) {
      if (until > now && this.keptUntil.size < this.capacity) break;
      this.keptUntil.delete(old);
    }
    if (this.keptUntil.has(signature)) return true;
    this.keptUntil.set(signature, now + this.ttlMs);
    return false;
  }

  get size(): number {
    return this.keptUntil.size;
  }
}

/** The account's seen signatures in Redis, one key each, expiring by themselves. */
export class RedisSeenSignatures {
  private readonly client: RedisClient;
  private readonly prefix: string;
  private readonly shown: string;
  private failing = false;

  constructor(authId: string, private readonly settings: RedisSettings, private readonly log: RedisLog) {
    this.client = connectRedis(settings);
    this.prefix = `plivo-play:webhook-seen:${authId}:`;
    this.shown = showRedisUrl(settings.url);
    // Connection errors are told once per outage by record(); ioredis must not print them itself.
    this.client.on('error', () => undefined);
  }

  /**
   * Records `signature`: true when it is new to Redis, false when an instance recorded it
   * before; undefined when Redis cannot answer (said once per outage in the log).
   */
  async record(signature: string, ttlMs: number): Promise<boolean | undefined> {
    let answer: unknown;
    try {
      answer = await this.client.set(`${this.prefix}${signature}`, '1', 'PX', ttlMs, 'NX');
    } catch (error) {
      return this.fail((error as Error).message);
    }
    if (answer !== 'OK' && answer !== null) return this.fail(`unexpected answer ${JSON.stringify(answer)?.slice(0, 40)}`);
    if (this.failing) {
      this.failing = false;
      this.log('info', `Redis at ${this.shown} is back: webhook replays are refused across instances again`);
    }
    return answer === 'OK';
  }

  close(): Promise<void> {
    return closeRedis(this.client);
  }

  private fail(reason: string): undefined {
    if (!this.failing) {
      this.failing = true;
      this.log('warn', `Redis at ${this.shown} cannot be used for webhook replay checks (${withoutPassword(reason, this.settings.password)}): `
        + 'until it is back, this Node-RED refuses only the replays it has seen itself');
    }
    return undefined;
  }
}

export class ReplayGuard {
  private readonly local: SeenSignatures;
  private redis: RedisSeenSignatures | undefined;

  constructor(local = new SeenSignatures()) {
    this.local = local;
  }

  /** Shares seen signatures through Redis from now on (undefined: this runtime's memory only). */
  useRedis(redis: RedisSeenSignatures | undefined): void {
    this.redis = redis;
  }

  /** Records the signature of a request that passed every other check; true the first time it is seen. */
  async firstTime(signature: string, now: number): Promise<boolean> {
    // Recorded here first and synchronously: two copies arriving together cannot both pass.
    if (this.local.seen(signature, now)) return false;
    const inRedis = await this.redis?.record(signature, REPLAY_MEMORY_MS);
    return inRedis !== false;
  }
}
