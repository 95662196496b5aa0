/**
 * Node-RED glue: ending a message exactly once, whatever it is. A message the node cannot
 * write into (frozen, sealed, a read-only property, a setter that throws) or that Node-RED cannot
 * copy (a getter that throws, sent to two wires or to a Catch node) must still end once, and
 * must never throw out of a promise callback, where it would end the Node-RED process.
 */
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import { reasonOf } from '../lib/common/errors';
import { text } from '../lib/common/messages';

export type Send = (msg: NodeMessage | Array<NodeMessage | null>) => void;
export type Done = (error?: Error) => void;

export interface MessageEnd {
  /**
   * Writes the outcome into the message and sends it on the (first) output. Returns what was
   * thrown when it could not (`throw undefined` included), and then the message has not ended:
   * end it with `error`.
   */
  output(write: (msg: NodeMessageInFlow) => void): { reason: unknown } | undefined;
  /**
   * Ends the message as an error: on the error output when the node has one, else to Catch
   * nodes (as a copy, with `msg.statusCode` when given); one that neither can take is logged,
   * naming the node. Does nothing once the message has ended.
   */
  error(error: Error, statusCode?: number): void;
}

/** The end of one message given to a node with `errorOutput` (a second output for errors). */
export function messageEnd(
  RED: NodeAPI, node: Node, errorOutput: boolean, msg: NodeMessageInFlow, send: Send, done: Done,
): MessageEnd {
  let ended = false;

  /** Node-RED copies a message for every wire after the first before delivering any: one it cannot copy is found here, before part of it leaves. */
  const sendWhole = (port: 0 | 1) => {
    const wires = (node as Node & { wires?: unknown[][] }).wires?.[port];
    if (Array.isArray(wires) && wires.length > 1) RED.util.cloneMessage(msg);
    send(port === 0 ? (errorOutput ? [msg, null] : msg) : [null, msg]);
  };

  return {
    output(write) {
      if (ended) return undefined;
      try {
        write(msg);
        sendWhole(0);
      } catch (reason) {
        return { reason };
      }
      ended = true;
      done();
      return undefined;
    },
    error(error, statusCode) {
      if (ended) return;
      ended = true;
      try {
        if (statusCode !== undefined) msg.statusCode = statusCode;
      } catch {
        // A message that refuses the status code still reaches Catch or the error output without it.
      }
      if (errorOutput) {
        try {
          const { code } = error as { code?: unknown };
          msg.error = {
            message: String(error), ...(typeof code === 'string' ? { code } : {}), ...(statusCode === undefined ? {} : { statusCode }),
          };
          sendWhole(1);
          done();
          return;
        } catch {
          // The error output cannot take this message: Catch nodes get a copy of it instead.
        }
      }
      try {
        done(error);
      } catch (copying) {
        try {
          node.error(text('message-unusable', { error: String(error), reason: reasonOf(copying) }));
        } catch {
          // Even the log refused: nothing is left to tell.
        }
      }
    },
  };
}
