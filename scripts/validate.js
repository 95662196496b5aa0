'use strict';
/**
 * `npm run validate`: the Node-RED flow library's scorecard checks (as node-red-dev validate
 * makes them) that need no GitHub clone or catalogue: P01 P03 P04 P05 P06 P07 N02 D01 D02 D03.
 * Facts about other packages come from the npm registry, as npm install's do. Fails on any miss.
 *
 * One deliberate difference: D03 asks that each dependency's range allow the newest version
 * that supports our engines.node. node-red-dev compares with the newest version outright, which
 * for got (15+ needs Node 22) would push Node-RED 3.1 and 4.x users on Node 20 off the package.
 */
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const acorn = require('acorn');
const walk = require('acorn-walk');
const semver = require('semver');

const root = path.join(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
/** node-red-dev's list of packages known to break Node-RED (badpackages.json). */
const KNOWN_BAD = { 'agent-base': '<6.0.0' };
const MAX_DEPENDENCIES = 6;

/** A package's registry document (every version's package.json), from the registry npm uses. */
const packuments = new Map();
async function packument(name) {
  if (!packuments.has(name)) {
    const base = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim().replace(/\/$/, '');
    const response = await fetch(`${base}/${name.replace('/', '%2F')}`, { signal: AbortSignal.timeout(60_000) });
    if (!response.ok) throw new Error(`the registry answered ${response.status} for ${name}`);
    packuments.set(name, await response.json());
  }
  return packuments.get(name);
}

/** A check that fails says why; one that passes returns what it found. */
class Miss extends Error {}

/** The node types registered in a node's editor .html, with the literal properties the library reads. */
function nodeDefinitions(htmlFile) {
  const html = fs.readFileSync(htmlFile, 'utf8');
  const definitions = {};
  for (const [, script] of html.matchAll(/<script[^>]+type=["']text\/javascript["'][^>]*>([\s\S]*?)<\/script>/gi)) {
    walk.simple(acorn.parse(script, { ecmaVersion: 'latest' }), {
      CallExpression(node) {
        if (node.callee.property?.name !== 'registerType') return;
        const [type, definition] = node.arguments;
        if (type.type !== 'Literal' || definition.type !== 'ObjectExpression') {
          throw new Error(`${htmlFile}: registerType needs a literal type and an inline definition`);
        }
        const found = {};
        for (const property of definition.properties) {
          const key = property.key.name;
          if (['category', 'color', 'icon', 'inputs', 'outputs'].includes(key)) {
            if (property.value.type !== 'Literal') throw new Error(`${htmlFile}: ${type.value}.${key} is not a literal`);
            found[key] = property.value.value;
          }
          if (['defaults', 'credentials'].includes(key) && property.value.type !== 'ObjectExpression') {
            throw new Error(`${htmlFile}: ${type.value}.${key} is not inline`);
          }
        }
        definitions[type.value] = found;
      },
    });
  }
  return definitions;
}

/** Every package in the installed runtime dependency tree, as [name, version]. */
function runtimeTree() {
  const tree = JSON.parse(execFileSync('npm', ['ls', '--omit=dev', '--all', '--json'], { cwd: root, encoding: 'utf8' }));
  const found = [];
  const visit = (dependencies = {}) => {
    for (const [name, info] of Object.entries(dependencies)) {
      found.push([name, info.version]);
      visit(info.dependencies);
    }
  };
  visit(tree.dependencies);
  return found;
}

const checks = [
  ['P01', 'has a license', () => {
    if (!pkg.license) throw new Miss('no "license" in package.json');
    return pkg.license;
  }],
  ['P03', 'names a repository or a bugs address', () => {
    if (!pkg.repository && !pkg.bugs) throw new Miss('no "repository" or "bugs" in package.json');
    return pkg.repository?.url ?? pkg.bugs?.url ?? pkg.bugs;
  }],
  ['P04', 'uses a scoped name', () => {
    if (!/^@[a-z\d][\w.-]+\/[a-z\d][\w.-]*$/.test(pkg.name)) throw new Miss(`${pkg.name} is not scoped`);
    return pkg.name;
  }],
  ['P05', 'has the node-red keyword', () => {
    if (!(pkg.keywords ?? []).includes('node-red')) throw new Miss('keywords lack "node-red"');
    return 'node-red';
  }],
  ['P06', 'node-red.version allows the current Node-RED releases', async () => {
    const range = pkg['node-red']?.version;
    if (!range) throw new Miss('no node-red.version');
    const tags = (await packument('node-red'))['dist-tags'];
    const current = Object.entries(tags).filter(([tag]) => tag === 'latest' || tag.includes('maintenance')).map(([, v]) => v);
    const refused = current.filter((version) => !semver.satisfies(version, range));
    if (refused.length > 0) throw new Miss(`${range} refuses ${refused.join(', ')}`);
    return `${range} allows ${current.join(', ')}`;
  }],
  ['P07', 'engines.node accepts the newest Node-RED\'s minimum Node', async () => {
    const nodeRed = await packument('node-red');
    const minimum = semver.minVersion(nodeRed.versions[nodeRed['dist-tags'].latest].engines.node);
    if (!semver.satisfies(minimum, pkg.engines?.node ?? '')) throw new Miss(`engines.node ${pkg.engines?.node} refuses Node ${minimum}`);
    return `${pkg.engines.node} accepts ${minimum}`;
  }],
  ['N02', 'examples use every non-config node', () => {
    const types = Object.values(pkg['node-red'].nodes).flatMap((js) =>
      Object.entries(nodeDefinitions(path.join(root, js.replace(/\.js$/, '.html')))))
      .filter(([, definition]) => definition.category !== 'config').map(([type]) => type);
    const examples = path.join(root, 'examples');
    const used = new Set(fs.readdirSync(examples).filter((file) => file.endsWith('.json'))
      .flatMap((file) => JSON.parse(fs.readFileSync(path.join(examples, file), 'utf8')).map((node) => node.type)));
    const missing = types.filter((type) => !used.has(type));
    if (missing.length > 0) throw new Miss(`no example uses ${missing.join(', ')}`);
    return types.join(', ');
  }],
  ['D01', `at most ${MAX_DEPENDENCIES} runtime dependencies`, () => {
    const names = Object.keys(pkg.dependencies ?? {});
    if (names.length > MAX_DEPENDENCIES) throw new Miss(`${names.length} dependencies`);
    return `${names.length} (${names.join(', ')})`;
  }],
  ['D02', 'no known-bad package in the runtime tree', () => {
    const tree = runtimeTree();
    const bad = tree.filter(([name, version]) => KNOWN_BAD[name] && semver.satisfies(version, KNOWN_BAD[name]));
    if (bad.length > 0) throw new Miss(bad.map(([name, version]) => `${name}@${version}`).join(', '));
    return `${tree.length} packages checked`;
  }],
  ['D03', 'each range allows the newest version for our engines.node', async () => {
    const ourMinimum = semver.minVersion(pkg.engines.node);
    const notes = [];
    for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
      const { versions } = await packument(name);
      const stable = Object.keys(versions).filter((version) => !semver.prerelease(version) && !versions[version].deprecated);
      const latest = semver.maxSatisfying(stable, '*');
      const newest = semver.maxSatisfying(stable.filter((version) => {
        const node = versions[version].engines?.node;
        return !node || semver.satisfies(ourMinimum, node);
      }), '*');
      if (!semver.satisfies(newest, range)) throw new Miss(`${name} ${range} refuses ${newest}`);
      notes.push(newest === latest
        ? `${name} ${range} allows ${newest}`
        : `${name} ${range} allows ${newest}, the newest for Node ${ourMinimum} (${latest} needs ${versions[latest].engines.node})`);
    }
    return notes.join('; ');
  }],
];

async function main() {
  let failed = 0;
  for (const [code, title, check] of checks) {
    try {
      console.log(`pass  ${code}  ${title}: ${await check()}`);
    } catch (error) {
      failed += 1;
      console.log(`FAIL  ${code}  ${title}: ${error.message}`);
    }
  }
  console.log(`\n${checks.length - failed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main();
