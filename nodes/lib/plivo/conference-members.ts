/**
 * Who is in the account's conferences, by call: a flow knows a caller's CallUUID, Plivo's member
 * operations want the member ID. The account learns each call's membership from the
 * `<Conference callbackUrl>` events its plivo webhook nodes accept (`enter`, `exit`) and from
 * details lookups; with the account's Redis every instance reads what any one heard
 * (redis-conference-members.ts). It also remembers how each play and speech to members was
 * started, so that a stop naming them otherwise (which Plivo answers 204 and ignores) is refused.
 *
 * Memberships are kept 4 hours (a call's longest life), at most LOCAL_CAPACITY, oldest first out.
 */
import { CallEndedError, MemberLeftError, type EndedCall } from '../common/errors';
import { text } from '../common/messages';
import type { MemberMedia, Members } from '../call/conference-request';
import { ENDED_MEMORY_MS, LOCAL_CAPACITY } from './ended-calls';

/** A call's place in a conference: its member ID there, and when it left, if it has. */
export interface Membership {
  conference: string;
  memberId: string;
  /** When this was learnt (ms since the epoch). */
  at: number;
  leftAt?: number;
}

/** What learns of memberships besides this runtime: the account's Redis, when it has one. */
export interface ConferenceMembersShare {
  tell(callUuid: string, membership: Membership): void;
  find(callUuid: string): Promise<Membership | undefined>;
  close(): Promise<void>;
}

/** Plays and speeches started, remembered per room at most this many (a room holds at most 20 members). */
const STARTS_CAPACITY = 10_000;

const CALL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MEMBER_ID = /^[0-9]{1,12}$/;

/** What a resolution needs besides the memory: the account's ended calls, and one details lookup of the room. */
export interface MemberLookup {
  ended(callUuid: string): EndedCall | undefined;
  /** Plivo's details of the room (GET Conference/{name}/), sent through the account's engine. */
  details(): Promise<unknown>;
}

export class ConferenceMembers {
  /** Lower-case call UUID to its membership; insertion order is the order learnt. */
  private readonly calls = new Map<string, Membership>();
  /** `${media} ${conference}` to the member namings (`all`, "1001,1002") its plays or speeches were started with. */
  private readonly starts = new Map<string, Set<string>>();
  private share: ConferenceMembersShare | undefined;
  /** Room name to its details lookup in flight. */
  private readonly lookups = new Map<string, Promise<void>>();

  constructor(private readonly memoryMs = ENDED_MEMORY_MS, private readonly capacity = LOCAL_CAPACITY) {}

  /** Tells `share` of each membership learnt from now on (undefined: this runtime only). */
  useShare(share: ConferenceMembersShare | undefined): void {
    this.share = share;
  }

  /** Learns from a signed webhook's parameters when they are a conference callback's `enter` or `exit`. */
  heard(params: Record<string, unknown>, now: number): void {
    const { ConferenceAction: action, ConferenceName: conference, ConferenceMemberID: memberId, CallUUID: callUuid } = params;
    if ((action !== 'enter' && action !== 'exit') || typeof conference !== 'string' || typeof memberId !== 'string'
      || typeof callUuid !== 'string' || !CALL_UUID.test(callUuid) || !MEMBER_ID.test(memberId)) return;
    this.learn(callUuid, { conference, memberId, at: now, ...(action === 'exit' ? { leftAt: now } : {}) }, now);
  }

  /**
   * Records a call's membership; `shared` is false for what came from the share itself. An exit
   * heard before its enter (callbacks may cross) is not undone by the late enter.
   */
  learn(anyCase: string, membership: Membership, now: number, shared = true): void {
    const callUuid = anyCase.toLowerCase();
    const known = this.local(callUuid, now);
    if (known && known.leftAt !== undefined && membership.leftAt === undefined
      && known.conference === membership.conference && known.memberId === membership.memberId) return;
    this.calls.delete(callUuid);
    for (const [old, { at }] of this.calls) {
      if (at + this.memoryMs > now && this.calls.size < this.capacity) break;
      this.calls.delete(old);
    }
    this.calls.set(callUuid, membership);
    if (shared) this.share?.tell(callUuid, membership);
  }

  /** What a details answer (Plivo's conference object) says: each member listed is in; a call remembered in the room but not listed has left. */
  roomSeen(conference: string, details: unknown, now: number): void {
    const members = typeof details === 'object' && details !== null ? (details as { members?: unknown }).members : undefined;
    if (!Array.isArray(members)) return;
    const listed = new Set<string>();
    for (const member of members) {
      const { call_uuid: callUuid, member_id: memberId } = (typeof member === 'object' && member !== null ? member : {}) as Record<string, unknown>;
      const id = typeof memberId === 'number' ? String(memberId) : memberId;
      if (typeof callUuid !== 'string' || !CALL_UUID.test(callUuid) || typeof id !== 'string' || !MEMBER_ID.test(id)) continue;
      listed.add(callUuid.toLowerCase());
      this.learn(callUuid, { conference, memberId: id, at: now }, now);
    }
    for (const [callUuid, membership] of [...this.calls]) {
      if (membership.conference === conference && membership.leftAt === undefined && !listed.has(callUuid)) {
        this.learn(callUuid, { ...membership, at: now, leftAt: now }, now);
      }
    }
  }

