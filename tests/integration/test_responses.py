"""Our responses, checked by h11 acting as a strict HTTP/1.1 client: framing (no body for HEAD,
204 and 304; chunked streaming; no Transfer-Encoding to HTTP/1.0), `Connection: close` whenever
the server closes, keep-alive, Date, 100-continue, Allow, error bodies and large bodies.
Run: /usr/bin/python3 tests/integration/test_responses.py   (TEST_ONLY=name to select)."""
import email.utils
import os
import re
import socket
import sys
import time

import h11

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, connect, run, test  # noqa: E402

SRV = None
CRASHES = []


def server():
    """The shared server; restarted (and the crash kept for the final test) if a test killed it."""
    global SRV
    if SRV.proc.poll() is not None:
        CRASHES.append("exit %r: %s" % (SRV.proc.returncode, SRV.stderr_text()[-3000:]))
        SRV = Server().start()
    return SRV


class Client:
    """One connection with an h11 client state machine on top."""

    def __init__(self, timeout=5):
        self.sock = connect(server(), timeout)
        self.conn = h11.Connection(our_role=h11.CLIENT)
        self.timeout = timeout

    def close(self):
        self.sock.close()

    def send(self, *events):
        for ev in events:
            data = self.conn.send(ev)
            if data:
                self.sock.sendall(data)

    def send_raw(self, raw, method=b"GET"):
        """Sends raw bytes (e.g. an HTTP/1.0 or malformed request, which h11 cannot write) and puts
        h11 in the state of having sent a bodiless request with this method, so that it frames
        the response as for that method."""
        self.conn.send(h11.Request(method=method, target="/", headers=[("Host", "h")]))
        self.conn.send(h11.EndOfMessage())
        try:
            self.sock.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _fill(self):
        self.sock.settimeout(self.timeout)
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        self.conn.receive_data(data)

    def next_event(self):
        while True:
            ev = self.conn.next_event()
            if ev is h11.NEED_DATA:
                self._fill()
                continue
            return ev

    def response(self):
        """Reads one whole response: (h11.Response, headers dict lower-cased, body, informational
        responses seen before it)."""
        info, resp, body = [], None, bytearray()
        while True:
            ev = self.next_event()
            if isinstance(ev, h11.InformationalResponse):
                info.append(ev)
            elif isinstance(ev, h11.Response):
                resp = ev
            elif isinstance(ev, h11.Data):
                body += ev.data
            elif isinstance(ev, h11.EndOfMessage):
                break
            else:
                raise AssertionError("unexpected event %r" % (ev,))
        hdrs = {}
        for k, v in resp.headers:
            k = k.decode().lower()
            assert k not in hdrs or k == "set-cookie", "repeated header %s" % k
            hdrs[k] = v.decode("latin-1")
        return resp, hdrs, bytes(body), info

    def extra_bytes(self, wait=0.4):
        """Whatever the server sends after the response in `wait` seconds (must be nothing)."""
        extra = bytearray(self.conn.trailing_data[0])
        self.sock.settimeout(wait)
        try:
            while True:
                b = self.sock.recv(65536)
                if not b:
                    break
                extra += b
        except (socket.timeout, ConnectionResetError):
            pass
        return bytes(extra)

    def server_closed(self, wait=3):
        """True if the server closes the connection (with nothing more sent) within `wait` s."""
        if self.conn.trailing_data[1]:
            return True
        self.sock.settimeout(wait)
        try:
            b = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        assert not b, "unexpected bytes after the response: %r" % b[:200]
        return True

    def still_open(self, wait=0.4):
        self.sock.settimeout(wait)
        try:
            b = self.sock.recv(65536)
        except socket.timeout:
            return True
        except ConnectionResetError:
            return False
        assert b, "server closed the connection"
        raise AssertionError("unexpected bytes after the response: %r" % b[:200])


def get(target, method="GET", headers=(), body=None):
    """One request with h11 on a new connection; returns (client, response, headers, body, info)."""
    c = Client()
    hs = [("Host", "h")] + list(headers)
    if body is not None:
        hs.append(("Content-Length", str(len(body))))
    c.send(h11.Request(method=method, target=target, headers=hs))
    if body:
        c.send(h11.Data(data=body))
    c.send(h11.EndOfMessage())
    resp, hdrs, data, info = c.response()
    return c, resp, hdrs, data, info


