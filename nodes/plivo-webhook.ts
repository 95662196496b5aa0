/**
 * plivo-webhook: serves a path on Node-RED's http server (as `http in` does) and lets through
 * only requests Plivo signed for this node's URL with the account's Auth Token, each once.
 * Node-RED glue only: the checks are in lib/webhook/.
 */
import type { NodeAPI, Node, NodeDef } from 'node-red';
import type { Request, Response, RequestHandler } from 'express';
import type { PlivoConfigNode, WebhookNode } from './shared/deployed-nodes';
import { StatusThrottle } from './lib/status-throttle';
import {
  checkedBase, checkWebhook, MAX_BODY_BYTES, parsePublicUrl, payloadOf, queryOf, routePath, signatureHeaders, WarningLimiter,
} from './lib/webhook/request';
import { endedByWebhook } from './lib/plivo/ended-calls';
import type { PlivoAccount } from './lib/plivo/account';
import { bodyOf, headerOf, refusalAnswer, type RefusalReason, type WebhookBody } from './lib/webhook/http';
import { rememberCheckedBase } from './lib/webhook/checked-bases';
import { stepPastEditor } from './shared/webhook-front-door';
import type { WebhookMethod } from './lib/webhook/signature';

interface PlivoWebhookDef extends NodeDef {
  account?: string;
  url?: string;
  method?: string;
  publicUrl?: string;
  answerXml?: string;
}

/** Bodies one webhook node reads at once at most: Plivo's arrive in milliseconds, a few at a time. */
const MAX_READING = 64;

