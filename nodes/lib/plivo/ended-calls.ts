/**
 * The calls of an account that have ended, so that no request is spent on them: Plivo answers
 * 404 to every request for a call that is over, and each costs a slot of the account's limit.
 * The account learns it from a hangup webhook, from a hang-up it sent, or from Plivo's 404.
 *
 * One memory per Auth ID and API base URL (plivo/shared-accounts.ts), for 4 hours (a call's longest life), at
 * most LOCAL_CAPACITY calls, the oldest forgotten first. With the account's Redis every
 * instance learns what any one learnt (redis-ended-calls.ts).
 */
import type { EndedCall } from '../common/errors';

/** A call lasts at most 4 hours (Plivo's time_limit), so nothing is asked of it after that. */
export const ENDED_MEMORY_MS = 4 * 60 * 60_000;
/** Calls remembered at most (a few MB); past it the oldest are forgotten first. */
export const LOCAL_CAPACITY = 100_000;

/** What learns of ended calls besides this runtime: the account's Redis, when it has one. */
export interface EndedCallsShare {
  tell(callUuid: string, ended: EndedCall): void;
  close(): Promise<void>;
}

export type EndedListener = (callUuid: string, ended: EndedCall) => void;

export class EndedCalls {
  /** Call UUID (lower case: Plivo's UUIDs are hex, either case names the same call) to how it ended; insertion order is the order learnt. */
  private readonly calls = new Map<string, EndedCall>();
  private readonly listeners = new Set<EndedListener>();
  private share: EndedCallsShare | undefined;

  /** `scope`: the API base URL whose calls these are (shared-accounts.ts), in the keys of the requests queued for them. */
  constructor(private readonly memoryMs = ENDED_MEMORY_MS, private readonly capacity = LOCAL_CAPACITY, readonly scope = '') {}

  /** The key a request for `callUuid` is queued under, so that the call's end drops it (RequestEngine.drop). */
  keyOf(callUuid: string): string {
    return `${this.scope} ${callUuid.toLowerCase()}`;
  }

  /** How the call ended, if it has within the time remembered. */
  get(callUuid: string, now: number): EndedCall | undefined {
    const ended = this.calls.get(callUuid.toLowerCase());
    return ended !== undefined && ended.at + this.memoryMs > now ? ended : undefined;
  }

  /**
   * Records that the call ended; the first word on a call stands. Listeners hear of each call
   * once, by its lower-case UUID; `shared` is false for what came from the share itself, so it is not told back.
   */
  end(anyCase: string, ended: EndedCall, now: number, shared = true): void {
    const callUuid = anyCase.toLowerCase();
    if (ended.at + this.memoryMs <= now || this.get(callUuid, now) !== undefined) return;
    for (const [old, { at }] of this.calls) {
      if (at + this.memoryMs > now && this.calls.size < this.capacity) break;
      this.calls.delete(old);
    }
    this.calls.set(callUuid, ended);
    if (shared) this.share?.tell(callUuid, ended);
    for (const listener of this.listeners) listener(callUuid, ended);
  }

  onEnded(listener: EndedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells `share` of each call learnt from now on (undefined: this runtime only). */
  useShare(share: EndedCallsShare | undefined): void {
    this.share = share;
  }

  get size(): number {
    return this.calls.size;
  }
}

/** Plivo's hangup callback: a final CallStatus, or Event=Hangup. */
const FINAL_STATUSES = new Set(['completed', 'busy', 'failed', 'timeout', 'no-answer', 'canceled', 'cancel']);

const CALL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The call a (signed) webhook's parameters say has ended, if they say so. */
export function endedByWebhook(params: Record<string, unknown>): string | undefined {
  const callUuid = params.CallUUID;
  if (typeof callUuid !== 'string' || !CALL_UUID.test(callUuid)) return undefined;
  const status = params.CallStatus;
  const hangup = params.Event === 'Hangup' || (typeof status === 'string' && FINAL_STATUSES.has(status));
  return hangup ? callUuid : undefined;
}
