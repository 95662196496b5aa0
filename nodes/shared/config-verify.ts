/** The account dialog's Verify button: an admin endpoint that checks credentials with Plivo. */
import type { NodeAPI } from 'node-red';
import { text } from '../lib/common/messages';
import type { ProxySettings } from '../lib/plivo/proxy';
import { verifyAccount, type StoredAccount } from '../lib/plivo/verify-account';

/** What the endpoint needs from the account node's module, given to it so the two do not import each other. */
export interface VerifyLookups {
  /** The settings of the `http proxy` node an id names; throws when it is gone. */
  proxySettings(id: unknown): ProxySettings | undefined;
  /** A deployed plivo-config node's own saved token and base URL; undefined for any other id. */
  storedAccount(id: string): StoredAccount | undefined;
}

export function registerVerifyEndpoint(RED: NodeAPI, lookups: VerifyLookups, userAgent: string): void {
  // Body: {id, authId, authToken, baseUrl, proxy}; never answers with the token.
  RED.httpAdmin.post('/plivo-config/verify', RED.auth.needsPermission('plivo-config.write'), (req, res) => {
    const body = (req.body ?? {}) as { id?: unknown; authId?: unknown; authToken?: unknown; baseUrl?: unknown; proxy?: unknown };
    const stored = typeof body.id === 'string' && body.id !== '' ? lookups.storedAccount(body.id) : undefined;
    let proxy: ProxySettings | undefined;
    try {
      proxy = lookups.proxySettings(body.proxy);
    } catch (error) {
      res.json({ ok: false, message: String(error) });
      return;
    }
    verifyAccount(body, stored, userAgent, proxy).then(
      (result) => res.json(result),
      () => res.status(500).json({ ok: false, message: text('verify-failed') }),
    );
  });
}
