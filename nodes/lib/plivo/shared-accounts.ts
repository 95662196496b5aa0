/**
 * What the runtime keeps per Auth ID: Plivo's limit is per account, so every config node with
 * the same Auth ID (and every node using them) shares one RequestEngine; when users disagree,
 * the strictest limits apply. Every webhook node of the account shares one ReplayGuard, and
 * every node one memory of the calls that have ended (EndedCalls) per API base URL: a 404 from
 * another base URL (a sandbox, a mistyped one) says nothing about the account's calls at Plivo.
 *
 * Both outlive their last user: after a redeploy the new nodes inherit the recent request
 * history (a redeploy cannot burst past the limit) and the signatures already accepted (a
 * redeploy cannot reopen a replay), and so does its memory of ended calls. Their Redis connections do not: they close with the last
 * user that set one, so nothing keeps the process alive.
 */
import { showRedisUrl, type RedisLog, type RedisSettings } from '../redis/connection';
import { RedisWindow } from '../limit/redis-window';
import type { EngineLimits } from '../limit/engine-types';
import { RequestEngine } from '../limit/request-engine';
import { RedisSeenSignatures, ReplayGuard } from '../webhook/replay-guard';
import { CallEndedError } from '../common/errors';
import { ENDED_MEMORY_MS, EndedCalls, LOCAL_CAPACITY } from './ended-calls';
import { DEFAULT_BASE_URL, type CallLimits } from './account';
import { RedisEndedCalls } from './redis-ended-calls';
import { Leases } from '../limit/leases';
import { RedisLeases } from '../limit/redis-leases';
import { PlacedCalls } from './placed-calls';
import { RedisPlacedCalls } from './redis-placed-calls';
import { ConferenceMembers } from './conference-members';
import { RedisConferenceMembers } from './redis-conference-members';

interface User {
  limits: EngineLimits;
  calls: CallLimits;
  redis: RedisSettings | undefined;
}

export interface SharedAccount {
  engine: RequestEngine;
  replay: ReplayGuard;
  ended: EndedCalls;
  /** Starts calls (Make a call) at the account's calls per second, while its live calls are under their cap. */
  calls: RequestEngine;
  /** The account's calls placed and not yet over, each a lease from placement to hangup. */
  live: Leases;
  placed: PlacedCalls;
  /** Who is in the account's conferences, by call. */
  members: ConferenceMembers;
}

interface Shared {
  engine: RequestEngine;
  calls: RequestEngine;
  live: Leases;
  placed: PlacedCalls;
  members: ConferenceMembers;
  replay: ReplayGuard;
  /** API base URL to the memory of that base URL's ended calls. */
  ended: Map<string, EndedCalls>;
  users: Map<object, User>;
  redis?: {
    settings: RedisSettings; window: RedisWindow; callsWindow: RedisWindow; live: RedisLeases; placed: RedisPlacedCalls; members: RedisConferenceMembers; seen: RedisSeenSignatures;
    ended: Map<string, RedisEndedCalls>;
  };
}

const accounts = new Map<string, Shared>();

function strictest(users: Iterable<User>): EngineLimits | undefined {
  let result: EngineLimits | undefined;
  for (const { limits } of users) {
    result = result === undefined ? { ...limits } : {
      rateLimit: Math.min(result.rateLimit, limits.rateLimit),
      rateWindowMs: Math.max(result.rateWindowMs, limits.rateWindowMs),
      concurrency: Math.min(result.concurrency, limits.concurrency),
      queueLimit: Math.min(result.queueLimit, limits.queueLimit),
      timeoutMs: Math.max(result.timeoutMs, limits.timeoutMs),
    };
  }
  return result;
}

/** The calls engine's limits: the strictest CPS per second; the rest as the account's engine. */
function callEngineLimits(users: Iterable<User>, base: EngineLimits): { limits: EngineLimits; maxConcurrent: number | undefined } {
  let cps = Number.POSITIVE_INFINITY;
  let maxConcurrent: number | undefined;
  for (const { calls } of users) {
    cps = Math.min(cps, calls.cps);
    if (calls.maxConcurrent !== undefined) maxConcurrent = Math.min(maxConcurrent ?? Number.POSITIVE_INFINITY, calls.maxConcurrent);
  }
  return { limits: { ...base, rateLimit: Number.isFinite(cps) ? cps : 2, rateWindowMs: 1000 }, maxConcurrent };
}

function applyLimits(shared: Shared, fallback: EngineLimits): void {
  const limits = strictest(shared.users.values()) ?? fallback;
  shared.engine.setLimits(limits);
  const calls = callEngineLimits(shared.users.values(), limits);
  shared.calls.setLimits(calls.limits);
  shared.live.setCap(calls.maxConcurrent);
}

const sameRedis = (a: RedisSettings, b: RedisSettings) => a.url === b.url && a.password === b.password;

/**
 * Opens, keeps or closes the account's Redis connections (the limit's window, the seen
 * signatures) to match the first user that sets one. Resolves when those it closed have disconnected.
 */
