/**
 * Node-RED glue: the headers an http response node sends with XML a node has just written. The
 * headers of a message are meant for the answer only when the flow set them: an http request
 * node's are the upstream server's (its cookies, its internal headers), and Node-RED's http
 * response node drops them only while they are exactly as that node left them, so a node that
 * adds a content type must not hand them on either.
 */

/** Node-RED's http request node marks the headers it got with this (21-httprequest.js); its http response node looks for it. */
const HTTP_REQUEST_MARKER = 'x-node-red-request-node';

/** Headers that describe a body or a connection: a new body written here makes them wrong. */
const BODY_HEADERS = new Set([
  'content-type', 'content-length', 'transfer-encoding', 'content-encoding', 'content-range', 'content-md5', 'etag', 'last-modified',
  'connection', 'keep-alive', 'trailer', 'upgrade',
]);

/**
 * The headers for an answer of `contentType`: the message's own, less those about another body
 * or connection; none of an http request node's. Throws what a hostile headers object throws.
 */
export function answerHeaders(headers: unknown, contentType: string): Record<string, unknown> {
  const answer: Record<string, unknown> = {};
  if (typeof headers === 'object' && headers !== null && !Array.isArray(headers) && !Object.prototype.hasOwnProperty.call(headers, HTTP_REQUEST_MARKER)) {
    for (const [name, value] of Object.entries(headers)) {
      if (!BODY_HEADERS.has(name.toLowerCase())) Object.defineProperty(answer, name, { value, enumerable: true, writable: true, configurable: true });
    }
  }
  answer['content-type'] = contentType;
  return answer;
}
