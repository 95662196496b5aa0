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
import { buildXml, type XmlElementInput, type XmlValue } from './lib/xml/build';
import { elementsFromValue } from './lib/xml/from-message';
import { messageEnd, type MessageEnd } from './message-end';
import { readTyped, webhookTarget } from './typed-read';
import { runtimeTexts } from './runtime-texts';

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

/** A dialog value: fixed, or a typed setting read at each message (`source`: where from, for the builder's errors). */
type DialogValue = { fixed: unknown } | { setting: TypedSetting; source: string };

interface DialogInput {
  element: unknown;
  where: string;
  text?: DialogValue;
  attributes: Array<{ name: string; value: DialogValue }>;
  children: DialogInput[];
}

/** A dialog value; `at` names its place ("element 2 (GetDigits) action") for errors in reading it. */
function dialogValue(value: unknown, type: unknown, field: string, at: string): DialogValue {
  const shown = typeof value === 'string' ? value : '';
  if (FIXED_TYPES.has(typeof type === 'string' ? type : undefined)) return { fixed: type === 'bool' ? shown === 'true' : shown };
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
      .map((attribute) => ({ name: String(attribute.name), value: dialogValue(attribute.value, attribute.type, String(attribute.name), `${named} ${String(attribute.name)}`) }));
    const hasText = row.textType !== undefined || (typeof row.text === 'string' && row.text !== '');
    return {
      element: row.element,
      where,
      text: hasText ? dialogValue(row.text, row.textType, 'text', `${named} ${text('xml.text')}`) : undefined,
      attributes,
      children: dialogInputs(row.children, named),
    };
  });
}

function isFixed(inputs: DialogInput[]): boolean {
  return inputs.every((input) => (input.text === undefined || 'fixed' in input.text)
    && input.attributes.every(({ value }) => 'fixed' in value) && isFixed(input.children));
}

export default function register(RED: NodeAPI): void {
  runtimeTexts(RED);
  function PlivoXml(this: Node, def: PlivoXmlDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const errorOutput = def.errorOutput === true;
    const dialog = dialogInputs(def.elements);
    const more = typeof def.more === 'string' && def.more.trim() !== '' && def.moreType
      ? { field: 'elements', type: def.moreType, value: def.more.trim(), where: sourceName(def.moreType, def.more.trim()) } : undefined;

    /** A value as the builder takes it: a webhook node's URL and method, or whatever the typed input reads. */
    async function resolve(value: DialogValue, msg: NodeMessageInFlow): Promise<XmlValue> {
      if ('fixed' in value) return { value: value.fixed };
      const { setting, source } = value;
      if (setting.type === 'plivo-webhook') {
        const target = webhookTarget(RED, setting, msg);
        return { value: target.url, where: source, webhook: { method: target.method, name: target.name } };
      }
      return { value: await readTyped(RED, node, setting, msg), where: source };
    }

    async function resolveAll(inputs: DialogInput[], msg: NodeMessageInFlow): Promise<XmlElementInput[]> {
      const resolved: XmlElementInput[] = [];
      for (const input of inputs) {
        const attributes = [];
        for (const { name, value } of input.attributes) attributes.push({ name, value: await resolve(value, msg) });
        resolved.push({
          element: input.element,
          where: input.where,
          text: input.text === undefined ? undefined : await resolve(input.text, msg),
          attributes,
          children: await resolveAll(input.children, msg),
        });
      }
      return resolved;
    }

    /** The XML for a message, or an InputError naming what is wrong. */
    async function xmlFor(msg: NodeMessageInFlow): Promise<string> {
      const elements = await resolveAll(dialog, msg);
      if (more) elements.push(...elementsFromValue(await readTyped(RED, node, more, msg) ?? [], more.where));
      return buildXml(elements);
    }

    // Fixed values only: the XML is the same for every message, written (and checked) once.
    let fixedXml: string | undefined;
    if (!more && isFixed(dialog)) {
      void xmlFor({} as NodeMessageInFlow).then((xml) => {
        fixedXml = xml;
      }, (error: unknown) => {
        node.error(reasonOf(error));
        node.status({ fill: 'red', shape: 'ring', text: 'plivo-xml.status.invalid' });
      });
    }

    function answer(end: MessageEnd, xml: string): void {
      const refusal = end.output((msg) => {
        const headers = (msg as unknown as { headers?: unknown }).headers;
        msg.payload = xml;
        (msg as unknown as { headers: Record<string, unknown> }).headers = { ...(isRecord(headers) ? headers : {}), 'content-type': 'application/xml' };
      });
      if (refusal) end.error(new InputError('payload', undefined, 'xml.unwritable', { reason: reasonOf(refusal.reason) }));
    }

    /** Typed values may be read asynchronously (context stores, JSONata): chained, so messages keep their order. */
    let reading: Promise<void> = Promise.resolve();

    node.on('input', (msg, send, done) => {
      const end = messageEnd(RED, node, errorOutput, msg, send, done);
      if (fixedXml !== undefined) {
        answer(end, fixedXml);
        return;
      }
      reading = reading.then(() => xmlFor(msg))
        .then((xml) => answer(end, xml))
        .catch((error: unknown) => end.error(asError(error)));
    });
  }
  RED.nodes.registerType('plivo-xml', PlivoXml);
}
