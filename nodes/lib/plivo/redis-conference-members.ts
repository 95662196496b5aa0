/**
 * The account's conference memberships shared through its Redis: a conference callback reaches
 * one Node-RED instance, a plivo conference node of another may name the member by its call.
 * One key per call, `plivo-play:members:<authId>:<CallUUID>`, holding its membership as JSON and
 * expiring with the memory (conference-members.ts). Read only when this instance has not heard
 * of the call; while Redis cannot answer, each instance knows what reached it, and a details
 * lookup does the rest.
 */
import type { Redis as RedisClient } from 'ioredis';
import { closeRedis, connectRedis, type RedisSettings } from '../redis/connection';
import type { ConferenceMembersShare, Membership } from './conference-members';
import { ENDED_MEMORY_MS } from './ended-calls';

/** A stored membership is a few dozen bytes; anything much longer is not ours. */
const MAX_STORED = 1024;
const MEMBER_ID = /^[0-9]{1,12}$/;

/** A membership as stored, when it is one. */
function membershipIn(text: unknown): Membership | undefined {
  if (typeof text !== 'string' || text.length > MAX_STORED) return undefined;
  try {
    const value = JSON.parse(text) as Partial<Membership> | null;
    if (!value || typeof value.conference !== 'string' || typeof value.memberId !== 'string' || !MEMBER_ID.test(value.memberId)
      || typeof value.at !== 'number' || (value.leftAt !== undefined && typeof value.leftAt !== 'number')) return undefined;
    return { conference: value.conference, memberId: value.memberId, at: value.at, ...(value.leftAt !== undefined ? { leftAt: value.leftAt } : {}) };
  } catch {
    return undefined;
  }
}

export class RedisConferenceMembers implements ConferenceMembersShare {
  private readonly client: RedisClient;
  private readonly prefix: string;

  constructor(authId: string, settings: RedisSettings, private readonly memoryMs = ENDED_MEMORY_MS) {
    this.prefix = `plivo-play:members:${authId}`;
    this.client = connectRedis(settings);
    // Outages are the account's Redis's, told by its window; here they only mean a lookup more.
    this.client.on('error', () => undefined);
  }

  tell(callUuid: string, membership: Membership): void {
    if (this.client.status !== 'ready') return;
    this.client.set(`${this.prefix}:${callUuid}`, JSON.stringify(membership), 'PX', this.memoryMs).catch(() => undefined);
  }

  async find(callUuid: string): Promise<Membership | undefined> {
    if (this.client.status !== 'ready') return undefined;
    return membershipIn(await this.client.get(`${this.prefix}:${callUuid}`));
  }

  close(): Promise<void> {
    return closeRedis(this.client);
  }
}
