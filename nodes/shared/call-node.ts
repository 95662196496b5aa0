/**
 * What every node that sends a request into a call or a conference shares (plivo play, speak, call, conference):
 * typed settings read with Node-RED's own evaluation and in message order, the account's
 * engine (limit, queue, retries), a throttled status, errors to Catch or the error output
 * (exactly once per message), and close with grace. A call node gives its request builder and
 * how to send the request; this module is Node-RED glue only.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { asError, CallEndedError, ConfigError, type EndedBy, ExpiredError, InputError, NotSentError, OutcomeError, PlivoApiError, reasonOf } from '../lib/common/errors';
import { text } from '../lib/common/messages';
import { runtimeTexts, type RuntimeText } from './runtime-texts';
import { isPlivoErrorAnswer, type PlivoResponse } from '../lib/plivo/client';
import { readField, type TypedValues } from '../lib/call/fields';
import { parseScheduling, taskPolicy, type Scheduling } from '../lib/call/scheduling';
import { currentView, errorView, type StatusView } from '../lib/call/status';
import { typedSettings, type TypedSetting } from '../lib/call/typed-source';
import { StatusThrottle } from '../lib/status-throttle';
import type { TaskPolicy } from '../lib/limit/engine-types';
import { messageEnd, type Done, type MessageEnd, type Send } from './message-end';
import type { PlivoAccount } from '../lib/plivo/account';
import type { PlivoConfigNode } from './deployed-nodes';
import { readAllTyped } from './typed-read';


/** Requests in flight at close get this long (inside Node-RED's 15 s close timeout), then are aborted. */
const CLOSE_GRACE_MS = 10_000;

/** A call node's saved settings that this module reads; the rest are its request builder's. */
export interface CallNodeDef extends NodeDef {
  /** The account node's id. */
  account?: string;
  /** A second output for errors instead of Catch nodes. */
  errorOutput?: boolean;
  /** The node's Priority and Max wait settings, as saved. */
  priority?: unknown;
  maxWait?: unknown;
}

/** The call a request is about, for the account's memory of calls that have ended (plivo/ended-calls.ts). */
export interface CallSubject {
  callUuid: string;
  /** false: sent even when the call has ended (asking about the call). */
  skippedWhenEnded: boolean;
  /** Plivo's 404 means the call has ended (not for a stop, which may just find nothing to stop). */
  notFoundMeansEnded: boolean;
  /** Plivo's success means the call has ended (a hang-up). */
  endsCall: boolean;
}

/** What makes a call node what it is: its request, how it is sent, and what a success shows. */
export interface CallNodeRequests<Def extends CallNodeDef, Request> {
  /** Settings the node may read from msg, flow, global, env or JSONata at each message. */
  typedFields: readonly string[];
  /**
   * The settings a message's request uses, when that depends on the message (plivo call's
   * operation): a typed setting of another operation is not read. Undefined: all of them.
   */
  fieldsFor?(def: Def, payload: unknown): readonly string[] | undefined;
  /** The request for a message, or an InputError naming the field; `ignoredFields` were shadowed by the node's settings. */
  build(def: Def, payload: unknown, values: TypedValues): { request: Request; ignoredFields: string[] };
  send(account: PlivoAccount, request: Request, signal: AbortSignal): Promise<PlivoResponse>;
  /** The status after a success. */
  succeeded(request: Request): StatusView;
  /** The call the request is about; undefined for one about no call (the live calls). */
  subject(request: Request): CallSubject | undefined;
  /** The request must not take effect twice: never tried again once it may have reached Plivo (see retry-policy.ts). */
  atMostOnce(request: Request): boolean;
  /**
   * What must be known before the request can go (plivo conference: members named by call become
   * member IDs); `lookup` sends a request of its own through the account's engine, in the message's turn.
   * Throws what ends the message unsent.
   */
  resolve?(account: PlivoAccount, request: Request, lookup: (send: (signal: AbortSignal) => Promise<PlivoResponse>) => Promise<PlivoResponse>): Promise<Request>;
  /** Plivo accepted the request: what the account should remember of it. */
  accepted?(account: PlivoAccount, request: Request): void;
}

