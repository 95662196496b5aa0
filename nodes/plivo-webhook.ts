/**
 * plivo-webhook: serves a path on Node-RED's http server (as `http in` does) and lets through
 * only requests Plivo signed for it with the account's Auth Token. Node-RED glue only: the
 * checks are in lib/webhook-request.ts and lib/webhook-signature.ts.
 */
import type { NodeAPI, Node, NodeDef } from 'node-red';
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import type { PlivoConfigNode } from './plivo-config';
import { calledUrl, checkWebhook, parsePublicUrl, payloadOf, readBody, WarningLimiter, type RejectReason } from './lib/webhook/request';
import { NonceCache, type WebhookMethod } from './lib/webhook/signature';

interface PlivoWebhookDef extends NodeDef {
  account?: string;
  url?: string;
  method?: string;
  publicUrl?: string;
  answerXml?: string;
}

/** The form body: read here, or as a body parser installed before this node's route left it. */
function bodyOf(req: Request): Promise<string | undefined> {
  const parsed = (req as Request & { _body?: boolean }).body as unknown;
  if (!(req as Request & { _body?: boolean })._body && !req.readableEnded) return readBody(req);
  if (typeof parsed === 'string' || Buffer.isBuffer(parsed)) return Promise.resolve(parsed.toString());
  const pairs = Object.entries((parsed ?? {}) as Record<string, unknown>)
    .flatMap(([name, value]) => [value].flat().map((one) => [name, String(one)]));
  return Promise.resolve(new URLSearchParams(pairs).toString());
}

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
    const answerXml = (def.answerXml ?? '').trim();
    const configNode = def.account ? (RED.nodes.getNode(def.account) as PlivoConfigNode | null) : null;
    const nonces = new NonceCache();
    const warnings = new WarningLimiter();
    const counts = { accepted: 0, rejected: 0 };
    const showCounts = () => node.status({
      fill: counts.rejected > 0 ? 'yellow' : 'green',
      shape: 'dot',
      text: t('status.counts', counts),
    });
    node.status(configNode ? {} : { fill: 'red', shape: 'ring', text: 'plivo-webhook.status.no-account' });

    const reject = (res: Response, reason: RejectReason | 'no-token', detail = '') => {
      counts.rejected += 1;
      showCounts();
      warnings.offer(Date.now(), (heldBack) => node.warn(t(`reject.${reason}`, { path, detail })
        + (heldBack > 0 ? ` ${t('reject.held-back', { count: heldBack })}` : '')));
      if (reason === 'no-token') res.status(500).type('text/plain').send('Webhook not configured');
      else res.status(403).type('text/plain').send('Forbidden');
    };

    const handle = async (req: Request, res: Response) => {
      let token: string;
      try {
        if (!configNode) throw new Error(t('errors.no-account'));
        token = configNode.signingToken();
      } catch (error) {
        req.resume();
        reject(res, 'no-token', (error as Error).message);
        return;
      }
      const body = method === 'POST' ? await bodyOf(req) : '';
      if (body === undefined) {
        reject(res, 'body-too-large');
        return;
      }
      const header = (name: string) => {
        const value = req.headers[name];
        return Array.isArray(value) ? value.join(',') : value;
      };
      const check = checkWebhook({
        method,
        url: calledUrl(publicUrl, req.protocol, req.headers.host, req.originalUrl),
        signatures: header('x-plivo-signature-v3'),
        nonce: header('x-plivo-signature-v3-nonce'),
        body,
      }, token, nonces, Date.now());
      if ('reason' in check) {
        reject(res, check.reason);
        return;
      }
      counts.accepted += 1;
      showCounts();
      Object.defineProperty(req, 'headers', { value: req.headers, enumerable: true });
      const msg: Record<string, unknown> = { _msgid: RED.util.generateId(), req, payload: payloadOf(check.params) };
      if (answerXml) res.status(200).type('application/xml').send(answerXml);
      else msg.res = { _res: res };
      node.send(msg);
    };
    const handler: RequestHandler = (req, res, next: NextFunction) => {
      handle(req, res).catch(next);
    };
    const middleware = RED.settings.httpNodeMiddleware as RequestHandler | RequestHandler[] | undefined;
    const before = typeof middleware === 'function' || Array.isArray(middleware) ? [middleware].flat() : [];
    const route = method === 'GET' ? RED.httpNode.get.bind(RED.httpNode) : RED.httpNode.post.bind(RED.httpNode);
    route(path, ...before, handler);

    node.on('close', () => {
      const stack = (RED.httpNode as unknown as { _router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> } })._router.stack;
      for (let i = stack.length - 1; i >= 0; i -= 1) {
        const layer = stack[i].route;
        if (layer && layer.path === path && layer.methods[method.toLowerCase()]) stack.splice(i, 1);
      }
    });
  }

  RED.nodes.registerType('plivo-webhook', PlivoWebhook);
}
