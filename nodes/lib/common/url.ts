/** `raw` as a URL; undefined when it is not one (the settings and inputs that take URLs then say so). */
export function urlOrUndefined(raw: string): URL | undefined {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}

/**
 * `raw` safe to show, parsed or not: everything between the scheme and the last `@` (where
 * user info and its password would be, even unencoded or in a URL that does not parse) becomes
 * `***`. A URL without `@` is unchanged.
 */
export function withoutUserInfo(raw: string): string {
  const at = raw.lastIndexOf('@');
  if (at === -1) return raw;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(raw)?.[0] ?? '';
  return `${scheme}***${raw.slice(at)}`;
}