function matchRedis(authId: string, shared: Shared, log: RedisLog): Promise<void> {
  const users = [...shared.users.values()].filter((user) => user.redis !== undefined);
  const wanted = users[0]?.redis;
  if (users.some((user) => !sameRedis(user.redis as RedisSettings, wanted as RedisSettings))) {
    log('warn', `account nodes with Auth ID ${authId} set different Redis settings; using ${showRedisUrl((wanted as RedisSettings).url)}`);
  }
  if (shared.redis && wanted && sameRedis(shared.redis.settings, wanted)) {
    shareEnded(authId, shared, log);
    return Promise.resolve();
  }
  const old = shared.redis;
  const closed = old
    ? Promise.all([old.window.close(), old.callsWindow.close(), old.live.close(), old.placed.close(), old.members.close(), old.seen.close(), ...[...old.ended.values()].map((share) => share.close())]).then(() => undefined)
    : Promise.resolve();
  shared.redis = wanted
    ? {
      settings: wanted,
      window: new RedisWindow(authId, wanted, log),
      // Calls per second are a limit of their own, in a window of their own. Its outages are the account's Redis's, told once by `window`.
      callsWindow: new RedisWindow(`${authId}:calls`, wanted, () => undefined),
      // Max concurrent calls hold across instances: each placed call is a lease in Redis until it is over.
      live: new RedisLeases(`${authId}:live-calls`, wanted),
      // A placed call's callbacks may reach any instance: its outcome goes back to the one that placed it.
      placed: new RedisPlacedCalls(authId, wanted),
      // A conference callback may reach any instance: a member named by call is found wherever its enter was heard.
      members: new RedisConferenceMembers(authId, wanted),
      seen: new RedisSeenSignatures(authId, wanted, log),
      ended: new Map(),
    }
    : undefined;
  shared.engine.setSharedWindow(shared.redis?.window);
  shared.calls.setSharedWindow(shared.redis?.callsWindow);
  shared.live.useShare(shared.redis?.live);
  shared.placed.useShare(shared.redis?.placed);
  shared.members.useShare(shared.redis?.members);
  shared.replay.useRedis(shared.redis?.seen);
  for (const ended of shared.ended.values()) ended.useShare(undefined);
  shareEnded(authId, shared, log);
  return closed;
}

/** Each base URL's memory of ended calls shared through the account's Redis, under a name of its own. */
function shareEnded(authId: string, shared: Shared, log: RedisLog): void {
  const { redis } = shared;
  if (!redis) return;
  for (const [baseUrl, ended] of shared.ended) {
    if (redis.ended.has(baseUrl)) continue;
    const name = baseUrl === DEFAULT_BASE_URL ? authId : `${authId}@${baseUrl}`;
    const share = new RedisEndedCalls(name, redis.settings, log, (callUuid, call) => ended.end(callUuid, call, Date.now(), false));
    redis.ended.set(baseUrl, share);
    ended.useShare(share);
  }
}

/** The memory of `baseUrl`'s ended calls; the requests queued for a call that ends are never sent. */
function endedFor(shared: Shared, baseUrl: string): EndedCalls {
  let ended = shared.ended.get(baseUrl);
  if (!ended) {
    const made = new EndedCalls(ENDED_MEMORY_MS, LOCAL_CAPACITY, baseUrl);
    // Only requests submitted with the call's key (EndedCalls.keyOf) are dropped.
    made.onEnded((callUuid, call) => {
      shared.engine.drop(made.keyOf(callUuid), () => new CallEndedError(callUuid, call));
      // A placed call known to have ended (its hang-up, a 404) no longer counts as live, whatever its hangup callback does.
      const requestUuid = shared.placed.requestOf(callUuid);
      if (requestUuid !== undefined) shared.live.release(requestUuid);
    });
    shared.ended.set(baseUrl, made);
    ended = made;
  }
  return ended;
}

/** The account's live calls end with their outcome; a call any request learns has ended frees its lease at once. */
function newShared(limits: EngineLimits): Shared {
  const live = new Leases();
  const placed = new PlacedCalls();
  const calls = new RequestEngine({ ...limits, rateWindowMs: 1000 });
  calls.setGate(live);
  placed.onSettled((requestUuid) => live.release(requestUuid));
  return {
    engine: new RequestEngine(limits), calls, live, placed, members: new ConferenceMembers(), replay: new ReplayGuard(), ended: new Map(), users: new Map(),
  };
}

export function acquireAccount(
  authId: string,
  baseUrl: string,
  user: object,
  limits: EngineLimits,
  calls: CallLimits,
  redis: RedisSettings | undefined,
  log: RedisLog,
): SharedAccount {
  let shared = accounts.get(authId);
  if (!shared) {
    shared = newShared(limits);
    accounts.set(authId, shared);
  }
  const ended = endedFor(shared, baseUrl);
  shared.users.set(user, { limits, calls, redis });
  applyLimits(shared, limits);
  void matchRedis(authId, shared, log);
  return {
    engine: shared.engine, replay: shared.replay, ended, calls: shared.calls, live: shared.live, placed: shared.placed, members: shared.members,
  };
}

/** Resolves when the account's Redis connections, if this was their last user, have closed. */
export function releaseAccount(authId: string, user: object, log: RedisLog): Promise<void> {
  const shared = accounts.get(authId);
  if (!shared || !shared.users.delete(user)) return Promise.resolve();
  if (shared.users.size > 0) applyLimits(shared, strictest(shared.users.values()) as EngineLimits);
  return matchRedis(authId, shared, log);
}
