'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useTranslator } = require('../dist/nodes/lib/common/messages.js');
const { buildCallRequest } = require('../dist/nodes/lib/call/play-request.js');

const root = path.join(__dirname, '..');
const LANGUAGES = ['de', 'ja'];
const NODES = ['plivo-play', 'plivo-speak', 'plivo-call', 'plivo-conference', 'plivo-xml', 'plivo-config', 'plivo-webhook', 'plivo-make-call'];

function catalog(lang, node) {
  return JSON.parse(fs.readFileSync(path.join(root, 'locales', lang, `${node}.json`), 'utf8'));
}

/** key path -> text, for every leaf. */
function flatten(tree, prefix = '', out = new Map()) {
  for (const [key, value] of Object.entries(tree)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'object' && value !== null) flatten(value, name, out);
    else out.set(name, value);
  }
  return out;
}

const placeholders = (text) => [...String(text).matchAll(/__(\w+)__/g)].map((match) => match[1]).sort();

function sources(folder, extension) {
  return fs.readdirSync(path.join(root, folder), { recursive: true })
    .filter((file) => file.endsWith(extension))
    .map((file) => fs.readFileSync(path.join(root, folder, file), 'utf8'))
    .join('\n');
}

describe('message catalogs and help', () => {
  for (const lang of LANGUAGES) {
    for (const node of NODES) {
      it(`${lang}/${node}.json has every key of en-US, with the same placeholders`, () => {
        const english = flatten(catalog('en-US', node));
        const translated = flatten(catalog(lang, node));
        const missing = [...english.keys()].filter((key) => !translated.has(key));
        assert.deepEqual(missing, [], `${lang} lacks keys`);
        const extra = [...translated.keys()].filter((key) => !english.has(key));
        assert.deepEqual(extra, [], `${lang} has keys en-US does not`);
        for (const [key, text] of english) {
          assert.deepEqual(placeholders(translated.get(key)), placeholders(text), `${lang} ${key} placeholders`);
        }
      });

      it(`${lang}/${node}.html is a help page for ${node}`, () => {
        const html = fs.readFileSync(path.join(root, 'locales', lang, `${node}.html`), 'utf8');
        assert.match(html, new RegExp(`data-help-name="${node}"`));
        const headings = (text) => (text.match(/<h[34]>/g) ?? []).length;
        const english = fs.readFileSync(path.join(root, 'locales', 'en-US', `${node}.html`), 'utf8');
        assert.equal(headings(html), headings(english), 'the same sections as en-US');
      });
    }
  }

  it('every catalog key the editor and the runtime use exists in en-US', () => {
    const english = new Set(NODES.flatMap((node) => [...flatten(catalog('en-US', node)).keys()]));
    // The built templates, with the rows the call nodes share filled in (scripts/build.js).
    const editor = fs.readdirSync(path.join(root, 'dist', 'nodes')).filter((file) => file.endsWith('.html'))
      .map((file) => fs.readFileSync(path.join(root, 'dist', 'nodes', file), 'utf8')).join('\n');
    const runtime = sources('nodes', '.ts');
    const sharedEditor = sources('resources', '.js');
    const callNodes = ['plivo-play', 'plivo-speak', 'plivo-call', 'plivo-conference'];
    const used = [
      ...[...editor.matchAll(/data-i18n="(?:\[[a-z]+\])?([\w.-]+)"/g)].map((m) => m[1]),
      ...[...editor.matchAll(/\b_\('([\w.-]+)'/g)].map((m) => m[1]),
      ...[...sharedEditor.matchAll(/\b_\((?:node|this)\.type \+ (?:\(index === 0 \? )?'(\.[\w.-]+)'(?: : '(\.[\w.-]+)'\))?/g)]
        .flatMap((m) => m.slice(1).filter(Boolean)).flatMap((suffix) => callNodes.map((type) => type + suffix)),
      ...[...runtime.matchAll(/RED\._\(['`]([\w.-]+)['`]/g)].map((m) => m[1]),
      ...[...runtime.matchAll(/(?<![.\w])(?:text|catalogText|describe|fail)\('([\w.-]+)'/g)].map((m) => `plivo-play.errors.${m[1]}`),
      ...[...runtime.matchAll(/\btexts\.text\('((?:status|warn)\.[\w.-]+)'/g)].map((m) => `plivo-play.${m[1]}`),
      ...[...runtime.matchAll(/new InputError\([^,]+,[^,]+,\s*'([\w.-]+)'/g)].map((m) => `plivo-play.errors.${m[1]}`),
      ...[...runtime.matchAll(/choiceParser\(\w+, '([\w-]+)'\)/g)].map((m) => `plivo-play.errors.${m[1]}`),
      ...[...runtime.matchAll(/key: '([\w-]+)'/g)].map((m) => `plivo-play.status.${m[1]}`),
      ...[...runtime.matchAll(/view\('([\w-]+)'/g)].map((m) => `plivo-play.status.${m[1]}`),
    ];
    assert.ok(used.length > 90, `found ${used.length} uses`);
    // A key built at run time ('plivo-call.operation.' + the operation) must have entries under it.
    const known = (key) => (key.endsWith('.') ? [...english.keys()].some((one) => one.startsWith(key)) : english.has(key));
    // plivo call's and plivo conference's labels are their own, and they have no legs/loop/mix menus: those shared keys are play's and speak's.
    const notPlivoCall = new Set(['label.stop', 'option.true', 'option.false', 'option.aleg', 'option.bleg', 'option.both'].flatMap((key) => [`plivo-call.${key}`, `plivo-conference.${key}`]));
    assert.deepEqual([...new Set(used.filter((key) => !notPlivoCall.has(key) && !known(key)))], []);
  });

  it('runtime errors come out in the runtime\'s language', () => {
    const german = flatten(catalog('de', 'plivo-play'));
    useTranslator((key, params) => german.get(`plivo-play.errors.${key}`)?.replace(/__(\w+)__/g, (_, name) => params[name]));
    try {
      assert.throws(() => buildCallRequest({}, { call_uuid: 'abc', urls: 'https://a.example/x.mp3' }), (error) => {
        assert.equal(String(error),
          'Ungültige Eingabe: msg.payload.call_uuid muss eine Anruf-UUID wie 2d6a3c4e-1f0b-4c8e-9a55-0c1d2e3f4a5b sein (erhalten: "abc")');
        return true;
      });
    } finally {
      useTranslator(() => undefined);
    }
  });
});
