'use strict';
const assert = require('node:assert/strict');
const { resolveAccount, DEFAULT_BASE_URL } = require('../dist/nodes/lib/plivo/account.js');
const { ConfigError } = require('../dist/nodes/lib/common/errors.js');

describe('resolveAccount', () => {
  it('uses the node\'s credentials and Plivo\'s API by default', () => {
    assert.deepEqual(resolveAccount({ authId: ' MA123 ', authToken: 'tok' }, {}),
      { baseUrl: DEFAULT_BASE_URL, authId: 'MA123', authToken: 'tok' });
  });

  it('falls back to PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN for blank credentials', () => {
    const env = { PLIVO_AUTH_ID: 'MAENV', PLIVO_AUTH_TOKEN: 'envtok' };
    assert.deepEqual(resolveAccount({ authId: '', authToken: undefined }, env),
      { baseUrl: DEFAULT_BASE_URL, authId: 'MAENV', authToken: 'envtok' });
    assert.equal(resolveAccount({ authId: 'MANODE' }, env).authId, 'MANODE');
  });

  it('names the missing credential and the variable to set, never a value', () => {
    assert.throws(() => resolveAccount({}, {}), (e) => e instanceof ConfigError && /^no Auth ID.*PLIVO_AUTH_ID/.test(e.message));
    assert.throws(() => resolveAccount({ authId: 'MA1' }, {}),
      (e) => e instanceof ConfigError && /Auth Token.*PLIVO_AUTH_TOKEN/.test(e.message));
  });

  it('accepts an http(s) base URL with a path prefix and drops the trailing slash', () => {
    const creds = { authId: 'MA1', authToken: 't' };
    assert.equal(resolveAccount({ ...creds, baseUrl: 'http://127.0.0.1:18800/' }, {}).baseUrl, 'http://127.0.0.1:18800');
    assert.equal(resolveAccount({ ...creds, baseUrl: 'https://proxy.example/plivo/' }, {}).baseUrl, 'https://proxy.example/plivo');
  });

  for (const baseUrl of ['api.plivo.com', 'ftp://api.plivo.com', 'https://api.plivo.com/?x=1', 'https://u:p@api.plivo.com']) {
    it(`rejects the base URL ${baseUrl}`, () => {
      assert.throws(() => resolveAccount({ authId: 'MA1', authToken: 't', baseUrl }, {}),
        (e) => e instanceof ConfigError && e.message.includes('base URL') && !e.message.includes('u:p'));
    });
  }
});
