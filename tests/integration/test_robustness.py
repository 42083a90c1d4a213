"""Robustness: keep-alive, pipelining, slow and idle clients, graceful shutdown, large bodies,
concurrency, HTTP/1.0 and IPv6. Every test is bounded in time; the file runs in about a minute.
Run: /usr/bin/python3 tests/integration/test_robustness.py  (MITSU_TEST_SERVER picks the binary)"""
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, connect, read_all, statuses, parse_responses, test, run  # noqa: E402


def recv_response(s, buf=b"", timeout=5):
    """Reads exactly one response (Content-Length or chunked framing) from s.
    Returns (status, headers, body, leftover bytes)."""
    s.settimeout(timeout)
    deadline = time.time() + timeout

    def more():
        if time.time() > deadline:
            raise AssertionError("response not complete within %ss; have %r" % (timeout, buf[:300]))
        b = s.recv(65536)
        if not b:
            raise AssertionError("connection closed mid-response; have %r" % buf[:300])
        return b

    while b"\r\n\r\n" not in buf:
        buf += more()
    end = buf.index(b"\r\n\r\n")
    lines = buf[:end].decode("latin-1").split("\r\n")
    buf = buf[end + 4:]
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        n = int(headers["content-length"])
        while len(buf) < n:
            buf += more()
        return status, headers, buf[:n], buf[n:]
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            while b"\r\n" not in buf:
                buf += more()
            i = buf.index(b"\r\n")
            size = int(buf[:i].split(b";")[0], 16)
            buf = buf[i + 2:]
            if size == 0:
                while b"\r\n\r\n" not in b"\r\n" + buf:  # trailers end with an empty line
                    buf += more()
                j = (b"\r\n" + buf).index(b"\r\n\r\n")
                return status, headers, body, buf[j + 2:]
            while len(buf) < size + 2:
                buf += more()
            body += buf[:size]
            buf = buf[size + 2:]
    return status, headers, b"", buf  # no body (e.g. 204/304)


def get(server, path="/", timeout=2):
    """A fresh connection, one GET; returns (status, body, seconds taken)."""
    t0 = time.time()
    s = connect(server, timeout)
    try:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" % path.encode())
        st, _, body, _ = recv_response(s, timeout=timeout)
        return st, body, time.time() - t0
    finally:
        s.close()


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def curl(*args, timeout=10):
    return subprocess.run(["curl", "-s", "--max-time", "5"] + list(args), capture_output=True,
                          timeout=timeout)


