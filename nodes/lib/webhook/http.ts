/** The webhook's HTTP side that needs no Node-RED: the request's body and headers, and what a refusal answers. */
import type { Request } from 'express';
import { readBody, type BodyRead, type RejectReason } from './request';

export type RefusalReason = RejectReason | 'no-token' | 'failed' | 'body-parsed' | 'bad-signature-parsed';

/** What the sender is told: the status and a word, never the reason (that goes to the log). */
const ANSWERS: Partial<Record<RefusalReason, [number, string]>> = {
  'no-token': [500, 'Webhook not configured'],
  failed: [500, 'Internal Server Error'],
  'body-parsed': [500, 'Webhook not configured'],
  'bad-host': [400, 'Bad Request'],
  'bad-scheme': [400, 'Bad Request'],
  'body-too-large': [413, 'Payload Too Large'],
  'too-many-parameters': [413, 'Payload Too Large'],
  'body-timeout': [408, 'Request Timeout'],
  busy: [503, 'Service Unavailable'],
};

export function refusalAnswer(reason: RefusalReason): [number, string] {
  return ANSWERS[reason] ?? [403, 'Forbidden'];
}

/** A body as the webhook checks it; `parsedElsewhere` when a parser before the node had read it. */
export type WebhookBody = { body: string; parsedElsewhere: boolean } | { reason: 'body-too-large' | 'body-timeout' | 'body-parsed' };

const isFlat = (value: unknown) => typeof value === 'string' || (Array.isArray(value) && value.every((one) => typeof one === 'string'));

/**
 * The form body: read here, as Plivo sent it. When a body parser installed before the node's
 * route (httpNodeMiddleware, say) has read it, its raw text if it kept one, else its flat fields
 * written back as a form; nested fields (an extended parser's `Digits[0]`) cannot be turned back
 * into what Plivo signed, and are refused as such.
 */
export async function bodyOf(req: Request): Promise<WebhookBody> {
  const parsedBy = req as Request & { _body?: boolean; rawBody?: unknown };
  if (!parsedBy._body && !req.readableEnded) {
    const read: BodyRead = await readBody(req);
    return 'reason' in read ? read : { body: read.body, parsedElsewhere: false };
  }
  const raw = parsedBy.rawBody;
  if (typeof raw === 'string' || Buffer.isBuffer(raw)) return { body: raw.toString(), parsedElsewhere: true };
  const parsed = req.body as unknown;
  if (typeof parsed === 'string' || Buffer.isBuffer(parsed)) return { body: parsed.toString(), parsedElsewhere: true };
  const fields = Object.entries((parsed ?? {}) as Record<string, unknown>);
  if (!fields.every(([, value]) => isFlat(value))) return { reason: 'body-parsed' };
  const pairs = fields.flatMap(([name, value]) => [value as string | string[]].flat().map((one) => [name, one]));
  return { body: new URLSearchParams(pairs).toString(), parsedElsewhere: true };
}

/** A header as one string (repeated ones joined, as Node joins most). */
export function headerOf(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}
