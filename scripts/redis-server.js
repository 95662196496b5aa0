'use strict';
/**
 * A real Redis for the scale-out tests and the benchmark: Debian's redis-server on a free
 * loopback port, nothing saved to disk. `.ci/run` installs the package when it is missing.
 */
const { spawn } = require('node:child_process');
const net = require('node:net');
const { freePort } = require('./dev-runtime.js');

/** Resolves once something listens on the loopback `port`. */
function waitForPort(port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`redis-server did not listen on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Starts redis-server; `password` sets requirepass. kill() stops it at once, start() again on the same port. */
async function startRedis({ password } = {}) {
  const port = await freePort();
  let child;
  const server = {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    async start() {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
      if (password) args.push('--requirepass', password);
      child = spawn('redis-server', args, { stdio: 'ignore' });
      await new Promise((resolve, reject) => {
        child.once('error', (error) => reject(new Error(`cannot start redis-server (apt-get install redis-server): ${error.message}`)));
        waitForPort(port).then(resolve, reject);
      });
    },
    kill() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      return exited;
    },
  };
  await server.start();
  return server;
}

module.exports = { startRedis, waitForPort };