def raw(data, method=b"GET"):
    c = Client()
    c.send_raw(data, method)
    resp, hdrs, body, info = c.response()
    return c, resp, hdrs, body


def has_token(value, token):
    return token in [t.strip().lower() for t in (value or "").split(",")]


def assert_closes_with_header(c, resp, hdrs):
    assert has_token(hdrs.get("connection"), "close"), \
        "no Connection: close on a response after which we close: %r" % (resp.headers,)
    assert c.conn.their_state is h11.MUST_CLOSE, c.conn.their_state
    assert c.server_closed(), "server kept the connection open after Connection: close"


def assert_keeps_open(c, hdrs):
    assert not has_token(hdrs.get("connection"), "close"), hdrs
    assert c.still_open(), "server closed the connection"


# ---- basics --------------------------------------------------------------------------------

@test
def get_root_200_with_content_length_and_keep_alive():
    c, resp, hdrs, body, _ = get("/")
    try:
        assert resp.status_code == 200 and resp.http_version == b"1.1"
        assert body == b"Hello, World!"
        assert hdrs.get("content-length") == "13", hdrs
        assert "transfer-encoding" not in hdrs
        assert_keeps_open(c, hdrs)
        # And a second request on the same connection works.
        c.conn.start_next_cycle()
        c.send(h11.Request(method="GET", target="/a", headers=[("Host", "h")]), h11.EndOfMessage())
        resp, hdrs, body, _ = c.response()
        assert resp.status_code == 200 and body == b"GET /a\nbody-length: 0\n", body
    finally:
        c.close()


@test
def head_has_no_body_bytes():
    c, resp, hdrs, body, _ = get("/", method="HEAD")
    try:
        assert resp.status_code == 200
        assert body == b""
        assert hdrs.get("content-length") in (None, "13"), hdrs
        extra = c.extra_bytes()
        assert extra == b"", "body bytes after the head of a HEAD response: %r" % extra[:100]
    finally:
        c.close()


@test
def head_on_streamed_route_has_no_body_bytes():
    c, resp, hdrs, body, _ = get("/stream?n=3&size=10", method="HEAD")
    try:
        assert resp.status_code == 200, resp
        assert body == b""
        extra = c.extra_bytes()
        assert extra == b"", "body bytes after the head of a HEAD response: %r" % extra[:100]
    finally:
        c.close()


@test
def status_204_has_no_body_and_no_content_length():
    c, resp, hdrs, body, _ = get("/status?code=204")
    try:
        assert resp.status_code == 204
        assert "content-length" not in hdrs, hdrs
        assert "transfer-encoding" not in hdrs, hdrs
        extra = c.extra_bytes()
        assert extra == b"", "body bytes after a 204: %r" % extra[:100]
    finally:
        c.close()


@test
def status_304_has_no_body():
    c, resp, hdrs, body, _ = get("/status?code=304")
    try:
        assert resp.status_code == 304
        assert "transfer-encoding" not in hdrs, hdrs
        extra = c.extra_bytes()
        assert extra == b"", "body bytes after a 304: %r" % extra[:100]
    finally:
        c.close()


@test
def streamed_response_is_chunked_and_intact():
    c, resp, hdrs, body, _ = get("/stream?n=5&size=1000")
    try:
        assert resp.status_code == 200
        assert hdrs.get("transfer-encoding", "").lower() == "chunked", hdrs
        assert "content-length" not in hdrs
        assert body == b"".join(bytes([97 + i]) * 1000 for i in range(5)), body[:50]
        assert_keeps_open(c, hdrs)
    finally:
        c.close()


# ---- HTTP/1.0 ------------------------------------------------------------------------------

