'use strict';
// node spawn.js MODE N [INFLIGHT]
//   MODE devnull: spawn('/bin/true', [], {stdio: 'ignore'}), wait for 'close'
//   MODE pipes:   default stdio (three pipes), stdin ended, outputs drained
// INFLIGHT (default 1) spawns are kept running at once.
const { spawn } = require('child_process');
const { now, report, fail } = require('./common');

const [mode, nArg, inflightArg] = process.argv.slice(2);
const n = Number(nArg);
const inflight = Number(inflightArg || 1);

function once() {
  return new Promise((resolve, reject) => {
    const pipes = mode === 'pipes';
    const c = spawn('/bin/true', [], { stdio: pipes ? 'pipe' : 'ignore' });
    c.on('error', reject);
    if (pipes) {
      c.stdin.end();
      c.stdout.resume();
      c.stderr.resume();
    }
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error('exit ' + code))));
  });
}

async function run(count) {
  let next = 0;
  async function worker() {
    while (next < count) {
      next++;
      await once();
    }
  }
  const ws = [];
  for (let i = 0; i < inflight; i++) ws.push(worker());
  await Promise.all(ws);
}

(async () => {
  await run(Math.min(10, n));
  const t0 = now();
  await run(n);
  report({ seconds: now() - t0, ops: n });
})().catch(fail);
