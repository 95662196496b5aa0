/**
 * Elements a flow sends (an array of `{element, attributes, text, children}`) as the builder's
 * input, each named by its path in errors ("msg.elements[1].children[0]"). Whatever the value
 * is (a getter that throws, a Proxy, a cycle, a deep nest), reading it ends in elements or an
 * InputError naming where: never in a crash, and never in unbounded work.
 */
import { InputError, reasonOf } from '../common/errors';
import { isRecord } from '../call/fields';
import { MAX_ELEMENTS, type XmlElementInput } from './build';

const ELEMENT_KEYS = new Set(['element', 'attributes', 'text', 'children']);
/** Response > GetDigits > Speak is as deep as Plivo XML goes. */
const MAX_DEPTH = 2;

/** Reads `read()`; whatever it throws becomes an error naming `where`. */
function guarded<T>(where: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new InputError('elements', undefined, 'unreadable', { where, reason: reasonOf(error) });
  }
}

/** The elements in `value`, read from `where` ("msg.elements"). */
export function elementsFromValue(value: unknown, where: string): XmlElementInput[] {
  let count = 0;
  const list = (items: unknown, at: string, depth: number): XmlElementInput[] => {
    const array = guarded(at, () => (Array.isArray(items) ? [...items] : undefined));
    if (array === undefined) throw new InputError('elements', items, 'xml.elements-type', { where: at });
    return array.map((item, index) => {
      count += 1;
      if (count > MAX_ELEMENTS) throw new InputError('elements', undefined, 'xml.too-many', { where, max: MAX_ELEMENTS });
      return one(item, `${at}[${index}]`, depth);
    });
  };
  const one = (item: unknown, at: string, depth: number): XmlElementInput => {
    const fields = guarded(at, () => (isRecord(item) ? Object.fromEntries(Object.entries(item)) : undefined));
    if (fields === undefined) throw new InputError('elements', item, 'xml.element-type', { where: at });
    const unknown = Object.keys(fields).find((key) => !ELEMENT_KEYS.has(key));
    if (unknown !== undefined) throw new InputError('elements', undefined, 'xml.element-key', { where: `${at}.${unknown}` });
    const attributes = fields.attributes === undefined || fields.attributes === null ? {} : fields.attributes;
    const named = guarded(`${at}.attributes`, () => (isRecord(attributes) ? Object.entries(attributes) : undefined));
    if (named === undefined) throw new InputError('elements', attributes, 'xml.attributes-type', { where: `${at}.attributes` });
    const children = fields.children === undefined || fields.children === null ? [] : fields.children;
    if (depth >= MAX_DEPTH && !(Array.isArray(children) && children.length === 0)) {
      throw new InputError('elements', undefined, 'xml.too-deep', { where: `${at}.children` });
    }
    return {
      element: fields.element,
      where: at,
      text: fields.text === undefined ? undefined : { value: fields.text },
      attributes: named.map(([name, attributeValue]) => ({ name, value: { value: attributeValue } })),
      children: list(children, `${at}.children`, depth + 1),
    };
  };
  return list(value, where, 1);
}
