/**
 * The calls this runtime placed whose outcome has not come yet, by request UUID (what Make a
 * call answers, and what every callback of that call carries as RequestUUID). A signed webhook
 * of the account that hears of such a call tells it here: the answer (and every later callback)
 * learns what the placing message kept (`msg.placed`), and the hangup settles the outcome once.
 * A call whose hangup never comes settles as unheard once the longest it could last is over.
 *
 * Each call belongs to the node that placed it, by node id, not to a node object: after a
 * redeploy the node with the same id gets the outcomes of the calls its predecessor placed.
 *
 * At most `capacity` calls wait at once; the oldest never pushes out: a placement over the
 * capacity is refused, so no outcome is ever silently lost.
 *
 * With a share (redis-placed-calls.ts) the callbacks may reach any instance: one that hears a
 * call another placed finds what it kept there, and the outcome goes back to the placer.
 */

import { ExpiryTimer } from '../common/expiry-timer';

/** What Plivo's hangup callback says of a placed call, as the make-call node's second output carries it. */
export interface CallOutcome {
  /** answered / busy / no-answer / failed / canceled / rejected */
  status: string;
  RequestUUID: string;
  CallUUID?: string;
  To?: string;
  CallStatus?: string;
  HangupCause?: string;
  Duration?: number;
  BillDuration?: number;
  AnswerTime?: string;
  EndTime?: string;
  /** With machine detection: whether a machine answered. */
  Machine?: boolean;
}

/** The placing node hears each of its calls' outcome (undefined: no hangup was heard in time), with what it stored at placement. */
export type OutcomeHandler = (data: unknown, outcome: CallOutcome | undefined, requestUuid: string) => void;

interface Pending {
  /** The placing node's id. */
  owner: string;
  /** What the owner stored (its message), given back with the outcome. */
  data: unknown;
  /** What the placing message kept for the answer flows (msg.placed). */
  kept: unknown;
  expiresAt: number;
  /** The campaign it was placed in ('' for none), which a cancel names. */
  campaign: string;
  callUuid?: string;
  /** A callback said the call is in progress: a cancel no longer applies. */
  answered?: boolean;
  /** Machine detection's verdict, from the answer callback (the hangup may not repeat it). */
  machine?: string;
}

/** A call another instance placed, as the share holds it. */
export interface SharedPlacement {
  requestUuid: string;
  /** What its placing message kept, as JSON text. */
  kept: string;
}

/** Placed calls told to, and heard of from, the other instances of the account. */
export interface PlacedCallsShare {
  readonly ready: boolean;
  placed(requestUuid: string, kept: string, holdMs: number): void;
  tied(callUuid: string, placement: SharedPlacement, holdMs: number): void;
  find(requestUuid: string | undefined, callUuid: string | undefined): Promise<{ placement: SharedPlacement; holdMs: number } | undefined>;
  /** The outcome was heard here: the instance that placed the call hears it too. */
  settled(outcome: CallOutcome, callUuid: string | undefined): void;
  /** The outcomes heard elsewhere of these calls, while this instance was not listening. */
  outcomesOf(requestUuids: string[]): Promise<CallOutcome[]>;
  onOutcome(listener: (outcome: CallOutcome) => void): () => void;
  /** Each time the share (re)connects. */
  onReady(listener: () => void): () => void;
}

export const PLACED_CAPACITY = 20_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Plivo's final CallStatus values (Make a call's hangup_url, the Call Status page). */
const FINAL = new Set(['completed', 'busy', 'failed', 'timeout', 'no-answer', 'canceled', 'cancel']);

function uuidIn(params: Record<string, unknown>, name: string): string | undefined {
  const value = params[name];
  return typeof value === 'string' && UUID.test(value) ? value.toLowerCase() : undefined;
}

const textIn = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
const numberIn = (value: unknown) => (typeof value === 'string' && /^[0-9]{1,9}$/.test(value) ? Number(value) : undefined);

/** The outcome's word for a final CallStatus (and its HangupCause, which tells a rejection from a failure). */
export function outcomeStatus(callStatus: string, hangupCause: string | undefined): string {
  switch (callStatus) {
    case 'completed':
      return 'answered';
    case 'timeout':
    case 'no-answer':
      return 'no-answer';
    case 'cancel':
    case 'canceled':
      return 'canceled';
    case 'busy':
      return 'busy';
    default:
      return hangupCause === 'CALL_REJECTED' ? 'rejected' : 'failed';
  }
}

