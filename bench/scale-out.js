'use strict';
/**
 * Figure 7 of `npm run bench` alone, several times and at several lengths:
 * `node --expose-gc bench/scale-out.js [runs] [rows] [lengths]`
 * (3 runs by default; rows like 7.3,7.5 for some only; lengths like 1200,4800,12000, the plays in all, by default).
 * Each run measures every row at every length (1, 2 and 4 Node-RED processes with and without
 * Redis, and one process beside another client of the account), prints each run with its
 * per-window trace (what the sandbox accepted in each window of the limit, each sender's share,
 * and the 429s), and the median of each row at each length.
 */
const { measureRuntimes, LIMIT } = require('./run.js');
const { startRedis } = require('../scripts/redis-server.js');

const ROWS = [
  ['7.1', { processes: 1 }], ['7.2', { processes: 1, shared: true }],
  ['7.3', { processes: 2 }], ['7.4', { processes: 2, shared: true }],
  ['7.5', { processes: 4 }], ['7.6', { processes: 4, shared: true }],
  ['7.7', { foreignPerWindow: Math.round(LIMIT.rateLimit / 3) }],
];
const LENGTHS = [1200, 4800, 12_000];
const BAR = 30;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** One line per window: a bar of what was accepted against the limit, each sender's share, and the 429s. */
function traceLines(trace, foreign) {
  return trace.map(({ accepted, rejected }, k) => {
    const total = accepted.reduce((sum, n) => sum + n, 0);
    const filled = Math.min(BAR, Math.round((total / LIMIT.rateLimit) * BAR));
    const names = accepted.map((_, i) => (foreign && i === accepted.length - 1 ? 'client' : String.fromCharCode(65 + i)));
    const shares = accepted.map((n, i) => `${names[i]} ${String(n).padStart(3)}`).join(' ');
    const limited = rejected.map((n, i) => `${names[i]} ${n}`).join(' ');
    return `  w${String(k + 1).padStart(2, '0')} |${'#'.repeat(filled)}${' '.repeat(BAR - filled)}| ${String(total).padStart(3)}  ${shares}  429: ${limited}`;
  });
}

/** Windows that are full, after the first (which the ramp fills) and before the last (which the run ends in). */
function steadyUse(trace) {
  const middle = trace.slice(1, -1);
  if (middle.length === 0) return Number.NaN;
  return middle.reduce((sum, { accepted }) => sum + accepted.reduce((a, n) => a + n, 0), 0) / (middle.length * LIMIT.rateLimit);
}

async function main() {
  const runs = Number(process.argv[2] ?? 3);
  const only = process.argv[3]?.split(',');
  const lengths = process.argv[4]?.split(',').map(Number) ?? LENGTHS;
  const rows = ROWS.filter(([row]) => !only || only.includes(row));
  const redis = await startRedis();
  const results = new Map(rows.flatMap(([row]) => lengths.map((plays) => [`${row} ${plays}`, []])));
  for (let run = 1; run <= runs; run += 1) {
    for (const plays of lengths) {
      for (const [row, { processes = 1, shared = false, foreignPerWindow = 0 }] of rows) {
        const result = await measureRuntimes({ processes, redisUrl: shared ? redis.url : undefined, foreignPerWindow, plays });
        results.get(`${row} ${plays}`).push(result);
        const foreign = foreignPerWindow ? `; the client got ${result.foreign.rateLimited} x 429 of ${result.foreign.requests}` : '';
        console.log(`run ${run} ${row}, ${plays} plays: ${result.utilisation.toFixed(2)} (full windows ${steadyUse(result.trace).toFixed(2)}); `
          + `${result.rejected} x 429 (${(result.rejectedShare * 100).toFixed(1)}% of ${result.requests}); ${result.lost} lost${foreign}`);
        for (const line of traceLines(result.trace, foreignPerWindow > 0)) console.log(line);
      }
    }
  }
  await redis.kill();
  console.log('\nmedian of the runs:');
  for (const [key, list] of results) {
    const shares = list.map((result) => result.rejectedShare * 100);
    const client = list[0].foreign.requests > 0 ? `; the client's 429s ${list.map((result) => result.foreign.rateLimited).join(' / ')}` : '';
    console.log(`${key}: ${median(list.map((result) => result.utilisation)).toFixed(2)} (${list.map((result) => result.utilisation.toFixed(2)).join(' / ')}); `
      + `429s ${median(shares).toFixed(1)}% (${shares.map((share) => share.toFixed(1)).join(' / ')}); lost ${list.map((result) => result.lost).join(' / ')}${client}`);
  }
  setTimeout(() => process.exit(0), 200).unref();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
