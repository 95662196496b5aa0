'use strict';
/**
 * A sandbox in its own process for the benchmark, so its CPU is not counted against the
 * node. Started with fork(); options come as JSON in argv[2]. Answers IPC requests:
 * {id, op: 'stats'} -> {connections, rateLimited, statuses, starts, accepted}, {id, op: 'fail', fault, times}.
 */
const { startSandbox } = require('../sandbox/plivo-sandbox.js');

startSandbox(JSON.parse(process.argv[2])).then((sandbox) => {
  process.on('message', ({ id, op, fault, times }) => {
    if (op === 'fail') {
      sandbox.fail(fault, times);
      process.send({ id });
    } else if (op === 'stats') {
      const statuses = {};
      for (const request of sandbox.requests) statuses[request.status] = (statuses[request.status] ?? 0) + 1;
      process.send({
        id,
        connections: sandbox.stats.connections,
        rateLimited: sandbox.stats.rateLimited,
        statuses,
        starts: sandbox.requests.map((request) => request.at),
        accepted: sandbox.requests.filter((request) => request.status !== 429).map((request) => request.at),
      });
    }
  });
  process.on('disconnect', () => sandbox.close().then(() => process.exit(0)));
  process.send({ ready: true, url: sandbox.url, account: sandbox.account });
});