@test
def keep_alive_several_requests_one_connection():
    with Server() as srv:
        s = connect(srv)
        try:
            buf = b""
            for i in range(5):
                s.sendall(b"GET /echo/%d HTTP/1.1\r\nHost: t\r\n\r\n" % i)
                st, h, body, buf = recv_response(s, buf)
                assert st == 200, st
                assert body.startswith(b"GET /echo/%d\n" % i), body
                assert h.get("connection", "").lower() != "close", h
            # a POST with a body on the same connection, then a final GET
            s.sendall(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello")
            st, _, body, buf = recv_response(s, buf)
            assert st == 200 and body == b"POST /echo\nbody-length: 5\nhello", body
            s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            st, _, body, buf = recv_response(s, buf)
            assert st == 200 and body == b"Hello, World!", body
            assert buf == b""
        finally:
            s.close()


@test
def keep_alive_with_curl_reuses_connection():
    with Server() as srv:
        r = curl("-v", srv.url("/"), srv.url("/echo/second"))
        err = r.stderr.decode(errors="replace")
        assert r.returncode == 0, (r.returncode, err)
        assert r.stdout == b"Hello, World!GET /echo/second\nbody-length: 0\n", r.stdout
        assert "Re-using existing connection" in err or "Reusing existing connection" in err, err
        assert err.count("Connected to") == 1, err


@test
def pipelining_50_requests_in_one_write():
    with Server() as srv:
        n = 50
        data = b"".join(b"GET /echo/%d HTTP/1.1\r\nHost: t\r\n\r\n" % i for i in range(1, n + 1))
        data += b"GET /echo/last HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        s = connect(srv)
        try:
            s.sendall(data)
            got, closed = read_all(s, timeout=5)
        finally:
            s.close()
        assert closed, "server did not close after Connection: close"
        resp = parse_responses(got)
        assert len(resp) == n + 1, (len(resp), statuses(got))
        for i, (st, _, body) in enumerate(resp[:n], 1):
            assert st == 200, (i, st)
            assert body == b"GET /echo/%d\nbody-length: 0\n" % i, (i, body)
        assert resp[n][2].startswith(b"GET /echo/last\n")


@test
def slow_head_is_timed_out_while_others_are_served():
    head = b"GET /echo/slow HTTP/1.1\r\nHost: t\r\nX-Padding: " + b"p" * 40 + b"\r\n\r\n"
    with Server() as srv:
        result = {}

        def slow():
            s = connect(srv)
            t0 = time.time()
            got = b""
            closed_at = None
            try:
                for i in range(len(head)):
                    if time.time() - t0 > 16:
                        break
                    try:
                        s.sendall(head[i:i + 1])
                    except (BrokenPipeError, ConnectionResetError):
                        closed_at = time.time()
                        break
                    # wait ~1 s, watching for the server's answer or close
                    s.settimeout(1.0)
                    try:
                        b = s.recv(4096)
                        if not b:
                            closed_at = time.time()
                            break
                        got += b
                    except socket.timeout:
                        pass
                    except ConnectionResetError:
                        closed_at = time.time()
                        break
            finally:
                s.close()
            result["elapsed"] = None if closed_at is None else closed_at - t0
            result["got"] = got

        th = threading.Thread(target=slow)
        th.start()
        probes = []
        while th.is_alive():
            try:
                st, body, dt = get(srv, "/", timeout=2)
                probes.append((st, round(dt, 3)))
            except Exception as e:  # noqa: BLE001
                probes.append((repr(e), None))
            time.sleep(0.5)
        th.join()
        assert result["elapsed"] is not None, "slow client never closed: %r" % result
        assert 9.0 <= result["elapsed"] <= 12.5, result
        if result["got"]:
            assert statuses(result["got"]) == [408], result["got"]
        assert len(probes) >= 15, probes
        bad = [p for p in probes if p[0] != 200 or p[1] > 0.5]
        assert not bad, ("normal client not served promptly", bad)


@test
def thousand_idle_connections_do_not_block_a_normal_client():
    n = 1000
    assert raise_nofile(n + 256) >= n + 64, "cannot raise RLIMIT_NOFILE"
    with Server() as srv:
        idle = []
        try:
            for _ in range(n):
                idle.append(socket.create_connection((srv.host, srv.port), timeout=5))
            time.sleep(0.3)  # let the server accept them all
            for _ in range(3):
                st, body, dt = get(srv, "/", timeout=2)
                assert st == 200 and body == b"Hello, World!", (st, body)
                assert dt < 1.0, "request took %.3fs with %d idle connections" % (dt, n)
            # the idle ones were accepted and are still served
            for s in random.sample(idle, 10):
                s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                st, _, body, _ = recv_response(s, timeout=2)
                assert st == 200, st
        finally:
            for s in idle:
                s.close()


@test
def sigterm_during_request_finishes_it():
    srv = Server()
    with srv:
        s = connect(srv, timeout=6)
        try:
            s.sendall(b"GET /sleep?ms=1500 HTTP/1.1\r\nHost: t\r\n\r\n")
            time.sleep(0.3)
            srv.proc.send_signal(signal.SIGTERM)
            t0 = time.time()
            st, _, body, rest = recv_response(s, timeout=5)
            assert st == 200 and body == b"slept", (st, body)
            assert time.time() - t0 < 3, "response late after SIGTERM"
            more, closed = read_all(s, timeout=3)
            assert more == b"" and rest == b"", (rest, more)
            assert closed, "connection left open after the last in-flight response"
        finally:
            s.close()
        # new connections are refused once the in-flight request is done
        refused = False
        deadline = time.time() + 2
        while time.time() < deadline:
            try:
                c = socket.create_connection((srv.host, srv.port), timeout=1)
            except ConnectionRefusedError:
                refused = True
                break
            # accepted by a listener still open: it must not be served
            try:
                c.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                got, _ = read_all(c, timeout=1)
                assert b"200" not in got, "served after SIGTERM: %r" % got
            except (ConnectionResetError, BrokenPipeError):
                pass
            finally:
                c.close()
            time.sleep(0.05)
        assert refused, "new connections still accepted 2 s after SIGTERM"
        try:
            rc = srv.proc.wait(10)
        except subprocess.TimeoutExpired:
            raise AssertionError("server did not exit within 10 s of the request finishing")
        assert rc == 0, "exit status %r" % rc


def random_chunks(data, rng):
    out, i = [], 0
    while i < len(data):
        n = rng.randint(1, 40000)
        out.append(b"%x\r\n" % len(data[i:i + n]) + data[i:i + n] + b"\r\n")
        i += n
    out.append(b"0\r\n\r\n")
    return b"".join(out)


def send_in_random_pieces(s, data, rng):
    i = 0
    while i < len(data):
        n = rng.randint(1, 70000)
        s.sendall(data[i:i + n])
        i += n


@test
def large_body_content_length_and_chunked_arrive_intact():
    rng = random.Random(1234)
    body = bytes(rng.getrandbits(8) for _ in range(900 * 1024))
    expect = b"POST /echo\nbody-length: %d\n" % len(body) + body
    with Server() as srv:
        s = connect(srv, timeout=10)
        try:
            s.sendall(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % len(body))
            send_in_random_pieces(s, body, rng)
            st, _, got, buf = recv_response(s, timeout=10)
            assert st == 200, st
            assert got == expect, ("content-length body differs", len(got), len(expect))
            # the same body chunked, on the same connection
            s.sendall(b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
            send_in_random_pieces(s, random_chunks(body, rng), rng)
            st, _, got, buf = recv_response(s, buf, timeout=10)
            assert st == 200, st
            assert got == expect, ("chunked body differs", len(got), len(expect))
        finally:
            s.close()


@test
def body_over_limit_is_413_and_close():
    size = 2 * 1024 * 1024
    with Server() as srv:
        # (a) the head alone announces too much: 413 at once, then close
        s = connect(srv)
        try:
            s.sendall(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % size)
            got, closed = read_all(s, timeout=3)
        finally:
            s.close()
        assert statuses(got) == [413], got[:200]
        assert closed, "connection not closed after 413"

        # (b) the client sends the whole 2 MB anyway (Content-Length, then chunked): it still
        # reads the 413 (no reset destroying it), and the connection closes
        for chunked in (False, True):
            if chunked:
                head = b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                payload = random_chunks(b"x" * size, random.Random(7))
            else:
                head = b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % size
                payload = b"x" * size
            s = connect(srv)
            sent_err = []

            def sender():
                try:
                    s.sendall(head + payload)
                except OSError as e:
                    sent_err.append(e)

            th = threading.Thread(target=sender)
            th.start()
            try:
                got, closed = read_all(s, timeout=3)
            finally:
                th.join(5)
                s.close()
            assert statuses(got) == [413], ("chunked" if chunked else "content-length", got[:200])
            assert closed, "connection not closed after 413"


@test
def two_workers_200_concurrent_short_connections():
    raise_nofile(1024)
    with Server(workers=2) as srv:
        n = 200
        barrier = threading.Barrier(n, timeout=10)

        def one(i):
            s = socket.create_connection((srv.host, srv.port), timeout=10)
            try:
                barrier.wait()
                s.sendall(b"GET /echo/%d HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" % i)
                got, closed = read_all(s, timeout=10)
            finally:
                s.close()
            r = parse_responses(got)
            return len(r) == 1 and r[0][0] == 200 and \
                r[0][2] == b"GET /echo/%d\nbody-length: 0\n" % i and closed

        t0 = time.time()
        with ThreadPoolExecutor(n) as ex:
            results = list(ex.map(one, range(n)))
        failed = [i for i, ok in enumerate(results) if not ok]
        assert not failed, "%d of %d failed: %r" % (len(failed), n, failed[:10])
        assert time.time() - t0 < 15


@test
def curl_http10_works():
    with Server() as srv:
        r = curl("--http1.0", "-i", srv.url("/"))
        assert r.returncode == 0, r
        out = r.stdout
        assert out.startswith(b"HTTP/1.") and b" 200 " in out.split(b"\r\n")[0], out
        assert out.endswith(b"\r\n\r\nHello, World!"), out
        # a POST with a body as HTTP/1.0
        r = curl("--http1.0", "--data-binary", "abc", srv.url("/echo/ten"))
        assert r.returncode == 0 and r.stdout == b"POST /echo/ten\nbody-length: 3\nabc", r


def ipv6_loopback_available():
    if not socket.has_ipv6:
        return False
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        try:
            s.bind(("::1", 0))
        finally:
            s.close()
        return True
    except OSError:
        return False


@test
def ipv6_loopback():
    if not ipv6_loopback_available():
        print("NOTE ipv6_loopback: ::1 unavailable on this machine; skipped", flush=True)
        return
    with Server(listen="[::1]:0") as srv:
        assert srv.host == "::1", srv.host
        s = socket.create_connection(("::1", srv.port), timeout=3)
        try:
            assert s.family == socket.AF_INET6
            s.sendall(b"GET / HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n")
            st, _, body, _ = recv_response(s, timeout=3)
            assert st == 200 and body == b"Hello, World!", (st, body)
        finally:
            s.close()
        r = curl("-g", "http://[::1]:%d/" % srv.port)
        assert r.returncode == 0 and r.stdout == b"Hello, World!", r


@test
def connections_past_the_limit_get_503_and_close():
    with Server(env={"MITSU_SERVER_MAX_CONNECTIONS": "5"}) as srv:
        idle = [connect(srv) for _ in range(5)]
        try:
            time.sleep(0.3)
            s = connect(srv)
            data, closed = read_all(s, 3)
            s.close()
            assert statuses(data) == [503] and closed, (data, closed)
            idle.pop().close()
            time.sleep(0.5)
            s = connect(srv)
            s.sendall(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
            data, _ = read_all(s, 3)
            s.close()
            assert statuses(data) == [200], data
        finally:
            for s in idle:
                s.close()


if __name__ == "__main__":
    run()
