/**
 * Spreads a backlog evenly over the window. While the window holds fewer than `burst`
 * requests, they start at once (a handful of plays goes out together); beyond that, at most
 * one per slot interval (window / limit). The rate over a window is the same, but slots then
 * free one by one instead of all at once a window after a burst: a message that arrives behind
 * a backlog of thousands waits about one slot interval for its turn, not until a full window
 * empties.
 *
 * A start late by less than an interval (timers fire late) keeps the schedule, so lateness
 * does not add up to a lower rate; after a longer pause the schedule starts again from now.
 */

/** The burst: a tenth of the limit, at least 10 (all of a limit under 10). */
export function burstOf(limit: number): number {
  return Math.min(limit, Math.max(10, Math.ceil(limit / 10)));
}

export class Pacer {
  /** When the next paced start may come. */
  private nextAt = Number.NEGATIVE_INFINITY;

  /** Milliseconds until the next start may come, with `held` slots of `limit` per `windowMs` taken. */
  delay(now: number, held: number, limit: number): number {
    if (held < burstOf(limit)) return 0;
    return Math.max(0, this.nextAt - now);
  }

  /** How many may start at once now. */
  room(now: number, held: number, limit: number): number {
    const burst = burstOf(limit);
    if (held < burst) return burst - held;
    return this.nextAt <= now ? 1 : 0;
  }

  /** A request starts now. */
  started(now: number, held: number, limit: number, windowMs: number): void {
    const interval = windowMs / limit;
    const onSchedule = held >= burstOf(limit) && now - this.nextAt < interval;
    this.nextAt = (onSchedule ? this.nextAt : now) + interval;
  }
}
