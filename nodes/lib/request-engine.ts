/**
 * One account's request engine: a bounded queue in front of a strict sliding-window rate
 * limit and a concurrency cap, with retries that count against the limit. Shared by every
 * node that uses the same Auth ID (see account-engines.ts).
 *
 * Every submitted task settles exactly once: with the response, the final error, or a
 * NotSentError when its owner closes or the queue is full.
 */
import { NotSentError, PlivoApiError } from './errors';
import { text } from './messages';
import { decideRetry } from './retry-policy';
import { SlidingWindow } from './sliding-window';

export interface EngineLimits {
  /** Starts allowed in any window. */
  rateLimit: number;
  rateWindowMs: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Messages waiting (queued or between attempts). */
  queueLimit: number;
}

export interface EngineSnapshot {
  /** The owner's messages waiting: queued, or between attempts. */
  queued: number;
  inFlight: number;
  /** How long the account holds back after a 429; 0 when it does not. */
  pausedMs: number;
}

export type Attempt<T> = (signal: AbortSignal) => Promise<T>;

export interface Clock {
  now(): number;
  random(): number;
}

const systemClock: Clock = { now: () => Date.now(), random: () => Math.random() };

/**
 * Requests reach Plivo a little after we start them, and not all equally late; leaving
 * this much slack in the window keeps a strict server-side count from ever seeing one too many.
 */
export function windowSlackMs(windowMs: number): number {
  return Math.max(100, Math.round(windowMs * 0.02));
}

interface Task<T> {
  owner: object;
  attempt: Attempt<T>;
  retries: number;
  attempts: number;
  lastError?: PlivoApiError;
  controller?: AbortController;
  retryTimer?: NodeJS.Timeout;
  resolve(value: T): void;
  reject(error: Error): void;
}

interface OwnerCounts {
  queued: number;
  inFlight: number;
  drained?: () => void;
}

export class RequestEngine {
  private limits: EngineLimits;
  private readonly window: SlidingWindow;
  private readonly clock: Clock;
  /** Ready to start, oldest first (retries go to the front). */
  private readonly queue: Task<unknown>[] = [];
  /** Failed once, waiting out their backoff. */
  private readonly waiting = new Set<Task<unknown>>();
  private readonly inFlight = new Set<Task<unknown>>();
  private readonly owners = new Map<object, OwnerCounts>();
  private readonly listeners = new Set<() => void>();
  private pausedUntil = 0;
  private wakeTimer: NodeJS.Timeout | undefined;

  constructor(limits: EngineLimits, clock: Clock = systemClock) {
    this.limits = limits;
    this.clock = clock;
    this.window = new SlidingWindow(limits.rateLimit, limits.rateWindowMs + windowSlackMs(limits.rateWindowMs));
  }

  setLimits(limits: EngineLimits): void {
    this.limits = limits;
    this.window.limit = limits.rateLimit;
    this.window.windowMs = limits.rateWindowMs + windowSlackMs(limits.rateWindowMs);
    this.pump();
  }

