/**
 * This runtime's share of the account limit when other clients use the account too (other
 * Node-RED instances, the user's own backend). Only 429s show that someone else is sending,
 * so the share follows a congestion window, as TCP's does: a 429 cuts it to DECREASE of the
 * slots this runtime held in the window (a gentle cut: the slots held free only a window after
 * they were taken, so a deep cut leaves the account idle while they do; 0.7 left a tenth of the
 * limit unused with two senders). Then it grows back quickly, as CUBIC does, to the last good
 * point: the share it had before the increase that drew the 429, not the share that drew it (growing
 * back to that drew the next 429 a few seconds later, so a sender cut by its own growth was cut again
 * and again while its peer took its room: shares of 230 and 60 in a long two-sender run). Every
 * REGROW_EVERY of a window answered without a 429 closes REGROW of the gap (a window is long, 5 s,
 * and a run of messages often shorter: growing back at a STEP per window left a quarter of the limit
 * unused). From there it probes on: a STEP of the configured limit after a window without a 429,
 * then, while none comes, a step twice as large each REGROW_EVERY of a window, up to MAX_STEP. A
 * runtime whose peers have finished, or cut back, takes the limit again within a window or two, not
 * in twenty (a step of 5 % a window left the account half used for a minute after a long run's other
 * senders ended: figure 7, 12,000 plays). The first 429 brings the step back to STEP and the probes
 * to one a window. It never goes above the configured limit nor below FLOOR of it.
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
  /** Where the share grows back to quickly after a cut: the last good point. */
  private cutFrom = 0;
  /** The share before its last increase: answered without a 429 until then. */
  private lastGood = Number.POSITIVE_INFINITY;
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

  /** Cut as far as it goes: more 429s can only be answered by waiting. */
  get atFloor(): boolean {
    return this.current <= this.floor;
  }

  private get floor(): number {
    return Math.max(1, Math.ceil(this.configured * FLOOR));
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
    // A share held for a window without a 429 was good until now: someone else's growth took its room.
    const lastGood = now - this.changedAt >= this.windowMs ? this.current : this.lastGood;
    this.cutFrom = Math.min(this.current, held, lastGood);
    this.current = Math.max(this.floor, Math.min(this.current, Math.floor(held * DECREASE)));
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
      this.lastGood = this.current;
      this.current = Math.min(this.cutFrom, this.current + Math.max(1, Math.ceil((this.cutFrom - this.current) * REGROW)));
    } else {
      // The first probe after a cut waits a window; once one has passed without a 429, they follow faster.
      if (since < this.windowMs * (this.step > STEP ? REGROW_EVERY : 1)) return;
      this.lastGood = this.current;
      this.current = Math.min(this.configured, this.current + Math.max(1, Math.ceil(this.configured * this.step)));
      this.step = Math.min(MAX_STEP, this.step * 2);
    }
    this.changedAt = now;
  }
}
