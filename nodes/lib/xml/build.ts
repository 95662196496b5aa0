/**
 * Checks a list of Plivo XML elements against elements.ts and writes the `<Response>`. Every
 * text and attribute value is escaped, so no value, whatever it holds, can add, end or change
 * an element; a character XML cannot carry at all (U+0000, a lone surrogate) is an error, not
 * dropped. SSML inside a Speak is therefore text too: a value is never markup. No Node-RED here.
 */
import { InputError } from '../common/errors';
import { text as catalogText } from '../common/messages';
import { MAX_URL_CHARACTERS, parseUrl } from '../call/play-request';
import { longerThan } from '../common/text-length';
import { MAX_TEXT_CHARACTERS } from '../call/speak-request';
import { DEFAULT_LANGUAGE, DEFAULT_VOICE, languageCaseOf, speakLanguage } from '../call/speak-languages';
import { elementSpec, TOP_LEVEL, type AttributeKind, type AttributeSpec, type BodyKind, type ElementSpec } from './elements';

/** A value as read, and where from when not the element's own setting ("msg.menu.url"). */
export interface XmlValue {
  value: unknown;
  where?: string;
  /** The value is the URL of a plivo webhook node, which takes this method (and this name). */
  webhook?: { method: 'GET' | 'POST'; name: string };
  /** The value as written, checked ahead by precheck (a fixed setting, checked once at deploy). */
  checked?: string;
}

/** One element to write. `where` names it in errors: "element 2", "msg.elements[0].children[1]". */
export interface XmlElementInput {
  element: unknown;
  where: string;
  text?: XmlValue;
  attributes: ReadonlyArray<{ name: string; value: XmlValue }>;
  children: readonly XmlElementInput[];
}

/** The most elements one Response holds: a menu has a handful; a runaway list is refused, not written. */
export const MAX_ELEMENTS = 200;

// Characters XML 1.0 has no way to carry, escaped or not: C0 controls but tab, newline and return; lone surrogates; U+FFFE/U+FFFF.
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };
// In an attribute a parser turns tab, newline and return into spaces unless they are written as references.
const ATTRIBUTE_ESCAPES: Record<string, string> = { ...TEXT_ESCAPES, '"': '&quot;', '\t': '&#9;', '\n': '&#10;' };

