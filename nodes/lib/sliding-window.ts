/**
 * A strict sliding-window limit: at most `limit` starts in ANY `windowMs` span.
 * (A token bucket of the same size with steady refill can put twice the limit into one
 * window, which is what gets an account rate-limited.)
 */
export class SlidingWindow {
  limit: number;
  windowMs: number;
  /** Start times, ascending; entries before `head` have left the window. */
  private starts: number[] = [];
  private head = 0;

  constructor(limit: number, windowMs: number) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** Milliseconds until one more start fits; 0 when it fits now. */
  delay(now: number): number {
    this.forget(now);
    const inWindow = this.starts.length - this.head;
    if (inWindow < this.limit) return 0;
    return this.starts[this.starts.length - this.limit] + this.windowMs - now;
  }

  record(now: number): void {
    this.starts.push(now);
  }

  private forget(now: number): void {
    while (this.head < this.starts.length && this.starts[this.head] <= now - this.windowMs) {
      this.head += 1;
    }
    if (this.head > 1024 && this.head * 2 > this.starts.length) {
      this.starts = this.starts.slice(this.head);
      this.head = 0;
    }
  }
}
