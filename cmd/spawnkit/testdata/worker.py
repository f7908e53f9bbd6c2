#!/usr/bin/env python3
"""A socket-activated HTTP worker for spawnkit's tests.

It takes its listeners from LISTEN_FDS (refusing them unless LISTEN_PID is
its own pid), says READY=1 on NOTIFY_SOCKET, pets the watchdog when
WATCHDOG_USEC is set, and drains on SIGTERM. Each answer is
"GEN PID SOCKETNAME nonblock=0|1": nonblock is whether the shared socket was
already non-blocking when this worker started (a worker before it set it;
the supervisor must never clear it).

WORKER_MODE changes its behaviour: normal, never-ready (serves but never
says READY=1), crash (exits 3 at once), crash-after (exits 3 after
answering CRASH_AFTER requests), hang (after HANG_AFTER seconds stops
accepting and petting the watchdog; only in slot HANG_SLOT when set, and
only once when HANG_ONCE names a file, which it creates), ignore-term (ignores SIGTERM), no-notify (leaves READY=1
to someone else, e.g. systemd-notify). SIGUSR1 prints "got SIGUSR1".
"""
import fcntl
import os
import select
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler


def fail(msg):
    print("worker.py: " + msg, file=sys.stderr, flush=True)
    sys.exit(2)


pid = os.getpid()
if os.environ.get("LISTEN_PID") != str(pid):
    fail("LISTEN_PID=%r is not my pid %d" % (os.environ.get("LISTEN_PID"), pid))
nfds = int(os.environ["LISTEN_FDS"])
names = os.environ.get("LISTEN_FDNAMES", "").split(":")
if len(names) != nfds:
    fail("LISTEN_FDNAMES=%r does not name %d sockets" % (os.environ.get("LISTEN_FDNAMES"), nfds))
nonblock = int(bool(fcntl.fcntl(3, fcntl.F_GETFL) & os.O_NONBLOCK))
socks = [socket.socket(fileno=3 + i) for i in range(nfds)]
for s in socks:
    s.setblocking(False)  # the worker's choice; it applies to the shared socket

mode = os.environ.get("WORKER_MODE", "normal")
gen = os.environ.get("GEN", "0")


def notify(msg):
    addr = os.environ.get("NOTIFY_SOCKET")
    if not addr:
        return
    if addr[0] == "@":
        addr = "\0" + addr[1:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.connect(addr)
        s.sendall(msg.encode())
    finally:
        s.close()


hung = False
stopping = False


def on_term(sig, frame):
    global stopping
    if mode == "ignore-term":
        print("ignoring SIGTERM", flush=True)
        return
    stopping = True


signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGUSR1, lambda sig, frame: print("got SIGUSR1", flush=True))

if mode == "crash":
    print("crashing on purpose", file=sys.stderr, flush=True)
    sys.exit(3)


class Handler(BaseHTTPRequestHandler):
    name = ""

    def do_GET(self):
        body = ("%s %d %s nonblock=%d\n" % (gen, pid, self.name, nonblock)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def watchdog():
    usec = int(os.environ.get("WATCHDOG_USEC", "0"))
    if not usec:
        return
    if os.environ.get("WATCHDOG_PID") != str(pid):
        fail("WATCHDOG_PID=%r is not my pid %d" % (os.environ.get("WATCHDOG_PID"), pid))
    while not hung:
        notify("WATCHDOG=1")
        time.sleep(usec / 1e6 / 4)


print("serving %s on fds 3..%d" % (":".join(names), 2 + nfds), flush=True)
if sys.platform == "linux":
    import ctypes

    sig = ctypes.c_int(0)
    ctypes.CDLL(None).prctl(2, ctypes.byref(sig))  # PR_GET_PDEATHSIG
    print("parent-death signal %d" % sig.value, flush=True)
print("a line on stderr", file=sys.stderr, flush=True)
if mode not in ("never-ready", "no-notify"):
    notify("READY=1\nSTATUS=serving")
threading.Thread(target=watchdog, daemon=True).start()
hang_at = None
if mode == "hang":
    once = os.environ.get("HANG_ONCE")
    slot = os.environ.get("HANG_SLOT")
    if (not once or not os.path.exists(once)) and (not slot or slot == os.environ.get("SPAWNKIT_SLOT")):
        hang_at = time.time() + float(os.environ.get("HANG_AFTER", "0"))
served = 0
crash_after = int(os.environ.get("CRASH_AFTER", "0")) if mode == "crash-after" else 0

while not stopping:
    if hang_at is not None and time.time() >= hang_at:
        hung = True
        if os.environ.get("HANG_ONCE"):
            open(os.environ["HANG_ONCE"], "w").close()
        print("hanging", flush=True)
        while True:
            time.sleep(3600)
    ready, _, _ = select.select(socks, [], [], 0.05)
    for s in ready:
        try:
            conn, addr = s.accept()
        except (BlockingIOError, InterruptedError):
            continue
        conn.setblocking(True)
        Handler.name = names[socks.index(s)]
        try:
            Handler(conn, addr or ("unix", 0), None)
        except Exception as e:  # a client that went away
            print("request failed: %r" % e, file=sys.stderr, flush=True)
        finally:
            conn.close()
        served += 1
        if crash_after and served >= crash_after:
            print("crashing after %d requests" % served, file=sys.stderr, flush=True)
            sys.exit(3)
notify("STOPPING=1")
print("drained, exiting", flush=True)
