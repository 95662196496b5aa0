'use strict';
/**
 * Runs the node-red dev dependency as its own process, with a user dir of ours that
 * holds this package as a user would have it installed and the example flow deployed
 * against a sandbox. Used by `npm start` and by the real-runtime test.
 */
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');

const root = path.join(__dirname, '..');
const pkg = require('../package.json');
/** The Node-RED to run: the dev dependency, or another version's folder for test:compat. */
const nodeRedPackage = process.env.NODE_RED_PACKAGE ?? path.dirname(require.resolve('node-red/package.json'));
const EXAMPLES = path.join(root, 'examples');
/** The examples in the order a newcomer should meet them; each gets a tab. */
const EXAMPLE_FILES = [
  'answer-a-call-and-play', 'tell-callers-their-place-in-the-queue', 'play-audio-into-a-call', 'hold-music-from-env', 'stop-playback',
  'broadcast-to-many-calls', 'record-a-call-and-get-the-recording', 'transfer-a-caller-to-another-flow', 'phone-menu', 'voicemail',
  'call-me-when-the-alarm-fires', 'appointment-reminders', 'incident-bridge',
];
/** The broadcast example's calls that hang up while it runs under `npm start` (the sandbox's third and fourth). */
const BROADCAST_HANGUPS = [2, 3];

/** An http request to one of the sandbox's demo endpoints, and a debug node showing its answer. */
function sandboxRequest(id, tabId, { name, url, debugName, x, y }) {
  return [
    {
      id: id('request'), type: 'http request', z: tabId, name, method: 'POST', ret: 'obj',
      paytoqs: 'ignore', url, tls: '', persist: false, proxy: '', insecureHTTPParser: false,
      authType: '', senderr: false, headers: [], x, y, wires: [[id('debug')]],
    },
    {
      id: id('debug'), type: 'debug', z: tabId, name: debugName, active: true, tosidebar: true,
      console: false, tostatus: false, complete: 'payload', targetType: 'msg', statusVal: '', statusType: 'auto',
      x: x + 260, y, wires: [],
    },
  ];
}

/** An inject whose button sends `payload` (JSON) on to `next`. */
function demoInject(id, tabId, name, payload, next, y) {
  return {
    id, type: 'inject', z: tabId, name, props: [{ p: 'payload' }], repeat: '', crontab: '', once: false, onceDelay: 0.1,
    topic: '', payloadType: 'json', payload: JSON.stringify(payload), x: 170, y, wires: [[next]],
  };
}

/**
 * A demo call under `npm start`: a comment saying what to press, and an inject whose button asks
 * the sandbox to place a call to `answer` (its answer URL), with the sandbox's answer in the sidebar.
 */
function demoCall(id, tabId, sandboxUrl, { title, info, titleX, injectName, answer, debugName, requestX, y }) {
  return [
    { id: id('comment'), type: 'comment', z: tabId, name: title, info, x: titleX, y: y - 60, wires: [] },
    demoInject(id('inject'), tabId, injectName, answer, id('request'), y),
    ...sandboxRequest(id, tabId, { name: 'sandbox: place a demo call', url: `${sandboxUrl}/sandbox/calls`, debugName, x: requestX, y }),
  ];
}

/**
 * What stands in for a phone under `npm start`: an inject that asks the sandbox to place a
 * demo call, which the sandbox does as Plivo would, posting a signed webhook to the answer
 * example's plivo webhook node.
 */
function sandboxCaller(tabId, sandboxUrl, nodeRedUrl) {
  return demoCall((suffix) => `sandbox-caller-${suffix}`, tabId, sandboxUrl, {
    title: 'Try it: a call comes in (the sandbox plays Plivo)',
    info: 'Press the button of **a call comes in**. The sandbox places a demo call and posts Plivo\'s signed '
      + 'webhook to the plivo webhook node above, as Plivo does when someone dials your number. The flow answers '
      + 'with XML, plivo speak greets the caller ("speak started" under **greeted**) and plivo play plays the '
      + 'welcome music into the call ("play started" under **played**).',
    titleX: 250, injectName: 'a call comes in', answer: { answer_url: `${nodeRedUrl}/plivo/answer`, answer_method: 'POST' },
    debugName: 'the sandbox placed the call', requestX: 400, y: 500,
  });
}

