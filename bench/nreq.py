#!/usr/bin/python3
"""bench/nreq.py: sends exactly N keep-alive GET requests (for instruction counts per request,
where wrk's fixed duration would not give a fixed count). Prints the statuses seen.

  bench/nreq.py PORT PATH N [--conns C] [--header 'Name: value'] [--source IP] [--keep-cookie]
                [--first PATH]
--keep-cookie sends back the id cookie of the first response, as a browser would; --first sends
one request for PATH before the N (a trap path, say, to be served as an attacker)."""
import argparse
import collections
import re
import socket
import sys


def read_response(sock, buf):
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
    length = int(m.group(1)) if m else 0
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        rest += chunk
    return head, rest[length:]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("path")
    p.add_argument("n", type=int)
    p.add_argument("--conns", type=int, default=4)
    p.add_argument("--header", action="append", default=[])
    p.add_argument("--source", default="127.0.0.1")
    p.add_argument("--keep-cookie", action="store_true")
    p.add_argument("--first")
    a = p.parse_args()
    headers = list(a.header)
    socks = []
    for _ in range(a.conns):
        s = socket.create_connection(("127.0.0.1", a.port), source_address=(a.source, 0))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        socks.append([s, b""])
    statuses = collections.Counter()
    paths = ([a.first] if a.first else []) + [a.path] * a.n
    for i, path in enumerate(paths):
        entry = socks[i % a.conns]
        extra = "".join(h + "\r\n" for h in headers)
        entry[0].sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n" % (path, extra)).encode())
        head, entry[1] = read_response(entry[0], entry[1])
        if i or not a.first:
            statuses[head.split(b" ", 2)[1].decode()] += 1
        if a.keep_cookie and not any(h.lower().startswith("cookie:") for h in headers):
            m = re.search(rb"(?i)\r\nset-cookie:\s*([^=]+=[0-9a-f]+)", head)
            if m:
                headers.append("Cookie: " + m.group(1).decode())
    for s, _ in socks:
        s.close()
    print(" ".join("%s:%d" % kv for kv in sorted(statuses.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
