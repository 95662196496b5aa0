'use strict';
/**
 * The source's layers point one way: every import (type imports included) goes down the list
 * below, and no files import each other, directly or round a circle.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const NODES = path.join(__dirname, '..', 'nodes');
/** Each folder of nodes/lib and the folders it may import; the entry files (nodes/*.ts) may import any. */
const MAY_IMPORT = {
  common: [],
  redis: ['common'],
  limit: ['common', 'redis'],
  call: ['common', 'limit'],
  xml: ['common', 'call'],
  webhook: ['common', 'redis'],
  plivo: ['common', 'redis', 'limit', 'call', 'webhook'],
  '.': [],
};

function sources(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The project files a source imports (import, import type, export from, require), resolved to .ts paths. */
function importsOf(file) {
  const code = fs.readFileSync(file, 'utf8');
  const specifiers = [...code.matchAll(/(?:\bfrom\s+|\brequire\(\s*|\bimport\(\s*)'(\.[^']*)'/g)].map((match) => match[1]);
  return specifiers.map((specifier) => {
    const target = path.resolve(path.dirname(file), specifier);
    return fs.existsSync(`${target}.ts`) ? `${target}.ts` : target;
  }).filter((target) => target.endsWith('.ts'));
}

const graph = new Map(sources(NODES).map((file) => [file, importsOf(file)]));
const show = (file) => path.relative(NODES, file);

/** The folder of nodes/lib a file is in ('.' for lib's own files), or undefined for an entry file. */
function libFolder(file) {
  const relative = path.relative(path.join(NODES, 'lib'), file);
  if (relative.startsWith('..')) return undefined;
  const parts = relative.split(path.sep);
  return parts.length === 1 ? '.' : parts[0];
}

describe('the layers of nodes/ point one way', () => {
  it('finds the sources and their imports', () => {
    assert.ok(graph.size > 30, `${graph.size} sources`);
    assert.ok([...graph.values()].flat().length > 60);
  });

  it('each folder of nodes/lib imports only the folders below it', () => {
    const wrong = [];
    for (const [file, imports] of graph) {
      const from = libFolder(file);
      for (const target of imports) {
        const to = libFolder(target);
        if (to === undefined && from !== undefined) wrong.push(`${show(file)} imports the entry file ${show(target)}`);
        else if (from !== undefined && to !== from && !MAY_IMPORT[from].includes(to)) wrong.push(`${show(file)} -> ${show(target)}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('nodes/ holds only node entries; the glue they share (nodes/shared) imports no entry', () => {
    const entries = fs.readdirSync(NODES).filter((name) => name.endsWith('.ts'));
    const registered = Object.keys(require('../package.json')['node-red'].nodes).map((type) => `${type}.ts`);
    assert.deepEqual(entries.sort(), registered.sort(), 'every .ts in nodes/ is a node registered in package.json');
    const wrong = [];
    for (const [file, imports] of graph) {
      if (!file.startsWith(path.join(NODES, 'shared') + path.sep)) continue;
      for (const target of imports) if (path.dirname(target) === NODES) wrong.push(`${show(file)} -> ${show(target)}`);
    }
    assert.deepEqual(wrong, []);
  });

  it('no file imports another that imports it back, directly or round a circle', () => {
    const state = new Map();
    const circles = [];
    const visit = (file, trail) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        circles.push([...trail.slice(trail.indexOf(file)), file].map(show).join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const target of graph.get(file) ?? []) visit(target, [...trail, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    assert.deepEqual(circles, []);
  });
});
