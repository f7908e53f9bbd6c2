'use strict';
// node stream.js SIZE: stream SIZE bytes of zeros through one spawned cat
// (a Readable of 64 KiB chunks piped into its stdin, stdout drained and
// counted); reports the time and this process's peak RSS.
const { spawn } = require('child_process');
const { Readable } = require('stream');
const { now, report, fail } = require('./common');

const size = Number(process.argv[2]);
const chunk = Buffer.alloc(64 * 1024);
const t0 = now();
const cat = spawn('cat', [], { stdio: ['pipe', 'pipe', 'inherit'] });
let left = size;
const src = new Readable({
  read() {
    if (left <= 0) return this.push(null);
    const n = Math.min(left, chunk.length);
    left -= n;
    this.push(n === chunk.length ? chunk : chunk.subarray(0, n));
  },
});
src.pipe(cat.stdin);
let got = 0;
cat.stdout.on('data', (d) => { got += d.length; });
cat.on('close', (code) => {
  if (code !== 0) fail(new Error('cat exited ' + code));
  if (got !== size) fail(new Error('cat gave back ' + got + ', want ' + size));
  report({ seconds: now() - t0, ops: 1, bytes: size });
});
