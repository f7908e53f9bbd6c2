'use strict';
// Node parent for the handle-passing interop tests in ipc/node_test.go
// (TestNodeParentHandles): Node's own handle tests (test/parallel/
// test-child-process-fork-net-server.js, -fork-net-socket.js,
// -fork-getconnections.js, -send-keep-open.js, -recv-handle.js,
// test-cluster-send-deadlock.js) replayed with a Go child
// (ipc/testdata/gochild) in place of the Node one.
// Usage: node handles_parent.js GOCHILD_BINARY
// Prints "PASS <case>" or "FAIL <case>: why" per case.
const cp = require('child_process');
const net = require('net');
const http = require('http');
const dgram = require('dgram');
const assert = require('assert');

const goBin = process.argv[2];
setTimeout(() => {
  console.log('FAIL timeout');
  process.exit(1);
}, 150000).unref();

function fork() {
  const child = cp.fork('handles', [], { execPath: goBin, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const queue = [];
  const waiters = [];
  child.on('message', (m, handle) => {
    const item = { m, handle };
    if (waiters.length) waiters.shift()(item);
    else queue.push(item);
  });
  child.next = () => queue.length ? Promise.resolve(queue.shift())
    : new Promise((resolve) => waiters.push(resolve));
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.disconnected = new Promise((resolve) => child.on('disconnect', resolve));
  return child;
}

async function expectHello(child) {
  const { m } = await child.next();
  assert.ok(m.hello, JSON.stringify(m));
}

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

function httpGet(port, path) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

function lineClient(port) {
  const c = net.connect(port, '127.0.0.1');
  let buf = '';
  const waiters = [];
  c.setEncoding('utf8');
  c.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0 && waiters.length) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      waiters.shift()(line);
    }
  });
  c.readLine = () => new Promise((resolve) => {
    waiters.push(resolve);
    c.emit('data', '');
  });
  return c;
}

const cases = {
  // test-child-process-fork-net-server: a server passed to the child; both
  // serve connections on it, here with HTTP.
  async server(child) {
    const server = http.createServer((req, res) => res.end(`node http ${req.url}\n`));
    const port = await listen(server);
    child.send({ op: 'http' }, server);
    assert.deepStrictEqual((await child.next()).m, { serving: true });
    const seen = new Set();
    for (let i = 0; i < 200 && seen.size < 2; i++) {
      const body = await httpGet(port, `/r${i}`);
      assert.match(body, /^(go|node) http \/r\d+\n$/);
      seen.add(body.split(' ')[0]);
    }
    assert.ok(seen.has('go'), 'the Go child served a request');
    server.close();
  },

  // test-child-process-fork-net-socket and -fork-getconnections: accepted
  // sockets are passed; the server asks the child how many are open, and
  // server.close() waits until the child has closed them.
  async socket(child) {
    const n = 4;
    const server = net.createServer();
    let sent = 0;
    const allSent = new Promise((resolve) => {
      server.on('connection', (s) => {
        child.send({ op: 'socket' }, s);
        if (++sent === n) resolve();
      });
    });
    const port = await listen(server);
    const clients = [];
    for (let i = 0; i < n; i++) clients.push(lineClient(port));
    await allSent;
    for (let i = 0; i < n; i++) assert.deepStrictEqual((await child.next()).m, { held: i + 1 });
    for (let i = 0; i < n; i++) {
      clients[i].write(`hello ${i}\n`);
      assert.strictEqual(await clients[i].readLine(), `go:hello ${i}`);
    }
    const count = await new Promise((resolve, reject) =>
      server.getConnections((err, c) => err ? reject(err) : resolve(c)));
    assert.strictEqual(count, n, 'getConnections counts the sockets the Go child holds');
    child.send({ op: 'closeSockets' });
    assert.deepStrictEqual((await child.next()).m, { closed: n });
    const t0 = Date.now();
    await new Promise((resolve) => server.close(resolve));
    const ms = Date.now() - t0;
    assert.ok(ms < 5000, `server.close() took ${ms} ms`);
    const after = await new Promise((resolve, reject) =>
      server.getConnections((err, c) => err ? reject(err) : resolve(c)));
    assert.strictEqual(after, 0);
    for (const c of clients) c.destroy();
  },

  // test-child-process-send-keep-open: with keepOpen the parent keeps using
  // the socket after passing it.
  async keepOpen(child) {
    const server = net.createServer();
    const conn = new Promise((resolve) => server.on('connection', resolve));
    const port = await listen(server);
    const client = lineClient(port);
    const s = await conn;
    child.send({ op: 'keepOpen' }, s, { keepOpen: true });
    assert.deepStrictEqual((await child.next()).m, { wrote: true });
    assert.strictEqual(await client.readLine(), 'go');
    s.write('node\n');
    assert.strictEqual(await client.readLine(), 'node');
    client.destroy();
    s.destroy();
    server.close();
  },

  // test-child-process-recv-handle: the child sends handles to the parent.
  // A big message with a handle, a second handle right after it, then a
  // plain message: each handle with its own message, in order.
  async recvHandle(child) {
    child.send({ op: 'sendServers', big: 200 * 1024 });
    const a = await child.next();
    const b = await child.next();
    const c = await child.next();
    assert.ok(a.handle instanceof net.Server, 'first handle is a net.Server');
    assert.strictEqual(a.m.big.length, 200 * 1024);
    assert.strictEqual(a.handle.address().port, a.m.port, 'first message carries the first socket');
    assert.ok(b.handle instanceof net.Server, 'second handle is a net.Server');
    assert.strictEqual(b.handle.address().port, b.m.port, 'second message carries the second socket');
    assert.strictEqual(c.m, 'second');
    assert.strictEqual(c.handle, undefined);
    for (const { handle } of [a, b]) {
      handle.on('connection', (s) => s.end('node got it\n'));
      const cl = lineClient(handle.address().port);
      assert.strictEqual(await cl.readLine(), 'node got it');
      cl.destroy();
      handle.close();
    }
  },

  // A UDP socket from Go arrives as a ready dgram.Socket.
  async udp(child) {
    child.send({ op: 'sendUDP' });
    const { m, handle } = await child.next();
    assert.ok(handle instanceof dgram.Socket, `handle is ${handle && handle.constructor.name}`);
    assert.strictEqual(handle.address().port, m.port);
    const got = new Promise((resolve) => handle.once('message', (msg) => resolve(String(msg))));
    const c = dgram.createSocket('udp4');
    c.send('ping', m.port, '127.0.0.1');
    assert.strictEqual(await got, 'ping');
    c.close();
    handle.close();
  },

  // test-cluster-send-deadlock: sockets and messages both ways at once.
  async burst(child) {
    const n = 100;
    const server = net.createServer();
    const port = await listen(server);
    const socks = [];
    server.on('connection', (s) => socks.push(s));
    const clients = [];
    for (let i = 0; i < n; i++) clients.push(net.connect(port, '127.0.0.1'));
    while (socks.length < n) await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < n; i++) {
      child.send({ op: 'seq', i }, socks[i]);
      child.send({ op: 'seq', i: n + i });
    }
    const got = [];
    for (let i = 0; i < 2 * n; i++) got.push((await child.next()).m);
    const want = [];
    for (let i = 0; i < n; i++) want.push({ seq: i, file: true }, { seq: n + i, file: false });
    assert.deepStrictEqual(got, want);
    for (const c of clients) c.destroy();
    server.close();
  },
};

