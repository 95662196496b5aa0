/**
 * plivo-make-call: places a call to each destination a message names (Plivo's Make a call),
 * started at the account's calls per second and under its cap of live calls, and sends on
 * output 1 each placed call, on output 2 each call's outcome once its hangup reaches a plivo
 * webhook node of the account. Node-RED glue only: requests in lib/call/make-call-request.ts,
 * pacing in the account's calls engine, outcomes in lib/plivo/placed-calls.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import {
  asError, CancelledError, ConfigError, InputError, NoOutcomeError, NotSentError, PlivoApiError, reasonOf,
} from './lib/common/errors';
import { text } from './lib/common/messages';
import { readField, type TypedValues } from './lib/call/fields';
import {
  buildMakeCall, callBody, longestCallMs, MAKE_CALL_TYPED_FIELDS, MAKE_CALL_URL_FIELDS, type MakeCallRequest,
} from './lib/call/make-call-request';
import { parseScheduling, taskPolicy, type Scheduling } from './lib/call/scheduling';
import type { TaskPolicy } from './lib/limit/engine-types';
import { LeaseRefusedError } from './lib/limit/leases';
import { typedSettings } from './lib/call/typed-source';
import { parseCampaign, parseKeep, keptOf, type Kept } from './lib/call/placing';
import type { CallOutcome } from './lib/plivo/placed-calls';
import type { PlivoAccount } from './lib/plivo/account';
import { StatusThrottle } from './lib/status-throttle';
import type { PlivoConfigNode } from './shared/deployed-nodes';
import { runtimeTexts } from './shared/runtime-texts';
import { readAllTyped, webhookTarget } from './shared/typed-read';

interface PlivoMakeCallDef extends NodeDef, Record<string, unknown> {
  account?: string;
  priority?: unknown;
  maxWait?: unknown;
  /** msg properties kept for the answer flows (msg.placed), comma-separated. */
  keep?: unknown;
}

/** Requests in flight at close get this long, then are aborted (inside Node-RED's 15 s close timeout). */
const CLOSE_GRACE_MS = 10_000;

/** A URL field's method field: answer_url's is answer_method. */
const methodOf = (urlField: string) => urlField.replace(/_url$/, '_method');

