"""Integration-test harness: starts a mitsu server on an ephemeral loopback port, speaks raw
bytes to it, and counts results. Each test file ends with one line 'N passed, N failed'."""
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
# The sanitizer build by default: every integration test is also a memory-safety test.
DEFAULT_SERVER = os.environ.get("MITSU_TEST_SERVER",
                                os.path.join(BUILD, "tests", "testapp-asan"))


class Server:
    """A running server process; use as a context manager."""

    def __init__(self, binary=DEFAULT_SERVER, workers=1, env=None, listen="127.0.0.1:0"):
        self.binary = binary
        self.env = dict(os.environ)
        self.env["MITSU_SERVER_LISTEN"] = listen
        self.env["MITSU_SERVER_WORKERS"] = str(workers)
        self.env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        # its own management database, so that servers never share verdicts by accident
        self.journal_dir = tempfile.mkdtemp(prefix="mitsu-journal-")
        self.env.setdefault("MITSU_JOURNAL_DB", "sqlite:%s/mitsu.db" % self.journal_dir)
        if env:
            self.env.update(env)
        self.proc = None
        self.port = None
        self.host = "127.0.0.1"

    def start(self):
        self.proc = subprocess.Popen([self.binary], env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        deadline = time.time() + 20
        line = b""
        while time.time() < deadline:
            r, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if r:
                line = self.proc.stdout.readline()
                m = re.search(rb"listening on http://\[?([^\]/]+?)\]?:(\d+)/", line)
                if m:
                    self.host = m.group(1).decode()
                    self.port = int(m.group(2))
                    return self
                if not line:
                    break
            if self.proc.poll() is not None:
                break
        err = self.proc.stderr.read() if self.proc.poll() is not None else b""
        self.kill()
        raise RuntimeError("server did not start: %r %r" % (line, err))

    def url(self, path="/"):
        return "http://%s:%d%s" % (self.host, self.port, path)

    def stop(self, timeout=15):
        """SIGTERM, wait; returns the exit status (and checks stderr for sanitizer reports)."""
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        return self.proc.returncode

    def stderr_text(self):
        try:
            return self.proc.stderr.read().decode(errors="replace")
        except Exception:
            return ""

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        rc = self.stop()
        err = self.stderr_text()
        if "Sanitizer" in err or "runtime error" in err:
            raise AssertionError("sanitizer report from the server:\n" + err[-4000:])
        if exc[0] is None and rc not in (0, None):
            raise AssertionError("server exited with %r; stderr:\n%s" % (rc, err[-2000:]))
        return False


def connect(server, timeout=5, source=None):
    """A TCP connection to the server; source picks the client address (127.0.0.x on loopback:
    each test can be a different client)."""
    s = socket.create_connection((server.host, server.port), timeout=timeout,
                                 source_address=(source, 0) if source else None)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def exchange(server, data, timeout=3, pieces=None):
    """Sends data (or a list of pieces, one write each) and reads until the server closes or
    `timeout` seconds pass with nothing new. Returns (bytes received, closed_by_server)."""
    s = connect(server, timeout)
    try:
        for piece in (pieces if pieces is not None else [data]):
            s.sendall(piece)
            if pieces is not None:
                time.sleep(0.02)
        return read_all(s, timeout)
    finally:
        s.close()


def read_all(s, timeout=3):
    chunks = []
    s.settimeout(timeout)
    closed = False
    while True:
        try:
            b = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            closed = True
            break
        if not b:
            closed = True
            break
        chunks.append(b)
    return b"".join(chunks), closed


def statuses(data):
    """Status codes of every response in a byte stream, in order."""
    return [int(m) for m in re.findall(rb"(?:^|\n)HTTP/1\.1 (\d{3}) ", data)]


def parse_responses(data):
    """Splits a stream of responses (Content-Length or chunked framing) into
    (status, headers dict lower-cased, body) triples."""
    out = []
    while data:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            break
        head = data[:end].decode("latin-1").split("\r\n")
        data = data[end + 4:]
        status = int(head[0].split(" ")[1])
        headers = {}
        for line in head[1:]:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        body = b""
        if "content-length" in headers:
            n = int(headers["content-length"])
            body, data = data[:n], data[n:]
        elif headers.get("transfer-encoding") == "chunked":
            while True:
                line_end = data.find(b"\r\n")
                size = int(data[:line_end], 16)
                data = data[line_end + 2:]
                if size == 0:
                    data = data[2:]
                    break
                body += data[:size]
                data = data[size + 2:]
        out.append((status, headers, body))
    return out


_next = [10]


def new_ip():
    """A fresh client address on loopback (127.0.x.y), different on every call."""
    _next[0] += 1
    return "127.0.%d.%d" % (_next[0] // 250, 1 + _next[0] % 250)


class Client:
    """A browser-like client: one source address, keeps the cookies it is given."""

    def __init__(self, srv, ip=None, keep_cookies=True):
        self.srv, self.ip, self.keep = srv, ip or new_ip(), keep_cookies
        self.cookies = {}

    def request(self, method, path, headers=None, body=b"", cookie=None):
        """cookie= sends that Cookie header instead of the kept cookies."""
        s = connect(self.srv, source=self.ip)
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: h", "Connection: close"]
        if cookie is None and self.cookies:
            cookie = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        if cookie:
            lines.append("Cookie: " + cookie)
        for k, v in (headers or {}).items():
            lines.append("%s: %s" % (k, v))
        if body:
            lines.append("Content-Length: %d" % len(body))
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        data, _ = read_all(s, 5)
        s.close()
        status, hdrs, payload = parse_responses(data)[0]
        setc = re.findall(rb"\r\nSet-Cookie: ([^\r]*)", data)
        if self.keep:
            for c in setc:
                name, _, rest = c.decode().partition("=")
                self.cookies[name] = rest.split(";")[0]
        return status, hdrs, payload.decode(errors="replace"), [c.decode() for c in setc]

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post_form(self, path, **fields):
        body = urllib.parse.urlencode(fields).encode()
        return self.request("POST", path, body=body,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})

    def state(self):
        return self.get("/state")[2]


_tests = []


def test(fn):
    _tests.append(fn)
    return fn


def run(server_factory=None):
    """Runs every @test function, each given a fresh or shared server as it asks, and prints
    the summary line. Exits non-zero on any failure."""
    passed = failed = 0
    only = os.environ.get("TEST_ONLY")
    for fn in _tests:
        if only and only not in fn.__name__:
            continue
        t0 = time.time()
        try:
            fn()
            passed += 1
            print("PASS %s (%.1fs)" % (fn.__name__, time.time() - t0), flush=True)
        except Exception:
            failed += 1
            print("FAIL %s" % fn.__name__, flush=True)
            traceback.print_exc(limit=4, file=sys.stdout)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    sys.exit(1 if failed else 0)
