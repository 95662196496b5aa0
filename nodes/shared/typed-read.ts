/**
 * Node-RED glue the nodes share: reading a typed setting (msg, flow, global, env, JSONata) with
 * Node-RED's own evaluation, and the URL of the plivo webhook node a URL setting names.
 */
import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import { InputError, reasonOf } from '../lib/common/errors';
import type { TypedValues } from '../lib/call/fields';
import type { TypedSetting } from '../lib/call/typed-source';
import { checkedBaseOf } from '../lib/webhook/checked-bases';
import type { WebhookMethod } from '../lib/webhook/signature';
import type { WebhookNode } from './deployed-nodes';

/** A deployed plivo webhook node's URL as it checks signatures, the method it takes, and its name for errors. */
export interface WebhookTarget {
  url: string;
  method: WebhookMethod;
  name: string;
}

/** The base a plivo webhook's signature checked for the request a message answers, when it has one. */
function checkedBaseOfMessage(msg: NodeMessageInFlow): string | undefined {
  try {
    return checkedBaseOf((msg as unknown as { req?: unknown }).req);
  } catch {
    return undefined;
  }
}

/**
 * The plivo webhook node a setting names: its Public URL and route, or without a Public URL the
 * base a plivo webhook's signature checked for the request the message answers. A Host header
 * no signature checked (an `http in` node's request) never stands in.
 */
export function webhookTarget(RED: NodeAPI, setting: TypedSetting, msg: NodeMessageInFlow): WebhookTarget {
  const target = RED.nodes.getNode(setting.value) as WebhookNode | null;
  if (!target || target.type !== 'plivo-webhook' || !target.webhookUrl || !target.webhookMethod) {
    throw new InputError(setting.field, undefined, 'webhook-node-missing', { where: setting.where });
  }
  const name = target.name || target.id;
  const url = target.webhookUrl(checkedBaseOfMessage(msg));
  if (url === undefined) {
    throw new InputError(setting.field, undefined, 'webhook-node-no-public-url', { where: setting.where, name });
  }
  return { url, method: target.webhookMethod, name };
}

/** Types Node-RED evaluates at once; flow and global (a context store may answer later) and JSONata take a callback. */
export const IMMEDIATE_TYPES: ReadonlySet<string> = new Set(['msg', 'env', 'plivo-webhook']);

function typedFailed(setting: TypedSetting, error: unknown): InputError {
  // JSONata throws plain objects with a message, not Errors.
  return new InputError(setting.field, undefined, 'typed-failed', { where: setting.where, field: setting.field, reason: reasonOf(error) });
}

/**
 * A typed setting of an IMMEDIATE_TYPES type, read at once with Node-RED's own evaluation. A msg
 * path through a missing object (a TypeError) and an unset environment variable ('') have no value.
 */
export function readTypedNow(RED: NodeAPI, node: Node, setting: TypedSetting, msg: NodeMessageInFlow): unknown {
  if (setting.type === 'plivo-webhook') return webhookTarget(RED, setting, msg).url;
  try {
    const value: unknown = RED.util.evaluateNodeProperty(setting.value, setting.type, node, msg);
    return setting.type === 'env' && value === '' ? undefined : value;
  } catch (error) {
    if (setting.type === 'msg' && error instanceof TypeError) return undefined;
    throw typedFailed(setting, error);
  }
}

/** A typed setting's value (context stores and JSONata included); what the evaluation throws becomes an InputError naming the source. */
export async function readTyped(RED: NodeAPI, node: Node, setting: TypedSetting, msg: NodeMessageInFlow): Promise<unknown> {
  if (IMMEDIATE_TYPES.has(setting.type)) return readTypedNow(RED, node, setting, msg);
  try {
    return await new Promise((resolve, reject) => {
      RED.util.evaluateNodeProperty(setting.value, setting.type, node, msg, (error: unknown, value?: unknown) => (error ? reject(error) : resolve(value)));
    });
  } catch (error) {
    throw typedFailed(setting, error);
  }
}

/** Every typed setting's value, read in order. */
export async function readAllTyped(RED: NodeAPI, node: Node, typed: TypedSetting[], msg: NodeMessageInFlow): Promise<TypedValues> {
  const values: TypedValues = {};
  for (const setting of typed) {
    values[setting.field] = { value: await readTyped(RED, node, setting, msg), where: setting.where };
  }
  return values;
}
