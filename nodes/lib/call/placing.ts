/**
 * What a placed call carries besides its request: the campaign it belongs to (what msg.cancel
 * names) and the message's properties kept for the flows that answer it (msg.placed). No
 * Node-RED here.
 */
import { InputError, reasonOf } from '../common/errors';

/** Kept properties as JSON text: bounded, and a fresh copy each time a webhook gives them out. */
export type Kept = string | undefined;

/** The kept properties of one call at most, as JSON: a reminder's row, an alarm's text; not a file. */
export const MAX_KEPT_BYTES = 16_384;
const PROPERTY = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/;
const CAMPAIGN = /^[A-Za-z0-9 _.:-]{1,64}$/;
/** Never kept: Node-RED's own, and what belongs to an http request. */
const NOT_KEPT = new Set(['_msgid', 'req', 'res', '__proto__', 'constructor', 'prototype']);

/** The node's Keep for the answer: msg property names, comma-separated; blank keeps nothing. */
export function parseKeep(value: unknown): string[] {
  const setting = typeof value === 'string' ? value.trim() : '';
  if (setting === '') return [];
  const names = setting.split(',').map((name) => name.trim());
  if (names.length > 32 || names.some((name) => !PROPERTY.test(name) || NOT_KEPT.has(name))) {
    throw new InputError('keep', value, 'keep-invalid');
  }
  return [...new Set(names)];
}

/** The kept properties of `msg` as JSON text (absent ones left out), or an error naming the one that cannot be kept. */
export function keptOf(msg: object, names: readonly string[]): Kept {
  if (names.length === 0) return undefined;
  const kept: Record<string, unknown> = {};
  for (const name of names) {
    let value: unknown;
    let json: string | undefined;
    try {
      value = (msg as Record<string, unknown>)[name];
      json = value === undefined ? undefined : JSON.stringify(value);
    } catch (error) {
      throw new InputError('keep', undefined, 'kept-unreadable', { name, reason: reasonOf(error) });
    }
    if (value === undefined) continue;
    if (json === undefined) throw new InputError('keep', undefined, 'kept-unreadable', { name, reason: typeof value });
    kept[name] = JSON.parse(json);
  }
  const text = JSON.stringify(kept);
  const size = Buffer.byteLength(text);
  if (size > MAX_KEPT_BYTES) throw new InputError('keep', undefined, 'kept-too-large', { names: names.join(', '), size, max: MAX_KEPT_BYTES });
  return text;
}

/** A campaign name (blank: the node's calls without one); `where` names its source in the error. */
export function parseCampaign(value: unknown, where: string): string {
  const name = typeof value === 'string' ? value.trim() : typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : undefined;
  if (name === '' && where !== 'msg.cancel') return '';
  if (name === undefined || !CAMPAIGN.test(name)) throw new InputError('campaign', value, 'campaign-invalid', { where });
  return name;
}