// The Go child acknowledges a handle before its program sees it: exiting
// right after receiving must not leave the Node parent waiting for the
// ACK (it would keep the socket and never flush its queue or disconnect).
async function exitAfterRecv() {
  const child = fork();
  await expectHello(child);
  child.send({ op: 'exitOnNext' });
  assert.deepStrictEqual((await child.next()).m, { armed: true });
  const server = net.createServer();
  const conn = new Promise((resolve) => server.on('connection', resolve));
  const port = await listen(server);
  const client = net.connect(port, '127.0.0.1');
  const s = await conn;
  child.send({ op: 'bye' }, s);
  let queuedDone = false;
  child.send('queued', () => { queuedDone = true; });
  const closed = new Promise((resolve) => client.on('close', resolve));
  client.resume();
  await child.exited;
  await child.disconnected;
  // Node closed its copy of the socket on ACK and the Go child closed its
  // own: the client sees the end.
  await closed;
  assert.strictEqual(child._handleQueue, null, 'queue flushed');
  assert.ok(queuedDone, 'the queued message was handed to the socket');
  server.close();
}

(async () => {
  const only = process.argv[3];
  for (const [name, fn] of Object.entries(cases)) {
    if (only && only !== name) continue;
    const child = fork();
    try {
      await expectHello(child);
      await fn(child);
      child.disconnect();
      const { code } = await child.exited;
      assert.strictEqual(code, 7, 'the Go child saw the disconnect');
      console.log(`PASS ${name}`);
    } catch (e) {
      console.log(`FAIL ${name}: ${e.stack.split('\n').join(' | ')}`);
      child.kill('SIGKILL');
      process.exitCode = 1;
    }
  }
  if (!only || only === 'exitAfterRecv') {
    try {
      await exitAfterRecv();
      console.log('PASS exitAfterRecv');
    } catch (e) {
      console.log(`FAIL exitAfterRecv: ${e.stack.split('\n').join(' | ')}`);
      process.exitCode = 1;
    }
  }
})();
