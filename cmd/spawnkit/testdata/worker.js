// A socket-activated Node HTTP worker for spawnkit's tests: listen({fd: 3})
// and READY=1 on NOTIFY_FD, or process.send('ready') when READY_VIA=ipc.
'use strict';
const fs = require('fs');
const http = require('http');

if (process.env.LISTEN_PID !== String(process.pid)) {
  console.error(`worker.js: LISTEN_PID=${process.env.LISTEN_PID} is not my pid ${process.pid}`);
  process.exit(2);
}
const gen = process.env.GEN || '0';
const server = http.createServer((req, res) => {
  res.end(`${gen} ${process.pid} node\n`);
});
server.listen({ fd: 3 }, () => {
  console.log('listening on fd 3');
  if (process.env.READY_VIA === 'ipc') {
    process.send('ready');
  } else {
    fs.writeSync(Number(process.env.NOTIFY_FD), 'READY=1\nSTATUS=node serving\n');
  }
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
});
