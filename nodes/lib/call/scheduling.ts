/**
 * A call node's place in the account's queue: its priority, and how long a message may wait
 * for a slot (the node's Max wait, else msg.maxWait) before it ends unsent.
 */
import { InputError } from '../common/errors';
import { text } from '../common/messages';
import { PRIORITIES, type Priority } from '../limit/fair-queue';
import type { TaskPolicy } from '../limit/engine-types';

/** A day: a play that waited longer is of no use to any call. */
const MAX_WAIT_LIMIT_S = 86_400;

export interface Scheduling {
  priority: Priority;
  /** The node's maximum wait; undefined when blank (msg.maxWait may set one). */
  maxWaitMs?: number;
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** The node's Priority and Max wait settings; an InputError naming the setting when either is not usable. */
export function parseScheduling(priority: unknown, maxWait: unknown): Scheduling {
  const where = (field: string) => text('node-setting', { field });
  if (!isBlank(priority) && !PRIORITIES.includes(priority as Priority)) {
    throw new InputError('priority', priority, 'priority-invalid', { where: where('priority') });
  }
  return {
    priority: isBlank(priority) ? 'normal' : (priority as Priority),
    maxWaitMs: parseMaxWait(maxWait, where('maxWait')),
  };
}

function parseMaxWait(value: unknown, where: string): number | undefined {
  if (isBlank(value)) return undefined;
  const seconds = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_WAIT_LIMIT_S) {
    throw new InputError('maxWait', value, 'max-wait-invalid', { where, limit: MAX_WAIT_LIMIT_S });
  }
  return Math.round(seconds * 1000);
}

/** The message's task policy: the account's, with the node's priority and the maximum wait that applies. */
export function taskPolicy(account: TaskPolicy, scheduling: Scheduling, msgMaxWait: unknown): TaskPolicy {
  if (scheduling.maxWaitMs !== undefined) {
    return { ...account, priority: scheduling.priority, maxWait: { ms: scheduling.maxWaitMs, source: text('max-wait-node') } };
  }
  const ms = parseMaxWait(msgMaxWait, 'msg.maxWait');
  return { ...account, priority: scheduling.priority, maxWait: ms === undefined ? undefined : { ms, source: text('max-wait-msg') } };
}
