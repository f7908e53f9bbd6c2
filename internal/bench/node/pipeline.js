'use strict';
// node pipeline.js SIZE: head -c SIZE /dev/zero | cat | wc -c with Node
// streams piping each stage's stdout into the next one's stdin (the bytes
// pass through this process).
const { spawn } = require('child_process');
const { now, report, fail } = require('./common');

const size = Number(process.argv[2]);
const t0 = now();
const head = spawn('head', ['-c', String(size), '/dev/zero'], { stdio: ['ignore', 'pipe', 'inherit'] });
const cat = spawn('cat', [], { stdio: ['pipe', 'pipe', 'inherit'] });
const wc = spawn('wc', ['-c'], { stdio: ['pipe', 'pipe', 'inherit'] });
head.stdout.pipe(cat.stdin);
cat.stdout.pipe(wc.stdin);
let out = '';
wc.stdout.setEncoding('utf8');
wc.stdout.on('data', (d) => { out += d; });
wc.on('close', (code) => {
  if (code !== 0) fail(new Error('wc exited ' + code));
  if (Number(out.trim()) !== size) fail(new Error('wc -c printed ' + JSON.stringify(out)));
  report({ seconds: now() - t0, ops: 1, bytes: size });
});
