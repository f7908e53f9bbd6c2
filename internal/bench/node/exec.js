'use strict';
// node exec.js exec|execFile N: latency of exec('echo hi') or
// execFile('/bin/echo', ['hi']), one at a time; p50 and p99.
const { exec, execFile } = require('child_process');
const { now, report, percentile, fail } = require('./common');

const [mode, nArg] = process.argv.slice(2);
const n = Number(nArg);

function once() {
  return new Promise((resolve, reject) => {
    const cb = (err, stdout) => {
      if (err) return reject(err);
      if (stdout !== 'hi\n') return reject(new Error('printed ' + JSON.stringify(stdout)));
      resolve();
    };
    if (mode === 'exec') exec('echo hi', cb);
    else execFile('/bin/echo', ['hi'], cb);
  });
}

(async () => {
  for (let i = 0; i < Math.min(10, n); i++) await once();
  const lat = [];
  const t0 = now();
  for (let i = 0; i < n; i++) {
    const s = process.hrtime.bigint();
    await once();
    lat.push(Number(process.hrtime.bigint() - s) / 1e3);
  }
  const seconds = now() - t0;
  lat.sort((a, b) => a - b);
  report({ seconds, ops: n, p50_us: percentile(lat, 50), p99_us: percentile(lat, 99) });
})().catch(fail);
