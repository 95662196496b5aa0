/**
 * One timer for the earliest of many expiries (leases, calls awaiting their outcome): at each
 * firing `expire` ends what is due and answers the next expiry left, if any. It never keeps the
 * process alive.
 */
export class ExpiryTimer {
  private timer: NodeJS.Timeout | undefined;
  private next = Number.POSITIVE_INFINITY;

  constructor(private readonly expire: () => number | undefined, private readonly now: () => number) {}

  /** Fires at `expiresAt`, unless it already fires sooner. */
  schedule(expiresAt: number): void {
    if (expiresAt >= this.next) return;
    clearTimeout(this.timer);
    this.next = expiresAt;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.next = Number.POSITIVE_INFINITY;
      const later = this.expire();
      if (later !== undefined) this.schedule(later);
    }, Math.max(0, expiresAt - this.now()));
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.next = Number.POSITIVE_INFINITY;
  }
}