/** Under `npm start`, callers for the queue example: one joins at each press; the first in line hangs up. */
function queueCallers(tabId, sandboxUrl, nodeRedUrl) {
  const joins = (suffix) => `queue-join-${suffix}`;
  const leaves = (suffix) => `queue-leave-${suffix}`;
  return [
    {
      id: 'queue-comment', type: 'comment', z: tabId, name: 'Try it: callers join and hang up (the sandbox plays Plivo)',
      info: 'Press **a caller joins the queue** a few times: each press places a demo call whose answer webhook reaches '
        + 'the flow above, and the caller is told their place. Press **the first caller hangs up**: the sandbox ends '
        + 'the first call and posts its hangup webhook, and everyone behind hears their new place.',
      x: 280, y: 300, wires: [],
    },
    demoInject(joins('inject'), tabId, 'a caller joins the queue', { answer_url: `${nodeRedUrl}/plivo/queue` }, joins('request'), 360),
    ...sandboxRequest(joins, tabId, {
      name: 'sandbox: place a demo call', url: `${sandboxUrl}/sandbox/calls`, debugName: 'a caller joined', x: 400, y: 360,
    }),
    demoInject(leaves('inject'), tabId, 'the first caller hangs up', {}, leaves('first'), 420),
    {
      id: leaves('first'), type: 'change', z: tabId, name: 'the first in line', action: '', property: '', from: '', to: '', reg: false,
      rules: [{
        t: 'set', p: 'payload', pt: 'msg', tot: 'jsonata',
        to: `{"call_uuid": $flowContext("waiting")[0], "hangup_url": "${nodeRedUrl}/plivo/queue-hangup"}`,
      }],
      x: 390, y: 420, wires: [[leaves('request')]],
    },
    ...sandboxRequest(leaves, tabId, {
      name: 'sandbox: hang up', url: `${sandboxUrl}/sandbox/hangups`, debugName: 'a caller hung up', x: 600, y: 420,
    }),
  ];
}

/** Under `npm start`, callers of the broadcast hang up while it runs: the sandbox posts their hangup webhooks. */
function broadcastHangups(tabId, sandboxUrl, nodeRedUrl) {
  const id = (suffix) => `broadcast-hangup-${suffix}`;
  const { DEMO_BROADCAST_CALLS } = require('../sandbox/plivo-sandbox.js');
  const hangups = BROADCAST_HANGUPS.map((index) => ({ call_uuid: DEMO_BROADCAST_CALLS[index], hangup_url: `${nodeRedUrl}/plivo/broadcast-hangup` }));
  return [
    {
      id: id('comment'), type: 'comment', z: tabId, name: 'Try it: two callers hang up during the broadcast (the sandbox plays Plivo)',
      info: 'Press **calls to reach**, then at once **two callers hang up**: the sandbox ends the third and fourth calls and posts '
        + 'their hangup webhooks to **hangup URL**. Their plays, still to come, end under **not played** as *the call has ended*, '
        + 'and no request is sent for them; the other calls play.',
      x: 300, y: 380, wires: [],
    },
    demoInject(id('inject'), tabId, 'two callers hang up', hangups, id('split'), 440),
    {
      id: id('split'), type: 'split', z: tabId, name: '', splt: '\\n', spltType: 'str', arraySplt: 1, arraySpltType: 'len', stream: false,
      addname: '', x: 330, y: 440, wires: [[id('request')]],
    },
    ...sandboxRequest(id, tabId, {
      name: 'sandbox: hang up', url: `${sandboxUrl}/sandbox/hangups`, debugName: 'the sandbox hung up', x: 500, y: 440,
    }),
  ];
}

