'use strict';
/**
 * Figure 7 of `npm run bench` alone, several times: `node --expose-gc bench/scale-out.js [runs] [rows]`
 * (3 runs by default; rows like 7.3,7.5 for some only).
 * Each run measures every row (1, 2 and 4 Node-RED processes with and without Redis, and one
 * process beside another client of the account); prints each run and the median of each row.
 */
const { measureRuntimes, LIMIT, N } = require('./run.js');
const { startRedis } = require('../scripts/redis-server.js');

const ROWS = [
  ['7.1', { processes: 1 }], ['7.2', { processes: 1, shared: true }],
  ['7.3', { processes: 2 }], ['7.4', { processes: 2, shared: true }],
  ['7.5', { processes: 4 }], ['7.6', { processes: 4, shared: true }],
  ['7.7', { foreignPerWindow: Math.round(LIMIT.rateLimit / 3) }],
];

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const runs = Number(process.argv[2] ?? 3);
  const only = process.argv[3]?.split(',');
  const rows = ROWS.filter(([row]) => !only || only.includes(row));
  const redis = await startRedis();
  const results = new Map(rows.map(([row]) => [row, []]));
  for (let run = 1; run <= runs; run += 1) {
    for (const [row, { processes = 1, shared = false, foreignPerWindow = 0 }] of rows) {
      const result = await measureRuntimes({ processes, redisUrl: shared ? redis.url : undefined, foreignPerWindow, plays: N.limit });
      results.get(row).push(result);
      const foreign = foreignPerWindow ? `; the client got ${result.foreign.rateLimited} x 429 of ${result.foreign.requests}` : '';
      console.log(`run ${run} ${row}: ${result.utilisation.toFixed(2)}; ${result.rejected} x 429 (${(result.rejectedShare * 100).toFixed(1)}% of ${result.requests}); ${result.lost} lost${foreign}`);
    }
  }
  await redis.kill();
  console.log('\nmedian of the runs:');
  for (const [row, list] of results) {
    const shares = list.map((result) => result.rejectedShare * 100);
    console.log(`${row}: ${median(list.map((result) => result.utilisation)).toFixed(2)} (${list.map((result) => result.utilisation.toFixed(2)).join(' / ')}); `
      + `429s ${median(shares).toFixed(1)}% (${shares.map((share) => share.toFixed(1)).join(' / ')}); lost ${list.map((result) => result.lost).join(' / ')}`);
  }
  setTimeout(() => process.exit(0), 200).unref();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
