/**
 * The account's placed calls shared through its Redis, so a call's callbacks may reach any
 * Node-RED instance: the answer flow gets what the placing message kept (`msg.placed`) and the
 * outcome reaches the make-call node that placed the call, wherever its hangup was heard.
 *
 * Per call, keys that expire with the call's longest wait (placed-calls.ts):
 * - `...:request:<RequestUUID>`: what the placing message kept (JSON text, 16 KB at most);
 * - `...:call:<CallUUID>`: the RequestUUID and what it kept, once a callback tied the two
 *   (a GetDigits action names only the CallUUID);
 * - `...:outcome:<RequestUUID>`: the outcome, an hour, for a placer that missed it.
 * An outcome is published on the account's channel; each instance subscribes, and on each
 * (re)connection reads the outcomes of the calls it still waits for, so an outage loses none.
 * While Redis cannot answer, each instance hears only the callbacks that reach it.
 */
import type { Redis as RedisClient } from 'ioredis';
import { closeRedis, connectRedis, type RedisSettings } from '../redis/connection';
import type { CallOutcome, PlacedCallsShare, SharedPlacement } from './placed-calls';

/** How long a stored outcome waits for the instance that placed the call. */
const OUTCOME_KEPT_MS = 3_600_000;
/** Outcomes read in one round trip at most, when catching up. */
const READ_BATCH = 500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The placing message's keep is 16 KB of JSON at most (placing.ts); anything longer is not ours. */
const MAX_STORED = 64 * 1024;

function parsed(text: unknown): Record<string, unknown> | undefined {
  if (typeof text !== 'string' || text.length > MAX_STORED) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

/** An outcome as stored or published, when it is one. */
function outcomeIn(value: unknown): CallOutcome | undefined {
  const outcome = value as Partial<CallOutcome> | undefined;
  return outcome && typeof outcome.status === 'string' && typeof outcome.RequestUUID === 'string' && UUID.test(outcome.RequestUUID)
    ? outcome as CallOutcome : undefined;
}

export class RedisPlacedCalls implements PlacedCallsShare {
  private readonly client: RedisClient;
  private readonly subscriber: RedisClient;
  private readonly prefix: string;
  private readonly outcomeListeners = new Set<(outcome: CallOutcome) => void>();
  private readonly readyListeners = new Set<() => void>();
  /** A catch-up waits for the client to be ready. */
  private catchUpPending = false;

  constructor(authId: string, settings: RedisSettings) {
    this.prefix = `plivo-play:placed:${authId}`;
    this.client = connectRedis(settings);
    this.subscriber = connectRedis(settings);
    // Outages are the account's Redis's, told by its window; here they only mean hearing this instance's callbacks alone.
    this.client.on('error', () => undefined);
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (_channel: string, message: string) => {
      const outcome = outcomeIn(parsed(message));
      if (outcome) for (const listener of this.outcomeListeners) listener(outcome);
    });
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(this.prefix).then(() => this.whenClientReady(), () => undefined);
    });
  }

  get ready(): boolean {
    return this.client.status === 'ready';
  }

  placed(requestUuid: string, kept: string, holdMs: number): void {
    this.run((multi) => multi.set(this.key('request', requestUuid), kept, 'PX', Math.max(1, Math.ceil(holdMs))));
  }

  tied(callUuid: string, placement: SharedPlacement, holdMs: number): void {
    this.run((multi) => multi.set(this.key('call', callUuid), JSON.stringify(placement), 'PX', Math.max(1, Math.ceil(holdMs))));
  }

  /** The call another instance placed, by its request UUID, else by its call UUID; with how long it is kept. */
  async find(requestUuid: string | undefined, callUuid: string | undefined): Promise<{ placement: SharedPlacement; holdMs: number } | undefined> {
    if (!this.ready) return undefined;
    if (requestUuid !== undefined) {
      const answers = await this.client.multi().get(this.key('request', requestUuid)).pttl(this.key('request', requestUuid)).exec();
      const [[, kept], [, ttl]] = answers as Array<[Error | null, unknown]>;
      if (typeof kept === 'string' && kept.length <= MAX_STORED) return { placement: { requestUuid, kept }, holdMs: Number(ttl) > 0 ? Number(ttl) : 1 };
    }
    if (callUuid === undefined) return undefined;
    const answers = await this.client.multi().get(this.key('call', callUuid)).pttl(this.key('call', callUuid)).exec();
    const [[, stored], [, ttl]] = answers as Array<[Error | null, unknown]>;
    const placement = parsed(stored);
    if (typeof placement?.requestUuid !== 'string' || !UUID.test(placement.requestUuid) || typeof placement.kept !== 'string') return undefined;
    if (requestUuid !== undefined && placement.requestUuid !== requestUuid) return undefined;
    return { placement: { requestUuid: placement.requestUuid, kept: placement.kept }, holdMs: Number(ttl) > 0 ? Number(ttl) : 1 };
  }

  settled(outcome: CallOutcome, callUuid: string | undefined): void {
    const text = JSON.stringify(outcome);
    this.run((multi) => {
      multi.set(this.key('outcome', outcome.RequestUUID), text, 'PX', OUTCOME_KEPT_MS);
      multi.del(this.key('request', outcome.RequestUUID));
      if (callUuid) multi.del(this.key('call', callUuid));
      return multi.publish(this.prefix, text);
    });
  }

  async outcomesOf(requestUuids: string[]): Promise<CallOutcome[]> {
    const found: CallOutcome[] = [];
    for (let i = 0; i < requestUuids.length; i += READ_BATCH) {
      const batch = requestUuids.slice(i, i + READ_BATCH);
      const texts = await this.client.mget(...batch.map((requestUuid) => this.key('outcome', requestUuid)));
      texts.forEach((text, at) => {
        const outcome = outcomeIn(parsed(text));
        if (outcome && outcome.RequestUUID === batch[at]) found.push(outcome);
      });
    }
    return found;
  }

  onOutcome(listener: (outcome: CallOutcome) => void): () => void {
    this.outcomeListeners.add(listener);
    return () => this.outcomeListeners.delete(listener);
  }

  onReady(listener: () => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.outcomeListeners.clear();
    this.readyListeners.clear();
    await Promise.all([closeRedis(this.subscriber), closeRedis(this.client)]);
  }

  private key(kind: 'request' | 'call' | 'outcome', uuid: string): string {
    return `${this.prefix}:${kind}:${uuid}`;
  }

  /** A write that fails is this instance's alone: the call's other callbacks are heard where they arrive. */
  private run(commands: (multi: ReturnType<RedisClient['multi']>) => unknown): void {
    if (!this.ready) return;
    const multi = this.client.multi();
    commands(multi);
    multi.exec().catch(() => undefined);
  }

  /** Subscribed (again): once the client can read too, the instance catches up on what it missed. */
  private whenClientReady(): void {
    if (this.catchUpPending) return;
    const tell = () => {
      this.catchUpPending = false;
      for (const listener of this.readyListeners) listener();
    };
    if (this.client.status === 'ready') {
      tell();
      return;
    }
    this.catchUpPending = true;
    this.client.once('ready', tell);
  }
}
