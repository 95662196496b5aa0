/**
 * What a deployed node of this package offers the others, as they find it with
 * RED.nodes.getNode: declared here, below the entry files, so the glue never imports a node.
 */
import type { Node } from 'node-red';
import type { PlivoAccount } from '../lib/plivo/account';
import type { WebhookMethod } from '../lib/webhook/signature';

export interface PlivoCredentials {
  authId?: string;
  authToken?: string;
  redisPassword?: string;
}

/** A deployed plivo-config node. */
export interface PlivoConfigNode extends Node<PlivoCredentials> {
  /** As saved: the Verify endpoint only sends the saved token where this node sends it. */
  baseUrl?: string;
  /** The usable account; throws a ConfigError saying what is wrong otherwise. */
  account(): PlivoAccount;
}

/** A deployed plivo-webhook node, as other nodes may ask it. */
export interface WebhookNode extends Node {
  /**
   * The URL Plivo is to call, exactly as this node checks signatures: its Public URL and route,
   * or without one the origin (scheme and Host) that a plivo webhook's signature checked for
   * the message being answered; undefined when neither says.
   */
  webhookUrl?: (checkedOrigin: string | undefined) => string | undefined;
  webhookMethod?: WebhookMethod;
}
