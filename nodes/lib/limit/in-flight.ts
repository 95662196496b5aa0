/**
 * How many requests may be in flight at once: as many as the allowed rate needs at the
 * measured round trip (Little's law), with headroom for slower answers, between a floor and
 * the account's concurrency setting. On loopback that keeps a burst that collides with other
 * clients small; at real round trips it lets the limit be used in full.
 */
import type { EngineLimits } from './engine-types';

/** In flight before any answer has been timed, and the fewest the round trip can ask for. */
const MIN_IN_FLIGHT = 10;
/** Little's law, with room for slower answers: in flight = allowed rate x round trip x this. */
const IN_FLIGHT_HEADROOM = 2;
/** Weight of the newest round trip in the moving average. */
const ROUND_TRIP_WEIGHT = 0.2;

export class InFlightLimit {
  /** Moving average of the time from start to answer; undefined until the first answer. */
  private roundTripMs: number | undefined;

  /** An attempt was answered (or failed) this long after it started. */
  answered(roundTripMs: number): void {
    this.roundTripMs = this.roundTripMs === undefined ? roundTripMs : this.roundTripMs + ROUND_TRIP_WEIGHT * (roundTripMs - this.roundTripMs);
  }

  cap(limits: EngineLimits): number {
    if (this.roundTripMs === undefined) return Math.min(limits.concurrency, MIN_IN_FLIGHT);
    const needed = Math.ceil((limits.rateLimit / limits.rateWindowMs) * this.roundTripMs * IN_FLIGHT_HEADROOM);
    return Math.min(limits.concurrency, Math.max(MIN_IN_FLIGHT, needed));
  }
}