/** The outcome a signed hangup callback describes, or undefined when it is not one. */
export function outcomeOf(params: Record<string, unknown>): CallOutcome | undefined {
  const requestUuid = uuidIn(params, 'RequestUUID');
  const callStatus = textIn(params.CallStatus);
  const hangup = params.Event === 'Hangup' || (callStatus !== undefined && FINAL.has(callStatus));
  if (requestUuid === undefined || !hangup) return undefined;
  const cause = textIn(params.HangupCause);
  const outcome: CallOutcome = { status: outcomeStatus(callStatus ?? 'completed', cause), RequestUUID: requestUuid };
  const callUuid = uuidIn(params, 'CallUUID');
  if (callUuid) outcome.CallUUID = callUuid;
  const fields: Array<[keyof CallOutcome, unknown]> = [
    ['To', textIn(params.To)], ['CallStatus', callStatus], ['HangupCause', cause], ['Duration', numberIn(params.Duration)],
    ['BillDuration', numberIn(params.BillDuration)], ['AnswerTime', textIn(params.AnswerTime)], ['EndTime', textIn(params.EndTime)],
    ['Machine', params.Machine === 'true' ? true : params.Machine === 'false' ? false : undefined],
  ];
  for (const [name, value] of fields) if (value !== undefined) (outcome as unknown as Record<string, unknown>)[name] = value;
  return outcome;
}

export class PlacedCalls {
  private readonly pending = new Map<string, Pending>();
  /** Call UUID to request UUID, learnt from the callbacks heard: a later callback may carry only the call UUID. */
  private readonly byCall = new Map<string, string>();
  private readonly settledListeners = new Set<(requestUuid: string) => void>();
  private readonly owners = new Map<string, OutcomeHandler>();
  private readonly expiry: ExpiryTimer;
  private share: PlacedCallsShare | undefined;
  private leaveShare: Array<() => void> = [];

  constructor(private readonly capacity = PLACED_CAPACITY, private readonly now: () => number = Date.now) {
    this.expiry = new ExpiryTimer(() => this.expire(), now);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Tells and hears the other instances' placed calls through `share` from now on (undefined: this instance's only). */
  useShare(share: PlacedCallsShare | undefined): void {
    for (const leave of this.leaveShare) leave();
    this.share = share;
    this.leaveShare = share ? [
      share.onOutcome((outcome) => this.heardElsewhere(outcome)),
      share.onReady(() => this.catchUp()),
    ] : [];
  }

  /** Whether another call can wait for its outcome now. */
  hasRoom(): boolean {
    return this.pending.size < this.capacity;
  }

  /** A call was placed by node `owner`: its handler hears the outcome once, with `data`. False (and nothing kept) when the capacity is reached. */
  place(requestUuid: string, owner: string, data: unknown, kept: unknown, expiresAt: number, campaign = ''): boolean {
    if (!this.hasRoom()) return false;
    this.pending.set(requestUuid.toLowerCase(), { owner, data, kept, expiresAt, campaign });
    this.expiry.schedule(expiresAt);
    if (typeof kept === 'string') this.share?.placed(requestUuid.toLowerCase(), kept, expiresAt - this.now());
    return true;
  }

  /** Node `owner` (a node id) hears its calls' outcomes through `handler` until it leaves. */
  adopt(owner: string, handler: OutcomeHandler): void {
    this.owners.set(owner, handler);
  }

  /** The node closes: its calls go on waiting, for the node that takes its id next. Returns how many wait. */
  leave(owner: string, handler: OutcomeHandler): number {
    if (this.owners.get(owner) === handler) this.owners.delete(owner);
    let waiting = 0;
    for (const entry of this.pending.values()) if (entry.owner === owner) waiting += 1;
    return waiting;
  }

  /** The request UUIDs node `owner` placed (in `campaign`, or in any) whose call has not been answered: what a cancel stops at Plivo. */
  unanswered(owner: string, campaign: string | undefined): string[] {
    const found: string[] = [];
    for (const [requestUuid, entry] of this.pending) {
      if (entry.owner === owner && !entry.answered && (campaign === undefined || entry.campaign === campaign)) found.push(requestUuid);
    }
    return found;
  }

  /** `listener` hears each request UUID settled (its call is over, or its wait is). */
  onSettled(listener: (requestUuid: string) => void): () => void {
    this.settledListeners.add(listener);
    return () => this.settledListeners.delete(listener);
  }

  /** The request UUID of a call this runtime placed, by its call UUID, once a callback has named both. */
  requestOf(callUuid: string): string | undefined {
    return this.byCall.get(callUuid.toLowerCase());
  }

