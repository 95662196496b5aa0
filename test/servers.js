'use strict';
/**
 * System servers some tests start (Debian's redis-server): on a machine without one, those
 * tests are skipped, with one line per missing package at the end of the run saying how many
 * and what to install, so `npm test` passes on a machine with Node.js alone. With
 * PLIVO_TESTS_NEED_SERVERS=1 (set by .ci/run, which installs them) a missing server fails the
 * run instead: CI always runs everything.
 */
const { spawnSync } = require('node:child_process');

const required = process.env.PLIVO_TESTS_NEED_SERVERS === '1';
/** Package to the suites skipped for want of it. */
const skipped = new Map();
const found = new Map();

function installed(command) {
  if (!found.has(command)) found.set(command, spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0);
  return found.get(command);
}

/** In a suite's `before` (as `needServer(this, 'redis-server')`): skips the suite when the server is not installed. */
function needServer(context, command) {
  if (installed(command)) return;
  if (required) throw new Error(`${command} is not installed, and this run needs every test (apt-get install ${command})`);
  const suites = skipped.get(command) ?? new Set();
  suites.add(context.test.parent);
  skipped.set(command, suites);
  context.skip();
}

/**
 * In a describe: a real Redis for the suite (skipped without redis-server), a fresh account name
 * for each test (`prefix` and a number, 20 characters as an Auth ID), and `opened(thing)` to close
 * a connection after the test. `server` can be killed and started again (an outage).
 */
function redisForSuite(prefix) {
  const { startRedis } = require('../scripts/redis-server.js');
  const state = { server: undefined, name: '', count: 0, opened: [] };
  before(async function () {
    needServer(this, 'redis-server');
    state.server = await startRedis();
  });
  after(async () => {
    await state.server?.kill();
  });
  beforeEach(() => {
    state.count += 1;
    state.name = `${prefix}${String(state.count).padStart(20 - prefix.length, '0')}`;
  });
  afterEach(async () => {
    await Promise.all(state.opened.splice(0).map((thing) => thing.close()));
  });
  return {
    get server() { return state.server; },
    get url() { return state.server.url; },
    get name() { return state.name; },
    opened(thing) {
      state.opened.push(thing);
      return thing;
    },
  };
}

const mochaHooks = {
  afterAll() {
    for (const [command, suites] of skipped) {
      const count = [...suites].reduce((total, suite) => total + suite.total(), 0);
      console.log(`\n  ${count} tests skipped: ${command} is not installed (apt-get install ${command}; .ci/run installs it and skips nothing)`);
    }
  },
};

module.exports = { needServer, redisForSuite, mochaHooks };
