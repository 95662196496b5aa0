'use strict';
/**
 * `npm start`: the sandbox plus Node-RED with this package and the example flow, on
 * loopback. Ctrl-C stops both. PORT (default 1880) and SANDBOX_PORT (default 18800) move them.
 */
const path = require('node:path');
const { startSandbox, DEMO_CALL_UUID } = require('../sandbox/plivo-sandbox.js');
const { prepareUserDir, linkPackage, startNodeRed, waitForNodeRed } = require('./dev-runtime.js');

const port = Number(process.env.PORT ?? 1880);
const sandboxPort = Number(process.env.SANDBOX_PORT ?? 18800);
const userDir = path.join(__dirname, '..', '.node-red-dev');

async function main() {
  const sandbox = await startSandbox({ port: sandboxPort });
  prepareUserDir(userDir, { port, sandboxUrl: sandbox.url });
  linkPackage(userDir);
  const nodeRed = startNodeRed(userDir, sandbox.account);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    nodeRed.kill('SIGINT');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  nodeRed.on('exit', async (code) => {
    await sandbox.close();
    process.exit(stopping ? 0 : code ?? 1);
  });

  await waitForNodeRed(`http://127.0.0.1:${port}`, nodeRed);
  console.log([
    '',
    `  Plivo sandbox: ${sandbox.url} (account ${sandbox.account.authId}, live call ${DEMO_CALL_UUID})`,
    `  Node-RED:      http://127.0.0.1:${port}/  (user dir ${userDir})`,
    '  Open the editor, click the button of "a call comes in" and watch the debug sidebar:',
    '  the sandbox places a call, posts Plivo\'s signed webhook to plivo webhook, and the flow plays into the call.',
    '  Each example has a tab: record a call, transfer a caller to another flow (plivo call), and a broadcast',
    '  whose callers hang up during it ("two callers hang up"): their plays are skipped, nothing is sent for them.',
    '  The phone menu and voicemail tabs answer with plivo xml: "a call comes in to the menu", then "the caller',
    '  presses 1" (or 2, or 9), and the sandbox runs the XML the flow answers, as Plivo would.',
    '  Ctrl-C stops both.',
    '',
  ].join('\n'));
}

main().catch((error) => {
  console.error(`npm start failed: ${error.message}`);
  process.exit(1);
});
