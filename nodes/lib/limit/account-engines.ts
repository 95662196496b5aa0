/**
 * One RequestEngine per Auth ID for the whole runtime: Plivo's limit is per account, so
 * every config node with the same Auth ID (and every plivo-play node using them) shares it.
 * When users disagree, the strictest limits apply.
 *
 * An engine outlives its last user: after a redeploy the new nodes inherit the recent
 * request history, so a redeploy cannot burst past the limit. Its Redis connection does
 * not: it closes with the last user that set one, so nothing keeps the process alive.
 */
import { RedisWindow, showRedisUrl, type RedisLog, type RedisSettings } from './redis-window';
import { RequestEngine, type EngineLimits } from './request-engine';

interface User {
  limits: EngineLimits;
  redis: RedisSettings | undefined;
}

interface SharedEngine {
  engine: RequestEngine;
  users: Map<object, User>;
  redis?: { settings: RedisSettings; window: RedisWindow };
}

const engines = new Map<string, SharedEngine>();

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

const sameRedis = (a: RedisSettings, b: RedisSettings) => a.url === b.url && a.password === b.password;

/**
 * Opens, keeps or closes the engine's Redis window to match the first user that sets one.
 * Resolves when a window it closed has disconnected.
 */
function matchRedis(authId: string, shared: SharedEngine, log: RedisLog): Promise<void> {
  const users = [...shared.users.values()].filter((user) => user.redis !== undefined);
  const wanted = users[0]?.redis;
  if (users.some((user) => !sameRedis(user.redis as RedisSettings, wanted as RedisSettings))) {
    log('warn', `account nodes with Auth ID ${authId} set different Redis settings; using ${showRedisUrl((wanted as RedisSettings).url)}`);
  }
  if (shared.redis && wanted && sameRedis(shared.redis.settings, wanted)) return Promise.resolve();
  const closed = shared.redis?.window.close() ?? Promise.resolve();
  shared.redis = wanted ? { settings: wanted, window: new RedisWindow(authId, wanted, log) } : undefined;
  shared.engine.setSharedWindow(shared.redis?.window);
  return closed;
}

export function acquireEngine(
  authId: string,
  user: object,
  limits: EngineLimits,
  redis: RedisSettings | undefined,
  log: RedisLog,
): RequestEngine {
  let shared = engines.get(authId);
  if (!shared) {
    shared = { engine: new RequestEngine(limits), users: new Map() };
    engines.set(authId, shared);
  }
  shared.users.set(user, { limits, redis });
  shared.engine.setLimits(strictest(shared.users.values()) ?? limits);
  void matchRedis(authId, shared, log);
  return shared.engine;
}

/** Resolves when the engine's Redis connection, if this was its last user, has closed. */
export function releaseEngine(authId: string, user: object, log: RedisLog): Promise<void> {
  const shared = engines.get(authId);
  if (!shared || !shared.users.delete(user)) return Promise.resolve();
  const limits = strictest(shared.users.values());
  if (limits) shared.engine.setLimits(limits);
  return matchRedis(authId, shared, log);
}
