"""A byte-for-byte TCP relay that makes one evaluated tool come from its own loopback address.

The tool talks to 127.0.0.1:PORT (the relay); the relay opens its upstream connection to the
server from SOURCE (127.0.0.N), so the server sees SOURCE as the peer, with no proxy header to
trust. Nothing is parsed or rewritten on the way: any HTTP client works, including static Go
binaries that ignore LD_PRELOAD and tools without a bind option. On the way it
- timestamps every request (a small HTTP/1.1 framer on the client's bytes: head, then a body of
  Content-Length bytes), so that "flagged after N requests" can be read against the server's
  flag time;
- keeps every byte the server sent back (up to a cap), where confidential values are searched;
- stops forwarding after max_requests: a hard bound on what one tool can send.
"""
import socket
import threading
import time


class _Framer:
    """Counts the requests in one connection's client-to-server byte stream."""

    def __init__(self):
        self.buf = b""
        self.body_left = 0

    def feed(self, data):
        """Returns how many requests ended their head in data."""
        self.buf += data
        n = 0
        while True:
            if self.body_left:
                take = min(self.body_left, len(self.buf))
                self.buf = self.buf[take:]
                self.body_left -= take
                if self.body_left:
                    return n
            self.buf = self.buf.lstrip(b"\r\n")
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > 1 << 20:  # no head in a megabyte: not HTTP, stop looking
                    self.buf = b""
                return n
            head, self.buf = self.buf[:end], self.buf[end + 4:]
            n += 1
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    try:
                        self.body_left = max(0, int(value.strip()))
                    except ValueError:
                        self.body_left = 0


class Relay:
    """Listens on 127.0.0.1 (an ephemeral port); forwards to upstream from source."""

    def __init__(self, upstream, source, max_requests=100000, capture_max=64 << 20):
        self.upstream, self.source = upstream, source
        self.max_requests, self.capture_max = max_requests, capture_max
        self.request_times = []  # wall-clock ms of each request, in arrival order
        self.connections = 0
        self.refused = 0  # requests not forwarded because max_requests was reached
        self.received = bytearray()  # what the server sent back, up to capture_max
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.closing = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def _accept(self):
        while not self.closing:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        try:
            server = socket.create_connection(self.upstream, timeout=30,
                                              source_address=(self.source, 0))
        except OSError:
            client.close()
            return
        with self.lock:
            self.connections += 1
        framer = _Framer()
        up = threading.Thread(target=self._pump_up, args=(client, server, framer), daemon=True)
        up.start()
        self._pump_down(server, client)
        up.join(35)
        for s in (client, server):
            try:
                s.close()
            except OSError:
                pass

    def _pump_up(self, client, server, framer):
        """Client to server, counting requests; stops at the request bound."""
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                n = framer.feed(data)
                with self.lock:
                    if len(self.request_times) + n > self.max_requests:
                        self.refused += n
                        break
                    now = int(time.time() * 1000)
                    self.request_times.extend([now] * n)
                server.sendall(data)
        except OSError:
            pass
        # Half-close: the server still answers what it has, then closes its side.
        for s, how in ((server, socket.SHUT_WR), (client, socket.SHUT_RD)):
            try:
                s.shutdown(how)
            except OSError:
                pass

    def _pump_down(self, server, client):
        """Server to client, keeping a copy."""
        try:
            while True:
                data = server.recv(65536)
                if not data:
                    break
                with self.lock:
                    room = self.capture_max - len(self.received)
                    if room > 0:
                        self.received += data[:room]
                client.sendall(data)
        except OSError:
            pass
        try:
            client.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def requests(self):
        with self.lock:
            return len(self.request_times)

    def requests_until(self, t_ms):
        """Requests that had reached the relay by wall-clock time t_ms (the server's flag time:
        the relay sees a request before the server does)."""
        with self.lock:
            return sum(1 for t in self.request_times if t <= t_ms)

    def close(self):
        self.closing = True
        try:
            self.sock.close()
        except OSError:
            pass
