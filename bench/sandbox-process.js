'use strict';
/**
 * A sandbox in its own process for the benchmark, so its CPU is not counted against the
 * node. Started with fork(); options come as JSON in argv[2]. Answers IPC requests:
 * {id, op: 'stats'} -> {connections, rateLimited, statuses, starts, accepted}, {id, op: 'fail', fault, times},
 * {id, op: 'hangUp', uuid, webhook}, {id, op: 'calls'} -> {requests: [{uuid, at, finishedAt, status}], ended: {uuid: at},
 * heard: {uuid: when its hangup webhook was answered}}, {id, op: 'outbound'} -> outbound calls' stats (outbound.js) and
 * when each `POST Call/` arrived, {id, op: 'paths', match} -> {paths: ["METHOD path", ...]} of the requests whose path holds `match`,
 * {id, op: 'requestLog'} -> {log: [[at, status, the call UUID in its path], ...]}.
 */
const path = require('node:path');
const { fork } = require('node:child_process');
const { startSandbox } = require('../sandbox/plivo-sandbox.js');

let askId = 0;
/** Forks this file with `options`; resolves with the sandbox's url and account, `ask(request)` (one IPC request) and `stop()`. */
function forkSandbox(options) {
  const child = fork(path.join(__dirname, 'sandbox-process.js'), [JSON.stringify(options)], { stdio: 'inherit' });
  const pending = new Map();
  const ready = new Promise((resolve) => {
    child.on('message', (message) => {
      if (message.ready) resolve(message);
      else pending.get(message.id)?.(message);
    });
  });
  const ask = (request) => new Promise((resolve) => {
    askId += 1;
    pending.set(askId, resolve);
    child.send({ id: askId, ...request });
  });
  return ready.then((message) => ({ url: message.url, account: message.account, ask, stop: () => child.disconnect() }));
}

module.exports = { forkSandbox };

if (require.main === module) startSandbox(JSON.parse(process.argv[2])).then((sandbox) => {
  process.on('message', ({ id, op, fault, times, uuid, webhook, match }) => {
    if (op === 'requestLog') {
      process.send({ id, log: sandbox.requests.map((request) => [request.at, request.status, request.path.split('/')[5]]) });
    } else if (op === 'paths') {
      process.send({ id, paths: sandbox.requests.filter((request) => request.path.includes(match)).map((request) => `${request.method} ${request.path}`) });
    } else if (op === 'hangUp') {
      sandbox.hangUp(uuid, { webhook });
      process.send({ id });
    } else if (op === 'calls') {
      sandbox.webhooksSettled().then(() => process.send({
        id,
        requests: sandbox.requests.filter((request) => request.path.includes('/Call/'))
          .map(({ path, at, finishedAt, status }) => ({ uuid: path.split('/')[5], at, finishedAt, status })),
        ended: Object.fromEntries(sandbox.ended),
        heard: Object.fromEntries(sandbox.webhooks.filter((hook) => hook.status === 200).map((hook) => [hook.params.CallUUID, hook.answeredAt])),
      }));
    } else if (op === 'outbound') {
      process.send({
        id,
        ...sandbox.outbound,
        posts: sandbox.requests.filter((request) => request.method === 'POST' && /\/Call\/$/.test(request.path)).map((request) => request.at),
      });
    } else if (op === 'fail') {
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
