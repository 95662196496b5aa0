/**
 * The plivo-config dialog's Verify button: asks Plivo for the account
 * (GET /v1/Account/{auth_id}/) with the values in the dialog, saved or not.
 * The answer never contains the token.
 */
import { DEFAULT_BASE_URL, resolveAccount, parseBaseUrl } from './account';
import { ConfigError, PlivoApiError } from '../common/errors';
import { text } from '../common/messages';
import { PlivoClient } from './client';
import { proxyFor, type ProxySettings } from './proxy';

/** What the editor sends for a password it has not been shown. */
export const PASSWORD_PLACEHOLDER = '__PWRD__';
const VERIFY_TIMEOUT_MS = 10_000;

export interface VerifyInput {
  authId?: unknown;
  authToken?: unknown;
  baseUrl?: unknown;
}

/** The deployed account node's token and base URL, when the dialog edits a deployed plivo-config node. */
export interface StoredAccount {
  authToken?: string;
  baseUrl?: unknown;
}

export type VerifyResult =
  | { ok: true; name: string; authId: string }
  | { ok: false; message: string; statusCode?: number };

const blank = (value: unknown) => typeof value !== 'string' || value.trim() === '';

export async function verifyAccount(
  input: VerifyInput,
  stored: StoredAccount | undefined,
  userAgent: string,
  proxy?: ProxySettings,
  env: NodeJS.ProcessEnv = process.env,
): Promise<VerifyResult> {
  let client: PlivoClient | undefined;
  try {
    let authToken = input.authToken;
    // A blank token falls back to PLIVO_AUTH_TOKEN: that one goes only to Plivo, or where the deployed node
    // itself sends it (its base URL, and only when it has no token of its own).
    if (blank(authToken) && !blank(env.PLIVO_AUTH_TOKEN)) {
      const baseUrl = parseBaseUrl(input.baseUrl);
      const deployedUsesEnvToken = stored !== undefined && blank(stored.authToken) && baseUrl === parseBaseUrl(stored.baseUrl);
      if (baseUrl !== DEFAULT_BASE_URL && !deployedUsesEnvToken) {
        throw new ConfigError(text('env-token-base-url', { baseUrl: DEFAULT_BASE_URL }));
      }
    }
    if (authToken === PASSWORD_PLACEHOLDER) {
      if (!stored?.authToken) {
        throw new ConfigError(text('no-saved-token'));
      }
      // The saved token only ever goes where the deployed node already sends it.
      if (parseBaseUrl(input.baseUrl) !== parseBaseUrl(stored.baseUrl)) {
        throw new ConfigError(text('base-url-changed'));
      }
      authToken = stored.authToken;
    }
    const account = resolveAccount({ authId: input.authId, authToken, baseUrl: input.baseUrl }, env);
    client = new PlivoClient(account, { timeoutMs: VERIFY_TIMEOUT_MS, userAgent, proxy: proxyFor(account.baseUrl, proxy, env) });
    const { body } = await client.request('GET', '');
    const name = typeof body === 'object' && body !== null && typeof (body as { name?: unknown }).name === 'string'
      ? (body as { name: string }).name
      : account.authId;
    return { ok: true, name, authId: account.authId };
  } catch (error) {
    if (error instanceof PlivoApiError || error instanceof ConfigError) {
      const statusCode = error instanceof PlivoApiError ? error.statusCode : undefined;
      return statusCode === undefined ? { ok: false, message: String(error) } : { ok: false, message: String(error), statusCode };
    }
    throw error;
  } finally {
    await client?.close();
  }
}