  /**
   * A signed webhook's parameters: what the placing message kept, when they are about a call
   * placed here (by RequestUUID, or a CallUUID an earlier callback tied to it); a hangup settles it.
   */
  heard(params: Record<string, unknown>): { placed: unknown } | undefined {
    const callUuid = uuidIn(params, 'CallUUID');
    const requestUuid = uuidIn(params, 'RequestUUID') ?? (callUuid ? this.byCall.get(callUuid) : undefined);
    const entry = requestUuid === undefined ? undefined : this.pending.get(requestUuid);
    if (requestUuid === undefined || entry === undefined) return undefined;
    if (callUuid && entry.callUuid === undefined) {
      entry.callUuid = callUuid;
      this.byCall.set(callUuid, requestUuid);
      if (typeof entry.kept === 'string') this.share?.tied(callUuid, { requestUuid, kept: entry.kept }, entry.expiresAt - this.now());
    }
    if (params.CallStatus === 'in-progress') entry.answered = true;
    if (params.Machine === 'true' || params.Machine === 'false') entry.machine = params.Machine;
    const outcome = outcomeOf({ Machine: entry.machine, ...params, RequestUUID: requestUuid });
    if (outcome) {
      this.settle(requestUuid, outcome);
      this.share?.settled(outcome, entry.callUuid);
    }
    return { placed: entry.kept };
  }

  /**
   * As `heard`, and a call another instance placed is looked up in the share: the answer flow
   * gets what it kept, and its hangup goes back to that instance (and frees its live lease).
   */
  async heardAnywhere(params: Record<string, unknown>): Promise<{ placed: unknown } | undefined> {
    const here = this.heard(params);
    if (here !== undefined || !this.share?.ready) return here;
    const requestUuid = uuidIn(params, 'RequestUUID');
    const callUuid = uuidIn(params, 'CallUUID');
    if (requestUuid === undefined && callUuid === undefined) return undefined;
    let found;
    try {
      found = await this.share.find(requestUuid, callUuid);
    } catch {
      return undefined;
    }
    if (found === undefined) return undefined;
    const { placement, holdMs } = found;
    if (callUuid && requestUuid !== undefined) this.share.tied(callUuid, placement, holdMs);
    const outcome = outcomeOf({ ...params, RequestUUID: placement.requestUuid });
    if (outcome) {
      this.share.settled(outcome, callUuid);
      for (const listener of this.settledListeners) listener(placement.requestUuid);
    }
    return { placed: placement.kept };
  }

  /** Settles the call's wait now (its outcome, or undefined: none will be heard); false when it was not waiting. */
  settle(requestUuid: string, outcome: CallOutcome | undefined): boolean {
    const key = requestUuid.toLowerCase();
    const entry = this.pending.get(key);
    if (!entry) return false;
    this.pending.delete(key);
    if (entry.callUuid) this.byCall.delete(entry.callUuid);
    for (const listener of this.settledListeners) listener(key);
    const handler = this.owners.get(entry.owner);
    // A node removed (not redeployed) takes no outcome: its calls only stop counting as live.
    handler?.(entry.data, outcome, key);
    return true;
  }

  /** An outcome another instance heard: settled here when this instance placed the call (machine detection's verdict kept). */
  private heardElsewhere(outcome: CallOutcome): void {
    const entry = this.pending.get(outcome.RequestUUID);
    if (entry === undefined) return;
    const machine = entry.machine === 'true' ? true : entry.machine === 'false' ? false : undefined;
    this.settle(outcome.RequestUUID, machine === undefined || outcome.Machine !== undefined ? outcome : { ...outcome, Machine: machine });
  }

  /** After a (re)connection: the outcomes heard elsewhere while this instance was not listening. */
  private catchUp(): void {
    const share = this.share;
    if (!share || this.pending.size === 0) return;
    share.outcomesOf([...this.pending.keys()]).then((outcomes) => {
      for (const outcome of outcomes) this.heardElsewhere(outcome);
    }, () => undefined);
  }

  /** Settles the calls whose wait is over as unheard; answers when the next one's is. */
  private expire(): number | undefined {
    const now = this.now();
    let earliest: number | undefined;
    for (const [requestUuid, entry] of [...this.pending]) {
      if (entry.expiresAt <= now) this.settle(requestUuid, undefined);
      else earliest = Math.min(earliest ?? entry.expiresAt, entry.expiresAt);
    }
    return earliest;
  }
}
