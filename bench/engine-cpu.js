'use strict';
/**
 * The request engine's own CPU per message, without HTTP: 50,000 messages from two nodes, each
 * attempt answered on the next turn of the event loop; median of 5 rounds after a warm-up.
 * `node bench/engine-cpu.js DIR...` measures the build in each DIR (an older checkout, built,
 * beside this one), in turn, to compare what a change to the engine costs.
 */
const path = require('node:path');

async function measure(dir) {
  const { RequestEngine } = require(path.resolve(dir, 'dist/nodes/lib/limit/request-engine.js'));
  const policy = { retries: 0, rateLimitWaitMs: 60_000 };
  const round = async (n) => {
    const engine = new RequestEngine({ rateLimit: 1_000_000, rateWindowMs: 1000, concurrency: 10, queueLimit: 1_000_000, timeoutMs: 10_000 });
    const owners = [{}, {}];
    const before = process.cpuUsage();
    await Promise.all(Array.from({ length: n }, (_, i) => engine.submit(owners[i % 2], policy, () => new Promise((resolve) => setImmediate(resolve)))));
    const cpu = process.cpuUsage(before);
    return (cpu.user + cpu.system) / n;
  };
  await round(20_000);
  const results = [];
  for (let i = 0; i < 5; i += 1) results.push(await round(50_000));
  results.sort((a, b) => a - b);
  return results[2];
}

(async () => {
  const dirs = process.argv.length > 2 ? process.argv.slice(2) : [path.join(__dirname, '..')];
  for (const dir of dirs) {
    console.log(`${dir}: ${(await measure(dir)).toFixed(1)} us of CPU per message in the engine (median of 5 x 50,000)`);
  }
})();
