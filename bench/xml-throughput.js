'use strict';
/**
 * Figure 13 of `npm run bench` (alone: `node bench/xml-throughput.js [--quick]`): messages per
 * second through plivo xml writing a 5-element phone menu with values from the message, against
 * Node-RED's template node writing the same XML from a mustache template. Both in one Node-RED,
 * the same messages, several rounds each way in turn; the XML is checked equal first.
 */
const { startEmbeddedNodeRed } = require('../scripts/runtime-process.js');

const QUICK = process.argv.includes('--quick');
const SIZE = QUICK ? { messages: 2000, rounds: 3 } : { messages: 20_000, rounds: 5 };

const ACTION = 'https://flows.example.com/plivo/menu/digits';
const MENU = 'https://flows.example.com/plivo/menu';
const typed = (name, value, type) => ({ name, value, type });

/** The two nodes, plivo xml with typed values and a template node writing the same XML, wired to a junction (a message is timed to its delivery). */
const XML_NODES = [
  {
    id: 'xml-menu', type: 'plivo-xml', z: 'bench', name: 'menu', more: '', moreType: 'msg', errorOutput: false, x: 200, y: 400, wires: [['xml-sink']],
    elements: [
      { element: 'Speak', text: 'payload.greeting', textType: 'msg', attributes: [typed('language', 'en-GB', 'choice')], children: [] },
      {
        element: 'GetDigits', attributes: [typed('action', ACTION, 'str'), typed('numDigits', 'payload.digits', 'msg')],
        children: [{ element: 'Speak', text: 'payload.prompt', textType: 'msg', attributes: [], children: [] }],
      },
      { element: 'Speak', text: 'We did not hear a key.', textType: 'str', attributes: [], children: [] },
      { element: 'Wait', attributes: [typed('length', '2', 'num')], children: [] },
      { element: 'Redirect', text: MENU, textType: 'str', attributes: [], children: [] },
    ],
  },
  {
    id: 'xml-template', type: 'template', z: 'bench', name: 'menu template', field: 'payload', fieldType: 'msg', format: 'handlebars',
    syntax: 'mustache', output: 'str', x: 200, y: 440, wires: [['xml-sink']],
    template: `<Response><Speak language="en-GB">{{payload.greeting}}</Speak><GetDigits action="${ACTION}" numDigits="{{payload.digits}}">`
      + '<Speak>{{payload.prompt}}</Speak></GetDigits><Speak>We did not hear a key.</Speak><Wait length="2"/>'
      + `<Redirect>${MENU}</Redirect></Response>`,
  },
  { id: 'xml-sink', type: 'junction', z: 'bench', x: 400, y: 420, wires: [[]] },
];

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const message = (i) => ({ payload: { greeting: `Welcome back, caller ${i}`, digits: 1 + (i % 4), prompt: 'Press 1 for sales, 2 for support.' } });

/**
 * Sends the same messages through both nodes, `rounds` times in turn; `send(nodeId, msg)` resolves
 * with the message as it left the node. Returns messages per second and CPU per message each way.
 */
async function measureXmlThroughput(send, log = () => {}) {
  const [fromNode, fromTemplate] = await Promise.all([send('xml-menu', message(7)), send('xml-template', message(7))]);
  if (fromNode.payload !== fromTemplate.payload) throw new Error(`the two nodes wrote different XML:\n${fromNode.payload}\n${fromTemplate.payload}`);
  const run = async (nodeId) => {
    global.gc?.();
    const cpuBefore = process.cpuUsage();
    const began = performance.now();
    await Promise.all(Array.from({ length: SIZE.messages }, (_, i) => send(nodeId, message(i))));
    const seconds = (performance.now() - began) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    return { perSecond: SIZE.messages / seconds, cpuUs: (cpu.user + cpu.system) / SIZE.messages };
  };
  await run('xml-menu');
  await run('xml-template');
  const rounds = [];
  for (let round = 0; round < SIZE.rounds; round += 1) {
    log(`xml: round ${round + 1} of ${SIZE.rounds}, ${SIZE.messages} messages each way...`);
    rounds.push({ node: await run('xml-menu'), template: await run('xml-template') });
  }
  const node = { perSecond: median(rounds.map((r) => r.node.perSecond)), cpuUs: median(rounds.map((r) => r.node.cpuUs)) };
  const template = { perSecond: median(rounds.map((r) => r.template.perSecond)), cpuUs: median(rounds.map((r) => r.template.cpuUs)) };
  return { messages: SIZE.messages, rounds: SIZE.rounds, node, template, ratio: node.perSecond / template.perSecond };
}

/** A sender through `RED`: each message resolves once it has left its node. */
function sender(RED) {
  const waiting = new Map();
  RED.hooks.add('postDeliver.xmlbench', (event) => {
    const resolve = waiting.get(event.msg._msgid);
    if (resolve && (event.source.id === 'xml-menu' || event.source.id === 'xml-template')) {
      waiting.delete(event.msg._msgid);
      resolve(event.msg);
    }
  });
  let sequence = 0;
  return (nodeId, msg) => new Promise((resolve) => {
    sequence += 1;
    const id = `xml-${sequence}`;
    waiting.set(id, resolve);
    RED.nodes.getNode(nodeId).receive({ ...msg, _msgid: id });
  });
}

module.exports = { XML_NODES, measureXmlThroughput, sender };

if (require.main === module) {
  (async () => {
    const flow = [{ id: 'bench', type: 'tab', label: 'bench' }, ...XML_NODES];
    const { RED, userDir } = await startEmbeddedNodeRed({
      flow, credentials: {}, readyNode: 'xml-template', settings: { logging: { console: { level: 'warn', metrics: false, audit: false } } },
    });
    const result = await measureXmlThroughput(sender(RED), (text) => process.stderr.write(`${text}\n`));
    console.log(`${result.messages} messages x ${result.rounds} rounds: plivo xml ${result.node.perSecond.toFixed(0)}/s (${result.node.cpuUs.toFixed(1)} us CPU each), `
      + `template ${result.template.perSecond.toFixed(0)}/s (${result.template.cpuUs.toFixed(1)} us); ratio ${result.ratio.toFixed(2)}`);
    await RED.stop();
    require('node:fs').rmSync(userDir, { recursive: true, force: true });
    process.exit(0);
  })().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
