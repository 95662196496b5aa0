/**
 * Which proxy requests to Plivo go through, by the rules of Node-RED's http request node (its
 * lib/proxyHelper, after Rob Wu's proxy-from-env): the account's `http proxy` node when set
 * (URL, no-proxy list, username and password), else the environment: `https_proxy` or
 * `http_proxy` for the target's scheme, then `all_proxy` (lower case first, then upper case),
 * unless `no_proxy` names the host: exactly, as a `.suffix` or `*suffix`, optionally with
 * `:port`; `*` alone means never.
 */
import { ConfigError } from '../common/errors';
import { text } from '../common/messages';
import { urlOrUndefined, urlSafeToShow } from '../common/url';

/** An `http proxy` config node's settings, as Node-RED's http request node reads them. */
export interface ProxySettings {
  url: string;
  noProxy: string[];
  username?: string;
  password?: string;
}

export interface ProxyRoute {
  /** The proxy, with its credentials: only for the agent. */
  url: URL;
  /** Scheme, host and port: safe to show. */
  shown: string;
}

function envValue(env: NodeJS.ProcessEnv, name: string): string {
  return env[name.toLowerCase()] || env[name.toUpperCase()] || '';
}

/** False when `noProxy` (comma- or space-separated) names this host and port. */
function shouldProxy(hostname: string, port: number, noProxy: string): boolean {
  const list = noProxy.toLowerCase();
  if (list === '') return true;
  if (list === '*') return false;
  return list.split(/[,\s]/).every((entry) => {
    if (!entry) return true;
    const withPort = /^(.+):(\d+)$/.exec(entry);
    let name = withPort ? withPort[1] : entry;
    const entryPort = withPort ? Number(withPort[2]) : 0;
    if (entryPort && entryPort !== port) return true;
    if (!/^[.*]/.test(name)) return hostname !== name;
    if (name.startsWith('*')) name = name.slice(1);
    return !hostname.endsWith(name);
  });
}

/** The proxy for requests to `target`, or undefined to go direct. Throws a ConfigError for a proxy URL that is not http(s). */
export function proxyFor(target: string, settings: ProxySettings | undefined, env: NodeJS.ProcessEnv = process.env): ProxyRoute | undefined {
  const url = new URL(target);
  const scheme = url.protocol.slice(0, -1);
  const port = Number(url.port) || (scheme === 'https' ? 443 : 80);
  const noProxy = settings ? settings.noProxy.join(',') : envValue(env, 'no_proxy');
  if (!shouldProxy(url.hostname.toLowerCase(), port, noProxy)) return undefined;
  let raw = (settings ? settings.url : envValue(env, `${scheme}_proxy`) || envValue(env, 'all_proxy')).trim();
  if (raw === '') return undefined;
  // A proxy written without a scheme is spoken to in plain HTTP, as curl does.
  if (!raw.includes('://')) raw = `http://${raw}`;
  const proxy = urlOrUndefined(raw);
  if (!proxy || (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') || proxy.hostname === '') {
    throw new ConfigError(text('proxy-url-invalid', { value: urlSafeToShow(raw) }));
  }
  if (settings?.username || settings?.password) {
    proxy.username = encodeURIComponent(settings.username ?? '');
    proxy.password = encodeURIComponent(settings.password ?? '');
  }
  return { url: proxy, shown: `${proxy.protocol}//${proxy.host}` };
}
