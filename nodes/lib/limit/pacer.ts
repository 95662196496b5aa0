/**
 * Spreads a backlog evenly over the window, so that slots free one by one rather than all at
 * once: then a message that arrives behind thousands of others waits about one slot interval
 * for its turn, not until a full window empties.
 *
 * - **Ramp**: from fewer than `burst` slots held (a tenth of the limit, at least 10), the slots
 *   held may grow to the limit over one window, evenly, not at once. A strict window frees each
 *   slot a window after it was taken, so the next window repeats this even pattern by itself:
 *   after the ramp, a slot that frees is taken again at once and the limit is used in full.
 *   Only from idle: when a 429 cuts the limit (`cut`), the slots already held free in the even
 *   pattern they were taken in, and each is taken again as it frees; a new ramp (or one still
 *   running, planned for the old limit) would hold back slots the window has freed.
 * - **Bursts**: starts take tokens that refill a little faster than the limit's rate, at most
 *   `burst` saved up. Slots that free together (after a lull in the messages, say) are then
 *   taken again `burst` at a time and the rest spread out, so clumps dissolve over the windows
 *   that follow.
 */

/** Tokens refill this much faster than the limit's rate: after the ramp, the window binds, not the tokens. */
const TOKEN_RATE_FACTOR = 1.25;

/** The burst: a tenth of the limit, at least 10 (all of a limit under 10). */
export function burstOf(limit: number): number {
  return Math.min(limit, Math.max(10, Math.ceil(limit / 10)));
}

/** What the pacer reads of the window it paces: its limit, its span, and the slots held now. */
export interface PacedWindow {
  readonly limit: number;
  readonly windowMs: number;
  held(now: number): number;
}

export class Pacer {
  private readonly window: PacedWindow;
  /** When the current ramp began: the last start made with fewer than `burst` held. */
  private rampFrom = Number.NEGATIVE_INFINITY;
  /** Set by a cut: no ramp until the pacer has been idle. */
  private rampEnded = false;
  private tokens = Number.POSITIVE_INFINITY;
  private tokensUpdatedAt = Number.NEGATIVE_INFINITY;

  constructor(window: PacedWindow) {
    this.window = window;
  }

  /** Milliseconds until one more start is allowed. */
  delay(now: number): number {
    const { limit, windowMs } = this.window;
    const burst = burstOf(limit);
    if (burst >= limit) return 0;
    const held = this.window.held(now);
    const tokenDelay = Math.max(0, (1 - this.tokensNow(now)) * (windowMs / (limit * TOKEN_RATE_FACTOR)));
    if (held < burst) return tokenDelay;
    const rampDelay = this.rampFrom + ((held + 1 - burst) * windowMs) / (limit - burst) - now;
    return Math.max(tokenDelay, rampDelay);
  }

  /** How many may start at once now. */
  room(now: number): number {
    const { limit, windowMs } = this.window;
    const burst = burstOf(limit);
    const held = this.window.held(now);
    if (burst >= limit) return limit - held;
    const tokens = Math.floor(this.tokensNow(now) + 1e-9);
    if (held < burst) return Math.min(tokens, burst - held);
    // The epsilon keeps rounding from refusing a start that delay() said is due.
    const ceiling = Math.min(limit, burst + Math.floor(((now - this.rampFrom) * (limit - burst)) / windowMs + 1e-9));
    return Math.max(0, Math.min(tokens, ceiling - held));
  }

  /** The limit was cut (a 429): no ramp holds starts back until the pacer is next idle. */
  cut(): void {
    this.rampFrom = Number.NEGATIVE_INFINITY;
    this.rampEnded = true;
  }

  /** A request starts now (call it before the window counts the start). */
  started(now: number): void {
    const held = this.window.held(now);
    // From idle (nothing held) a new ramp begins; after a cut it does not, however few are held.
    if (held === 0) this.rampEnded = false;
    if (!this.rampEnded && held < burstOf(this.window.limit)) this.rampFrom = now;
    this.tokens = this.tokensNow(now) - 1;
    this.tokensUpdatedAt = now;
  }

  private tokensNow(now: number): number {
    const { limit, windowMs } = this.window;
    const refilled = this.tokens + ((now - this.tokensUpdatedAt) * limit * TOKEN_RATE_FACTOR) / windowMs;
    return Math.min(burstOf(limit), refilled);
  }
}
