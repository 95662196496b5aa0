/**
 * plivo-xml: turns a message into Plivo XML (`<Response>...`) in msg.payload, with the
 * content type in msg.headers for an http response node. The element list is the node's own
 * (each value a typed input) followed by any a flow sends. Node-RED glue only: the elements,
 * checks and writing are in lib/xml/.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { asError, InputError, reasonOf } from './lib/common/errors';
import { text } from './lib/common/messages';
import { isRecord } from './lib/call/fields';
import { sourceName, type TypedSetting } from './lib/call/typed-source';
import { precheck, responseOf, writeElement, type XmlElementInput, type XmlValue } from './lib/xml/build';
import { elementsFromValue } from './lib/xml/from-message';
import { messageEnd, type MessageEnd } from './shared/message-end';
import { IMMEDIATE_TYPES, readTyped, readTypedNow, webhookTarget } from './shared/typed-read';
import { runtimeTexts } from './shared/runtime-texts';
import { answerHeaders } from './shared/answer-headers';

/** One element row of the dialog, as saved. Values are typed inputs: `<value>` and `<value>Type`. */
interface DialogElement {
  element?: unknown;
  text?: unknown;
  textType?: unknown;
  attributes?: Array<{ name?: unknown; value?: unknown; type?: unknown }>;
  children?: DialogElement[];
}

interface PlivoXmlDef extends NodeDef {
  elements?: DialogElement[];
  /** Where more elements come from ('' = nowhere): a typed input. */
  more?: string;
  moreType?: string;
  errorOutput?: boolean;
}

/** Types whose value is written in the node ('choice': picked from a menu); the others are read at each message. */
const FIXED_TYPES = new Set(['str', 'num', 'bool', 'choice', '', undefined]);

/** A value read at each message, and where from (for the builder's errors). */
interface ReadValue {
  setting: TypedSetting;
  source: string;
}

/** A dialog value: fixed (as the builder takes it, checked once), or read at each message. */
type DialogValue = { fixed: XmlValue } | ReadValue;

interface DialogInput {
  element: unknown;
  where: string;
  text?: DialogValue;
  attributes: Array<{ name: string; value: DialogValue }>;
  children: DialogInput[];
}

/**
 * A dialog value of `element`'s `attribute` (its text when undefined); `at` names its place
 * ("element 2 (GetDigits) action") for errors in reading it.
 */
function dialogValue(value: unknown, type: unknown, element: unknown, attribute: string | undefined, at: string): DialogValue {
  const field = attribute ?? 'text';
  const shown = typeof value === 'string' ? value : '';
  if (FIXED_TYPES.has(typeof type === 'string' ? type : undefined)) {
    const fixed = type === 'bool' ? shown === 'true' : shown;
    return { fixed: { value: fixed, checked: precheck(element, attribute, fixed) } };
  }
  const kind = String(type);
  const source = sourceName(kind, shown.trim());
  return { setting: { field, type: kind, value: shown.trim(), where: `${at} ${text('xml.from', { where: source })}` }, source };
}

/** The dialog's rows as the builder's input, named "element 2", "element 2 (GetDigits) > 1". */
function dialogInputs(rows: unknown, parentWhere?: string): DialogInput[] {
  if (!Array.isArray(rows)) return [];
  return rows.filter(isRecord).map((row: DialogElement, index) => {
    const where = parentWhere === undefined ? text('xml.position', { n: index + 1 }) : `${parentWhere} > ${index + 1}`;
    const named = `${where} (${String(row.element)})`;
    const attributes = (Array.isArray(row.attributes) ? row.attributes : []).filter(isRecord)
      .filter((attribute) => typeof attribute.name === 'string' && attribute.name !== '')
      .map((attribute) => ({
        name: String(attribute.name), value: dialogValue(attribute.value, attribute.type, row.element, String(attribute.name), `${named} ${String(attribute.name)}`),
      }));
    const hasText = row.textType !== undefined || (typeof row.text === 'string' && row.text !== '');
    return {
      element: row.element,
      where,
      text: hasText ? dialogValue(row.text, row.textType, row.element, undefined, `${named} ${text('xml.text')}`) : undefined,
      attributes,
      children: dialogInputs(row.children, named),
    };
  });
}

/** The values of the dialog read at each message, in the order they appear. */
function readValues(inputs: DialogInput[]): ReadValue[] {
  return inputs.flatMap((input) => [
    ...(input.text && 'setting' in input.text ? [input.text] : []),
    ...input.attributes.flatMap(({ value }) => ('setting' in value ? [value] : [])),
    ...readValues(input.children),
  ]);
}

