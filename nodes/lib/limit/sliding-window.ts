/**
 * A strict sliding-window limit: at most `limit` requests in ANY `windowMs` span, as the
 * server counts them. (A token bucket of the same size with steady refill can put twice the
 * limit into one window, which is what gets an account rate-limited.)
 *
 * The server counts a request when it arrives, which is some time after we start it and
 * before its answer comes back. So a slot is held from the start until `windowMs` after the
 * answer: then no server-side window can hold more than `limit`, however uneven the latency.
 */
export class SlidingWindow {
  limit: number;
  windowMs: number;
  /** Requests started and not yet answered. */
  private open = 0;
  /** When answered requests leave the window (answer + windowMs), ascending. */
  private closing: number[] = [];

  constructor(limit: number, windowMs: number) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /**
   * Milliseconds until one more request fits; 0 when it fits now; undefined when only an
   * answer to a request in flight can free a slot.
   */
  delay(now: number): number | undefined {
    const excess = this.held(now) - this.limit + 1;
    if (excess <= 0) return 0;
    return excess <= this.closing.length ? this.closing[excess - 1] - now : undefined;
  }

  /** Slots held at `now`: requests in flight, and answered ones still in the window. */
  held(now: number): number {
    let expired = 0;
    while (expired < this.closing.length && this.closing[expired] <= now) expired += 1;
    if (expired > 0) this.closing.splice(0, expired);
    return this.open + this.closing.length;
  }

  /** How many requests may start at `now`. */
  room(now: number): number {
    return Math.max(0, this.limit - this.held(now));
  }

  /** A request starts now. */
  start(): void {
    this.open += 1;
  }

  /** A request started earlier has been answered (or failed) at `now`. */
  finish(now: number): void {
    this.open -= 1;
    const leaves = now + this.windowMs;
    let index = this.closing.length;
    while (index > 0 && this.closing[index - 1] > leaves) index -= 1;
    this.closing.splice(index, 0, leaves);
  }
}
