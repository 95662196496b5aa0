/**
 * Text lengths as Plivo counts them (code points), in time bounded by the limit, not by the
 * text: a message may carry megabytes where a few thousand characters are allowed.
 */

/** Whether `text` has more than `max` code points; reads at most 2 x max code units. */
export function longerThan(text: string, max: number): boolean {
  if (text.length <= max) return false;
  // A code point is one or two code units.
  if (text.length > 2 * max) return true;
  const points = text[Symbol.iterator]();
  for (let count = 0; !points.next().done;) {
    count += 1;
    if (count > max) return true;
  }
  return false;
}

/** The code points of `text` when it has at most `limit` code units; else undefined (too long to count cheaply). */
export function codePointsUpTo(text: string, limit: number): number | undefined {
  if (text.length > limit) return undefined;
  const points = text[Symbol.iterator]();
  let count = 0;
  while (!points.next().done) count += 1;
  return count;
}
