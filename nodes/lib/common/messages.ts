/**
 * The runtime's texts: errors and their parts, from the plivo-play message catalog.
 * English comes from the en-US catalog shipped beside this module (so the text lives in
 * one place); once the node is loaded, Node-RED's translator gives the runtime's language.
 */
import path from 'node:path';

export type Params = Record<string, string | number>;
type Translator = (key: string, params: Params) => string | undefined;

interface Catalog {
  'plivo-play': { errors: Record<string, unknown> };
}

const english = (require(path.join(__dirname, '..', '..', 'locales', 'en-US', 'plivo-play.json')) as Catalog)['plivo-play'].errors;
let translator: Translator | undefined;

/** Node-RED's `RED._` for our catalog; it answers undefined for a key it does not know. */
export function useTranslator(translate: Translator): void {
  translator = translate;
}

function lookup(key: string): string {
  let entry: unknown = english;
  for (const part of key.split('.')) {
    entry = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>)[part] : undefined;
  }
  if (typeof entry !== 'string') throw new Error(`no text for plivo-play.errors.${key}`);
  return entry;
}

/** The text for `plivo-play.errors.<key>`, with i18next-style __param__ placeholders filled in. */
export function text(key: string, params: Params = {}): string {
  const translated = translator?.(key, params);
  if (translated !== undefined) return translated;
  return lookup(key).replace(/__(\w+)__/g, (placeholder, name: string) => (name in params ? String(params[name]) : placeholder));
}
