/**
 * A sliding window kept outside this runtime (in Redis, redis-window.ts) and shared by every
 * runtime sending for the account. The engine takes slots from it in batches and keeps its
 * own window as well, which alone holds the limit while the shared one is down.
 */
import type { Priority } from './fair-queue';

export type SharedWindowState = 'connecting' | 'ready' | 'down';

export interface Grant {
  /** One id per slot granted, each to be released or cancelled. */
  slots: string[];
  /** When fewer slots than asked were granted: milliseconds until the next one frees. */
  waitMs: number;
}

export interface SharedWindow {
  /** 'connecting': wait for it; 'ready': take slots from it; 'down': keep the limit locally. */
  readonly state: SharedWindowState;
  /**
   * Takes up to `count` slots of `limit` per `windowMs`, each held `holdMs` unless released,
   * for messages of which the most urgent has `priority` (other runtimes' turns come first).
   * Rejects (and goes down) when the store fails.
   */
  acquire(count: number, limit: number, holdMs: number, windowMs: number, priority: Priority): Promise<Grant>;
  /** The slot's request was answered: it stays in the window `windowMs` from now. */
  release(slot: string, windowMs: number): void;
  /** A slot that was granted but not used. */
  cancel(slot: string): void;
  /** Calls `listener` when the state changes; returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
  close(): Promise<void>;
}