type CallNodeTexts = ReturnType<typeof callNodeTexts>;

/** The call nodes' runtime texts, and their status texts translated once each. */
function callNodeTexts(RED: NodeAPI): { text: RuntimeText; status: (view: StatusView) => string } {
  const translate = runtimeTexts(RED);
  /** Status texts without parameters, translated once: the runtime's language does not change. */
  const fixedTexts = new Map<string, string>();
  const status = (view: StatusView) => {
    const key = `status.${view.key}`;
    if (view.params) return translate(key, view.params);
    let translated = fixedTexts.get(key);
    if (translated === undefined) {
      translated = translate(key);
      fixedTexts.set(key, translated);
    }
    return translated;
  };
  return { text: translate, status };
}

/** A request builder's result; anything it throws that is not an InputError (a Proxy's trap, say) becomes one naming msg.payload. */
function buildSafely<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError('payload', undefined, 'unreadable', { where: 'msg.payload', reason: reasonOf(error) });
  }
}

/** The account learns that a call has ended, now. */
function learnEnded(account: PlivoAccount, callUuid: string, by: EndedBy): void {
  const now = Date.now();
  account.endedCalls.end(callUuid, { at: now, by }, now);
}

/** Registers the node type `type`: a call node that sends what `requests` builds. */
export function registerCallNode<Def extends CallNodeDef, Request>(RED: NodeAPI, type: string, requests: CallNodeRequests<Def, Request>): void {
  const texts = callNodeTexts(RED);
  function CallNode(this: Node, def: Def): void {
    RED.nodes.createNode(this, def);
    const run = new CallNodeRun(RED, this, texts, def, requests);
    this.on('input', (msg, send, done) => run.input(msg, send, done));
    this.on('close', (_removed: boolean, done: () => void) => run.close(done));
  }
  RED.nodes.registerType(type, CallNode);
}

/** The account a call node's setting names, if it is usable. */
function accountOf(configNode: PlivoConfigNode | null): PlivoAccount | undefined {
  try {
    return configNode?.account();
  } catch {
    return undefined;
  }
}

/** A call node's status: the engine's work for it first, then its last outcome, with its expired and skipped messages counted. */
interface CallNodeStatus {
  /** A message ended with this error: counted, and shown. */
  failed(error: Error): void;
  /** A message was answered: `view` shows. */
  succeeded(view: StatusView): void;
  stop(): void;
}

function callNodeStatus(node: Node, texts: CallNodeTexts, account: PlivoAccount | undefined, initial: StatusView | undefined, priority: Scheduling['priority'] | undefined): CallNodeStatus {
  let lastOutcome = initial;
  /** Messages that waited longer than their maximum wait, and messages not sent because their call had ended, since the node started. */
  let expired = 0;
  let skipped = 0;
  // Throttled, so a burst does not flood the editor (or cost a translation per message).
  const status = new StatusThrottle(show);

  function show(): void {
    const snapshot = account?.engine.snapshot(node);
    const view = snapshot ? currentView(snapshot, lastOutcome, priority) : lastOutcome;
    if (view === undefined) {
      node.status({});
      return;
    }
    const shown = texts.status(view);
    // Messages that waited too long or were skipped stay counted whatever happens next.
    let text = expired > 0 ? texts.text('status.with-expired', { status: shown, count: expired }) : shown;
    if (skipped > 0) text = texts.text('status.with-skipped', { status: text, count: skipped });
    node.status({ fill: view.fill, shape: view.shape, text });
    if (view.key === 'rate-limited') status.refreshIn(1000);
  }

  /** An outcome shows at once when nothing else waits; in a burst it waits its turn. */
  function settle(view: StatusView): void {
    lastOutcome = view;
    const snapshot = account?.engine.snapshot(node);
    if (snapshot && snapshot.queued + snapshot.inFlight > 0) status.request();
    else status.now();
  }

  status.now();
  const unsubscribe = account?.engine.subscribe(() => status.request());
  return {
    failed(error) {
      if (error instanceof ExpiredError) expired += 1;
      if (error instanceof CallEndedError) skipped += 1;
      settle(errorView(error));
    },
    succeeded: settle,
    stop() {
      status.stop();
      unsubscribe?.();
    },
  };
}

