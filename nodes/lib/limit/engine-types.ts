/** What the request engine takes and tells: its limits, a message's policy, its snapshot, its clock. */
import type { Priority } from './fair-queue';
import type { SharedWindowState } from './shared-window';

export interface EngineLimits {
  /** Starts allowed in any window. */
  rateLimit: number;
  rateWindowMs: number;
  /**
   * Requests in flight at once, at most. Fewer are used when the round trip is short: as many
   * as the allowed rate needs at the measured round trip (Little's law) with headroom, at least
   * ten (in-flight.ts). On loopback that keeps a burst that collides with other clients small; at
   * real round trips it lets the limit be used in full.
   */
  concurrency: number;
  /** Messages waiting (queued or between attempts). */
  queueLimit: number;
  /** Per attempt: a shared slot is held at most this long (plus a window) if its answer never comes. */
  timeoutMs: number;
}

/** How one message is retried. */
export interface TaskPolicy {
  /** Attempts after the first for 5xx, resets and timeouts; 429s do not count. */
  retries: number;
  /** The most time a message may spend rate limited, from its first 429. */
  rateLimitWaitMs: number;
  /** Its turn: `high` before `normal` before `low`; normal when absent. */
  priority?: Priority;
  /**
   * A request that must not take effect twice (a hang-up, a transfer, digits): tried again only
   * when it cannot have reached the server (a 429, a connection never made), never after an answer,
   * a reset or a timeout.
   */
  atMostOnce?: boolean;
  /** The most time it may wait before its first attempt starts; `source` names the setting in the error. */
  maxWait?: { ms: number; source: string };
}

export interface EngineSnapshot {
  /** The owner's messages waiting: queued, or between attempts. */
  queued: number;
  inFlight: number;
  /** How long the account holds back after a 429; 0 when it does not. */
  pausedMs: number;
  /** This runtime's share of the limit per window, and the configured limit. */
  share: number;
  limit: number;
  /** Where the limit is kept: this runtime alone, or with others in a shared window (up or down). */
  shared: SharedWindowState | 'none';
}

export type Attempt<T> = (signal: AbortSignal) => Promise<T>;

export interface Clock {
  now(): number;
  random(): number;
}

export const systemClock: Clock = { now: () => Date.now(), random: () => Math.random() };
