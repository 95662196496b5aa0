/**
 * Shows a node's status at most once per interval, so a burst of messages (or a flood of
 * refused requests) cannot flood the open editors: at once when the node has been quiet, else
 * once, with the state as it is then, when the interval is up. Shared by every node.
 */
const STATUS_INTERVAL_MS = 250;

export class StatusThrottle {
  private timer: NodeJS.Timeout | undefined;
  private shownAt = Number.NEGATIVE_INFINITY;
  private stopped = false;

  constructor(private readonly show: () => void, private readonly intervalMs = STATUS_INTERVAL_MS) {}

  /** The state changed: shows it now if the node has been quiet, else once the interval is up. */
  request(): void {
    if (this.timer !== undefined || this.stopped) return;
    const wait = this.shownAt + this.intervalMs - Date.now();
    if (wait <= 0) this.fire();
    else this.timer = setTimeout(() => this.fire(), wait);
  }

  /** Shows it now, whatever the interval (an outcome nothing else waits behind). */
  now(): void {
    clearTimeout(this.timer);
    this.fire();
  }

  /** Shows it again in `ms` (a countdown), unless something shows it before. */
  refreshIn(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), ms);
  }

  /** The node closed: nothing more is shown. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    if (this.stopped) return;
    this.shownAt = Date.now();
    this.show();
  }
}
