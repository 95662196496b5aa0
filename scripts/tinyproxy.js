'use strict';
/**
 * A real HTTP proxy for the proxy tests: Debian's tinyproxy on a free loopback port, with
 * BasicAuth when asked. `.ci/run` installs the package when it is missing. `tunnels()` lists
 * the CONNECT requests it has served (host:port), read from its log.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { freePort } = require('./dev-runtime.js');
const { waitForPort } = require('./redis-server.js');

/** Starts tinyproxy; `username` and `password` turn on BasicAuth. kill() stops it at once, start() again on the same port. */
async function startTinyproxy({ username, password } = {}) {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tinyproxy-'));
  const logFile = path.join(dir, 'tinyproxy.log');
  fs.writeFileSync(path.join(dir, 'tinyproxy.conf'), [
    `Port ${port}`, 'Listen 127.0.0.1', 'Timeout 30', 'MaxClients 200', 'Allow 127.0.0.1', `LogFile "${logFile}"`,
    'LogLevel Connect', 'DisableViaHeader Yes', ...(username ? [`BasicAuth ${username} ${password}`] : []), '',
  ].join('\n'));
  let child;
  const proxy = {
    port,
    url: `http://127.0.0.1:${port}`,
    async start() {
      child = spawn('tinyproxy', ['-d', '-c', path.join(dir, 'tinyproxy.conf')], { stdio: 'ignore' });
      await new Promise((resolve, reject) => {
        child.once('error', (error) => reject(new Error(`cannot start tinyproxy (apt-get install tinyproxy): ${error.message}`)));
        waitForPort(port).then(resolve, reject);
      });
    },
    /** host:port of each CONNECT tunnel opened so far. */
    tunnels() {
      const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
      return [...log.matchAll(/Request \(file descriptor \d+\): CONNECT (\S+) HTTP/g)].map((match) => match[1]);
    },
    kill() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      return exited;
    },
    async stop() {
      await proxy.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await proxy.start();
  return proxy;
}

module.exports = { startTinyproxy };
