/**
 * One account's request engine: a bounded queue in front of a strict sliding-window rate
 * limit and a concurrency cap, with retries that count against the limit. Shared by every
 * node that uses the same Auth ID (see account-engines.ts).
 *
 * Every submitted task settles exactly once: with the response, the final error, or a
 * NotSentError when its owner closes or the queue is full.
 */
import { setMaxListeners } from 'node:events';
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

/** Clocks here count whole milliseconds: this much slack keeps rounding from costing a 429. */
const WINDOW_SLACK_MS = 5;

interface Task<T> {
  owner: object;
  attempt: Attempt<T>;
  retries: number;
  attempts: number;
  lastError?: PlivoApiError;
  /** The owner's signal, as this task's latest attempt got it. */
  signal?: AbortSignal;
  retryTimer?: NodeJS.Timeout;
  resolve(value: T): void;
  reject(error: Error): void;
}

interface OwnerCounts {
  queued: number;
  inFlight: number;
  /**
   * Aborts the owner's requests when it closes. One per owner, not per request: creating a
   * signal per request, and got wiring it up, was a tenth of the CPU a play costs.
   */
  controller?: AbortController;
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
  /** Requests under way, all owners together. */
  private inFlight = 0;
  private readonly owners = new Map<object, OwnerCounts>();
  private readonly listeners = new Set<() => void>();
  private pausedUntil = 0;
  private wakeTimer: NodeJS.Timeout | undefined;

  constructor(limits: EngineLimits, clock: Clock = systemClock) {
    this.limits = limits;
    this.clock = clock;
    this.window = new SlidingWindow(limits.rateLimit, limits.rateWindowMs + WINDOW_SLACK_MS);
  }

  setLimits(limits: EngineLimits): void {
    this.limits = limits;
    this.window.limit = limits.rateLimit;
    this.window.windowMs = limits.rateWindowMs + WINDOW_SLACK_MS;
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
        const abortTimer = setTimeout(() => counts.controller?.abort(), graceMs);
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

  /**
   * Starts as many queued requests as the limits allow. When the window or a pause holds
   * the rest back, one timer wakes the queue; when only an answer can free a slot, the
   * answer does (finish() pumps).
   */
  private pump(): void {
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    while (this.queue.length > 0 && this.inFlight < this.limits.concurrency) {
      const now = this.clock.now();
      const windowDelay = this.window.delay(now);
      if (windowDelay === undefined) return;
      const delay = Math.max(this.pausedUntil - now, windowDelay);
      if (delay > 0) {
        this.wakeTimer = setTimeout(() => this.pump(), delay);
        return;
      }
      this.window.start();
      const task = this.queue.shift() as Task<unknown>;
      this.start(task);
    }
  }

  private start(task: Task<unknown>): void {
    const counts = this.counts(task.owner);
    counts.queued -= 1;
    counts.inFlight += 1;
    task.attempts += 1;
    if (!counts.controller) {
      counts.controller = new AbortController();
      // Every request in flight listens; there can be as many as the concurrency allows.
      setMaxListeners(0, counts.controller.signal);
    }
    task.signal = counts.controller.signal;
    this.inFlight += 1;
    this.changed();
    let attempt: Promise<unknown>;
    try {
      attempt = task.attempt(task.signal);
    } catch (error) {
      attempt = Promise.reject(error);
    }
    attempt.then(
      (value) => this.finish(task, () => task.resolve(value)),
      (error: unknown) => this.finish(task, () => this.failed(task, error)),
    );
  }

  private finish(task: Task<unknown>, settle: () => void): void {
    this.window.finish(this.clock.now());
    this.inFlight -= 1;
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
    if (task.signal?.aborted) {
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
