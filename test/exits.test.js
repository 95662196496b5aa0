'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFile } = require('node:child_process');

describe('closing during a burst', function () {
  this.timeout(30_000);

  it('ends every message once and leaves nothing that keeps the process alive', async () => {
    const fixture = path.join(__dirname, 'fixtures', 'close-during-burst.js');
    const { stdout, exitedIn } = await new Promise((resolve, reject) => {
      const began = Date.now();
      execFile(process.execPath, [fixture], { timeout: 20_000 }, (error, out, err) => {
        if (error) reject(new Error(`the process did not exit cleanly by itself: ${error.message}\n${err}`));
        else resolve({ stdout: out, exitedIn: Date.now() - began });
      });
    });
    const { ends, requests } = JSON.parse(stdout);
    assert.deepEqual(ends.map((end) => end.n).sort((a, b) => a - b), [...Array(100).keys()], 'each message ends once');
    const notSent = ends.filter((end) => end.error?.startsWith('Not sent: node closed before the request was sent'));
    assert.ok(notSent.length >= 80, `${notSent.length} queued messages ended as not sent`);
    assert.ok(requests >= 5 && requests < 25, `${requests} requests before the close`);
    assert.ok(exitedIn < 15_000, `exited after ${exitedIn} ms`);
  });
});