/** The builder's input, with each value read at this message taken from `read`. */
function elementsWith(inputs: DialogInput[], read: Map<ReadValue, XmlValue>): XmlElementInput[] {
  const valueOf = (value: DialogValue): XmlValue => ('fixed' in value ? value.fixed : read.get(value)!);
  return inputs.map((input) => ({
    element: input.element,
    where: input.where,
    text: input.text === undefined ? undefined : valueOf(input.text),
    attributes: input.attributes.map(({ name, value }) => ({ name, value: valueOf(value) })),
    children: elementsWith(input.children, read),
  }));
}

export default function register(RED: NodeAPI): void {
  runtimeTexts(RED);
  function PlivoXml(this: Node, def: PlivoXmlDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const errorOutput = def.errorOutput === true;
    const dialog = dialogInputs(def.elements);
    const values = readValues(dialog);
    const more = typeof def.more === 'string' && def.more.trim() !== '' && def.moreType
      ? { field: 'elements', type: def.moreType, value: def.more.trim(), where: sourceName(def.moreType, def.more.trim()) } : undefined;
    // msg and env are read at once (and fixed values need no reading): such a node writes each message's XML in the same tick, in order.
    const immediate = values.every(({ setting }) => IMMEDIATE_TYPES.has(setting.type)) && (!more || IMMEDIATE_TYPES.has(more.type));

    /** A value read as the builder takes it: a plivo webhook node's URL with its method, or what the typed input holds. */
    const webhookValue = ({ setting, source }: ReadValue, msg: NodeMessageInFlow): XmlValue => {
      const target = webhookTarget(RED, setting, msg);
      return { value: target.url, where: source, webhook: { method: target.method, name: target.name } };
    };
    const readNow = (value: ReadValue, msg: NodeMessageInFlow): XmlValue => (value.setting.type === 'plivo-webhook'
      ? webhookValue(value, msg) : { value: readTypedNow(RED, node, value.setting, msg), where: value.source });
    const readLater = async (value: ReadValue, msg: NodeMessageInFlow): Promise<XmlValue> => (IMMEDIATE_TYPES.has(value.setting.type)
      ? readNow(value, msg) : { value: await readTyped(RED, node, value.setting, msg), where: value.source });

    // A dialog element read from nothing at each message is the same for every message: checked and written once.
    const written = dialog.map((input) => {
      if (readValues([input]).length > 0) return undefined;
      try {
        return { xml: writeElement(elementsWith([input], new Map())[0]) };
      } catch (error) {
        return { error: error as Error };
      }
    });
    const invalid = written.find((part) => part?.error)?.error;
    if (invalid) {
      node.error(reasonOf(invalid));
      node.status({ fill: 'red', shape: 'ring', text: 'plivo-xml.status.invalid' });
    }

    const build = (read: Map<ReadValue, XmlValue>, extra: unknown) => {
      if (invalid) throw invalid;
      const parts = dialog.map((input, index) => written[index]?.xml ?? writeElement(elementsWith([input], read)[0]));
      // A flow's elements are at most MAX_ELEMENTS in all (from-message.ts), so each is written on its own.
      if (more) parts.push(...elementsFromValue(extra ?? [], more.where).map(writeElement));
      return responseOf(parts);
    };
    /** The XML for a message, read at once. */
    function xmlNow(msg: NodeMessageInFlow): string {
      const read = new Map(values.map((value) => [value, readNow(value, msg)]));
      return build(read, more ? readTypedNow(RED, node, more, msg) : undefined);
    }
    /** The XML for a message whose values a context store or JSONata gives later. */
    async function xmlLater(msg: NodeMessageInFlow): Promise<string> {
      const read = new Map<ReadValue, XmlValue>();
      for (const value of values) read.set(value, await readLater(value, msg));
      return build(read, more ? await readTyped(RED, node, more, msg) : undefined);
    }

    function answer(end: MessageEnd, xml: string): void {
      const refusal = end.output((msg) => {
        const headers = answerHeaders((msg as unknown as { headers?: unknown }).headers, 'application/xml');
        msg.payload = xml;
        (msg as unknown as { headers: Record<string, unknown> }).headers = headers;
      });
      if (refusal) end.error(new InputError('payload', undefined, 'xml.unwritable', { reason: reasonOf(refusal.reason) }));
    }

    /** Values read later are chained, so messages keep their order. */
    let reading: Promise<void> = Promise.resolve();

    node.on('input', (msg, send, done) => {
      const end = messageEnd(RED, node, errorOutput, msg, send, done);
      if (immediate) {
        let xml: string;
        try {
          xml = xmlNow(msg);
        } catch (error) {
          end.error(asError(error));
          return;
        }
        answer(end, xml);
        return;
      }
      reading = reading.then(() => xmlLater(msg))
        .then((xml) => answer(end, xml))
        .catch((error: unknown) => end.error(asError(error)));
    });
  }
  RED.nodes.registerType('plivo-xml', PlivoXml);
}
