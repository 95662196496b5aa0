'use strict';
/**
 * Figure 15 of `npm run bench` (alone: `node --expose-gc bench/conference-ops.js [--quick]`): plivo
 * conference in a Node-RED process of its own (scripts/runtime-process.js) against a sandbox in
 * another, with a room of 20 members the sandbox put there through the runtime's answer webhook
 * (its `<Conference callbackUrl>` is a plivo webhook node of the same runtime). Rows:
 * - CPU per request of each conference operation that leaves the room as it was, the node (until its
 *   answer is on the output) against bare got sending the same request (built by the node's own
 *   request builder), members named by ID; then mute with the member named by call UUID;
 * - 200 operations each naming a random member by call UUID: the details lookups sent to Plivo by the
 *   runtime that heard the enter events, and by a second runtime on the account that heard none.
 * Hang-ups and kicks are left out of the CPU rows: each would empty the room it measures.
 * `--only OPERATION` measures that operation's CPU alone (and no lookups), to look at one figure again.
 */
const { forkSandbox } = require('./sandbox-process.js');
const { startRuntime } = require('../scripts/runtime-process.js');
const { freePort } = require('../scripts/dev-runtime.js');
const { numberedCall } = require('../sandbox/plivo-sandbox.js');
const { buildConferenceRequest, memberPath } = require('../dist/nodes/lib/call/conference-request.js');

const QUICK = process.argv.includes('--quick');
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const SIZE = QUICK ? { members: 20, cpu: 100, rounds: 1, warmup: 20, byCall: 200 } : { members: 20, cpu: 1000, rounds: 5, warmup: 300, byCall: 200 };
const ROOM = 'bench';
const AUDIO = 'https://media.example.com/alarm.mp3';

/** The operations measured for CPU, each as plivo conference's payload (members by ID: `member`). */
const OPERATIONS = (member) => [
  { operation: 'list' },
  { operation: 'details' },
  { operation: 'record' },
  { operation: 'stop-recording' },
  { operation: 'mute', member_id: member },
  { operation: 'unmute', member_id: member },
  { operation: 'deaf', member_id: member },
  { operation: 'undeaf', member_id: member },
  { operation: 'play', member_id: member, url: AUDIO },
  { operation: 'stop-play', member_id: member },
  { operation: 'speak', member_id: member, text: 'Major incident' },
  { operation: 'stop-speak', member_id: member },
];

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fixed = (value, digits = 2) => value.toFixed(digits);

/** The request plivo conference sends for `payload`, as bare got sends it. */
function bareRequest(payload) {
  const { request } = buildConferenceRequest({}, { conference_name: ROOM, ...payload });
  return { method: request.method, path: request.members ? memberPath(request, payload.member_id) : request.path, json: request.body };
}

async function roomMembers(url) {
  const answer = await fetch(`${url}/sandbox/conferences/${ROOM}`);
  return answer.status === 200 ? (await answer.json()).members : [];
}