  /** The call's membership as this runtime knows it. */
  local(callUuid: string, now: number): Membership | undefined {
    const membership = this.calls.get(callUuid.toLowerCase());
    return membership !== undefined && membership.at + this.memoryMs > now ? membership : undefined;
  }

  /** The call's membership as this runtime or, failing that, the account's Redis knows it. */
  async find(callUuid: string, now: number): Promise<Membership | undefined> {
    const known = this.local(callUuid, now);
    if (known || !this.share) return known;
    const shared = await this.share.find(callUuid.toLowerCase()).catch(() => undefined);
    if (shared) this.learn(callUuid, shared, now, false);
    return shared;
  }

  /**
   * The member IDs `members` names in `conference`, as Plivo's path takes them (`all`, one, or a
   * comma list). A member named by call is looked up in what was heard, then (for any not heard
   * of) in one details lookup of the room, shared with the messages that need it at the same time.
   * Throws CallEndedError for a call that has ended and MemberLeftError for one not in the room:
   * no request is then sent.
   */
  async resolve(conference: string, members: Members, lookup: MemberLookup, now: () => number): Promise<string> {
    if (members === 'all') return 'all';
    const ids: (string | undefined)[] = [];
    const unheard: number[] = [];
    for (const [index, item] of members.entries()) {
      if ('memberId' in item) {
        ids.push(item.memberId);
        continue;
      }
      const ended = lookup.ended(item.callUuid);
      if (ended) throw new CallEndedError(item.callUuid, ended, text('conference.member-call', { callUuid: item.callUuid }));
      const membership = await this.find(item.callUuid, now());
      if (membership?.conference === conference && membership.leftAt !== undefined) throw new MemberLeftError(item.callUuid, conference, membership.leftAt);
      ids.push(membership?.conference === conference ? membership.memberId : undefined);
      if (membership?.conference !== conference) unheard.push(index);
    }
    if (unheard.length > 0) {
      await this.lookUp(conference, lookup, now);
      for (const index of unheard) {
        const { callUuid } = members[index] as { callUuid: string };
        const membership = this.local(callUuid, now());
        if (membership?.conference !== conference || membership.leftAt !== undefined) throw new MemberLeftError(callUuid, conference, undefined);
        ids[index] = membership.memberId;
      }
    }
    return ids.join(',');
  }

  /**
   * One details lookup of the room, shared: messages that arrive while one is in flight wait for
   * it rather than send their own; when it fails, the first of them sends one that the rest wait for.
   */
  private async lookUp(conference: string, lookup: MemberLookup, now: () => number): Promise<void> {
    let inFlight = this.lookups.get(conference);
    while (inFlight) {
      if (await inFlight.then(() => true, () => false)) return;
      // It failed: wait for the one another message sent since, if any, or send one.
      const next = this.lookups.get(conference);
      inFlight = next === inFlight ? undefined : next;
    }
    const mine = lookup.details().then((details) => this.roomSeen(conference, details, now()));
    this.lookups.set(conference, mine);
    try {
      await mine;
    } finally {
      if (this.lookups.get(conference) === mine) this.lookups.delete(conference);
    }
  }

  /** A play or speech was started for `namedAs` in the room. */
  started(media: MemberMedia, conference: string, namedAs: string): void {
    const key = `${media} ${conference}`;
    let namings = this.starts.get(key);
    if (!namings) {
      if (this.starts.size >= STARTS_CAPACITY) this.starts.delete(this.starts.keys().next().value as string);
      namings = new Set();
      this.starts.set(key, namings);
    }
    namings.add(namedAs);
  }

  /**
   * Before a stop naming `namedAs`: the namings plays or speeches in the room were started with,
   * when none of them is `namedAs` (Plivo would stop nothing); undefined when the stop may go.
   */
  mismatchedStop(media: MemberMedia, conference: string, namedAs: string): string[] | undefined {
    const namings = this.starts.get(`${media} ${conference}`);
    if (!namings || namings.size === 0 || namings.has(namedAs)) return undefined;
    return [...namings];
  }

  /** A stop naming `namedAs` was accepted: what it stopped is forgotten. */
  stopped(media: MemberMedia, conference: string, namedAs: string): void {
    const key = `${media} ${conference}`;
    this.starts.get(key)?.delete(namedAs);
    if (this.starts.get(key)?.size === 0) this.starts.delete(key);
  }

  /** The room was hung up: what was started in it is over. */
  roomEnded(conference: string): void {
    this.starts.delete(`play ${conference}`);
    this.starts.delete(`speak ${conference}`);
  }

  get size(): number {
    return this.calls.size;
  }
}
