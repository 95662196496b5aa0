/**
 * A cap on things that last longer than the request that starts them (an account's concurrent
 * calls): each holds a lease from its start until it is released by name, or until its expiry
 * when the release never comes. The request engine asks `room` before it starts one (a gate);
 * a lease freed wakes it. Without a cap there is always room, and leases are still counted.
 *
 * With a share (redis-leases.ts) the cap holds across every runtime using it: `acquire` takes
 * the lease there too, atomically, and room counts the leases the others hold, as last heard.
 * While the share cannot answer, this runtime counts its own leases only.
 */
import { ExpiryTimer } from '../common/expiry-timer';

export type LeaseListener = () => void;

export interface LeaseTake {
  taken: boolean;
  /** How many leases every runtime holds now. */
  held: number;
}

/** Leases held by several runtimes together. */
export interface LeaseShare {
  readonly ready: boolean;
  /** Takes `name` for `holdMs` unless `cap` (undefined: none) are held already; rejects when the store fails. */
  take(name: string, holdMs: number, cap: number | undefined): Promise<LeaseTake>;
  rename(from: string, to: string, holdMs: number): void;
  release(name: string): void;
  /** `listener` hears how many leases every runtime holds, whenever that may have changed. */
  onCount(listener: (held: number) => void): () => void;
}

/** A lease the share refused: the other runtimes hold the cap. Nothing was started; the request waits for room again. */
export class LeaseRefusedError extends Error {
  constructor() {
    super('no room under the shared cap');
    this.name = 'LeaseRefusedError';
  }
}

export class Leases {
  /** Lease name to when it expires; insertion order is the order taken. */
  private readonly held = new Map<string, number>();
  private readonly listeners = new Set<LeaseListener>();
  private readonly expiry: ExpiryTimer;
  private share: LeaseShare | undefined;
  private leaveShare: (() => void) | undefined;
  /** Leases the other runtimes of the share hold, as last heard. */
  private others = 0;

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
    return this.cap === undefined ? Number.POSITIVE_INFINITY : Math.max(0, this.cap - this.held.size - this.others);
  }

  /** Shares the leases taken from now on through `share` (undefined: this runtime's only). */
  useShare(share: LeaseShare | undefined): void {
    this.leaveShare?.();
    this.share = share;
    this.leaveShare = share?.onCount((held) => this.heardCount(held));
    this.heardCount(this.held.size);
  }

  /**
   * Takes the lease `name` until `expiresAt`, in the share too when there is one: false (and no
   * lease) when the share's cap is reached by the leases of every runtime.
   */
  async acquire(name: string, expiresAt: number): Promise<boolean> {
    this.take(name, expiresAt);
    const share = this.share;
    if (!share?.ready) return true;
    let answer: LeaseTake;
    try {
      answer = await share.take(name, expiresAt - this.now(), this.cap);
    } catch {
      return true;
    }
    if (!answer.taken) this.held.delete(name);
    this.heardCount(answer.held);
    return answer.taken;
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
    this.share?.rename(from, to, expiresAt - this.now());
  }

  /** Ends the lease; true when it was held. */
  release(name: string): boolean {
    // Another runtime's lease (a call it placed that ended here) ends in the share.
    this.share?.release(name);
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

  /** The share says how many every runtime holds: the others hold what this one does not. */
  private heardCount(held: number): void {
    const before = this.others;
    this.others = this.share ? Math.max(0, held - this.held.size) : 0;
    if (this.others < before) this.freed();
  }

  private freed(): void {
    for (const listener of this.listeners) listener();
  }
}