export default function register(RED: NodeAPI): void {
  const t = runtimeTexts(RED);

  function PlivoMakeCall(this: Node, def: PlivoMakeCallDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const typed = typedSettings(def, [...MAKE_CALL_TYPED_FIELDS, 'campaign']);
    const webhookFields = typed.filter((setting) => setting.type === 'plivo-webhook');
    const configNode = def.account ? (RED.nodes.getNode(def.account) as PlivoConfigNode | null) : null;
    let account: PlivoAccount | undefined;
    let setup: Error | undefined;
    let scheduling: Scheduling | undefined;
    let keep: string[] = [];
    /** The campaign set in the node (a typed one is read per message). */
    let fixedCampaign = '';
    try {
      scheduling = parseScheduling(def.priority, def.maxWait);
      keep = parseKeep(def.keep);
      if (!typed.some((setting) => setting.field === 'campaign')) fixedCampaign = parseCampaign(def.campaign ?? '', text('node-setting', { field: 'campaign' }));
      if (!configNode) throw new ConfigError(text('no-account'));
      account = configNode.account();
    } catch (error) {
      setup = asError(error);
    }
    const counts = { queued: 0, done: 0 };
    /** This node's placed calls still waiting for their outcome. */
    let awaiting = 0;
    /** Campaign keys this node queued calls under, for msg.cancel = true. */
    const campaignKeys = new Set<string>();
    const status = new StatusThrottle(() => {
      if (setup) {
        node.status({ fill: 'red', shape: 'ring', text: setup instanceof ConfigError ? t('status.account-error') : t('status.error') });
        return;
      }
      const live = account?.live;
      const atCap = live?.capacity !== undefined && live.room() === 0;
      node.status({
        fill: counts.queued > 0 ? 'blue' : 'green',
        shape: awaiting > 0 ? 'ring' : 'dot',
        text: t(atCap ? 'status.calls-waiting' : 'status.calls', { queued: counts.queued, live: awaiting, done: counts.done }),
      });
    });
    if (setup) status.now();

    /** An error with a message for Catch nodes; one Node-RED cannot copy is logged, naming the node. */
    const reportError = (msg: NodeMessageInFlow, error: Error) => {
      try {
        node.error(error, msg);
      } catch (copying) {
        node.error(text('message-unusable', { error: String(error), reason: reasonOf(copying) }));
      }
    };
    /** Ends a message once: done, or done with its error (to Catch nodes, with the message). */
    const endWith = (done: (error?: Error) => void, error?: Error) => {
      try {
        done(error);
      } catch (copying) {
        node.error(text('message-unusable', { error: String(error), reason: reasonOf(copying) }));
      }
    };

    /** An outcome of a call this node placed (after a redeploy too: by node id). */
    const onOutcome = (data: unknown, outcome: CallOutcome | undefined, requestUuid: string) => {
      const { msg, waitedMinutes } = data as { msg: NodeMessageInFlow; waitedMinutes: number };
      awaiting = Math.max(0, awaiting - 1);
      counts.done += 1;
      status.request();
      if (outcome === undefined) {
        reportError(msg, new NoOutcomeError(requestUuid, waitedMinutes));
        return;
      }
      try {
        msg.payload = outcome;
        node.send([null, msg as NodeMessage]);
      } catch (error) {
        reportError(msg, asError(error));
      }
    };
    account?.placed.adopt(node.id, onOutcome);

    /** The method Plivo is to use for each URL that names a plivo webhook node, as that node checks signatures. */
    function webhookMethods(msg: NodeMessageInFlow): TypedValues {
      const methods: TypedValues = {};
      for (const setting of webhookFields) {
        if (!(MAKE_CALL_URL_FIELDS as readonly string[]).includes(setting.field)) continue;
        const target = webhookTarget(RED, setting, msg);
        methods[methodOf(setting.field)] = { value: target.method, where: setting.where };
      }
      return methods;
    }

    /**
     * One destination's call, in the account's calls engine; resolves with why it was not placed, or undefined once it was.
     * `copy`: a copy of `msg` made for this one destination (the message names one): the outcome's, while `msg` itself goes on placed.
     */
    function placeOne(usable: PlivoAccount, request: MakeCallRequest, to: string, msg: NodeMessageInFlow, copy: NodeMessageInFlow | undefined,
      kept: Kept, campaign: string, policy: TaskPolicy): Promise<Error | undefined> {
      const lease = `placing:${randomUUID()}`;
      const queuedAt = Date.now();
      const key = `${node.id} ${campaign}`;
      campaignKeys.add(key);
      counts.queued += 1;
      status.request();
      const body = callBody(request, to);
      const placing = usable.calls.submit(node, { ...policy, atMostOnce: true }, async (signal) => {
        if (!usable.placed.hasRoom()) throw new NotSentError(text('placed-full', { count: usable.placed.size, to }));
        // Live from the moment it may reach Plivo: released if it never does, named by Plivo's answer if it does.
        // Refused when other Node-RED instances took the last room meanwhile: it waits for room again, unsent.
        if (!await usable.live.acquire(lease, Date.now() + longestCallMs(request, 0))) throw new LeaseRefusedError();
        return usable.client.request('POST', 'Call/', { json: body, signal });
      }, key);
      return placing.then((response) => {
        const answer = response.body as { request_uuid?: unknown; message?: unknown; api_id?: unknown } | undefined;
        const requestUuid = typeof answer?.request_uuid === 'string' ? answer.request_uuid.toLowerCase() : undefined;
        if (requestUuid === undefined) throw new PlivoApiError(text('no-request-uuid'), { statusCode: response.statusCode, body: response.body });
        const expiresAt = Date.now() + longestCallMs(request, Date.now() - queuedAt);
        usable.live.rename(lease, requestUuid, expiresAt);
        const placedMsg = copy ? msg : RED.util.cloneMessage(msg);
        const outcomeMsg = copy ?? RED.util.cloneMessage(msg);
        usable.placed.place(requestUuid, node.id, { msg: outcomeMsg, waitedMinutes: Math.round((expiresAt - queuedAt) / 60_000) }, kept, expiresAt, campaign);
        awaiting += 1;
        placedMsg.payload = { request_uuid: requestUuid, to, message: answer?.message, api_id: answer?.api_id };
        (placedMsg as unknown as { statusCode: number }).statusCode = response.statusCode;
        node.send([placedMsg, null]);
        return undefined;
      }).catch((error: unknown) => {
        usable.live.release(lease);
        counts.done += 1;
        return asError(error);
      }).finally(() => {
        counts.queued -= 1;
        status.request();
      });
    }

    /** A message's destinations have each been placed or not: it ends once (several: each failure reported with its own copy). */
    function ended(msg: NodeMessageInFlow, done: (error?: Error) => void, failures: Array<[string, Error]>, multiple: boolean): void {
      if (!multiple) {
        endWith(done, failures[0]?.[1]);
        return;
      }
      for (const [to, error] of failures) {
        const shown = Object.assign(new Error(text('destination-failed', { to, reason: error.message })), {
          name: error.name, code: (error as { code?: unknown }).code,
        });
        reportError(RED.util.cloneMessage(msg), shown);
      }
      done();
    }

    /** msg.cancel: this node's calls not yet placed end unsent; those Plivo holds (queued or ringing) are cancelled there. */
    function cancel(usable: PlivoAccount, value: unknown): void {
      let campaign: string | undefined;
      if (value !== true) {
        try {
          campaign = parseCampaign(value, 'msg.cancel');
        } catch {
          throw new InputError('cancel', value, 'cancel-invalid');
        }
      }
      const keys = campaign === undefined ? [...campaignKeys] : [`${node.id} ${campaign}`];
      for (const key of keys) usable.calls.drop(key, () => new CancelledError());
      for (const requestUuid of usable.placed.unanswered(node.id, campaign)) {
        usable.engine.submit(node, { ...usable.policy.task, atMostOnce: true, priority: 'high' },
          (signal) => usable.client.request('DELETE', `Request/${requestUuid}/`, { signal }))
          // Plivo's 404: it has started or ended meanwhile; its hangup tells the outcome either way.
          .catch(() => undefined);
      }
    }

    /** Typed settings are read in message order. */
    let reading: Promise<void> = Promise.resolve();

    node.on('input', (msg, _send, done) => {
      // Only reading and queueing are chained (messages keep their order); placing goes on in the account's calls engine.
      reading = reading.then(async () => {
        if (setup) throw setup;
        const usable = account as PlivoAccount;
        const fields = msg as unknown as Record<string, unknown>;
        const cancelValue = readField(fields, 'cancel', 'cancel', 'msg.cancel');
        if (cancelValue !== undefined && cancelValue !== false) {
          cancel(usable, cancelValue);
          done();
          return;
        }
        const values = await readAllTyped(RED, node, typed, msg);
        const payload = readField(fields, 'payload', 'payload', 'msg.payload');
        let built;
        try {
          built = buildMakeCall(def, payload, { ...values, ...webhookMethods(msg) });
        } catch (error) {
          if (error instanceof InputError) throw error;
          throw new InputError('payload', undefined, 'unreadable', { where: 'msg.payload', reason: reasonOf(error) });
        }
        const campaign = values.campaign === undefined ? fixedCampaign : parseCampaign(values.campaign.value, values.campaign.where);
        const kept = keptOf(msg, keep);
        const policy = taskPolicy(usable.policy.task, scheduling as Scheduling, readField(fields, 'maxWait', 'maxWait', 'msg.maxWait'));
        // Each outcome is a copy (and with several destinations each placed call): a message that cannot be copied is refused before any call is placed.
        const copy = RED.util.cloneMessage(msg);
        if (built.ignoredFields.length > 0) node.warn(t('warn.ignored', { fields: built.ignoredFields.join(', ') }));
        const { request } = built;
        const { destinations } = request;
        const single = destinations.length === 1 ? copy : undefined;
        void Promise.all(destinations.map((to) => placeOne(usable, request, to, msg, single, kept, campaign, policy).then((error) => [to, error] as const)))
          .then((results) => ended(msg, done, results.filter((result): result is [string, Error] => result[1] !== undefined), destinations.length > 1));
      }).catch((error: unknown) => {
        counts.done += 1;
        status.request();
        endWith(done, asError(error));
      });
    });

    node.on('close', (done: () => void) => {
      status.stop();
      if (!account) {
        done();
        return;
      }
      account.placed.leave(node.id, onOutcome);
      void account.calls.close(node, Math.min(account.policy.limits.timeoutMs, CLOSE_GRACE_MS))
        .then(() => account?.engine.close(node, CLOSE_GRACE_MS)).then(() => done());
    });
  }

  RED.nodes.registerType('plivo-make-call', PlivoMakeCall);
}
