/**
 * A cap on things that last longer than the request that starts them (an account's concurrent
 * calls): each holds a lease from its start until it is released by name, or until its expiry
 * when the release never comes. The request engine asks `room` before it starts one (a gate);
 * a lease freed wakes it. Without a cap there is always room, and leases are still counted.
 */
import { ExpiryTimer } from '../common/expiry-timer';

export type LeaseListener = () => void;

export class Leases {
  /** Lease name to when it expires; insertion order is the order taken. */
  private readonly held = new Map<string, number>();
  private readonly listeners = new Set<LeaseListener>();
  private readonly expiry: ExpiryTimer;

  constructor(private cap: number | undefined = undefined, private readonly now: () => number = Date.now) {
    this.expiry = new ExpiryTimer(() => this.expire(), now);
  }

  /** undefined: no cap. A lower cap takes no lease back; it only holds new ones until enough are released. */
  setCap(cap: number | undefined): void {
    this.cap = cap;
    this.freed();
  }

  get capacity(): number | undefined {
    return this.cap;
  }

  /** How many more may start now. */
  room(): number {
    return this.cap === undefined ? Number.POSITIVE_INFINITY : Math.max(0, this.cap - this.held.size);
  }

  get size(): number {
    return this.held.size;
  }

  /** Takes (or keeps) the lease `name` until `expiresAt`; taking one already held only moves its expiry. */
  take(name: string, expiresAt: number): void {
    this.held.set(name, expiresAt);
    this.expiry.schedule(expiresAt);
  }

  /** The lease `from` goes on under `to` (a placeholder named once the request's answer names it). */
  rename(from: string, to: string, expiresAt: number): void {
    if (!this.held.delete(from)) return;
    this.held.set(to, expiresAt);
    this.expiry.schedule(expiresAt);
  }

  /** Ends the lease; true when it was held. */
  release(name: string): boolean {
    if (!this.held.delete(name)) return false;
    this.freed();
    return true;
  }

  has(name: string): boolean {
    return this.held.has(name);
  }

  /** `listener` hears whenever a lease frees (released, expired, or a higher cap). */
  onFree(listener: LeaseListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops the expiry timer (the leases stay; a later call schedules it again). */
  stop(): void {
    this.expiry.stop();
  }

  /** Ends the leases that are due; answers when the next one is. */
  private expire(): number | undefined {
    const now = this.now();
    let freed = false;
    let earliest: number | undefined;
    for (const [name, expiresAt] of this.held) {
      if (expiresAt <= now) {
        this.held.delete(name);
        freed = true;
      } else earliest = Math.min(earliest ?? expiresAt, expiresAt);
    }
    if (freed) this.freed();
    return earliest;
  }

  private freed(): void {
    for (const listener of this.listeners) listener();
  }
}
