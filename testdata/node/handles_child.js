'use strict';
// Node child for the Go-parent handle-passing interop tests in
// ipc/node_test.go (TestNodeChildHandlesReplay): Node's handle tests
// (test-child-process-fork-net-server.js, -fork-net-socket.js,
// -fork-getconnections.js, -recv-handle.js) with a Go parent in place of
// the Node one. Driven by {op: ...} messages; exits 42 on 'disconnect'
// when nothing waits behind a handle (43 otherwise).
const net = require('net');
const http = require('http');
const dgram = require('dgram');

process.on('disconnect', () => process.exit(process._handleQueue === null ? 42 : 43));

let server = null;
const held = [];

process.on('message', (msg, handle) => {
  switch (msg && msg.op) {
    case 'http':
      // A listening socket from Go: serve HTTP on it.
      handle.on('request', () => {});
      http.createServer((req, res) => res.end(`node http ${req.url}\n`)).listen(handle, () => {
        process.send({ serving: handle instanceof net.Server });
      });
      break;
    case 'socket': {
      // A connected socket from Go: answer each line.
      held.push(handle);
      let buf = '';
      handle.setEncoding('utf8');
      handle.on('data', (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          handle.write(`node:${buf.slice(0, i)}\n`);
          buf = buf.slice(i + 1);
        }
      });
      process.send({ held: held.length, isSocket: handle instanceof net.Socket });
      break;
    }
    case 'pair':
      process.send({ pair: msg.port, handlePort: handle ? handle.address().port : null, big: (msg.big || '').length });
      if (handle) handle.close();
      break;
    case 'second':
      process.send({ second: true, handle: !!handle });
      break;
    case 'udp':
      process.send({ isDgram: handle instanceof dgram.Socket, port: handle.address().port });
      handle.once('message', (m) => {
        process.send({ udp: String(m) });
        handle.close();
      });
      break;
    case 'serveToGo':
      // Sockets accepted here are passed to Go; Go answers getConnections
      // and server.close() for them.
      server = net.createServer((s) => process.send({ op: 'conn' }, s));
      server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
      break;
    case 'count':
      server.getConnections((err, n) => process.send(err ? { error: err.code } : { count: n }));
      break;
    case 'closeServer': {
      const t0 = Date.now();
      server.close(() => process.send({ closedMs: Date.now() - t0 }));
      break;
    }
    case 'sendThenQueue': {
      // A handle and a message queued behind it; the Go parent closes the
      // channel as soon as it has the handle.
      const srv = net.createServer();
      srv.listen(0, '127.0.0.1', () => {
        process.send({ op: 'handle' }, srv, () => srv.close());
        process.send('after', () => {}); // EPIPE once Go has closed: fine
      });
      break;
    }
    default:
      process.send({ unknown: msg, hasHandle: !!handle });
  }
});
