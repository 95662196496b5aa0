/** The webhook's HTTP side that needs no Node-RED: the request's body and headers, and what a refusal answers. */
import type { Request } from 'express';
import { readBody, type RejectReason } from './request';

export type RefusalReason = RejectReason | 'no-token' | 'failed';

/** What the sender is told: the status and a word, never the reason (that goes to the log). */
const ANSWERS: Partial<Record<RefusalReason, [number, string]>> = {
  'no-token': [500, 'Webhook not configured'],
  failed: [500, 'Internal Server Error'],
  'bad-host': [400, 'Bad Request'],
  'bad-scheme': [400, 'Bad Request'],
  'body-too-large': [413, 'Payload Too Large'],
};

export function refusalAnswer(reason: RefusalReason): [number, string] {
  return ANSWERS[reason] ?? [403, 'Forbidden'];
}

/** The form body: read here, or as a body parser installed before the node's route left it. */
export function bodyOf(req: Request): Promise<string | undefined> {
  const parsed = (req as Request & { _body?: boolean }).body as unknown;
  if (!(req as Request & { _body?: boolean })._body && !req.readableEnded) return readBody(req);
  if (typeof parsed === 'string' || Buffer.isBuffer(parsed)) return Promise.resolve(parsed.toString());
  const pairs = Object.entries((parsed ?? {}) as Record<string, unknown>)
    .flatMap(([name, value]) => [value].flat().map((one) => [name, String(one)]));
  return Promise.resolve(new URLSearchParams(pairs).toString());
}

/** A header as one string (repeated ones joined, as Node joins most). */
export function headerOf(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}
