/** The account dialog's Verify button: an admin endpoint that checks credentials with Plivo. */
import type { NodeAPI } from 'node-red';
import { text } from './lib/plivo/messages';
import type { ProxySettings } from './lib/plivo/proxy';
import { verifyAccount } from './lib/plivo/verify-account';
import type { PlivoConfigNode, PlivoCredentials } from './plivo-config';

export function registerVerifyEndpoint(
  RED: NodeAPI, proxySettings: (id: unknown) => ProxySettings | undefined, userAgent: string,
): void {
  // Body: {id, authId, authToken, baseUrl, proxy}; never answers with the token.
  RED.httpAdmin.post('/plivo-config/verify', RED.auth.needsPermission('plivo-config.write'), (req, res) => {
    const body = (req.body ?? {}) as { id?: unknown; authId?: unknown; authToken?: unknown; baseUrl?: unknown; proxy?: unknown };
    const id = typeof body.id === 'string' ? body.id : '';
    const credentials = id ? (RED.nodes.getCredentials(id) as PlivoCredentials | undefined) : undefined;
    const deployed = id ? (RED.nodes.getNode(id) as PlivoConfigNode | null) : null;
    // Only a deployed account node's own token and base URL: never another node's credentials.
    const isAccount = deployed?.type === 'plivo-config';
    const stored = isAccount ? { authToken: credentials?.authToken, baseUrl: deployed.baseUrl } : undefined;
    let proxy: ProxySettings | undefined;
    try {
      proxy = proxySettings(body.proxy);
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
