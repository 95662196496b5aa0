/**
 * The account's ended calls shared through its Redis, so a hangup one Node-RED instance hears
 * of stops the requests queued for that call on every other.
 *
 * Each call that ends is added to one sorted set per account (score: when it ended; trimmed to
 * the last 4 hours and LOCAL_CAPACITY calls) and published on the account's channel. Every
 * instance subscribes; on each (re)connection it reads the set, so one that started late or
 * was cut off learns what it missed. What this runtime learns while Redis cannot answer is
 * kept (bounded) and written when Redis is ready again.
 */
import type { Redis as RedisClient } from 'ioredis';
import type { EndedBy, EndedCall } from '../common/errors';
import { closeRedis, connectRedis, showRedisUrl, withoutPassword, type RedisLog, type RedisSettings } from '../redis/connection';
import { ENDED_MEMORY_MS, LOCAL_CAPACITY, type EndedCallsShare } from './ended-calls';

/** Calls written in one round trip at most, after an outage. */
const WRITE_BATCH = 500;
const BY: readonly EndedBy[] = ['webhook', 'hang-up', 'not-found'];
const CALL_UUID = /^[0-9a-f-]{36}$/i;

/** "uuid|by" as the set's member and "uuid|by|at" as the channel's message. */
function parseMember(text: string, at?: number): { callUuid: string; ended: EndedCall } | undefined {
  const [callUuid, by, published] = text.split('|');
  const when = at ?? Number(published);
  if (!CALL_UUID.test(callUuid ?? '') || !BY.includes(by as EndedBy) || !Number.isSafeInteger(when)) return undefined;
  return { callUuid, ended: { at: when, by: by as EndedBy } };
}

export class RedisEndedCalls implements EndedCallsShare {
  private readonly client: RedisClient;
  private readonly subscriber: RedisClient;
  private readonly key: string;
  private readonly shown: string;
  /** Learnt here while Redis could not take it: call UUID to how it ended. */
  private readonly unwritten = new Map<string, EndedCall>();
  private failing = false;
  /** A catch-up waits for the client to be ready. */
  private catchUpPending = false;

  /** `learn` is told each call another instance (or an earlier run) learnt of. */
  /** `name`: the account's Auth ID, with its API base URL when that is not Plivo's (shared-accounts.ts). */
  constructor(
    name: string,
    private readonly settings: RedisSettings,
    private readonly log: RedisLog,
    private readonly learn: (callUuid: string, ended: EndedCall) => void,
    private readonly memoryMs = ENDED_MEMORY_MS,
  ) {
    this.key = `plivo-play:ended-calls:${name}`;
    this.shown = showRedisUrl(settings.url);
    this.client = connectRedis(settings);
    this.subscriber = connectRedis(settings);
    // Connection errors are told once per outage by fail(); ioredis must not print them itself.
    this.client.on('error', () => undefined);
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (_channel: string, message: string) => {
      const parsed = parseMember(message);
      if (parsed) this.learn(parsed.callUuid, parsed.ended);
    });
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(this.key).then(() => this.catchUpWhenReady(), (error: Error) => this.fail(error.message));
    });
    this.client.on('ready', () => {
      void this.writeUnwritten();
    });
  }

  tell(callUuid: string, ended: EndedCall): void {
    this.write([[callUuid, ended]]).then(() => this.back(0), (error: Error) => {
      this.keep(callUuid, ended);
      this.fail(error.message);
    });
  }

  async close(): Promise<void> {
    await Promise.all([closeRedis(this.subscriber), closeRedis(this.client)]);
  }

  /** Adds calls to the set, trims it, and tells the other instances, in one round trip. */
  private async write(calls: Array<[string, EndedCall]>): Promise<void> {
    const now = Date.now();
    const pipeline = this.client.multi();
    for (const [callUuid, { at, by }] of calls) pipeline.zadd(this.key, at, `${callUuid}|${by}`);
    pipeline.zremrangebyscore(this.key, '-inf', now - this.memoryMs);
    pipeline.zremrangebyrank(this.key, 0, -(LOCAL_CAPACITY + 1));
    pipeline.pexpire(this.key, this.memoryMs);
    for (const [callUuid, { at, by }] of calls) pipeline.publish(this.key, `${callUuid}|${by}|${at}`);
    const answers = await pipeline.exec();
    const failed = answers?.find(([error]) => error)?.[0];
    if (!answers || failed) throw failed ?? new Error('transaction discarded');
  }

  /** Says once that Redis is back after an outage (whichever write finds it first), with the calls kept meanwhile. */
  private back(written: number): void {
    if (!this.failing || (written === 0 && this.unwritten.size > 0)) return;
    this.failing = false;
    this.log('info', written > 0
      ? `Redis at ${this.shown} is back: ${written} call(s) that ended while it was unreachable are shared now`
      : `Redis at ${this.shown} is back: ended calls are shared across instances again`);
  }

  /**
   * Catches up once the client can read too. After an outage the two connections come back one by one:
   * read on a client still reconnecting, the set is unreachable for a moment and the outage said again.
   */
  private catchUpWhenReady(): void {
    if (this.client.status === 'ready') {
      void this.catchUp();
    } else if (!this.catchUpPending) {
      this.catchUpPending = true;
      this.client.once('ready', () => {
        this.catchUpPending = false;
        void this.catchUp();
      });
    }
  }

  /** What the set holds from the last 4 hours: calls ended while this instance was not listening. */
  private async catchUp(): Promise<void> {
    let members: string[];
    try {
      members = await this.client.zrangebyscore(this.key, Date.now() - this.memoryMs, '+inf', 'WITHSCORES');
    } catch (error) {
      this.fail((error as Error).message);
      return;
    }
    for (let i = 0; i + 1 < members.length; i += 2) {
      const parsed = parseMember(members[i], Number(members[i + 1]));
      if (parsed) this.learn(parsed.callUuid, parsed.ended);
    }
  }

  private keep(callUuid: string, ended: EndedCall): void {
    this.unwritten.set(callUuid, ended);
    for (const oldest of this.unwritten.keys()) {
      if (this.unwritten.size <= LOCAL_CAPACITY) break;
      this.unwritten.delete(oldest);
    }
  }

  private async writeUnwritten(): Promise<void> {
    const calls = [...this.unwritten].filter(([, { at }]) => at + this.memoryMs > Date.now());
    if (calls.length === 0) return;
    this.unwritten.clear();
    try {
      for (let i = 0; i < calls.length; i += WRITE_BATCH) await this.write(calls.slice(i, i + WRITE_BATCH));
      this.back(calls.length);
    } catch (error) {
      for (const [callUuid, ended] of calls) this.keep(callUuid, ended);
      this.fail((error as Error).message);
    }
  }

  private fail(reason: string): void {
    if (this.failing) return;
    this.failing = true;
    this.log('warn', `Redis at ${this.shown} cannot be used to share ended calls (${withoutPassword(reason, this.settings.password)}): `
      + 'until it is back, each Node-RED skips only the calls it knows have ended');
  }
}
