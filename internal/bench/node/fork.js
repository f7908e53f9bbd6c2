'use strict';
// node fork.js MODE N [SIZE]: fork(fork_child.js) and measure, after a
// warm-up, with the child already running:
//   rtt:     N round trips of a small object, one at a time
//   send:    N small messages parent -> child, then the child's count
//   recv:    N small messages child -> parent
//   payload: N objects {data: 'x'.repeat(...)} of SIZE bytes of JSON, parent -> child
// Sends are made in batches whose last message carries a callback, awaited
// before the next batch, so memory stays bounded (child.send queues without
// limit otherwise).
const path = require('path');
const { fork } = require('child_process');
const { now, report, fail } = require('./common');

const [mode, nArg, sizeArg] = process.argv.slice(2);
const n = Number(nArg);
const size = Number(sizeArg || 0);
const childMode = mode === 'rtt' ? 'echo' : mode === 'recv' ? 'source' : 'sink';
const child = fork(path.join(__dirname, 'fork_child.js'), [childMode, String(n)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });

let waiter = null;
child.on('message', (m) => { const w = waiter; waiter = null; w(m); });
child.on('exit', (code) => { if (waiter) fail(new Error('child exited ' + code)); });
const next = () => new Promise((resolve) => { waiter = resolve; });

async function sendAll(count, make, batch) {
  for (let i = 0; i < count; i += batch) {
    const end = Math.min(count, i + batch);
    await new Promise((resolve) => {
      for (let j = i; j < end; j++) child.send(make(j), j === end - 1 ? resolve : undefined);
    });
  }
}

async function rtt(count) {
  for (let i = 0; i < count; i++) {
    const p = next();
    child.send({ op: 'ping', seq: i, ts: '2026-11-26T00:00:00Z' });
    const m = await p;
    if (m.seq !== i) throw new Error('round trip ' + i + ' came back as ' + m.seq);
  }
}

async function sink(count, make, batch) {
  await sendAll(count, make, batch);
  const p = next();
  child.send('done');
  const r = await p;
  if (r.count !== count) throw new Error('sink counted ' + r.count + ', want ' + count);
  return r.bytes;
}

async function recv() {
  // The child sends exactly N messages per 'go'; count them here.
  let got = 0;
  await new Promise((resolve) => {
    waiter = function onMsg(m) {
      if (m === 'done') return resolve();
      got++;
      waiter = onMsg;
    };
    child.send('go');
  });
  if (got !== n) throw new Error('received ' + got + ', want ' + n);
}

const data = 'x'.repeat(Math.max(0, size - 11)); // {"data":"…"} is size bytes
(async () => {
  let r;
  switch (mode) {
    case 'rtt': {
      await rtt(Math.min(1000, n));
      const t0 = now();
      await rtt(n);
      r = { seconds: now() - t0, ops: n };
      break;
    }
    case 'send': {
      const make = (i) => ({ seq: i });
      await sink(Math.min(1000, n), make, 1024);
      const t0 = now();
      await sink(n, make, 1024);
      r = { seconds: now() - t0, ops: n };
      break;
    }
    case 'recv': {
      const t0 = now();
      await recv();
      r = { seconds: now() - t0, ops: n };
      break;
    }
    case 'payload': {
      const make = () => ({ data });
      await sink(Math.min(16, n), make, 64);
      const t0 = now();
      const bytes = await sink(n, make, 64);
      r = { seconds: now() - t0, ops: n, bytes };
      break;
    }
    default:
      throw new Error('unknown mode ' + mode);
  }
  child.disconnect();
  report(r);
})().catch(fail);
