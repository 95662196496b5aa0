/** `raw` as a URL; undefined when it is not one (the settings and inputs that take URLs then say so). */
export function urlOrUndefined(raw: string): URL | undefined {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}
