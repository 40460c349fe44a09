#!/usr/bin/env python3
"""The small programs of the link-failover lab (examples/link-failover/lab.sh), standard
library only (Debian's python3 package):

  relay DELAY_MS NETNS_A DEV_A NETNS_B DEV_B
      The backup (4G) link: creates TUN device DEV_A inside network namespace NETNS_A and
      DEV_B inside NETNS_B (IFF_TUN, no packet info: raw IPv4 packets), and copies every
      packet read from one to the other DELAY_MS milliseconds later, in order. The kernel
      has no netem; this is the added latency (40 ms each way: an ~80 ms round trip).
      Killing the process removes both devices.
  serve ADDR PORT
      The upstream service: HTTP/1.0 on ADDR:PORT answering every GET with
      "service ok for CLIENT_ADDR" (the address the request came from: after the site
      router's NAT, the address of the link it used).
  client URL_HOST PORT OUT
      The client inside the site: starts one request (a new TCP connection, 2 s timeout)
      every 50 ms, each in its own thread so a black-holed request never delays the next,
      and appends "SENT_NS DONE_NS BODY" to OUT for every successful reply. Stops on
      SIGTERM.
  outage OUT FROM_NS TO_NS
      The longest time without a successful reply between FROM_NS and TO_NS (completion
      times of successful replies, wall clock ns), in ms, and the number of replies.
"""

import ctypes
import fcntl
import http.server
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
from collections import deque

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000


def setns(name):
    """Move this (single-threaded) process into the named network namespace."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({name}): {os.strerror(err)}")
    finally:
        os.close(fd)


def open_tun(netns, dev):
    setns(netns)
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", dev.encode(), IFF_TUN | IFF_NO_PI))
    os.set_blocking(fd, False)
    return fd


def relay(delay_ms, ns_a, dev_a, ns_b, dev_b):
    delay = int(delay_ms) / 1000.0
    a = open_tun(ns_a, dev_a)
    b = open_tun(ns_b, dev_b)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # One FIFO per direction: the delay is constant, so the oldest packet is due first.
    queues = {a: deque(), b: deque()}  # packets read from fd, waiting to be written to the other
    other = {a: b, b: a}
    while True:
        now = time.monotonic()
        due = [q[0][0] for q in queues.values() if q]
        timeout = max(0.0, min(due) - now) if due else None
        readable, _, _ = select.select([a, b], [], [], timeout)
        now = time.monotonic()
        for fd in readable:
            while True:
                try:
                    pkt = os.read(fd, 65535)
                except BlockingIOError:
                    break
                if not pkt:
                    break
                queues[fd].append((now + delay, pkt))
        for fd, q in queues.items():
            while q and q[0][0] <= now:
                _, pkt = q.popleft()
                try:
                    os.write(other[fd], pkt)
                except OSError:
                    pass  # the far device is down or its queue full: the packet is lost


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"service ok for {self.client_address[0]}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(addr, port):
    http.server.ThreadingHTTPServer.daemon_threads = True
    http.server.ThreadingHTTPServer.allow_reuse_address = True
    srv = http.server.ThreadingHTTPServer((addr, int(port)), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    srv.serve_forever()


def client(host, port, out):
    port = int(port)
    lock = threading.Lock()
    f = open(out, "a", buffering=1)
    request = f"GET / HTTP/1.0\r\nHost: {host}\r\n\r\n".encode()

    def one():
        sent = time.time_ns()
        try:
            with socket.create_connection((host, port), timeout=2) as s:
                s.settimeout(2)
                s.sendall(request)
                data = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
        except OSError:
            return
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.0 200"):
            return
        done = time.time_ns()
        with lock:
            f.write(f"{sent} {done} {body.decode(errors='replace').strip().replace(' ', '_')}\n")

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    tick = time.monotonic()
    while not stop.is_set():
        threading.Thread(target=one, daemon=True).start()
        tick += 0.05
        stop.wait(max(0.0, tick - time.monotonic()))
    f.close()


def outage(out, from_ns, to_ns):
    lo, hi = int(from_ns), int(to_ns)
    done = []
    with open(out) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and lo <= int(parts[1]) <= hi:
                done.append(int(parts[1]))
    done.sort()
    points = [lo] + done + [hi]
    gap = max(b - a for a, b in zip(points, points[1:]))
    print(f"{gap // 1_000_000} {len(done)}")


def main():
    cmds = {"relay": (relay, 5), "serve": (serve, 2), "client": (client, 3), "outage": (outage, 3)}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds or len(sys.argv) - 2 != cmds[sys.argv[1]][1]:
        sys.exit(__doc__)
    fn, _ = cmds[sys.argv[1]]
    fn(*sys.argv[2:])


if __name__ == "__main__":
    main()
