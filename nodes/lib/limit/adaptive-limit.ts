/**
 * This runtime's share of the account limit when other clients use the account too (other
 * Node-RED instances, the user's own backend). Only 429s show that someone else is sending,
 * so the share follows AIMD, as TCP's congestion window does: a 429 cuts it to DECREASE of the
 * slots this runtime held in the window; each window answered without a 429 gives back a STEP
 * of the configured limit; it never goes above the configured limit nor below FLOOR of it.
 */
const DECREASE = 0.7;
const STEP = 0.05;
const FLOOR = 0.1;

export class AdaptiveLimit {
  private configured: number;
  private windowMs: number;
  /** The share this runtime takes now. */
  current: number;
  private changedAt = Number.NEGATIVE_INFINITY;
  private decreasedAt = Number.NEGATIVE_INFINITY;

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
    this.current = Math.max(floor, Math.min(this.current, Math.floor(held * DECREASE)));
    this.decreasedAt = now;
    this.changedAt = now;
  }

  /** A request was answered without a 429. */
  answered(now: number): void {
    if (this.current >= this.configured || now - this.changedAt < this.windowMs) return;
    this.current = Math.min(this.configured, this.current + Math.max(1, Math.ceil(this.configured * STEP)));
    this.changedAt = now;
  }
}
