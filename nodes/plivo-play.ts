/** plivo-play: plays audio into (or stops audio on) a live Plivo call and sends Plivo's answer on. */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { ConfigError, InputError, NotSentError, PlivoApiError } from './lib/plivo/errors';
import { text, useTranslator } from './lib/plivo/messages';
import { buildCallRequest, type CallRequest, type PlaySettings, type TypedValues } from './lib/call/play-request';
import { currentView, errorView, successView, type StatusView } from './lib/call/status';
import { typedSettings, type TypedSetting } from './lib/call/typed-source';
import { StatusThrottle } from './lib/status-throttle';
import type { PlivoAccount, PlivoConfigNode } from './plivo-config';

interface PlivoPlayDef extends NodeDef, PlaySettings {
  account?: string;
  errorOutput?: boolean;
}

type Send = (msg: NodeMessage | Array<NodeMessage | null>) => void;
type Done = (error?: Error) => void;

/** Requests in flight at close get this long (inside Node-RED's 15 s close timeout), then are aborted. */
const CLOSE_GRACE_MS = 10_000;

export default function register(RED: NodeAPI): void {
  /** Status texts without parameters, translated once: the runtime's language does not change. */
  const fixedTexts = new Map<string, string>();
  function statusText(view: StatusView): string {
    const key = `plivo-play.status.${view.key}`;
    if (view.params) return RED._(key, view.params);
    let text = fixedTexts.get(key);
    if (text === undefined) {
      text = RED._(key);
      fixedTexts.set(key, text);
    }
    return text;
  }

  useTranslator((key, params) => {
    const full = `plivo-play.errors.${key}`;
    const translated = RED._(full, params);
    return translated === full || translated.endsWith(`:${full}`) ? undefined : translated;
  });

  function PlivoPlay(this: Node, def: PlivoPlayDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const settings: PlaySettings = {
      action: def.action,
      callUuid: def.callUuid,
      urls: def.urls,
      legs: def.legs,
      loop: def.loop,
      mix: def.mix,
      length: def.length,
    };
    const typed = typedSettings(def as unknown as Record<string, unknown>);
    const errorOutput = def.errorOutput === true;
    const configNode = def.account ? (RED.nodes.getNode(def.account) as PlivoConfigNode | null) : null;
    let account: PlivoAccount | undefined;
    try {
      account = configNode?.account();
    } catch {
      account = undefined;
    }

    let lastOutcome: StatusView | undefined;
    if (!configNode) lastOutcome = { fill: 'red', shape: 'ring', key: 'no-account' };
    else if (!account) lastOutcome = { fill: 'red', shape: 'ring', key: 'account-error' };
    // Throttled, so a burst does not flood the editor (or cost a translation per message).
    const status = new StatusThrottle(showStatus);

    function showStatus(): void {
      const snapshot = account?.engine.snapshot(node);
      const view = snapshot ? currentView(snapshot, lastOutcome) : lastOutcome;
      if (view === undefined) {
        node.status({});
        return;
      }
      node.status({ fill: view.fill, shape: view.shape, text: statusText(view) });
      if (view.key === 'rate-limited') status.refreshIn(1000);
    }

    /** An outcome shows at once when nothing else waits; in a burst it waits its turn. */
    function settleStatus(view: StatusView): void {
      lastOutcome = view;
      const snapshot = account?.engine.snapshot(node);
      if (snapshot && snapshot.queued + snapshot.inFlight > 0) status.request();
      else status.now();
    }

    status.now();
    const unsubscribe = account?.engine.subscribe(() => status.request());

    function fail(msg: NodeMessageInFlow, error: Error, send: Send, done: Done): void {
      const statusCode = error instanceof PlivoApiError || error instanceof NotSentError ? error.statusCode : undefined;
      if (statusCode !== undefined) msg.statusCode = statusCode;
      settleStatus(errorView(error));
      if (!errorOutput) {
        done(error);
        return;
      }
      msg.error = statusCode === undefined ? { message: String(error) } : { message: String(error), statusCode };
      send([null, msg]);
      done();
    }

    function requireAccount(): PlivoAccount {
      if (!configNode) {
        throw new ConfigError(text('no-account'));
      }
      return configNode.account();
    }

    function call({ client }: PlivoAccount, request: CallRequest, signal: AbortSignal) {
      return request.action === 'play'
        ? client.play(request.callUuid, request.body, signal)
        : client.stopPlay(request.callUuid, signal);
    }

    /**
     * Reads one typed setting with Node-RED's own evaluation (context stores and JSONata included).
     * A msg path through a missing object (a TypeError) and an unset environment variable ('') have no value.
     */
    function readTyped(setting: TypedSetting, msg: NodeMessageInFlow): Promise<unknown> {
      return new Promise((resolve, reject) => {
        const settle = (error: unknown, value?: unknown) => {
          if (setting.type === 'msg' && error instanceof TypeError) resolve(undefined);
          else if (error) reject(error);
          else resolve(setting.type === 'env' && value === '' ? undefined : value);
        };
        try {
          RED.util.evaluateNodeProperty(setting.value, setting.type, node, msg, settle);
        } catch (error) {
          settle(error);
        }
      });
    }

    async function readAllTyped(msg: NodeMessageInFlow): Promise<TypedValues> {
      const values: TypedValues = {};
      for (const setting of typed) {
        try {
          values[setting.field] = { value: await readTyped(setting, msg), where: setting.where };
        } catch (error) {
          // JSONata throws plain objects with a message, not Errors.
          const message = (error as { message?: unknown } | undefined)?.message;
          const reason = typeof message === 'string' ? message : String(error);
          throw new InputError(setting.field, undefined, 'typed-failed', { where: setting.where, field: setting.field, reason });
        }
      }
      return values;
    }

    function handle(msg: NodeMessageInFlow, values: TypedValues, send: Send, done: Done): void {
      let built;
      let usable: PlivoAccount;
      try {
        built = buildCallRequest(settings, msg.payload, values);
        usable = requireAccount();
      } catch (error) {
        fail(msg, error as Error, send, done);
        return;
      }
      if (built.ignoredFields.length > 0) {
        node.warn(RED._('plivo-play.warn.ignored', { fields: built.ignoredFields.join(', ') }));
      }
      const { request } = built;
      usable.engine.submit(node, usable.policy.task, (signal) => call(usable, request, signal)).then(
        (response) => {
          msg.payload = response.body;
          msg.statusCode = response.statusCode;
          settleStatus(successView(request.action));
          send(errorOutput ? [msg, null] : msg);
          done();
        },
        (error: Error) => fail(msg, error, send, done),
      );
    }

    /** Typed settings may be read asynchronously (context stores, JSONata): chained, so messages keep their order. */
    let reading: Promise<void> = Promise.resolve();

    node.on('input', (msg, send, done) => {
      if (typed.length === 0) {
        handle(msg, {}, send, done);
        return;
      }
      reading = reading.then(() => readAllTyped(msg)).then(
        (values) => handle(msg, values, send, done),
        (error: Error) => fail(msg, error, send, done),
      );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      status.stop();
      unsubscribe?.();
      if (!account) {
        done();
        return;
      }
      const grace = Math.min(account.policy.limits.timeoutMs, CLOSE_GRACE_MS);
      void account.engine.close(node, grace).then(() => done());
    });
  }

  RED.nodes.registerType('plivo-play', PlivoPlay);
}
