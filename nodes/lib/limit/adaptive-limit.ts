/**
 * This runtime's share of the account limit when other clients use the account too (other
 * Node-RED instances, the user's own backend). Only 429s show that someone else is sending,
 * so the share follows a congestion window, as TCP's does: a 429 cuts it to DECREASE of the
 * slots this runtime held in the window (a gentle cut: the slots held free only a window after
 * they were taken, so a deep cut leaves the account idle while they do; 0.7 left a tenth of the
 * limit unused with two senders). Then it grows back to where it was cut from quickly,
 * as CUBIC does: every REGROW_EVERY of a window answered without a 429 closes REGROW of the gap
 * (a window is long, 5 s, and a run of messages often shorter: growing back at a STEP per window
 * left a quarter of the limit unused). From there it probes on by a STEP of the configured limit
 * per window, and the step doubles with each further window without a 429, up to MAX_STEP: a
 * runtime whose peers have finished, or cut back, takes the limit again in a few windows, not in
 * twenty (a step of 5 % a window left the account half used for a minute after a long run's other
 * senders ended: figure 7, 12,000 plays). The first 429 brings the step back to STEP. It never goes
 * above the configured limit nor below FLOOR of it.
 */
const DECREASE = 0.85;
const STEP = 0.05;
const MAX_STEP = 0.4;
const FLOOR = 0.1;
const REGROW = 0.5;
const REGROW_EVERY = 0.25;

export class AdaptiveLimit {
  private configured: number;
  private windowMs: number;
  /** The share this runtime takes now. */
  current: number;
  private changedAt = Number.NEGATIVE_INFINITY;
  private decreasedAt = Number.NEGATIVE_INFINITY;
  /** The slots held when the share was last cut: where it grows back to quickly. */
  private cutFrom = 0;
  /** The next probe's step, as a share of the configured limit. */
  private step = STEP;

  constructor(configured: number, windowMs: number) {
    this.configured = configured;
    this.windowMs = windowMs;
    this.current = configured;
  }

  configure(configured: number, windowMs: number): void {
    if (this.current === this.configured || this.current > configured) this.current = configured;
    this.configured = configured;
    this.windowMs = windowMs;
  }

  /** Below the configured limit because others use the account. */
  get yielding(): boolean {
    return this.current < this.configured;
  }

  /**
   * Plivo answered 429 to a request started at `startedAt`, while this runtime held `held`
   * slots. 429s for requests sent before the last cut belong to the same congestion and do
   * not cut again.
   */
  rateLimited(now: number, startedAt: number, held: number): void {
    if (startedAt < this.decreasedAt) return;
    const floor = Math.max(1, Math.ceil(this.configured * FLOOR));
    this.cutFrom = Math.min(this.current, held);
    this.current = Math.max(floor, Math.min(this.current, Math.floor(held * DECREASE)));
    this.step = STEP;
    this.decreasedAt = now;
    this.changedAt = now;
  }

  /** A request was answered without a 429. */
  answered(now: number): void {
    if (this.current >= this.configured) return;
    const since = now - this.changedAt;
    if (this.current < this.cutFrom) {
      if (since < this.windowMs * REGROW_EVERY) return;
      this.current = Math.min(this.cutFrom, this.current + Math.max(1, Math.ceil((this.cutFrom - this.current) * REGROW)));
    } else {
      if (since < this.windowMs) return;
      this.current = Math.min(this.configured, this.current + Math.max(1, Math.ceil(this.configured * this.step)));
      this.step = Math.min(MAX_STEP, this.step * 2);
    }
    this.changedAt = now;
  }
}
