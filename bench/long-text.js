'use strict';
/**
 * What a text far past its limit costs before it is refused: the event loop's stall (the
 * synchronous time one message takes) and the heap it grows, for a 5 MB and a 64 MB text as
 * plivo speak's text, as plivo xml's Speak and Conference room, and as a Play URL. Each is
 * refused; what matters is that refusing costs what the limit allows, not what the text weighs.
 * `node --expose-gc bench/long-text.js [DIR...]` measures the built package in each DIR (default:
 * this checkout), so an older checkout, built, can be compared with this one. Median of 5 rounds.
 * Prints figures; never fails on one.
 */
const path = require('node:path');

const SIZES = [['5 MB', 5 * 1024 * 1024], ['64 MB', 64 * 1024 * 1024]];
const ROUNDS = 5;
const UUID = 'eba53b9e-8fbd-45c1-9444-696d2172fbc8';

function cases(dir) {
  const lib = (file) => require(path.resolve(dir, 'dist', 'nodes', 'lib', file));
  const { buildSpeakRequest } = lib('call/speak-request.js');
  const { buildCallRequest } = lib('call/play-request.js');
  const { writeElement } = lib('xml/build.js');
  const speak = (text) => buildSpeakRequest({}, { call_uuid: UUID, text });
  const xml = (element, text) => writeElement({ element, where: 'element 1', text: { value: text, where: 'msg.text' }, attributes: [], children: [] });
  return {
    'plivo speak text': speak,
    'plivo xml Speak': (text) => xml('Speak', text),
    'plivo xml Conference room': (text) => xml('Conference', text),
    'plivo play URL': (text) => buildCallRequest({}, { call_uuid: UUID, urls: text }),
  };
}

/** Milliseconds the call took (the event loop's stall) and the heap it left, with the outcome. */
function measure(run, text) {
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = process.hrtime.bigint();
  let outcome;
  try {
    run(text);
    outcome = 'accepted';
  } catch (error) {
    outcome = `refused: ${String(error.message).slice(0, 60)}`;
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
  return { ms, heapMb, outcome };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function measureBuild(dir) {
  console.log(`\n${path.resolve(dir)}`);
  console.log('| case | text | stall (ms, median of 5) | heap left (MB) | outcome |');
  console.log('| --- | --- | ---: | ---: | --- |');
  for (const [name, run] of Object.entries(cases(dir))) {
    for (const [size, length] of SIZES) {
      // Words and spaces, and one astral character a word, so code points and code units differ; a URL for Play.
      const words = 'hello 😀 '.repeat(Math.ceil(length / 10)).slice(0, length);
      const text = name === 'plivo play URL' ? `https://media.example.com/${words}` : words;
      // Made whole before it is timed: a string built by concatenation is copied on its first full read.
      text.indexOf('\u0000');
      const rounds = Array.from({ length: ROUNDS }, () => measure(run, text));
      const ms = median(rounds.map((round) => round.ms));
      const heap = median(rounds.map((round) => round.heapMb));
      console.log(`| ${name} | ${size} | ${ms.toFixed(2)} | ${heap.toFixed(1)} | ${rounds[0].outcome} |`);
    }
  }
}

if (!global.gc) console.log('(run with node --expose-gc for the heap figures)');
for (const dir of process.argv.length > 2 ? process.argv.slice(2) : [path.join(__dirname, '..')]) measureBuild(dir);