/** Under `npm start`, a caller for the phone menu: the call comes in, then presses a key the sandbox posts as Plivo would. */
function menuCaller(tabId, sandboxUrl, nodeRedUrl) {
  const keys = [['1', 'sales'], ['2', 'your place'], ['9', 'the menu again']];
  return [
    ...demoCall((suffix) => `menu-caller-${suffix}`, tabId, sandboxUrl, {
      title: 'Try it: a caller in the menu (the sandbox plays Plivo)',
      info: 'Press **a call comes in to the menu**: the sandbox places a demo call, posts its answer webhook to **menu answer URL** '
        + 'and runs the XML the flow answers, waiting for a key. Then press **the caller presses 1** (sales), **2** (the place in the '
        + 'queue) or **9** (the menu again): the sandbox posts the key to **menu digits**, signed, and runs the XML that answers. '
        + 'With no key for 20 seconds the caller hears goodbye and the call ends.',
      titleX: 290, injectName: 'a call comes in to the menu', answer: { answer_url: `${nodeRedUrl}/plivo/phone-menu` },
      debugName: 'a caller called the menu', requestX: 420, y: 400,
    }),
    ...keys.flatMap(([key, what], index) => {
      const keyId = (suffix) => `menu-key-${key}-${suffix}`;
      return [
        demoInject(keyId('inject'), tabId, `the caller presses ${key}`, { digits: key }, keyId('request'), 460 + index * 60),
        ...sandboxRequest(keyId, tabId, {
          name: `sandbox: press ${key} (${what})`, url: `${sandboxUrl}/sandbox/digits`, debugName: `pressed ${key}`, x: 420, y: 460 + index * 60,
        }),
      ];
    }),
  ];
}

/** Under `npm start`, a caller for the voicemail: the sandbox places the call and records a message. */
function voicemailCaller(tabId, sandboxUrl, nodeRedUrl) {
  return demoCall((suffix) => `voicemail-caller-${suffix}`, tabId, sandboxUrl, {
    title: 'Try it: a caller leaves a message (the sandbox plays Plivo)',
    info: 'Press **a call comes in to the voicemail**: the sandbox places a demo call, runs the greeting\'s XML and, at its `Record`, '
      + 'posts a recording to **recording**, signed, as Plivo would. The recording\'s URL shows under **voicemail recording URL**.',
    titleX: 300, injectName: 'a call comes in to the voicemail', answer: { answer_url: `${nodeRedUrl}/plivo/voicemail` },
    debugName: 'a caller called the voicemail', requestX: 440, y: 440,
  });
}

/** The transfer example's group tells the menu's Public URL: under `npm start`, where this Node-RED is. */
function withPublicUrl(node, nodeRedUrl) {
  if (node.type !== 'group' || !Array.isArray(node.env)) return node;
  return { ...node, env: node.env.map((variable) => (variable.name === 'PLIVO_PUBLIC_URL' ? { ...variable, value: nodeRedUrl } : variable)) };
}

/**
 * Every example on a tab of its own. They share one account node (the same id in each
 * file, as Node-RED's import reuses it), pointed at `baseUrl` with blank credentials.
 * Given the address Node-RED serves, the answer, queue, broadcast, menu and voicemail examples get sandbox callers,
 * and the transfer example's menu that address as its Public URL.
 */