/** A room of `count` members, each a sandbox call answered by `runtime`'s answer webhook at `port`. */
async function fillRoom(url, port, count) {
  for (let i = 0; i < count; i += 1) {
    await fetch(`${url}/sandbox/calls`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ answer_url: `http://127.0.0.1:${port}/plivo/answer` }),
    });
  }
  for (const deadline = Date.now() + 30_000; ;) {
    const members = await roomMembers(url);
    if (members.length >= count) return members;
    if (Date.now() > deadline) throw new Error(`the room has ${members.length} of ${count} members`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function measureConferenceOps(log = () => undefined) {
  const { url, account, ask, stop } = await forkSandbox({ authId: 'MABENCHCONF000000001', authToken: 'bench-conference-token' });
  const target = { url, authId: account.authId, authToken: account.authToken, callUuid: numberedCall(0) };
  const port = await freePort();
  const answerXml = `<Response><Conference callbackUrl="http://127.0.0.1:${port}/plivo/hangup">${ROOM}</Conference></Response>`;
  // Members are looked up only when needed: the limit is set high, so no row waits for a slot.
  const accountSettings = { rateLimit: 100_000, rateWindow: 1, concurrency: 20 };
  const heard = await startRuntime({ sandbox: target, account: accountSettings, conference: true, webhookPort: port, answerXml });
  const unheard = await startRuntime({ sandbox: target, account: accountSettings, conference: true });
  try {
    log(`conference: a room of ${SIZE.members}...`);
    const members = await fillRoom(url, port, SIZE.members);
    const member = members[0].member_id;
    const lookups = async () => (await ask({ op: 'paths', match: '/Conference/' })).paths.filter((path) => path === `GET /v1/Account/${account.authId}/Conference/${ROOM}/`).length;

    log(`conference: CPU per operation, ${SIZE.cpu} each way...`);
    const cpu = [];
    const measured = [...OPERATIONS(member), { operation: 'mute', call_uuid: members[1].call_uuid }].filter((payload) => ONLY === undefined || payload.operation === ONLY);
    for (const payload of measured) {
      const nodePayload = { conference_name: ROOM, ...payload };
      const bare = bareRequest(payload.call_uuid ? { ...payload, member_id: members[1].member_id } : payload);
      await heard.conference([nodePayload], SIZE.warmup);
      await heard.bareRequests([bare], SIZE.warmup);
      const rounds = [];
      for (let round = 0; round < SIZE.rounds; round += 1) {
        // Each way goes first in every other round, so neither always meets a heap the other left.
        const [node, got] = round % 2 === 0
          ? [await heard.conference([nodePayload], SIZE.cpu), await heard.bareRequests([bare], SIZE.cpu)]
          : (await Promise.resolve().then(async () => [await heard.bareRequests([bare], SIZE.cpu), await heard.conference([nodePayload], SIZE.cpu)])).reverse();
        rounds.push({ nodeUs: (node.cpuMs / SIZE.cpu) * 1000, bareUs: (got.cpuMs / SIZE.cpu) * 1000, failed: node.failed + got.failed, errors: node.errors });
      }
      cpu.push({
        name: payload.call_uuid ? 'mute (member by call UUID)' : payload.operation,
        nodeUs: median(rounds.map((round) => round.nodeUs)),
        bareUs: median(rounds.map((round) => round.bareUs)),
        failed: rounds.reduce((sum, round) => sum + round.failed, 0),
        errors: rounds.flatMap((round) => round.errors).slice(0, 3),
      });
    }

    if (ONLY !== undefined) return { cpu, rounds: SIZE.rounds };
    log(`conference: ${SIZE.byCall} operations naming members by call UUID...`);
    const byCall = Array.from({ length: SIZE.byCall }, (_, i) => ({
      conference_name: ROOM, operation: i % 2 === 0 ? 'mute' : 'unmute', call_uuid: members[Math.floor(Math.random() * members.length)].call_uuid,
    }));
    const before = await lookups();
    const heardRun = await heard.conference(byCall, 1);
    const afterHeard = await lookups();
    const unheardRun = await unheard.conference(byCall, 1);
    const afterUnheard = await lookups();
    return {
      cpu,
      byCall: {
        heard: { lookups: afterHeard - before, failed: heardRun.failed, errors: heardRun.errors },
        unheard: { lookups: afterUnheard - afterHeard, failed: unheardRun.failed, errors: unheardRun.errors },
      },
      rounds: SIZE.rounds,
    };
  } finally {
    await heard.stop();
    await unheard.stop();
    stop();
  }
}

/** Figure 15's rows: [row, what, result, target, met]. */
function conferenceRows({ cpu, byCall, rounds }) {
  const rows = cpu.map(({ name, nodeUs, bareUs, failed, errors }, index) => [
    `15.${index + 1}`,
    `CPU per request, ${name} / bare got sending the same request (${SIZE.cpu} each, 10 in flight, median of ${rounds} rounds)`,
    `${fixed(nodeUs / bareUs)} (${fixed(nodeUs, 0)} us vs ${fixed(bareUs, 0)} us); ${failed} failed${errors.length ? ` (${errors.join('; ')})` : ''}`,
    '<= 1.25',
    nodeUs / bareUs <= 1.25 && failed === 0,
  ]);
  if (!byCall) return rows;
  rows.push([`15.${rows.length + 1}`, `${SIZE.byCall} operations on a room of ${SIZE.members}, each naming a random member by call UUID: details lookups sent, by the runtime that heard the enter events`,
    `${byCall.heard.lookups} lookups; ${byCall.heard.failed} failed`, '0', byCall.heard.lookups === 0 && byCall.heard.failed === 0]);
  rows.push([`15.${rows.length + 1}`, `the same ${SIZE.byCall} operations by a second runtime on the account that heard none (no Redis)`,
    `${byCall.unheard.lookups} lookups; ${byCall.unheard.failed} failed`, '1 (then remembered)', byCall.unheard.lookups === 1 && byCall.unheard.failed === 0]);
  return rows;
}

module.exports = { measureConferenceOps, conferenceRows, SIZE };

if (require.main === module) {
  measureConferenceOps((line) => console.log(line)).then((measured) => {
    for (const [row, what, result, target, met] of conferenceRows(measured)) console.log(`| ${row} | ${what} | ${result} | ${target} | ${met ? 'met' : 'NOT met'} |`);
  }).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