/** A message's request, ready for the account's engine. */
interface Prepared<Request> {
  request: Request;
  account: PlivoAccount;
  policy: TaskPolicy;
  /** Message fields the node's settings shadowed, for one warning. */
  ignored: string[];
}

/** A call node at work: each message read, prepared, sent and ended once, in the steps below. */
class CallNodeRun<Def extends CallNodeDef, Request> {
  private readonly errorOutput: boolean;
  private readonly typed: TypedSetting[];
  private readonly configNode: PlivoConfigNode | null;
  private readonly account: PlivoAccount | undefined;
  private readonly scheduling: Scheduling | InputError;
  private readonly status: CallNodeStatus;
  /** Typed settings may be read asynchronously (context stores, JSONata): chained, so messages keep their order. */
  private reading: Promise<void> = Promise.resolve();

  constructor(
    private readonly RED: NodeAPI, private readonly node: Node, private readonly texts: CallNodeTexts,
    private readonly def: Def, private readonly requests: CallNodeRequests<Def, Request>,
  ) {
    this.errorOutput = def.errorOutput === true;
    this.typed = typedSettings(def as unknown as Record<string, unknown>, requests.typedFields);
    this.configNode = def.account ? (RED.nodes.getNode(def.account) as PlivoConfigNode | null) : null;
    this.account = accountOf(this.configNode);
    try {
      this.scheduling = parseScheduling(def.priority, def.maxWait);
    } catch (error) {
      this.scheduling = error as InputError;
    }
    const initial: StatusView | undefined = !this.configNode ? { fill: 'red', shape: 'ring', key: 'no-account' }
      : !this.account ? { fill: 'red', shape: 'ring', key: 'account-error' }
        : this.scheduling instanceof InputError ? errorView(this.scheduling) : undefined;
    const priority = this.scheduling instanceof InputError ? undefined : this.scheduling.priority;
    this.status = callNodeStatus(node, texts, this.account, initial, priority);
  }

  /** A message arrives: its typed settings are read in its turn, then it is handled; it ends once, however that goes. */
  input(msg: NodeMessageInFlow, send: Send, done: Done): void {
    const end = messageEnd(this.RED, this.node, this.errorOutput, msg, send, done);
    if (this.typed.length === 0) {
      this.handle(msg, {}, end);
      return;
    }
    // Every message takes its turn, even one whose operation reads no typed setting: messages keep their order.
    const needed = this.typedFor(msg);
    // Each message's turn ends however it goes, so it cannot hold up or fail the next one.
    this.reading = this.reading.then(() => readAllTyped(this.RED, this.node, needed, msg))
      .then((values) => this.handle(msg, values, end))
      .catch((error: unknown) => this.fail(end, asError(error)));
  }

  /** The node closes: its status stops; requests in flight get a grace period, then are aborted. */
  close(done: () => void): void {
    this.status.stop();
    if (!this.account) {
      done();
      return;
    }
    const grace = Math.min(this.account.policy.limits.timeoutMs, CLOSE_GRACE_MS);
    void this.account.engine.close(this.node, grace).then(() => done());
  }

  /** The typed settings this message's request uses. */
  private typedFor(msg: NodeMessageInFlow): TypedSetting[] {
    const { fieldsFor } = this.requests;
    if (!fieldsFor || this.typed.length === 0) return this.typed;
    let fields: readonly string[] | undefined;
    try {
      fields = fieldsFor(this.def, (msg as unknown as Record<string, unknown>).payload);
    } catch {
      // An unreadable payload: the request builder names it.
      fields = undefined;
    }
    return fields === undefined ? this.typed : this.typed.filter((setting) => fields.includes(setting.field));
  }