function exampleFlow(baseUrl, nodeRedUrl) {
  const flow = [];
  const configs = new Map();
  for (const name of EXAMPLE_FILES) {
    const nodes = JSON.parse(fs.readFileSync(path.join(EXAMPLES, `${name}.json`), 'utf8'));
    const tab = { id: `tab-${name}`, type: 'tab', label: nodes.find((node) => node.type === 'comment')?.name ?? name };
    flow.push(tab);
    for (const node of nodes) {
      if (node.type === 'plivo-config') configs.set(node.id, { ...node, baseUrl });
      else flow.push({ ...(nodeRedUrl ? withPublicUrl(node, nodeRedUrl) : node), z: tab.id });
    }
    if (name === 'broadcast-to-many-calls' && nodeRedUrl) flow.push(...broadcastHangups(tab.id, baseUrl, nodeRedUrl));
    if (name === 'answer-a-call-and-play' && nodeRedUrl) flow.push(...sandboxCaller(tab.id, baseUrl, nodeRedUrl));
    if (name === 'tell-callers-their-place-in-the-queue' && nodeRedUrl) flow.push(...queueCallers(tab.id, baseUrl, nodeRedUrl));
    if (name === 'phone-menu' && nodeRedUrl) flow.push(...menuCaller(tab.id, baseUrl, nodeRedUrl));
    if (name === 'voicemail' && nodeRedUrl) flow.push(...voicemailCaller(tab.id, baseUrl, nodeRedUrl));
  }
  return [...flow, ...configs.values()];
}

/**
 * Writes settings.js (loopback only) and, unless one exists, a flows.json with the examples.
 * `adminAuth` (Node-RED's setting) turns on editor logins, for the permission tests.
 */
function prepareUserDir(userDir, { port, sandboxUrl, adminAuth }) {
  fs.mkdirSync(userDir, { recursive: true });
  fs.writeFileSync(path.join(userDir, 'settings.js'), [
    '// Written by scripts/dev-runtime.js for local development: loopback only.',
    'module.exports = {',
    `    uiHost: '127.0.0.1',`,
    `    uiPort: ${port},`,
    `    flowFile: 'flows.json',`,
    `    editorTheme: { tours: false, projects: { enabled: false } },`,
    `    telemetry: { enabled: false, updateNotification: false },`,
    `    logging: { console: { level: 'info', metrics: false, audit: false } },`,
    ...(adminAuth ? [`    adminAuth: ${JSON.stringify(adminAuth)},`] : []),
    '};',
    '',
  ].join('\n'));
  const flowFile = path.join(userDir, 'flows.json');
  if (!fs.existsSync(flowFile)) {
    fs.writeFileSync(flowFile, `${JSON.stringify(exampleFlow(sandboxUrl, `http://127.0.0.1:${port}`), null, 4)}\n`);
  }
  if (!fs.existsSync(path.join(userDir, 'package.json'))) {
    fs.writeFileSync(path.join(userDir, 'package.json'), `${JSON.stringify({
      name: 'node-red-project', description: 'A Node-RED user dir for this package', private: true,
    }, null, 2)}\n`);
  }
}

/** Installs this package into the user dir as `npm install <this folder>` does: a symlink. */
function linkPackage(userDir) {
  const target = path.join(userDir, 'node_modules', ...pkg.name.split('/'));
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.rmSync(target, { recursive: true, force: true });
  fs.symlinkSync(root, target, 'junction');
}

/**
 * Starts Node-RED on the user dir. The sandbox's account comes in through
 * PLIVO_AUTH_ID / PLIVO_AUTH_TOKEN, which the example's blank credentials fall back to.
 */
function startNodeRed(userDir, account, { stdio = 'inherit' } = {}) {
  const red = path.join(nodeRedPackage, 'red.js');
  return spawn(process.execPath, [red, '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], {
    stdio,
    env: { ...process.env, PLIVO_AUTH_ID: account.authId, PLIVO_AUTH_TOKEN: account.authToken },
  });
}

/** Resolves when Node-RED serves its editor (no login needed for that); rejects after `timeoutMs` or if it exits. */
async function waitForNodeRed(url, child, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Node-RED exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Node-RED did not answer at ${url} within ${timeoutMs} ms`);
}

/** A loopback port nothing listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

module.exports = { freePort, nodeRedPackage, EXAMPLE_FILES, exampleFlow, prepareUserDir, linkPackage, startNodeRed, waitForNodeRed };
