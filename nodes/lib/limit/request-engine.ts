/**
 * One account's request engine: a bounded queue in front of a strict sliding-window rate
 * limit and a concurrency cap, with retries that count against the limit. Shared by every
 * node that uses the same Auth ID (see plivo/shared-accounts.ts).
 *
 * The window's limit is this runtime's share (adaptive-limit.ts): the configured limit until
 * 429s show that others use the account too. With a shared window (Redis), slots come from it
 * as well, so several runtimes keep one exact limit; when it is down the local window alone
 * holds the limit.
 *
 * Waiting messages get slots in turns (fair-queue.ts: priority, then the nodes in turn) and a
 * backlog is spread evenly over the window (pacer.ts), so a message behind thousands of others
 * waits about one slot interval.
 *
 * Every submitted task settles exactly once: with the response, the final error, or a
 * NotSentError when its owner closes, the queue is full or it waited longer than its maximum.
 */
import { setMaxListeners } from 'node:events';
import { AdaptiveLimit } from './adaptive-limit';
import { ExpiredError, NotSentError, PlivoApiError } from '../common/errors';
import { text } from '../common/messages';
import { FairQueue, type Priority } from './fair-queue';
import { systemClock, type Attempt, type Clock, type EngineLimits, type EngineSnapshot, type TaskPolicy } from './engine-types';
import { InFlightLimit } from './in-flight';
import { LeaseRefusedError, type Leases } from './leases';
import { Pacer } from './pacer';
import { decideAfterRateLimit, decideRetry, finalError, isRateLimited } from './retry-policy';
import type { SharedWindow } from './shared-window';
import { SharedSlots } from './shared-slots';
import { SlidingWindow } from './sliding-window';

/** Clocks here count whole milliseconds: this much slack keeps rounding from costing a 429. */
const WINDOW_SLACK_MS = 5;

interface Task<T> {
  owner: object;
  /** What the request is about (a call UUID): `drop` ends the waiting ones of a key at once. */
  key?: string;
  priority: Priority;
  attempt: Attempt<T>;
  policy: TaskPolicy;
  attempts: number;
  /** Failed attempts other than 429s, which count against `policy.retries`. */
  failures: number;
  /** When the latest attempt started. */
  startedAt: number;
  /** When the first 429 came, if one did. */
  rateLimitedSince?: number;
  /** The shared window's slot for the attempt in flight. */
  slot?: string;
  lastError?: PlivoApiError;
  /** The owner's signal, as this task's latest attempt got it. */
  signal?: AbortSignal;
  retryTimer?: NodeJS.Timeout;
  /** Ends the task if its first attempt has not started by then (policy.maxWait). */
  expiryTimer?: NodeJS.Timeout;
  queuedAt: number;
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
  private readonly share: AdaptiveLimit;
  private readonly clock: Clock;
  /** Ready to start, in turns (retries go to the front of their owner's). */
  private readonly queue = new FairQueue<Task<unknown>>();
  private readonly pacer: Pacer;
  /** Failed once, waiting out their backoff. */
  private readonly waiting = new Set<Task<unknown>>();
  /** Requests under way, all owners together. */
  private inFlight = 0;
  private readonly owners = new Map<object, OwnerCounts>();
  private readonly listeners = new Set<() => void>();
  private pausedUntil = 0;
  private wakeTimer: NodeJS.Timeout | undefined;
  private readonly shared: SharedSlots;
  private readonly inFlightLimit = new InFlightLimit();
  /** Tasks with a key that have not started (queued, or waiting to be tried again), by key: what `drop` ends. */
  private readonly unstarted = new Map<string, Set<Task<unknown>>>();
  /** What a started request holds after its answer (an account's live calls): none starts while it has no room. */
  private gate: Leases | undefined;
  private leaveGate: (() => void) | undefined;

  constructor(limits: EngineLimits, clock: Clock = systemClock) {
    this.limits = limits;
    this.clock = clock;
    this.share = new AdaptiveLimit(limits.rateLimit, limits.rateWindowMs);
    this.window = new SlidingWindow(limits.rateLimit, limits.rateWindowMs + WINDOW_SLACK_MS);
    this.pacer = new Pacer(this.window);
    this.shared = new SharedSlots(clock, () => this.pump(), () => this.changed());
  }

  setLimits(limits: EngineLimits): void {
    this.limits = limits;
    this.share.configure(limits.rateLimit, limits.rateWindowMs);
    this.window.limit = this.share.current;
    this.window.windowMs = limits.rateWindowMs + WINDOW_SLACK_MS;
    this.pump();
  }