@test
def http10_get_no_transfer_encoding_and_connection_close():
    c, resp, hdrs, body = raw(b"GET / HTTP/1.0\r\nHost: h\r\n\r\n")
    try:
        assert resp.status_code == 200
        assert "transfer-encoding" not in hdrs, hdrs
        assert body == b"Hello, World!"
        assert_closes_with_header(c, resp, hdrs)
    finally:
        c.close()


@test
def http10_stream_is_close_delimited_without_transfer_encoding():
    c, resp, hdrs, body = raw(b"GET /stream?n=4&size=500 HTTP/1.0\r\nHost: h\r\n\r\n")
    try:
        assert resp.status_code == 200
        assert "transfer-encoding" not in hdrs, hdrs
        assert "content-length" not in hdrs or hdrs["content-length"] == "2000", hdrs
        assert has_token(hdrs.get("connection"), "close"), hdrs
        assert body == b"".join(bytes([97 + i]) * 500 for i in range(4)), body[:80]
        assert c.server_closed()
    finally:
        c.close()


@test
def http10_keep_alive_connection_persists():
    c, resp, hdrs, body = raw(b"GET / HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n\r\n")
    try:
        assert resp.status_code == 200 and body == b"Hello, World!"
        assert "transfer-encoding" not in hdrs, hdrs
        assert hdrs.get("content-length") == "13", hdrs
        assert c.still_open(), "server closed a keep-alive HTTP/1.0 connection"
        c.sock.sendall(b"GET /a HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n\r\n")
        c.sock.settimeout(3)
        data = b""
        while b"body-length: 0\n" not in data:
            b = c.sock.recv(65536)
            assert b, "closed before the second response: %r" % data
            data += b
        assert data.startswith(b"HTTP/1.1 200 "), data[:80]
    finally:
        c.close()


@test
def http10_keep_alive_response_says_keep_alive():
    # An HTTP/1.0 client only keeps the connection if the response carries the keep-alive option.
    c, resp, hdrs, body = raw(b"GET / HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n\r\n")
    try:
        assert has_token(hdrs.get("connection"), "keep-alive"), \
            "no Connection: keep-alive in the answer to a 1.0 keep-alive request: %r" % hdrs
    finally:
        c.close()


# ---- Connection: close whenever we close ----------------------------------------------------

@test
def http11_connection_close_request_gets_close_header_then_close():
    c, resp, hdrs, body, _ = get("/", headers=[("Connection", "close")])
    try:
        assert resp.status_code == 200
        assert_closes_with_header(c, resp, hdrs)
    finally:
        c.close()


def refusal(data, status):
    c, resp, hdrs, body = raw(data)
    try:
        assert resp.status_code == status, (resp.status_code, status)
        assert_closes_with_header(c, resp, hdrs)
    finally:
        c.close()


