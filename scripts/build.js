'use strict';
/**
 * Builds dist/: compiles nodes/ with tsc, then puts each node's .html, icons/ and
 * locales/ next to its compiled .js, the only place Node-RED looks for them, with the dialog
 * rows the call nodes share filled into their templates. Plivo's speak
 * languages (nodes/lib/call/speak-languages.ts) are written into plivo speak's, plivo xml's and plivo conference's
 * editors and plivo speak's help pages, and Plivo's XML elements (nodes/lib/xml/elements.ts)
 * into plivo xml's editor, so each list exists once.
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

/** The dialog rows plivo play and plivo speak share (nodes/partials/call-node-rows.html), put in each template. */
const partial = fs.readFileSync(path.join(root, 'nodes', 'partials', 'call-node-rows.html'), 'utf8');
const sections = new Map([...partial.matchAll(/^<!-- section: ([\w-]+) -->\n([\s\S]*?)(?=^<!-- section: |(?![\s\S]))/gm)]
  .map(([, name, rows]) => [name, rows]));
for (const file of fs.readdirSync(nodesOut).filter((name) => name.endsWith('.html'))) {
  const built = path.join(nodesOut, file);
  const html = fs.readFileSync(built, 'utf8');
  const type = /data-template-name="([\w-]+)"/.exec(html)?.[1];
  fs.writeFileSync(built, html.replace(/^ {4}<!-- call-node-rows: ([\w-]+) -->\n/gm, (marker, name) => {
    if (!sections.has(name)) {
      console.error(`build: ${file} asks for call-node rows "${name}", which nodes/partials/call-node-rows.html does not have`);
      process.exit(1);
    }
    return sections.get(name).split('__NODE__').join(type);
  }));
}
fs.cpSync(path.join(root, 'icons'), path.join(nodesOut, 'icons'), { recursive: true });
fs.cpSync(path.join(root, 'locales'), path.join(nodesOut, 'locales'), { recursive: true });

const { SPEAK_LANGUAGES } = require(path.join(nodesOut, 'lib', 'call', 'speak-languages.js'));

/** Replaces `marker` in a built file with `text`; a missing marker fails the build. */
function fillIn(file, marker, text) {
  const content = fs.readFileSync(file, 'utf8');
  if (!content.includes(marker)) {
    console.error(`build: ${path.relative(root, file)} has no ${marker}`);
    process.exit(1);
  }
  fs.writeFileSync(file, content.split(marker).join(text));
}

const speakLanguages = JSON.stringify(SPEAK_LANGUAGES.map(({ code, name, voices }) => ({ code, name, voices })));
fillIn(path.join(nodesOut, 'plivo-speak.html'), '__SPEAK_LANGUAGES__', speakLanguages);
fillIn(path.join(nodesOut, 'plivo-xml.html'), '__SPEAK_LANGUAGES__', speakLanguages);
fillIn(path.join(nodesOut, 'plivo-conference.html'), '__SPEAK_LANGUAGES__', speakLanguages);
// plivo xml's editor builds its rows from the runtime's own element table.
const { ELEMENTS } = require(path.join(nodesOut, 'lib', 'xml', 'elements.js'));
fillIn(path.join(nodesOut, 'plivo-xml.html'), '__XML_ELEMENTS__', JSON.stringify(ELEMENTS.map(({ name, body, attributes, children }) => ({
  name, body, children, attributes: attributes.map((attribute) => ({ name: attribute.name, value: attribute.value, webhook: attribute.webhook })),
}))));
const languageRows = SPEAK_LANGUAGES.map(({ code, name, voices }) =>
  `    <tr><td><code>${code}</code></td><td>${name}</td><td>${voices.join(', ')}</td></tr>`).join('\n');
for (const lang of fs.readdirSync(path.join(nodesOut, 'locales'))) {
  fillIn(path.join(nodesOut, 'locales', lang, 'plivo-speak.html'), '<!-- speak-languages -->', languageRows);
}
