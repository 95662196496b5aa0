'use strict';
/**
 * A real forward proxy for the proxy tests, from npm so that no system package is needed:
 * Apify's proxy-chain (a production HTTP/HTTPS forward proxy with CONNECT tunnels and Basic
 * proxy authentication) on a free loopback port. `tunnels()` lists the CONNECT requests it has
 * served (host:port); kill() stops it at once, start() again on the same port.
 */
const { Server } = require('proxy-chain');
const { freePort } = require('./dev-runtime.js');

/** Starts the proxy; `username` and `password` turn on Basic proxy authentication (407 without them, or with wrong ones). */
async function startForwardProxy({ username, password } = {}) {
  const port = await freePort();
  const tunnels = [];
  let server;
  const proxy = {
    port,
    url: `http://127.0.0.1:${port}`,
    async start() {
      server = new Server({
        port,
        host: '127.0.0.1',
        prepareRequestFunction: ({ username: given, password: givenPassword, hostname, port: targetPort, isHttp }) => {
          if (username && (given !== username || givenPassword !== password)) {
            return { requestAuthentication: true, failMsg: 'Proxy credentials required' };
          }
          if (!isHttp) tunnels.push(`${hostname}:${targetPort}`);
          return {};
        },
      });
      await server.listen();
    },
    tunnels() {
      return [...tunnels];
    },
    async kill() {
      if (!server) return;
      const closing = server;
      server = undefined;
      await closing.close(true);
    },
    stop() {
      return proxy.kill();
    },
  };
  await proxy.start();
  return proxy;
}

module.exports = { startForwardProxy };