  /** Queues a request; `attempt` is called once per try, with a signal that aborts it on close. */
  submit<T>(owner: object, retries: number, attempt: Attempt<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waitingNow = this.queue.length + this.waiting.size;
      if (waitingNow >= this.limits.queueLimit) {
        reject(new NotSentError(text('queue-full', { waiting: waitingNow, limit: this.limits.queueLimit })));
        return;
      }
      const task: Task<T> = { owner, attempt, retries, attempts: 0, resolve, reject };
      this.queue.push(task as Task<unknown>);
      this.counts(owner).queued += 1;
      this.pump();
      this.changed();
    });
  }

  snapshot(owner: object): EngineSnapshot {
    const counts = this.owners.get(owner);
    return {
      queued: counts?.queued ?? 0,
      inFlight: counts?.inFlight ?? 0,
      pausedMs: Math.max(0, this.pausedUntil - this.clock.now()),
    };
  }

  /** Calls `listener` whenever queue, flight or pause changes; returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Ends the owner's waiting messages with a NotSentError, lets its requests in flight
   * finish for up to `graceMs`, then aborts them. Resolves when none is left.
   */
  async close(owner: object, graceMs: number): Promise<void> {
    for (const task of [...this.queue, ...this.waiting]) {
      if (task.owner !== owner) continue;
      const retrying = task.lastError ? ` ${text('last-attempt', { error: task.lastError.message })}` : '';
      this.unqueue(task);
      task.reject(new NotSentError(`${text('closed-before-sent')}${retrying}`, task.lastError?.statusCode));
    }
    this.changed();
    const counts = this.owners.get(owner);
    if (counts && counts.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const abortTimer = setTimeout(() => {
          for (const task of this.inFlight) {
            if (task.owner === owner) task.controller?.abort();
          }
        }, graceMs);
        counts.drained = () => {
          clearTimeout(abortTimer);
          resolve();
        };
      });
    }
    this.owners.delete(owner);
    this.pump();
  }

  private counts(owner: object): OwnerCounts {
    let counts = this.owners.get(owner);
    if (!counts) {
      counts = { queued: 0, inFlight: 0 };
      this.owners.set(owner, counts);
    }
    return counts;
  }

  private unqueue(task: Task<unknown>): void {
    const index = this.queue.indexOf(task);
    if (index >= 0) this.queue.splice(index, 1);
    if (this.waiting.delete(task)) clearTimeout(task.retryTimer);
    this.counts(task.owner).queued -= 1;
  }

  /** Starts as many queued requests as the limits allow, and sets one timer for the rest. */
  private pump(): void {
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    while (this.queue.length > 0 && this.inFlight.size < this.limits.concurrency) {
      const now = this.clock.now();
      const delay = Math.max(this.pausedUntil - now, this.window.delay(now));
      if (delay > 0) {
        this.wakeTimer = setTimeout(() => this.pump(), delay);
        return;
      }
      this.window.record(now);
      const task = this.queue.shift() as Task<unknown>;
      this.start(task);
    }
  }

  private start(task: Task<unknown>): void {
    const counts = this.counts(task.owner);
    counts.queued -= 1;
    counts.inFlight += 1;
    task.attempts += 1;
    task.controller = new AbortController();
    this.inFlight.add(task);
    this.changed();
    let attempt: Promise<unknown>;
    try {
      attempt = task.attempt(task.controller.signal);
    } catch (error) {
      attempt = Promise.reject(error);
    }
    attempt.then(
      (value) => this.finish(task, () => task.resolve(value)),
      (error: unknown) => this.finish(task, () => this.failed(task, error)),
    );
  }

  private finish(task: Task<unknown>, settle: () => void): void {
    this.inFlight.delete(task);
    const counts = this.counts(task.owner);
    counts.inFlight -= 1;
    settle();
    if (counts.inFlight === 0) counts.drained?.();
    this.pump();
    this.changed();
  }

  private failed(task: Task<unknown>, error: unknown): void {
    const now = this.clock.now();
    const decision = decideRetry(error, task.attempts, task.retries, now, this.clock.random);
    if (decision.pauseAccountMs > 0) {
      this.pausedUntil = Math.max(this.pausedUntil, now + decision.pauseAccountMs);
    }
    const closing = this.counts(task.owner).drained !== undefined;
    if (decision.retry && !closing && error instanceof PlivoApiError) {
      task.lastError = error;
      this.counts(task.owner).queued += 1;
      this.waiting.add(task);
      task.retryTimer = setTimeout(() => {
        this.waiting.delete(task);
        this.queue.unshift(task);
        this.pump();
      }, decision.delayMs);
      return;
    }
    task.reject(this.finalError(task, error, decision.note));
  }

  private finalError(task: Task<unknown>, error: unknown, note: string | undefined): Error {
    if (!(error instanceof PlivoApiError)) {
      return error instanceof Error ? error : new Error(String(error));
    }
    if (task.controller?.signal.aborted) {
      return new PlivoApiError(text('closed-in-flight'), { code: error.code });
    }
    const notes = [note, task.attempts > 1 ? text('attempts', { count: task.attempts }) : undefined].filter(Boolean);
    if (notes.length === 0) return error;
    return new PlivoApiError(`${error.message} (${notes.join('; ')})`, {
      statusCode: error.statusCode, body: error.body, code: error.code, retryAfter: error.retryAfter,
    });
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
