/**
 * The engine's side of a shared window (shared-window.ts): while it is ready, every start
 * needs one of its slots too. Slots are asked for in batches, one request at a time; when the
 * window says it is full, nothing is asked again before it said a slot frees. When it is down,
 * the engine's own window alone holds the limit.
 */
import type { Clock } from './engine-types';
import type { Priority } from './fair-queue';
import type { SharedWindow, SharedWindowState } from './shared-window';

export class SharedSlots {
  private shared: SharedWindow | undefined;
  private unsubscribe: (() => void) | undefined;
  /** A request for slots is under way: nothing else starts until it answers. */
  private acquiring = false;
  /** The shared window said it is full until then. */
  private fullUntil = 0;

  /** `wake` runs when slots may be had again; `changed` when the window's state changes. */
  constructor(private readonly clock: Clock, private readonly wake: () => void, private readonly changed: () => void) {}

  /** Takes slots from `shared` from now on (undefined: none). */
  use(shared: SharedWindow | undefined): void {
    this.unsubscribe?.();
    this.shared = shared;
    this.fullUntil = 0;
    this.unsubscribe = shared?.subscribe(() => {
      this.wake();
      this.changed();
    });
  }

  get state(): SharedWindowState | 'none' {
    return this.shared?.state ?? 'none';
  }

  /** Milliseconds until slots may be asked for (0 or less: now, or not needed); undefined: wait for a change. */
  delay(now: number): number | undefined {
    if (this.acquiring) return undefined;
    const state = this.state;
    if (state === 'connecting') return undefined;
    return state === 'ready' ? this.fullUntil - now : 0;
  }

  /** Whether starts need a slot from the shared window now. */
  get needed(): boolean {
    return this.state === 'ready';
  }

  /**
   * Asks for `wanted` slots for messages of which the most urgent has `urgency`; `take` gets
   * the granted ones (and cancels what it cannot use), then `wake` runs.
   */
  acquire(wanted: number, limit: number, holdMs: number, windowMs: number, urgency: Priority, take: (slots: string[]) => void): void {
    const shared = this.shared as SharedWindow;
    this.acquiring = true;
    shared.acquire(wanted, limit, holdMs, windowMs, urgency).then(
      ({ slots, waitMs }) => {
        this.acquiring = false;
        take(slots);
        if (slots.length < wanted) this.fullUntil = this.clock.now() + waitMs;
        this.wake();
      },
      () => {
        // The shared window is down now (it says so itself): the local window carries on.
        this.acquiring = false;
        this.wake();
      },
    );
  }

  cancel(slot: string): void {
    this.shared?.cancel(slot);
  }

  /** The slot's request was answered: it stays in the shared window `windowMs` from now. */
  release(slot: string, windowMs: number): void {
    this.shared?.release(slot, windowMs);
  }
}
