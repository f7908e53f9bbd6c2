// A Node child for childproc's interop test: it answers every message,
// says hello first, and exits with code 42 when the parent disconnects.
process.on('message', (m) => {
  if (m && m.cmd === 'exit') process.exit(m.code);
  if (process.connected) process.send({ got: m, type: typeof m });
});
process.on('disconnect', () => {
  process.stderr.write('node: parent disconnected\n');
  process.exitCode = 42;
});
process.send({ hello: 'from node', pid: process.pid, big: Number.MAX_SAFE_INTEGER });
// A send racing with the parent's disconnect fails with EPIPE: not fatal.
process.on('error', (err) => {
  if (err.code !== 'EPIPE' && err.code !== 'ERR_IPC_CHANNEL_CLOSED') throw err;
});
