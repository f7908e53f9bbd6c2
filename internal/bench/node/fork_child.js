'use strict';
// The child of fork.js. MODE echo: send every message back. MODE sink:
// count messages until 'done', then send {count, bytes} (bytes as
// JSON.stringify length, like the Go sink's raw length). MODE source N: on
// 'go' send N {seq: i} messages, then 'done'.
const [mode, nArg] = process.argv.slice(2);
const n = Number(nArg || 0);

if (mode === 'echo') {
  process.on('message', (m) => process.send(m));
} else if (mode === 'sink') {
  let count = 0;
  let bytes = 0;
  process.on('message', (m) => {
    if (m === 'done') {
      process.send({ count, bytes });
      count = 0;
      bytes = 0;
      return;
    }
    count++;
    bytes += typeof m.data === 'string' ? m.data.length + 11 : JSON.stringify(m).length;
  });
} else if (mode === 'source') {
  process.on('message', async (m) => {
    if (m !== 'go') return;
    const batch = 1024;
    for (let i = 0; i < n; i += batch) {
      const end = Math.min(n, i + batch);
      await new Promise((resolve) => {
        for (let j = i; j < end; j++) process.send({ seq: j }, j === end - 1 ? resolve : undefined);
      });
    }
    process.send('done');
  });
}
process.on('disconnect', () => process.exit(0));