export default function register(RED: NodeAPI): void {
  function PlivoWebhook(this: Node, def: PlivoWebhookDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const t = (key: string, params?: Record<string, string | number>) => RED._(`plivo-webhook.${key}`, params);
    if (RED.settings.httpNodeRoot === false) {
      node.warn(t('errors.no-http'));
      node.status({ fill: 'red', shape: 'ring', text: 'plivo-webhook.status.no-http' });
      return;
    }
    const path = `/${(def.url ?? '').trim().replace(/^\/+/, '')}`;
    if (path === '/') {
      node.warn(t('errors.no-path'));
      node.status({ fill: 'red', shape: 'ring', text: 'plivo-webhook.status.no-path' });
      return;
    }
    const method: WebhookMethod = def.method === 'get' ? 'GET' : 'POST';
    let publicUrl: string | undefined;
    try {
      publicUrl = parsePublicUrl(def.publicUrl);
    } catch (error) {
      node.error((error as Error).message);
      node.status({ fill: 'red', shape: 'ring', text: 'plivo-webhook.status.bad-public-url' });
      return;
    }
    const route = routePath(RED.settings.httpNodeRoot, path);
    // What plivo call and plivo xml write when a URL names this node: a Host stands in only where a signature checked it.
    (node as WebhookNode).webhookUrl = (checked) => {
      const base = publicUrl ?? checked;
      return base === undefined ? undefined : `${base}${route}`;
    };
    (node as WebhookNode).webhookMethod = method;
    const answerXml = (def.answerXml ?? '').trim();
    const configNode = def.account ? (RED.nodes.getNode(def.account) as PlivoConfigNode | null) : null;
    const warnings = new WarningLimiter();
    const counts = { accepted: 0, rejected: 0 };
    const status = new StatusThrottle(() => node.status({
      fill: counts.rejected > 0 ? 'yellow' : 'green',
      shape: 'dot',
      text: t('status.counts', counts),
    }));
    node.status(configNode ? {} : { fill: 'red', shape: 'ring', text: 'plivo-webhook.status.no-account' });

    const refuse = (res: Response, reason: RefusalReason, detail = '') => {
      counts.rejected += 1;
      status.request();
      warnings.offer(Date.now(), (heldBack) => node.warn(t(`reject.${reason}`, { path, detail })
        + (heldBack > 0 ? ` ${t('reject.held-back', { count: heldBack })}` : '')));
      if (res.headersSent) return;
      const [code, word] = refusalAnswer(reason);
      // Closed, not kept alive: whatever the sender still has of its body is never read.
      res.set('Connection', 'close').status(code).type('text/plain').send(word);
    };

    /** Bodies being read for this node now: past MAX_READING, a request is refused before its body is touched. */
    let reading = 0;

    const handle = async (req: Request, res: Response) => {
      let plivoAccount: PlivoAccount;
      try {
        if (!configNode) throw new Error(t('errors.no-account'));
        plivoAccount = configNode.account();
      } catch (error) {
        refuse(res, 'no-token', (error as Error).message);
        return;
      }
      const headers = signatureHeaders(
        headerOf(req, 'x-plivo-signature-v3'), headerOf(req, 'x-plivo-signature-ma-v3'), headerOf(req, 'x-plivo-signature-v3-nonce'));
      if ('reason' in headers) {
        refuse(res, headers.reason);
        return;
      }
      const base = checkedBase({ publicUrl, protocol: req.protocol, host: req.headers.host });
      if (typeof base !== 'string') {
        refuse(res, base.reason);
        return;
      }
      const url = `${base}${route}${queryOf(req.originalUrl)}`;
      let read: WebhookBody = { body: '', parsedElsewhere: false };
      if (method === 'POST') {
        // A body announced as too large is refused before a byte of it is read.
        if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
          refuse(res, 'body-too-large');
          return;
        }
        if (reading >= MAX_READING) {
          refuse(res, 'busy');
          return;
        }
        reading += 1;
        try {
          read = await bodyOf(req);
        } finally {
          reading -= 1;
        }
      }
      if ('reason' in read) {
        refuse(res, read.reason);
        return;
      }
      const check = await checkWebhook({ method, url, headers, body: read.body }, plivoAccount.webhook, Date.now());
      if ('reason' in check) {
        refuse(res, check.reason === 'bad-signature' && read.parsedElsewhere ? 'bad-signature-parsed' : check.reason);
        return;
      }
      counts.accepted += 1;
      status.request();
      Object.defineProperty(req, 'headers', { value: req.headers, enumerable: true });
      rememberCheckedBase(req, base);
      const payload = payloadOf(check.params);
      // Plivo's hangup callback: the account skips whatever is still queued for the call (plivo/ended-calls.ts).
      const endedCall = endedByWebhook(payload);
      if (endedCall !== undefined) {
        const now = Date.now();
        plivoAccount.endedCalls.end(endedCall, { at: now, by: 'webhook' }, now);
      }
      // A conference callback: who entered or left which room, so plivo conference can name members by call.
      plivoAccount.members.heard(payload, Date.now());
      const msg: Record<string, unknown> = { _msgid: RED.util.generateId(), req, payload };
      // A call this runtime placed: the flow that answers it gets what the placing message kept; its hangup settles the outcome.
      const placed = await plivoAccount.placed.heardAnywhere(payload);
      if (placed && typeof placed.placed === 'string') msg.placed = JSON.parse(placed.placed);
      if (answerXml) res.status(200).type('application/xml').send(answerXml);
      else msg.res = { _res: res };
      node.send(msg);
    };
    const handler: RequestHandler = (req, res) => {
      handle(req, res).catch((error: Error) => refuse(res, 'failed', error.message));
    };
    const middleware = RED.settings.httpNodeMiddleware as RequestHandler | RequestHandler[] | undefined;
    const before = typeof middleware === 'function' || Array.isArray(middleware) ? [middleware].flat() : [];
    const routeOn = method === 'GET' ? RED.httpNode.get.bind(RED.httpNode) : RED.httpNode.post.bind(RED.httpNode);
    routeOn(path, ...before, handler);
    const leaveEditor = stepPastEditor(RED, method, route);

    node.on('close', () => {
      status.stop();
      leaveEditor?.();
      const stack = (RED.httpNode as unknown as { _router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> } })._router.stack;
      for (let i = stack.length - 1; i >= 0; i -= 1) {
        const layer = stack[i].route;
        if (layer && layer.path === path && layer.methods[method.toLowerCase()]) stack.splice(i, 1);
      }
    });
  }

  RED.nodes.registerType('plivo-webhook', PlivoWebhook);
}
