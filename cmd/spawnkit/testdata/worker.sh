#!/bin/sh
# A shell worker: systemd-notify says READY=1 (and waits for its BARRIER=1 to
# be answered), then the shell becomes the Python server, keeping its pid
# and so LISTEN_PID.
start=$(date +%s%N)
systemd-notify --ready --status="shell worker $$" || exit 1
end=$(date +%s%N)
echo "systemd-notify took $(( (end - start) / 1000000 )) ms"
WORKER_MODE=no-notify exec python3 "$(dirname "$0")/worker.py"
