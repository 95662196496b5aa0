'use strict';
/**
 * What refusing costs plivo webhook in a real Node-RED (red.js in its own process), in
 * Node-RED's default setup (httpAdminRoot and httpNodeRoot both /) and a tidy one (/admin):
 * - CPU per refused forged request (a well-formed but wrong signature) with an empty body and
 *   with a 64 KB body of 9,000 parameter names, and per unsigned 4.9 MB form;
 * - the process's RSS with 1,000 connections that send their headers and stall in their body,
 *   and how many of them are still open 8 s later (in a runtime of its own).
 * `node bench/webhook-refusals.js [DIR...]` measures the built package in each DIR (default:
 * this checkout), so an older checkout, built, can be compared with this one. Prints figures;
 * never fails on one.
 */
const fs = require('node:fs');
const os = require('node:os');
const net = require('node:net');
const path = require('node:path');
const { freePort, startNodeRed, waitForNodeRed } = require('../scripts/dev-runtime.js');
const { plivoSignature } = require('../sandbox/plivo-sandbox.js');

const ACCOUNT = { authId: 'MABENCHWEBHOOK000001', authToken: 'bench-webhook-token-0123' };
const PATH = '/plivo/answer';
const SETUPS = [['default (admin and node root /)', {}], ['tidy (httpAdminRoot /admin)', { httpAdminRoot: '/admin' }]];
const ROUNDS = { forged: 300, unsigned: 40, stalled: 1000 };

async function startRuntime(dir, settings) {
  const port = await freePort();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plivo-bench-webhook-'));
  fs.writeFileSync(path.join(userDir, 'package.json'), '{"name":"bench-user-dir","private":true}');
  const { name } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const target = path.join(userDir, 'node_modules', ...name.split('/'));
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.symlinkSync(path.resolve(dir), target, 'junction');
  fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${JSON.stringify({
    uiHost: '127.0.0.1', uiPort: port, flowFile: 'flows.json', credentialSecret: false,
    telemetry: { enabled: false, updateNotification: false }, editorTheme: { tours: false },
    logging: { console: { level: 'error', metrics: false, audit: false } }, ...settings,
  })};\n`);
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify([
    { id: 'tab', type: 'tab', label: 'bench' },
    { id: 'plivo-account', type: 'plivo-config', name: 'bench account' },
    { id: 'hook', type: 'plivo-webhook', z: 'tab', name: '', account: 'plivo-account', url: PATH, method: 'post', answerXml: '<Response/>', x: 100, y: 40, wires: [[]] },
  ]));
  const child = startNodeRed(userDir, ACCOUNT, { stdio: 'ignore' });
  await waitForNodeRed(`http://127.0.0.1:${port}${settings.httpAdminRoot ?? ''}`, child);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const proc = (file) => fs.readFileSync(`/proc/${child.pid}/${file}`, 'utf8');
  return {
    port,
    cpuMicros: () => {
      const fields = proc('stat').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 1e4;
    },
    rssMb: () => Number(/VmRSS:\s+(\d+)/.exec(proc('status'))[1]) / 1024,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}

/** Sends one raw request and waits for the connection to close (every refusal closes it). */
function exchange(port, head, body) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(head);
      if (body.length > 0) socket.write(body);
    });
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', resolve);
    setTimeout(() => socket.destroy(), 5000);
  });
}

function forgedHead(port, length, contentType = 'application/x-www-form-urlencoded') {
  const nonce = `${Date.now()}${Math.floor(Math.random() * 1e9)}`;
  const signature = plivoSignature('not-the-token', 'POST', `http://127.0.0.1:${port}${PATH}`, { a: '1' }, nonce);
  return `POST ${PATH} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Plivo-Signature-V3: ${signature}\r\nX-Plivo-Signature-V3-Nonce: ${nonce}\r\n`
    + `Content-Type: ${contentType}\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`;
}

async function cpuPer(runtime, count, send) {
  await send();
  const before = runtime.cpuMicros();
  for (let i = 0; i < count; i += 1) await send();
  return (runtime.cpuMicros() - before) / count / 1000;
}

async function measure(dir, settings) {
  const runtime = await startRuntime(dir, settings);
  try {
    const { port } = runtime;
    const names = Buffer.from(Array.from({ length: 9000 }, (_, i) => `p${i}=`).join('&').slice(0, 64 * 1024 - 1));
    const empty = await cpuPer(runtime, ROUNDS.forged, () => exchange(port, forgedHead(port, 3), Buffer.from('a=1')));
    const large = await cpuPer(runtime, ROUNDS.forged, () => exchange(port, forgedHead(port, names.length), names));
    const form = Buffer.alloc(Math.round(4.9 * 1024 * 1024), 'a');
    form.write('a=');
    const unsigned = await cpuPer(runtime, ROUNDS.unsigned, () => exchange(port,
      `POST ${PATH} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\nConnection: close\r\n\r\n`, form));
    return { empty, large, unsigned, ...(await stalled(dir, settings)) };
  } finally {
    await runtime.stop();
  }
}

/** In a runtime of its own, so that nothing before it has grown or shrunk the heap. */
async function stalled(dir, settings) {
  const runtime = await startRuntime(dir, settings);
  try {
    const { port } = runtime;
    const rssBefore = runtime.rssMb();
    const sockets = [];
    for (let i = 0; i < ROUNDS.stalled; i += 1) {
      sockets.push(await new Promise((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.write(forgedHead(port, 60_000));
          socket.write('CallUUID=');
          resolve(socket);
        });
        socket.closedAt = undefined;
        // Read what comes back: a socket never read would not see the server's close.
        socket.on('data', () => undefined);
        socket.on('close', () => { socket.closedAt = Date.now(); });
        socket.on('error', () => undefined);
      }));
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const stalledRss = runtime.rssMb() - rssBefore;
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const laterRss = runtime.rssMb() - rssBefore;
    const stillOpen = sockets.filter((socket) => socket.closedAt === undefined).length;
    sockets.forEach((socket) => socket.destroy());
    return { stalledRss, laterRss, stillOpen };
  } finally {
    await runtime.stop();
  }
}

(async () => {
  const dirs = process.argv.length > 2 ? process.argv.slice(2) : [path.join(__dirname, '..')];
  for (const dir of dirs) {
    for (const [name, settings] of SETUPS) {
      const r = await measure(dir, settings);
      console.log(`${dir} | ${name}: CPU per forged request ${r.empty.toFixed(2)} ms (3-byte body), ${r.large.toFixed(2)} ms (64 KB, 9,000 names); `
        + `per unsigned 4.9 MB form ${r.unsigned.toFixed(2)} ms; ${ROUNDS.stalled} stalled bodies: +${r.stalledRss.toFixed(1)} MiB RSS after 2 s, `
        + `+${r.laterRss.toFixed(1)} MiB and ${r.stillOpen} still open after 8 s`);
    }
  }
})();
