'use strict';
// Node-to-Node fork() IPC baseline for the ipc benchmarks.
// Usage: node ipc_bench.js [roundtrips] [mib]
// Prints one JSON line: {"roundTripNs":..., "throughput64KiBMBps":...}
const cp = require('child_process');

if (process.argv[2] === 'child') {
  process.on('message', (m) => {
    if (m && m.cmd === 'ping') process.send(m);
    else if (m === 'count?') process.send(counted);
    else counted++;
  });
  let counted = 0;
  return;
}

const roundTrips = Number(process.argv[2] || 20000);
const mib = Number(process.argv[3] || 256);
const child = cp.fork(__filename, ['child'], { serialization: 'json' });
const result = {};

function roundTrip() {
  return new Promise((resolve) => {
    let i = 0;
    const start = process.hrtime.bigint();
    child.on('message', function onMsg() {
      if (++i === roundTrips) {
        child.removeListener('message', onMsg);
        result.roundTripNs = Number(process.hrtime.bigint() - start) / roundTrips;
        resolve();
        return;
      }
      child.send({ cmd: 'ping', n: i });
    });
    child.send({ cmd: 'ping', n: i });
  });
}

function throughput(payload, count, key) {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    let sent = 0;
    function pump() {
      while (sent < count) {
        sent++;
        if (!child.send(payload)) {
          setImmediate(pump); // let the channel drain
          return;
        }
      }
      child.send('count?');
      child.once('message', (n) => {
        const s = Number(process.hrtime.bigint() - start) / 1e9;
        if (n !== count) throw new Error(`child counted ${n} of ${count}`);
        result[key] = Math.round((count * (JSON.stringify(payload).length + 1)) / s / 1e6);
        resolve();
      });
    }
    pump();
  });
}

(async () => {
  await roundTrip();
  const big = 'x'.repeat(64 * 1024 - 2);
  await throughput(big, mib * 16, 'throughput64KiBMBps');
  console.log(JSON.stringify(result));
  child.disconnect();
})();
