'use strict';
const assert = require('node:assert/strict');
const { startSandbox } = require('../sandbox/plivo-sandbox.js');
const { helper, playNode, configNode, startOwnSandbox } = require('./support.js');

describe('the Verify button\'s endpoint', () => {
  let sandbox;

  /** Another kind of node with an authToken credential and a baseUrl, as a third-party node might have. */
  function otherNode(RED) {
    RED.nodes.registerType('other-service', function OtherService(def) {
      RED.nodes.createNode(this, def);
      this.baseUrl = def.baseUrl;
    }, { credentials: { authToken: { type: 'password' } } });
  }

  beforeEach(async () => {
    sandbox = await startOwnSandbox(startSandbox, { accountName: 'Acme Telephony' });
    await helper.load([configNode, playNode, otherNode], [
      { id: 'cfg', type: 'plivo-config', baseUrl: sandbox.url },
      { id: 'other', type: 'other-service', baseUrl: sandbox.url },
      { id: 'envcfg', type: 'plivo-config', baseUrl: sandbox.url },
    ], {
      cfg: { authId: sandbox.account.authId, authToken: sandbox.account.authToken },
      other: { authToken: 'other-service-secret' },
      envcfg: { authId: sandbox.account.authId },
    });
  });
  afterEach(async () => {
    await helper.unload();
    await sandbox.close();
  });

  async function verify(body) {
    const response = await helper.request().post('/plivo-config/verify').send(body).expect(200);
    assert.ok(!response.text.includes(sandbox.account.authToken), 'the answer contains the token');
    return response.body;
  }

  it('verifies unsaved values and names the account', async () => {
    const { authId, authToken } = sandbox.account;
    assert.deepEqual(await verify({ authId, authToken, baseUrl: sandbox.url }), { ok: true, name: 'Acme Telephony', authId });
    const [request] = sandbox.requests;
    assert.equal(request.method, 'GET');
    assert.equal(request.path, `/v1/Account/${authId}/`);
  });

  it('takes the dialog\'s "add new http proxy" choice (_ADD_) as no proxy', async () => {
    const { authId, authToken } = sandbox.account;
    assert.equal((await verify({ authId, authToken, baseUrl: sandbox.url, proxy: '_ADD_' })).ok, true);
  });

  it('uses the saved token when the dialog holds the placeholder', async () => {
    const answer = await verify({ id: 'cfg', authId: sandbox.account.authId, authToken: '__PWRD__', baseUrl: sandbox.url });
    assert.equal(answer.ok, true);
    assert.equal(sandbox.requests[0].headers.authorization,
      `Basic ${Buffer.from(`${sandbox.account.authId}:${sandbox.account.authToken}`).toString('base64')}`);
  });

  it('does not send the saved token to a base URL the node does not use', async () => {
    const elsewhere = await startSandbox();
    try {
      const answer = await verify({ id: 'cfg', authId: sandbox.account.authId, authToken: '__PWRD__', baseUrl: elsewhere.url });
      assert.equal(answer.ok, false);
      assert.match(answer.message, /base URL has changed/);
      assert.equal(elsewhere.requests.length, 0);
    } finally {
      await elsewhere.close();
    }
  });

  it('never uses the saved credentials of a node that is not a plivo account', async () => {
    const answer = await verify({ id: 'other', authId: sandbox.account.authId, authToken: '__PWRD__', baseUrl: sandbox.url });
    assert.equal(answer.ok, false);
    assert.match(answer.message, /no saved Auth Token/);
    assert.equal(sandbox.requests.length, 0);
  });

  describe('a blank token (PLIVO_AUTH_TOKEN is used)', () => {
    afterEach(() => {
      delete process.env.PLIVO_AUTH_TOKEN;
    });

    it('is not sent to a base URL that is neither Plivo\'s nor the deployed node\'s', async () => {
      process.env.PLIVO_AUTH_TOKEN = 'env-token-secret';
      const elsewhere = await startSandbox();
      try {
        for (const id of [undefined, 'cfg']) {
          const answer = await verify({ id, authId: sandbox.account.authId, authToken: '', baseUrl: elsewhere.url });
          assert.equal(answer.ok, false);
          assert.match(answer.message, /PLIVO_AUTH_TOKEN.*only to Plivo/);
        }
        assert.equal(elsewhere.requests.length, 0, 'the token went nowhere');
      } finally {
        await elsewhere.close();
      }
    });

    it('is not sent to a deployed node\'s base URL when that node has a token of its own', async () => {
      process.env.PLIVO_AUTH_TOKEN = 'env-token-secret';
      const answer = await verify({ id: 'cfg', authId: sandbox.account.authId, authToken: '', baseUrl: sandbox.url });
      assert.equal(answer.ok, false);
      assert.match(answer.message, /PLIVO_AUTH_TOKEN.*only to Plivo/);
      assert.equal(sandbox.requests.length, 0, 'the token went nowhere');
    });

    it('is sent to the base URL of a deployed account node that itself uses PLIVO_AUTH_TOKEN', async () => {
      process.env.PLIVO_AUTH_TOKEN = sandbox.account.authToken;
      const answer = await verify({ id: 'envcfg', authId: sandbox.account.authId, authToken: '', baseUrl: sandbox.url });
      assert.equal(answer.ok, true);
    });
  });

  it('reports a wrong token as 401', async () => {
    const answer = await verify({ authId: sandbox.account.authId, authToken: 'wrong-token-123', baseUrl: sandbox.url });
    assert.deepEqual(answer, { ok: false, statusCode: 401, message: 'Plivo API error: 401 authentication failed' });
  });

  it('reports a network failure', async () => {
    const closed = await startSandbox();
    await closed.close();
    const answer = await verify({ authId: 'MA1', authToken: 't', baseUrl: closed.url });
    assert.equal(answer.ok, false);
    assert.equal(answer.message, `Plivo API error: could not reach ${closed.url}: connection refused (ECONNREFUSED)`);
  });

  it('reports missing values and a placeholder with nothing saved', async () => {
    assert.match((await verify({ authId: '', authToken: '', baseUrl: sandbox.url })).message, /no Auth ID/);
    assert.match((await verify({ id: 'new-node', authId: 'MA1', authToken: '__PWRD__', baseUrl: sandbox.url })).message,
      /no saved Auth Token/);
  });
});
