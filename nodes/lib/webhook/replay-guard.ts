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
 * alone decides, and what it accepted then is written to Redis when Redis is back.
 */
import type { Redis as RedisClient } from 'ioredis';
import { closeRedis, connectRedis, CONNECT_WAIT_MS, showRedisUrl, withoutPassword, type RedisLog, type RedisSettings } from '../redis/connection';

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

/** Signatures written back to Redis in one round trip at most, after an outage. */
const WRITE_BACK_BATCH = 500;

/**
 * The account's seen signatures in Redis, one key each, expiring by themselves.
 *
 * Nothing is decided before the first connection is ready (or CONNECT_WAIT_MS has passed): a
 * restart cannot let a replay through while the connection is still being made. What this
 * runtime accepts while Redis cannot answer is remembered and written back (SET NX with the time
 * it has left) as soon as Redis is ready again, so the other instances refuse it too; one that is
 * already there was accepted by another instance as well, and that is logged as a possible replay.
 */
export class RedisSeenSignatures {
  private readonly client: RedisClient;
  private readonly prefix: string;
  private readonly shown: string;
  private failing = false;
  /** Resolves when the first connection is ready, or when waiting for it is over. */
  private readonly firstConnection: Promise<void>;
  private connectTimer: NodeJS.Timeout | undefined;
  /** Accepted here while Redis could not answer: signature to the time it may be forgotten. */
  private readonly unwritten = new Map<string, number>();
  private writingBack: Promise<void> | undefined;

  constructor(
    authId: string,
    private readonly settings: RedisSettings,
    private readonly log: RedisLog,
    private readonly capacity = LOCAL_CAPACITY,
  ) {
    this.client = connectRedis(settings);
    this.prefix = `plivo-play:webhook-seen:${authId}:`;
    this.shown = showRedisUrl(settings.url);
    // Connection errors are told once per outage by fail(); ioredis must not print them itself.
    this.client.on('error', () => undefined);
    this.firstConnection = new Promise((resolve) => {
      this.connectTimer = setTimeout(resolve, CONNECT_WAIT_MS);
      this.client.once('ready', () => {
        clearTimeout(this.connectTimer);
        resolve();
      });
    });
    this.client.on('ready', () => {
      void this.writeBack();
    });
  }

  /**
   * Records `signature`: true when it is new to Redis, false when an instance recorded it
   * before; undefined when Redis cannot answer (said once per outage in the log; the signature
   * is written back when Redis is ready again).
   */
  async record(signature: string, ttlMs: number, now = Date.now()): Promise<boolean | undefined> {
    await this.firstConnection;
    let answer: unknown;
    try {
      answer = await this.client.set(`${this.prefix}${signature}`, '1', 'PX', ttlMs, 'NX');
    } catch (error) {
      return this.fail((error as Error).message, signature, now + ttlMs);
    }
    if (answer !== 'OK' && answer !== null) return this.fail(`unexpected answer ${JSON.stringify(answer)?.slice(0, 40)}`, signature, now + ttlMs);
    if (this.failing || this.unwritten.size > 0) void this.writeBack();
    return answer === 'OK';
  }

  /** Signatures accepted here during an outage and not yet written back. */
  get unwrittenCount(): number {
    return this.unwritten.size;
  }

  close(): Promise<void> {
    clearTimeout(this.connectTimer);
    return closeRedis(this.client);
  }

  private fail(reason: string, signature: string, keptUntil: number): undefined {
    this.unwritten.delete(signature);
    this.unwritten.set(signature, keptUntil);
    // Bounded like the local memory: the oldest go first.
    for (const oldest of this.unwritten.keys()) {
      if (this.unwritten.size <= this.capacity) break;
      this.unwritten.delete(oldest);
    }
    if (!this.failing) {
      this.failing = true;
      this.log('warn', `Redis at ${this.shown} cannot be used for webhook replay checks (${withoutPassword(reason, this.settings.password)}): `
        + 'until it is back, this Node-RED refuses only the replays it has seen itself, and writes what it accepts to Redis when it is back');
    }
    return undefined;
  }

  /** Writes back what was accepted during an outage; one write-back at a time. */
  private writeBack(): Promise<void> {
    this.writingBack ??= this.writeBackNow().finally(() => {
      this.writingBack = undefined;
    });
    return this.writingBack;
  }

  private async writeBackNow(): Promise<void> {
    let written = 0;
    let foundThere = 0;
    while (this.unwritten.size > 0) {
      const now = Date.now();
      // The oldest first, without copying the whole map for every batch; the expired are dropped on the way.
      const batch: Array<[string, number]> = [];
      for (const [signature, until] of this.unwritten) {
        if (batch.length === WRITE_BACK_BATCH) break;
        if (until > now) batch.push([signature, until]);
        else this.unwritten.delete(signature);
      }
      if (batch.length === 0) continue;
      const pipeline = this.client.pipeline();
      for (const [signature, until] of batch) pipeline.set(`${this.prefix}${signature}`, '1', 'PX', until - now, 'NX');
      let answers: Array<[Error | null, unknown]> | null;
      try {
        answers = await pipeline.exec();
      } catch {
        return;
      }
      // Only OK (written) and nil (already there) are answers; anything else leaves the rest for the next time.
      if (!answers || answers.some(([error, answer]) => error || (answer !== 'OK' && answer !== null))) return;
      batch.forEach(([signature], index) => {
        this.unwritten.delete(signature);
        if (answers?.[index][1] === 'OK') written += 1;
        else foundThere += 1;
      });
    }
    if (foundThere > 0) {
      this.log('warn', `Redis at ${this.shown} is back: ${foundThere} webhook request(s) this Node-RED accepted while it was unreachable `
        + 'had been accepted by another instance too: a replay may have passed');
    }
    if (this.failing || written > 0) {
      this.failing = false;
      this.log('info', `Redis at ${this.shown} is back: webhook replays are refused across instances again`
        + (written + foundThere > 0 ? ` (${written + foundThere} accepted during the outage written back)` : ''));
    }
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
    const inRedis = await this.redis?.record(signature, REPLAY_MEMORY_MS, now);
    return inRedis !== false;
  }
}