@test
def refusal_400_has_connection_close():
    refusal(b"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400)


@test
def refusal_400_framing_has_connection_close():
    refusal(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
            400)


@test
def refusal_413_has_connection_close():
    refusal(b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 2000000\r\n\r\n", 413)


@test
def refusal_414_has_connection_close():
    refusal(b"GET /echo/" + b"a" * 20000 + b" HTTP/1.1\r\nHost: h\r\n\r\n", 414)


@test
def refusal_431_has_connection_close():
    refusal(b"GET / HTTP/1.1\r\nHost: h\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(200))
            + b"\r\n", 431)


@test
def refusal_501_has_connection_close():
    refusal(b"get / HTTP/1.1\r\nHost: h\r\n\r\n", 501)


@test
def refusal_505_has_connection_close():
    refusal(b"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505)


# ---- headers and bodies --------------------------------------------------------------------

IMF_FIXDATE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
                         r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
                         r"\d{2}:\d{2}:\d{2} GMT$")


@test
def date_header_present_and_imf_fixdate():
    for target in ("/", "/stream", "/status?code=204", "/nope"):
        c, resp, hdrs, body, _ = get(target)
        c.close()
        d = hdrs.get("date")
        assert d is not None, "no Date on %s" % target
        assert IMF_FIXDATE.match(d), "Date not IMF-fixdate on %s: %r" % (target, d)
        t = email.utils.parsedate_to_datetime(d).timestamp()
        assert abs(t - time.time()) < 5, "Date %r is not now" % d


@test
def bad_header_refused_and_not_injected():
    c, resp, hdrs, body, _ = get("/bad-header")
    try:
        assert resp.status_code == 200
        assert body == b"refused", body
        # (the honeypot's own client cookie may be there; the injected one must not)
        assert "x-injected" not in hdrs and "evil" not in hdrs.get("set-cookie", ""), hdrs
    finally:
        c.close()


@test
def handler_error_gives_500_revealing_nothing_internal():
    c, resp, hdrs, body, _ = get("/fail")
    try:
        assert resp.status_code == 500
        low = body.lower()
        assert len(body) < 200, body
        for leak in (b"/fail", b".c", b"handler", b"-1", b"errno", b"0x", b"stack", b"mitsu",
                     b"line", b"return"):
            assert leak not in low, "500 body reveals %r: %r" % (leak, body)
    finally:
        c.close()


@test
def expect_100_continue_before_final_response():
    c = Client()
    try:
        c.send(h11.Request(method="POST", target="/echo",
                           headers=[("Host", "h"), ("Content-Length", "5"),
                                    ("Expect", "100-continue")]))
        ev = c.next_event()  # before any body byte is sent
        assert isinstance(ev, h11.InformationalResponse) and ev.status_code == 100, ev
        assert ev.http_version == b"1.1"
        c.send(h11.Data(data=b"hello"), h11.EndOfMessage())
        resp, hdrs, body, _ = c.response()
        assert resp.status_code == 200
        assert body == b"POST /echo\nbody-length: 5\nhello", body
    finally:
        c.close()


@test
def expect_100_continue_raw_bytes_exact():
    s = connect(server())
    try:
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                  b"Expect: 100-continue\r\n\r\n")
        s.settimeout(3)
        data = b""
        while b"\r\n\r\n" not in data:
            b = s.recv(65536)
            assert b, "closed before 100 Continue"
            data += b
        assert data == b"HTTP/1.1 100 Continue\r\n\r\n", data
    finally:
        s.close()


@test
def options_on_post_only_route_lists_allow():
    c, resp, hdrs, body, _ = get("/only-post", method="OPTIONS")
    try:
        assert resp.status_code in (200, 204), resp.status_code
        allow = hdrs.get("allow")
        assert allow is not None, hdrs
        assert has_token(allow.lower(), "post"), allow
        assert not has_token(allow.lower(), "get"), allow
    finally:
        c.close()


@test
def get_on_post_only_route_405_with_allow():
    c, resp, hdrs, body, _ = get("/only-post")
    try:
        assert resp.status_code == 405, resp.status_code
        allow = hdrs.get("allow")
        assert allow is not None, hdrs
        assert has_token(allow.lower(), "post") and not has_token(allow.lower(), "get"), allow
        assert_keeps_open(c, hdrs)
    finally:
        c.close()


@test
def unknown_path_404():
    c, resp, hdrs, body, _ = get("/no/such/path")
    try:
        assert resp.status_code == 404, resp.status_code
        assert_keeps_open(c, hdrs)
    finally:
        c.close()


@test
def large_body_arrives_intact():
    n = 5000000
    c, resp, hdrs, body, _ = get("/big?n=%d" % n)
    try:
        assert resp.status_code == 200
        assert len(body) == n, len(body)
        pattern = bytes(range(97, 97 + 26))
        expected = (pattern * (n // 26 + 1))[:n]
        assert body == expected, "large body differs from the pattern"
        assert_keeps_open(c, hdrs)
    finally:
        c.close()


# ---- the shared server must survive and exit cleanly --------------------------------------

@test
def zz_server_survived_and_exits_cleanly_without_sanitizer_report():
    global SRV
    srv, SRV = SRV, None
    assert not CRASHES, "server died during the run:\n" + "\n----\n".join(CRASHES)
    assert srv.proc.poll() is None, "server died: " + srv.stderr_text()[-3000:]
    srv.__exit__(None, None, None)


if __name__ == "__main__":
    SRV = Server().start()
    try:
        run()
    finally:
        if SRV is not None:
            SRV.kill()
