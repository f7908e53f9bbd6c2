'use strict';
// Node child for the Go-parent interop tests in ipc/node_test.go. The Go test
// starts it with the channel on fd 3 (NODE_CHANNEL_FD=3,
// NODE_CHANNEL_SERIALIZATION_MODE=json) and drives it with {op: ...} messages.
// It exits with status 42 when the channel disconnects.
const net = require('net');

if (typeof process.send !== 'function') {
  console.error('ipc_echo.js: no IPC channel');
  process.exit(2);
}

process.on('disconnect', () => process.exit(42));

process.on('message', (msg, handle) => {
  switch (msg && msg.op) {
    case 'echo':
      process.send(msg.v);
      break;
    case 'transform': {
      const v = msg.v;
      process.send({
        type: typeof v,
        json: JSON.stringify(v),
        length: typeof v === 'string' ? v.length : null,
        codePoints: typeof v === 'string' ? Array.from(v).length : null,
      });
      break;
    }
    case 'internal':
      // Internal messages a Go receiver must skip.
      process.send({ cmd: 'NODE_SOMETHING', x: 1 });
      process.send({ cmd: 'NODE_HANDLE_ACK' });
      process.send('after-internal');
      break;
    case 'big':
      process.send('x'.repeat(msg.n));
      break;
    case 'burst':
      for (let i = 0; i < msg.n; i++) process.send(i);
      process.send('burst-done');
      break;
    case 'disconnect':
      process.disconnect();
      break;
    case 'server':
      // A listening socket passed by Go's SendFile arrives as a net.Server.
      if (!handle) {
        process.send({ error: 'no handle' });
        break;
      }
      handle.on('connection', (s) => s.end('hello from node\n'));
      process.send({ serverOK: handle instanceof net.Server, listening: handle.listening });
      break;
    case 'sendserver': {
      // Pass a listening socket to Go; the next message is queued by Node
      // until Go acknowledges the handle with NODE_HANDLE_ACK.
      const srv = net.createServer((s) => s.end('from node\n'));
      srv.listen(0, '127.0.0.1', () => {
        process.send({ port: srv.address().port }, srv, () => srv.close());
        process.send('after-handle');
      });
      break;
    }
    default:
      process.send({ unknown: msg, hasHandle: !!handle });
  }
});
