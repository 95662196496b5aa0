/**
 * What a call node's status shows, as catalog keys: waiting work first (rate
 * limited, queued), otherwise the last outcome. The node translates and throttles.
 */
import { ConfigError, InputError, NotSentError, PlivoApiError } from '../common/errors';
import type { EngineSnapshot } from '../limit/engine-types';
import type { Priority } from '../limit/fair-queue';

export interface StatusView {
  fill: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape: 'dot' | 'ring';
  /** Key under plivo-play.status in the catalog. */
  key: string;
  params?: Record<string, string | number>;
}

/** After Plivo accepted a request: `key` (under status in the catalog) names what was done. */
export function successView(key: string): StatusView {
  return { fill: 'green', shape: 'dot', key };
}

export function errorView(error: unknown): StatusView {
  const view = (key: string, params?: StatusView['params']): StatusView => ({ fill: 'red', shape: 'ring', key, params });
  if (error instanceof InputError) return view('invalid', { field: error.field });
  if (error instanceof PlivoApiError && error.statusCode !== undefined) return view('api-error', { status: error.statusCode });
  if (error instanceof PlivoApiError) return view('unreachable');
  if (error instanceof NotSentError) return view('not-sent');
  if (error instanceof ConfigError) return view('account-error');
  return view('error');
}

/**
 * The status for the current work: rate limited, queued (and whether this runtime yields to
 * other clients of the account, and the node's priority when not normal), the shared limit
 * being down; else `last`.
 */
export function currentView(snapshot: EngineSnapshot, last: StatusView | undefined, priority: Priority = 'normal'): StatusView | undefined {
  const waiting = snapshot.queued + snapshot.inFlight;
  if (snapshot.pausedMs > 0 && waiting > 0) {
    return { fill: 'yellow', shape: 'ring', key: 'rate-limited', params: { seconds: Math.ceil(snapshot.pausedMs / 1000) } };
  }
  if (snapshot.queued > 0 && snapshot.shared === 'down') {
    return { fill: 'yellow', shape: 'ring', key: 'redis-down-queued', params: { count: snapshot.queued } };
  }
  if (snapshot.queued > 0 && snapshot.share < snapshot.limit) {
    return { fill: 'yellow', shape: 'ring', key: 'yielding', params: { count: snapshot.queued, share: snapshot.share, limit: snapshot.limit } };
  }
  if (snapshot.queued > 0) {
    return { fill: 'blue', shape: 'ring', key: priority === 'normal' ? 'queued' : `queued-${priority}`, params: { count: snapshot.queued } };
  }
  if (snapshot.shared === 'down') {
    return { fill: 'yellow', shape: 'ring', key: 'redis-down' };
  }
  return last;
}