const IN_TEXT = /[&<>\r]/;
const IN_ATTRIBUTE = /[&<>"\t\n\r]/;

function escapeText(value: string): string {
  return IN_TEXT.test(value) ? value.replace(/[&<>\r]/g, (character) => TEXT_ESCAPES[character]) : value;
}

function escapeAttribute(value: string): string {
  return IN_ATTRIBUTE.test(value) ? value.replace(/[&<>"\t\n\r]/g, (character) => ATTRIBUTE_ESCAPES[character]) : value;
}

const KEY = /^[0-9*#]$/;
const PHONE_NUMBER = /^\+?[0-9]{1,20}$/;
const LANGUAGE_TAG = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const POLLY_VOICE = /^Polly\.[A-Za-z-]+$/;
const SIP_URI = /^sips?:[^\s]+$/;

/** Names a place in errors; written only when an error needs it (its words come from the catalog). */
type Where = () => string;

/** Where an element's part is, for errors: "element 2 (GetDigits) numDigits (from msg.digits)". */
function whereOf(elementWhere: string, name: () => string, value: XmlValue): Where {
  return () => {
    const part = `${elementWhere} ${name()}`;
    return value.where ? `${part} ${catalogText('xml.from', { where: value.where })}` : part;
  };
}

class Checker {
  private count = 0;

  constructor(private readonly parts: string[]) {}

  element(input: XmlElementInput, parent: ElementSpec | undefined): void {
    this.count += 1;
    if (this.count > MAX_ELEMENTS) throw new InputError('elements', undefined, 'xml.too-many', { where: input.where, max: MAX_ELEMENTS });
    const name = typeof input.element === 'string' ? input.element.trim() : input.element;
    const spec = typeof name === 'string' ? elementSpec(name) : undefined;
    if (!spec) {
      throw new InputError('element', input.element, 'xml.element-unknown', { where: input.where, elements: TOP_LEVEL.join(', ') });
    }
    const where = `${input.where} (${spec.name})`;
    const allowed = parent ? parent.children : TOP_LEVEL;
    if (!allowed.includes(spec.name)) {
      const key = parent ? 'xml.nested-wrongly' : 'xml.only-in-dial';
      throw new InputError('element', undefined, key, { where, parent: parent?.name ?? '', allowed: allowed.join(', ') });
    }
    const methods: WebhookMethods = new Map();
    const attributes = this.attributes(input, spec, where, methods);
    const body = this.body(input, spec, where, attributes, methods);
    setWebhookMethods(methods, attributes, where);
    if (spec.needsChild && input.children.length === 0) {
      throw new InputError('element', undefined, 'xml.needs-child', { where, allowed: spec.children.join(', ') });
    }
    if (spec.children.length === 0 && input.children.length > 0) {
      throw new InputError('element', undefined, 'xml.no-children', { where });
    }
    this.parts.push(`<${spec.name}`);
    for (const [attribute, value] of attributes) this.parts.push(` ${attribute}="${escapeAttribute(value)}"`);
    if (body === undefined && input.children.length === 0) {
      this.parts.push('/>');
      return;
    }
    this.parts.push('>');
    if (body !== undefined) this.parts.push(escapeText(body));
    for (const child of input.children) this.element(child, spec);
    this.parts.push(`</${spec.name}>`);
  }

  /** The element's attributes, checked, in the order given; the method a plivo webhook node takes is added where unset. */
  private attributes(input: XmlElementInput, spec: ElementSpec, where: string, methods: WebhookMethods): Map<string, string> {
    const written = new Map<string, string>();
    for (const { name, value } of input.attributes) {
      const attribute = spec.attributes.find((candidate) => candidate.name === name);
      if (!attribute) {
        throw new InputError(name, undefined, 'xml.attribute-unknown', {
          where, name, allowed: spec.attributes.map((candidate) => candidate.name).join(', '),
        });
      }
      const at = whereOf(where, () => name, value);
      if (written.has(name)) throw new InputError(name, undefined, 'xml.attribute-twice', { where: at() });
      written.set(name, value.checked ?? checkValue(attribute.value, value.value, name, at));
      const methodName = value.webhook && webhookMethodOf(attribute, value.webhook, at);
      if (value.webhook && methodName) methods.set(methodName, { ...value.webhook, where: at });
    }
    for (const attribute of spec.attributes) {
      if (attribute.required && !written.has(attribute.name)) {
        throw new InputError(attribute.name, undefined, 'xml.attribute-required', { where: `${where} ${attribute.name}` });
      }
    }
    crossChecks(spec, written, where);
    return written;
  }

  private body(input: XmlElementInput, spec: ElementSpec, where: string, attributes: Map<string, string>, methods: WebhookMethods): string | undefined {
    const given = input.text;
    if (spec.body === 'none') {
      if (given && !isBlank(given.value)) throw new InputError('text', given.value, 'xml.text-not-allowed', { where });
      return undefined;
    }
    if (!given || isBlank(given.value)) {
      throw new InputError('text', undefined, 'xml.text-missing', { where, what: catalogText(`xml.body.${spec.body}`) });
    }
    if (spec.body === 'speech') checkVoiceInLanguage(attributes, where);
    const at = whereOf(where, () => catalogText('xml.text'), given);
    // Only a Redirect's text is a webhook URL, called with its method attribute.
    if (given.webhook) {
      if (spec.body !== 'webhook-url') throw new InputError('text', undefined, 'xml.webhook-not-here', { where: at() });
      methods.set('method', { ...given.webhook, where: at });
    }
    return given.checked ?? checkBody(spec.body, given.value, at);
  }
}

type WebhookMethods = Map<string, { method: 'GET' | 'POST'; name: string; where: Where }>;

/** A URL naming a plivo webhook node is called with that node's method: set it where unset, refuse another. */
function setWebhookMethods(methods: WebhookMethods, written: Map<string, string>, where: string): void {
  for (const [methodName, webhook] of methods) {
    const set = written.get(methodName);
    if (set === undefined) written.set(methodName, webhook.method);
    else if (set !== webhook.method) {
      throw new InputError(methodName, set, 'xml.webhook-method', {
        where: webhook.where(), name: webhook.name, method: webhook.method, attribute: `${where} ${methodName}`,
      });
    }
  }
}

/** The attribute holding the method Plivo calls a webhook URL with (none for a POST-only URL, which refuses a GET webhook). */
function webhookMethodOf(attribute: AttributeSpec, webhook: { method: 'GET' | 'POST'; name: string }, where: Where): string | undefined {
  if (attribute.webhook === undefined) {
    throw new InputError(attribute.name, undefined, 'xml.webhook-not-here', { where: where() });
  }
  if (attribute.webhook === 'post') {
    if (webhook.method !== 'POST') throw new InputError(attribute.name, undefined, 'xml.webhook-post-only', { where: where(), name: webhook.name });
    return undefined;
  }
  return attribute.webhook.method;
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** A text or number as a string that XML can carry; anything else is an error naming `where`. */
function asText(value: unknown, field: string, where: Where, max?: { length: number; trimmed: boolean }): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') throw new InputError(field, value, 'xml.not-text', { where: where() });
  // Too long is said before the whole text is scanned: megabytes cost no more than the limit.
  if (max && longerThan(max.trimmed ? value.trim() : value, max.length)) throw new InputError(field, undefined, 'xml.too-long', { where: where(), max: max.length });
  const bad = NOT_XML.exec(value);
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new InputError(field, undefined, 'xml.character', { where: where(), code });
  }
  return value;
}

/** A source for parseUrl, naming `where` only if it fails. */
function urlSource(field: string, where: Where) {
  return { field, node: false, get where() { return where(); } };
}

function checkValue(kind: AttributeKind, value: unknown, field: string, where: Where): string {
  const fail = (key: string, params: Record<string, string | number> = {}) => new InputError(field, value, key, { where: where(), ...params });
  if (kind.kind === 'boolean') {
    if (typeof value === 'boolean') return String(value);
    const word = typeof value === 'string' ? value.trim() : undefined;
    if (word === 'true' || word === 'false') return word;
    throw fail('flag-invalid');
  }
  if (kind.kind === 'integer') {
    const number = typeof value === 'number' ? value : typeof value === 'string' && /^\s*[0-9]{1,15}\s*$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(number) || number < kind.min || (kind.max !== undefined && number > kind.max)) {
      throw fail(kind.max === undefined ? 'xml.integer-from' : 'xml.integer-range', { min: kind.min, max: kind.max ?? '' });
    }
    return String(number);
  }
  const bound = kind.kind === 'text' && kind.maxLength !== undefined ? { length: kind.maxLength, trimmed: false }
    : kind.kind === 'url' ? { length: MAX_URL_CHARACTERS, trimmed: true } : undefined;
  const raw = asText(value, field, where, bound);
  const word = raw.trim();
  switch (kind.kind) {
    case 'url':
      if (kind.special?.includes(word)) return word;
      return parseUrl(word, urlSource(field, where));
    case 'method':
      if (word === 'GET' || word === 'POST') return word;
      throw fail('xml.method');
    case 'choice':
      if (kind.values.includes(word)) return word;
      throw fail('xml.choice', { values: kind.values.join(', ') });
    case 'key':
      if (KEY.test(word) || (kind.none && (word === '' || word === 'none'))) return word;
      throw fail(kind.none ? 'xml.key-or-none' : 'xml.key');
    case 'keys':
      if (kind.waits ? /^[0-9*#wW]+$/.test(word) : /^[0-9*#]+$/.test(word)) return word;
      throw fail(kind.waits ? 'xml.keys-waits' : 'xml.keys');
    case 'key-patterns':
      if (/^[0-9*#]+(,[0-9*#]+)*$/.test(word)) return word;
      throw fail('xml.key-patterns');
    case 'phone-number':
      if (PHONE_NUMBER.test(word)) return word;
      throw fail('xml.phone-number');
    case 'voice':
      if (word === 'MAN' || word === 'WOMAN' || POLLY_VOICE.test(word)) return word;
      throw fail('xml.voice');
    case 'speak-language': {
      if (speakLanguage(word)) return word;
      const cased = languageCaseOf(word);
      throw cased ? fail('language-case', { language: cased }) : fail('language-invalid');
    }
    case 'language-tag':
      if (LANGUAGE_TAG.test(word)) return word;
      throw fail('xml.language-tag');
    case 'text':
      if (kind.pattern && !kind.pattern.test(raw)) throw fail('xml.form');
      return raw;
  }
}

/** An element's text: speech as given (not trimmed: it is spoken), URLs and keys trimmed and checked. */
function checkBody(kind: BodyKind, value: unknown, where: Where): string {
  const bound = kind === 'speech' ? MAX_TEXT_CHARACTERS : kind === 'audio-url' || kind === 'webhook-url' ? MAX_URL_CHARACTERS : undefined;
  const raw = asText(value, 'text', where, bound === undefined ? undefined : { length: bound, trimmed: true });
  const word = raw.trim();
  const fail = (key: string) => new InputError('text', value, key, { where: where() });
  switch (kind) {
    case 'speech':
      return raw;
    case 'audio-url':
    case 'webhook-url':
      return parseUrl(word, urlSource('text', where));
    case 'wss-url':
      if (/^wss?:\/\/[^\s/]+/.test(word) && !/\s/.test(word)) return word;
      throw fail('xml.wss-url');
    case 'dtmf':
      if (/^[0-9*#wW]+$/.test(word)) return word;
      throw fail('xml.keys-waits');
    case 'phone-number':
      if (PHONE_NUMBER.test(word)) return word;
      throw fail('xml.phone-number');
    case 'sip-uri':
      if (SIP_URI.test(word)) return word;
      throw fail('xml.sip-uri');
    case 'room':
    case 'none':
      return raw;
  }
}

/** A Speak's voice must be one its language has (Plivo's defaults count); Polly voices name their own language. */
function checkVoiceInLanguage(attributes: Map<string, string>, where: string): void {
  const voice = attributes.get('voice') ?? DEFAULT_VOICE;
  if (voice !== 'MAN' && voice !== 'WOMAN') return;
  const language = speakLanguage(attributes.get('language') ?? DEFAULT_LANGUAGE);
  if (!language || language.voices.includes(voice)) return;
  throw new InputError('voice', attributes.get('voice'), 'voice-unavailable', {
    where: `${where} voice`, voice, language: language.code, name: language.name, voices: language.voices.join(', '),
  });
}

/** Rules between attributes that Plivo's pages give. */
function crossChecks(spec: ElementSpec, written: Map<string, string>, where: string): void {
  if (spec.name === 'Stream' && written.get('bidirectional') === 'true' && (written.get('audioTrack') ?? 'inbound') !== 'inbound') {
    throw new InputError('audioTrack', written.get('audioTrack'), 'xml.stream-track', { where: `${where} audioTrack` });
  }
}

/**
 * A fixed value of `element`'s `attribute` (its text when undefined) checked ahead, as the checker
 * writes it; undefined when it is not valid there (each message is then told why).
 */
export function precheck(element: unknown, attribute: string | undefined, value: unknown): string | undefined {
  const spec = typeof element === 'string' ? elementSpec(element.trim()) : undefined;
  const where = () => '';
  try {
    if (!spec || isBlank(value)) return undefined;
    if (attribute === undefined) return spec.body === 'none' ? undefined : checkBody(spec.body, value, where);
    const kind = spec.attributes.find((candidate) => candidate.name === attribute)?.value;
    return kind && checkValue(kind, value, attribute, where);
  } catch {
    return undefined;
  }
}

/** One element of a Response (with what it holds), checked and written: for a part that does not change, written once. */
export function writeElement(element: XmlElementInput): string {
  const parts: string[] = [];
  new Checker(parts).element(element, undefined);
  return parts.join('');
}

/** The `<Response>` holding elements already written (writeElement); none is an error. */
export function responseOf(written: readonly string[]): string {
  if (written.length === 0) throw new InputError('elements', undefined, 'xml.no-elements');
  return `<Response>${written.join('')}</Response>`;
}

/** The `<Response>` for `elements`, or an InputError naming the element, the attribute, its source and the value. */
export function buildXml(elements: readonly XmlElementInput[]): string {
  const parts: string[] = [];
  const checker = new Checker(parts);
  for (const element of elements) checker.element(element, undefined);
  return responseOf(parts);
}
