/**
 * The base (Public URL, or scheme and Host) a plivo webhook's signature checked for each request
 * it accepted. A URL written for Plivo may take its scheme and Host from the request a message
 * answers only through here: an `http in` node's request, or a copy of a request object, is
 * not in it, so a Host header nobody checked never chooses where Plivo goes next.
 *
 * Keyed by the request object itself, which Node-RED passes along by reference (cloneMessage
 * copies everything in a message but msg.req and msg.res); weakly, so it costs nothing once
 * the request is done with.
 */
const checked = new WeakMap<object, string>();

/** Remembers that a signature was checked against `base` for `request`. */
export function rememberCheckedBase(request: object, base: string): void {
  checked.set(request, base);
}

/** The base a plivo webhook's signature checked for `request`; undefined for any other value. */
export function checkedBaseOf(request: unknown): string | undefined {
  return typeof request === 'object' && request !== null ? checked.get(request) : undefined;
}
