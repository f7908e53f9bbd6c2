'use strict';
// Shared by the bench scripts: timing and the one JSON line each prints,
// the same shape the Go side prints (see bench/raw.go).
function now() { return Number(process.hrtime.bigint()) / 1e9; }

function report(r) {
  r.rss = process.resourceUsage().maxRSS * 1024; // peak RSS of this process, bytes
  process.stdout.write(JSON.stringify(r) + '\n');
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  let i = Math.round(p / 100 * sorted.length) - 1;
  i = Math.max(0, Math.min(i, sorted.length - 1));
  return sorted[i];
}

function fail(err) {
  console.error(err && err.stack || String(err));
  process.exit(1);
}

module.exports = { now, report, percentile, fail };