  /** Takes slots from `shared` too from now on (undefined: this runtime's window only). */
  setSharedWindow(shared: SharedWindow | undefined): void {
    this.shared.use(shared);
    this.pump();
    this.changed();
  }

  /** From now on, a request starts only while `gate` has room; a lease it frees wakes the queue (undefined: no gate). */
  setGate(gate: Leases | undefined): void {
    this.leaveGate?.();
    this.gate = gate;
    this.leaveGate = gate?.onFree(() => this.pump());
    this.pump();
  }

  /**
   * Queues a request; `attempt` is called once per try, with a signal that aborts it on close.
   * `key` names what it is about, for `drop`.
   */
  submit<T>(owner: object, policy: TaskPolicy, attempt: Attempt<T>, key?: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waitingNow = this.queue.size + this.waiting.size;
      if (waitingNow >= this.limits.queueLimit) {
        reject(new NotSentError(text('queue-full', { waiting: waitingNow, limit: this.limits.queueLimit })));
        return;
      }
      const task: Task<T> = {
        owner, key, priority: policy.priority ?? 'normal', attempt, policy, attempts: 0, failures: 0, startedAt: 0,
        queuedAt: this.clock.now(), resolve, reject,
      };
      if (policy.maxWait) task.expiryTimer = setTimeout(() => this.expire(task as Task<unknown>), policy.maxWait.ms);
      this.queue.push(owner, task.priority, task as Task<unknown>);
      this.remember(task as Task<unknown>);
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
      share: this.share.current,
      limit: this.limits.rateLimit,
      shared: this.shared.state,
    };
  }

  /** Calls `listener` whenever queue, flight, pause or the shared window's state changes; returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Ends the owner's waiting messages with a NotSentError, lets its requests in flight
   * finish for up to `graceMs`, then aborts them. Resolves when none is left.
   */
  async close(owner: object, graceMs: number): Promise<void> {
    const waitingToRetry = [...this.waiting].filter((task) => task.owner === owner);
    for (const task of [...this.queue.removeOwner(owner), ...waitingToRetry]) {
      const retrying = task.lastError ? ` ${text('last-attempt', { error: task.lastError.message })}` : '';
      this.waiting.delete(task);
      this.forget(task);
      clearTimeout(task.retryTimer);
      clearTimeout(task.expiryTimer);
      this.counts(owner).queued -= 1;
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

  /**
   * Ends every request about `key` that has not started (queued, or waiting to be tried again)
   * with `error()`, unsent: what it was about is gone. Requests in flight finish. Returns how many ended.
   */
  drop(key: string, error: () => Error): number {
    const tasks = this.unstarted.get(key);
    if (!tasks) return 0;
    this.unstarted.delete(key);
    for (const task of tasks) {
      if (this.waiting.delete(task)) clearTimeout(task.retryTimer);
      else this.queue.remove(task.owner, task.priority, task);
      clearTimeout(task.expiryTimer);
      this.counts(task.owner).queued -= 1;
      task.reject(error());
    }
    this.pump();
    this.changed();
    return tasks.size;
  }

  /** Indexes a task that has not started under its key, for `drop`. */
  private remember(task: Task<unknown>): void {
    if (task.key === undefined) return;
    let tasks = this.unstarted.get(task.key);
    if (!tasks) {
      tasks = new Set();
      this.unstarted.set(task.key, tasks);
    }
    tasks.add(task);
  }

  private forget(task: Task<unknown>): void {
    if (task.key === undefined) return;
    const tasks = this.unstarted.get(task.key);
    if (tasks?.delete(task) && tasks.size === 0) this.unstarted.delete(task.key);
  }

  private counts(owner: object): OwnerCounts {
    let counts = this.owners.get(owner);
    if (!counts) {
      counts = { queued: 0, inFlight: 0 };
      this.owners.set(owner, counts);
    }
    return counts;
  }

  /** The task's maximum wait is over before its first attempt. */
  private expire(task: Task<unknown>): void {
    const maxWait = task.policy.maxWait;
    if (!maxWait || !this.queue.remove(task.owner, task.priority, task)) return;
    this.forget(task);
    this.counts(task.owner).queued -= 1;
    task.reject(new ExpiredError(this.clock.now() - task.queuedAt, maxWait.ms, maxWait.source));
    this.changed();
  }

  /**
   * Starts as many queued requests as the limits allow. When the window or a pause holds
   * the rest back, one timer wakes the queue; when only an answer can free a slot, the
   * answer does (finish() pumps).
   */
  private pump(): void {
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    // The gate's lease is taken by the attempt itself, which start() calls at once: room is asked again for each.
    while (this.queue.size > 0 && this.inFlight < this.inFlightLimit.cap(this.limits) && (this.gate?.room() ?? 1) > 0) {
      const now = this.clock.now();
      const windowDelay = this.window.delay(now);
      if (windowDelay === undefined) return;
      const sharedDelay = this.shared.delay(now);
      if (sharedDelay === undefined) return;
      const paceDelay = this.pacer.delay(now);
      const delay = Math.max(this.pausedUntil - now, windowDelay, sharedDelay, paceDelay);
      if (delay > 0) {
        this.wakeTimer = setTimeout(() => this.pump(), delay);
        return;
      }
      if (this.shared.needed) {
        this.acquireShared(now);
        return;
      }
      this.start(this.queue.shift() as Task<unknown>);
    }
  }

  /** Asks the shared window for as many slots as could start now, and starts that many. */
  private acquireShared(now: number): void {
    const wanted = Math.min(this.queue.size, this.inFlightLimit.cap(this.limits) - this.inFlight, this.window.room(now), this.pacer.room(now),
      this.gate?.room() ?? Number.POSITIVE_INFINITY);
    this.shared.acquire(wanted, this.limits.rateLimit, this.limits.timeoutMs + this.window.windowMs, this.window.windowMs,
      this.queue.urgency ?? 'normal', (slots) => {
        for (const slot of slots) {
          const task = this.queue.shift();
          if (task === undefined) this.shared.cancel(slot);
          else this.start(task, slot);
        }
      });
  }

  private start(task: Task<unknown>, slot?: string): void {
    const now = this.clock.now();
    this.pacer.started(now);
    this.window.start();
    clearTimeout(task.expiryTimer);
    task.expiryTimer = undefined;
    this.forget(task);
    const counts = this.counts(task.owner);
    counts.queued -= 1;
    counts.inFlight += 1;
    task.attempts += 1;
    task.startedAt = now;
    task.slot = slot;
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
      (value) => this.finish(task, undefined, () => task.resolve(value)),
      (error: unknown) => this.finish(task, error, () => this.failed(task, error)),
    );
  }

  private finish(task: Task<unknown>, error: unknown, settle: () => void): void {
    const now = this.clock.now();
    this.inFlightLimit.answered(now - task.startedAt);
    this.window.finish(now);
    if (task.slot !== undefined) {
      this.shared.release(task.slot, this.window.windowMs);
      task.slot = undefined;
    }
    if (isRateLimited(error)) {
      const before = this.share.current;
      this.share.rateLimited(now, task.startedAt, this.window.held(now));
      if (this.share.current < before) this.pacer.cut();
    } else {
      this.share.answered(now);
    }
    this.window.limit = this.share.current;
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
    const closing = this.counts(task.owner).drained !== undefined;
    if (error instanceof LeaseRefusedError) {
      if (closing) task.reject(new NotSentError(text('closed-before-sent')));
      else this.requeue(task, now);
      return;
    }
    let decision;
    if (isRateLimited(error)) {
      task.rateLimitedSince ??= now;
      decision = decideAfterRateLimit(error, now - task.rateLimitedSince, task.policy.rateLimitWaitMs,
        this.limits.rateWindowMs, now, this.clock.random, this.share.atFloor);
    } else {
      task.failures += 1;
      decision = decideRetry(error, task.failures, task.policy.retries, now, this.clock.random, task.policy.atMostOnce);
    }
    if (decision.pauseAccountMs > 0) {
      this.pausedUntil = Math.max(this.pausedUntil, now + decision.pauseAccountMs);
    }
    if (decision.retry && !closing && error instanceof PlivoApiError) {
      task.lastError = error;
      this.counts(task.owner).queued += 1;
      this.waiting.add(task);
      this.remember(task);
      task.retryTimer = setTimeout(() => {
        this.waiting.delete(task);
        this.queue.unshift(task.owner, task.priority, task);
        this.pump();
      }, decision.delayMs);
      return;
    }
    task.reject(finalError(error, { aborted: task.signal?.aborted === true, attempts: task.attempts, note: decision.note }));
  }

  /**
   * The gate's share refused the attempt before it sent anything (another runtime took the last
   * room): the task goes back to the head of its turn, its maximum wait running again, until room frees.
   */
  private requeue(task: Task<unknown>, now: number): void {
    task.attempts -= 1;
    this.counts(task.owner).queued += 1;
    this.queue.unshift(task.owner, task.priority, task);
    this.remember(task);
    const { maxWait } = task.policy;
    if (maxWait) task.expiryTimer = setTimeout(() => this.expire(task), Math.max(0, task.queuedAt + maxWait.ms - now));
    this.pump();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
