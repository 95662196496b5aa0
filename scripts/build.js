'use strict';
/**
 * Builds dist/: compiles nodes/ with tsc, then puts each node's .html, icons/ and
 * locales/ next to its compiled .js, the only place Node-RED looks for them.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');
const nodesOut = path.join(dist, 'nodes');

fs.rmSync(dist, { recursive: true, force: true });
const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });
if (tsc.status !== 0) {
  process.exit(tsc.status ?? 1);
}
for (const file of fs.readdirSync(path.join(root, 'nodes'))) {
  if (file.endsWith('.html')) {
    fs.copyFileSync(path.join(root, 'nodes', file), path.join(nodesOut, file));
  }
}
fs.cpSync(path.join(root, 'icons'), path.join(nodesOut, 'icons'), { recursive: true });
fs.cpSync(path.join(root, 'locales'), path.join(nodesOut, 'locales'), { recursive: true });
