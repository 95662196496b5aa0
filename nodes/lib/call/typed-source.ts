/**
 * Which of a call node's settings are read from a typed source (Node-RED's typed inputs) and
 * how each source is named in errors. Reading them needs Node-RED and is the node's job.
 */
import { text } from '../common/messages';

/**
 * The types read at each message ('plivo-webhook': a URL field naming a plivo webhook node by id).
 * Any other type (or none, in flows saved before) is a fixed value.
 */
const TYPED_SOURCES = new Set(['msg', 'flow', 'global', 'env', 'jsonata', 'plivo-webhook']);
const MAX_EXPRESSION_SHOWN = 60;

export interface TypedSetting {
  field: string;
  type: string;
  value: string;
  /** The source as the user wrote it, for errors. */
  where: string;
}

/** "msg.call.uuid", "flow.hold", "env.HOLD_URL", "the JSONata expression ...", "the plivo webhook node <id>" */
export function sourceName(type: string, value: string): string {
  if (type === 'env') return `env.${value.replace(/^\$\{(.*)\}$/, '$1')}`;
  if (type === 'plivo-webhook') return text('webhook-source', { name: value });
  if (type === 'jsonata') {
    const expression = value.length > MAX_EXPRESSION_SHOWN ? `${value.slice(0, MAX_EXPRESSION_SHOWN - 3)}...` : value;
    return text('jsonata-source', { expression });
  }
  return `${type}.${value}`;
}

/** The node's `fields` that name a typed source, from its saved `<field>` and `<field>Type`. */
export function typedSettings(def: Record<string, unknown>, fields: readonly string[]): TypedSetting[] {
  const settings: TypedSetting[] = [];
  for (const field of fields) {
    const type = def[`${field}Type`];
    if (typeof type !== 'string' || !TYPED_SOURCES.has(type)) continue;
    const value = typeof def[field] === 'string' ? (def[field] as string).trim() : '';
    settings.push({ field, type, value, where: sourceName(type, value) });
  }
  return settings;
}
