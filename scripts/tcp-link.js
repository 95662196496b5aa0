'use strict';
/**
 * One instance's network link to a server, for the outage tests: a loopback TCP relay that
 * forwards every byte to the real server (Redis here) and can be cut (every connection dropped,
 * new ones refused at once), restored, or made slow to connect (a connection is forwarded only
 * after a delay, as a far or busy server would be).
 */
const net = require('node:net');

async function startLink(targetPort) {
  const open = new Set();
  let cut = false;
  let connectDelayMs = 0;
  const server = net.createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const pending = [];
    let upstream;
    const pair = { client, upstream: undefined };
    open.add(pair);
    const drop = () => {
      client.destroy();
      upstream?.destroy();
      open.delete(pair);
    };
    client.on('data', (chunk) => (upstream ? upstream.write(chunk) : pending.push(chunk)));
    client.on('error', drop);
    client.on('close', drop);
    setTimeout(() => {
      if (client.destroyed) return;
      upstream = net.connect(targetPort, '127.0.0.1', () => pending.splice(0).forEach((chunk) => upstream.write(chunk)));
      pair.upstream = upstream;
      upstream.on('data', (chunk) => client.write(chunk));
      upstream.on('error', drop);
      upstream.on('close', drop);
    }, connectDelayMs);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    /** Drops every connection through the link and refuses new ones until restored. */
    cut() {
      cut = true;
      for (const { client, upstream } of open) {
        client.destroy();
        upstream?.destroy();
      }
      open.clear();
    },
    restore() {
      cut = false;
    },
    /** New connections reach the server only after `ms` (0: at once). */
    slowConnect(ms) {
      connectDelayMs = ms;
    },
    close() {
      this.cut();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

module.exports = { startLink };
