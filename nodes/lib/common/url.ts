/** `raw` as a URL; undefined when it is not one (the settings and inputs that take URLs then say so). */
export function urlOrUndefined(raw: string): URL | undefined {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}

/** Each query parameter's name, its value as `***` (a piece without `=` is all value). */
function maskedQuery(query: string): string {
  return query.split('&').map((piece) => {
    const equals = piece.indexOf('=');
    return equals === -1 ? '***' : `${piece.slice(0, equals)}=***`;
  }).join('&');
}

/**
 * `raw` safe to show, parsed or not: user info and its password become `***`, and so do every
 * query value (`?password=...` is a password too, to ioredis) and the fragment. A URL the
 * parser reads is rebuilt from its parts, so an `@` or `?` inside a password cannot move the
 * cut; one it cannot read loses everything between the scheme and its last `@`.
 */
export function urlSafeToShow(raw: string): string {
  const url = urlOrUndefined(raw);
  if (url && url.host !== '') {
    const user = url.username !== '' || url.password !== '' ? '***@' : '';
    const query = url.search.length > 1 ? `?${maskedQuery(url.search.slice(1))}` : '';
    // The parser adds a `/` to a bare origin; shown as written.
    const path = url.pathname === '/' && !raw.split(/[?#]/)[0].endsWith('/') ? '' : url.pathname;
    return `${url.protocol}//${user}${url.host}${path}${query}${url.hash ? '#***' : ''}`;
  }
  const at = raw.lastIndexOf('@');
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(raw)?.[0] ?? '';
  const withoutUser = at === -1 ? raw : `${scheme}***${raw.slice(at)}`;
  const cut = withoutUser.search(/[?#]/);
  return cut === -1 ? withoutUser : `${withoutUser.slice(0, cut)}${withoutUser[cut]}***`;
}
