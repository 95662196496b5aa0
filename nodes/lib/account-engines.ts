/**
 * One RequestEngine per Auth ID for the whole runtime: Plivo's limit is per account, so
 * every config node with the same Auth ID (and every plivo-play node using them) shares it.
 * When users disagree, the strictest limits apply.
 *
 * An engine outlives its last user: after a redeploy the new nodes inherit the recent
 * request history, so a redeploy cannot burst past the limit.
 */
import { RequestEngine, type EngineLimits } from './request-engine';

interface SharedEngine {
  engine: RequestEngine;
  users: Map<object, EngineLimits>;
}

const engines = new Map<string, SharedEngine>();

function strictest(all: Iterable<EngineLimits>): EngineLimits | undefined {
  let result: EngineLimits | undefined;
  for (const limits of all) {
    result = result === undefined ? { ...limits } : {
      rateLimit: Math.min(result.rateLimit, limits.rateLimit),
      rateWindowMs: Math.max(result.rateWindowMs, limits.rateWindowMs),
      concurrency: Math.min(result.concurrency, limits.concurrency),
      queueLimit: Math.min(result.queueLimit, limits.queueLimit),
    };
  }
  return result;
}

export function acquireEngine(authId: string, user: object, limits: EngineLimits): RequestEngine {
  let shared = engines.get(authId);
  if (!shared) {
    shared = { engine: new RequestEngine(limits), users: new Map() };
    engines.set(authId, shared);
  }
  shared.users.set(user, limits);
  shared.engine.setLimits(strictest(shared.users.values()) ?? limits);
  return shared.engine;
}

export function releaseEngine(authId: string, user: object): void {
  const shared = engines.get(authId);
  if (!shared || !shared.users.delete(user)) return;
  const limits = strictest(shared.users.values());
  if (limits) shared.engine.setLimits(limits);
}
