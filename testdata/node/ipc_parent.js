'use strict';
// Node parent for the Node-parent/Go-child interop test in ipc/node_test.go.
// Usage: node ipc_parent.js GOCHILD_BINARY
// Runs the Go child (ipc/testdata/gochild) twice, once with
// child_process.fork({execPath}) and once with spawn(stdio [..., 'ipc']),
// and prints one verdict line per run: "PASS <mode>" or "FAIL <mode>: why".
const cp = require('child_process');
const net = require('net');
const assert = require('assert');

const goBin = process.argv[2];
if (!goBin) {
  console.log('FAIL usage: node ipc_parent.js GOCHILD_BINARY');
  process.exit(2);
}
setTimeout(() => {
  console.log('FAIL timeout');
  process.exit(1);
}, 60000).unref();

// receiver queues messages so none is missed between awaits.
function receiver(child) {
  const queue = [];
  const waiters = [];
  child.on('message', (m, handle) => {
    if (waiters.length) waiters.shift()(m);
    else queue.push(m);
  });
  return () => queue.length ? Promise.resolve(queue.shift())
    : new Promise((resolve) => waiters.push(resolve));
}

const samples = [
  'plain', '',
  'unicode é ü 漢字 😀 👩‍👩‍👧 \u2028 \u2029 \u0000 \u001f "q" \\ / \n \t',
  '\ud83d', // lone surrogate: JSON.stringify escapes it, Go must not mangle a raw echo
  9007199254740991, -9007199254740991, 9007199254740992, 1e300, 5e-324, 0.1, -1.5,
  true, false, null,
  { nested: { deep: [1, [2, [3, { x: 'y' }]]], empty: {}, arr: [] }, 'k\u2028': 'v' },
  [],
  'x'.repeat(1 << 20),
];

async function session(mode, child, expectArgs, endHow) {
  let stderr = '';
  if (child.stderr) child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let disconnected = false;
  child.on('disconnect', () => { disconnected = true; });
  const next = receiver(child);
  try {
    const hello = await next();
    assert.deepStrictEqual(hello, { hello: expectArgs, envGone: true });

    for (const v of samples) {
      child.send({ op: 'echo', v });
      assert.deepStrictEqual(await next(), v);
    }

    // Internal messages never reach the Go program.
    child.send({ cmd: 'NODE_CUSTOM', x: 1 });

    // A handle: Go must acknowledge it, or Node queues everything after it.
    const server = net.createServer();
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    child.send({ op: 'file' }, server);
    child.send({ op: 'echo', v: 'after-handle' });
    assert.deepStrictEqual(await next(), { gotFile: true, isSocket: true });
    assert.strictEqual(await next(), 'after-handle');
    server.close();

    for (let i = 0; i < 2000; i++) child.send({ op: 'echo', v: i });
    for (let i = 0; i < 2000; i++) assert.strictEqual(await next(), i);

    let want;
    if (endHow === 'parent-disconnect') {
      child.disconnect(); // the Go child sees io.EOF and exits 7
      want = 7;
    } else {
      child.send({ op: 'close', code: 3 }); // the Go child closes; we see 'disconnect'
      want = 3;
    }
    const { code, signal } = await exited;
    assert.strictEqual(signal, null);
    assert.strictEqual(code, want);
    assert.strictEqual(disconnected, true, 'disconnect event');
    console.log(`PASS ${mode}`);
  } catch (e) {
    console.log(`FAIL ${mode}: ${e.message.split('\n').join(' | ')} stderr=${JSON.stringify(stderr)}`);
    child.kill('SIGKILL');
    process.exitCode = 1;
  }
}

(async () => {
  const forked = cp.fork('/nonexistent/script.js', ['arg1'], {
    execPath: goBin,
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  await session('fork', forked, ['/nonexistent/script.js', 'arg1'], 'parent-disconnect');

  const spawned = cp.spawn(goBin, ['x'], { stdio: ['pipe', 'pipe', 'pipe', 'ipc'] });
  await session('spawn', spawned, ['x'], 'child-close');
})();