  /** A message, its typed settings read: prepared, warned about what its settings shadowed, and sent; or ended as an error. */
  private handle(msg: NodeMessageInFlow, values: TypedValues, end: MessageEnd): void {
    let prepared: Prepared<Request>;
    try {
      prepared = this.prepare(msg, values);
    } catch (error) {
      this.fail(end, asError(error));
      return;
    }
    if (prepared.ignored.length > 0) this.node.warn(this.texts.text('warn.ignored', { fields: prepared.ignored.join(', ') }));
    const { resolve } = this.requests;
    if (!resolve) {
      this.send(end, prepared);
      return;
    }
    const { account: usable, policy } = prepared;
    resolve(usable, prepared.request, (send) => usable.engine.submit(this.node, policy, send))
      .then((request) => this.send(end, { ...prepared, request }))
      .catch((error: unknown) => this.fail(end, asError(error)));
  }

  /** The message's request, its account and its turn's policy; throws what is wrong with the message or the node. */
  private prepare(msg: NodeMessageInFlow, values: TypedValues): Prepared<Request> {
    const { scheduling } = this;
    if (scheduling instanceof InputError) throw scheduling;
    const fields = msg as unknown as Record<string, unknown>;
    const maxWait = readField(fields, 'maxWait', 'maxWait', 'msg.maxWait');
    const payload = readField(fields, 'payload', 'payload', 'msg.payload');
    const built = buildSafely(() => this.requests.build(this.def, payload, values));
    if (!this.configNode) throw new ConfigError(text('no-account'));
    const usable = this.configNode.account();
    const ignored = scheduling.maxWaitMs !== undefined && maxWait !== undefined ? [...built.ignoredFields, 'msg.maxWait'] : built.ignoredFields;
    return { request: built.request, account: usable, policy: taskPolicy(usable.policy.task, scheduling, maxWait), ignored };
  }

  /**
   * The request goes to the account's engine, unless its call is known to have ended. What Plivo
   * answers teaches the account: a hang-up ends the call; a 404 does only when it is Plivo's own
   * error answer and the request's 404 means the call is gone (CallSubject).
   */
  private send(end: MessageEnd, { request, account: usable, policy }: Prepared<Request>): void {
    const { requests } = this;
    const subject = requests.subject(request);
    const tracked = subject !== undefined && usable.skipEndedCalls ? subject : undefined;
    const ended = tracked?.skippedWhenEnded ? usable.endedCalls.get(tracked.callUuid, Date.now()) : undefined;
    if (tracked && ended) {
      this.fail(end, new CallEndedError(tracked.callUuid, ended));
      return;
    }
    const key = tracked?.skippedWhenEnded ? usable.endedCalls.keyOf(tracked.callUuid) : undefined;
    const sendPolicy = requests.atMostOnce(request) ? { ...policy, atMostOnce: true } : policy;
    // A message ends once (message-end.ts), so one catch serves the request's failure and anything after it.
    usable.engine.submit(this.node, sendPolicy, (signal) => requests.send(usable, request, signal), key)
      .then((response) => {
        if (tracked?.endsCall) learnEnded(usable, tracked.callUuid, 'hang-up');
        requests.accepted?.(usable, request);
        this.succeed(end, response, requests.succeeded(request));
      })
      .catch((error: unknown) => {
        if (tracked?.notFoundMeansEnded && error instanceof PlivoApiError && error.statusCode === 404 && isPlivoErrorAnswer(error.body)) {
          learnEnded(usable, tracked.callUuid, 'not-found');
        }
        this.fail(end, asError(error));
      });
  }

  /** Puts Plivo's answer into the message and sends it on; a message that cannot take it ends as an error saying so. */
  private succeed(end: MessageEnd, response: PlivoResponse, view: StatusView): void {
    const refusal = end.output((msg) => {
      msg.payload = response.body;
      msg.statusCode = response.statusCode;
    });
    if (refusal === undefined) this.status.succeeded(view);
    else this.fail(end, new OutcomeError(text('outcome-unwritable', { status: response.statusCode, reason: reasonOf(refusal.reason) })));
  }

  /** Ends a message as an error once (see message-end.ts), counting it in the status. */
  private fail(end: MessageEnd, error: Error): void {
    const statusCode = error instanceof PlivoApiError || error instanceof NotSentError ? error.statusCode : undefined;
    this.status.failed(error);
    end.error(error, statusCode);
  }
}
