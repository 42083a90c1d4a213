"""slowhttptest against the optimized server in its three modes (slowloris, slow body, slow
read), each bounded to ~20 s, while a thread probes the service every 0.5 s with a fresh
connection. Passes when every probe succeeded and slowhttptest itself says the service stayed
available. Run: /usr/bin/python3 tests/integration/test_slowhttp.py"""
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, Server, connect, read_all, test, run  # noqa: E402

SERVER = os.environ.get("MITSU_SLOWHTTP_SERVER", os.path.join(BUILD, "tests", "testapp"))
SLOWHTTPTEST = shutil.which("slowhttptest") or "/usr/bin/slowhttptest"
LENGTH = 20  # seconds of each attack
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class Prober(threading.Thread):
    """GET / on a fresh connection every 0.5 s, timeout 2 s; records every failure."""

    def __init__(self, srv):
        super().__init__(daemon=True)
        self.srv = srv
        self.stop = threading.Event()
        self.ok = 0
        self.failures = []
        self.worst = 0.0

    def run(self):
        while not self.stop.is_set():
            t0 = time.time()
            try:
                s = connect(self.srv, timeout=2)
                try:
                    s.sendall(b"GET / HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n")
                    got, _ = read_all(s, timeout=2)
                finally:
                    s.close()
                dt = time.time() - t0
                if got.startswith(b"HTTP/1.1 200 ") and got.endswith(b"Hello, World!") and dt < 2:
                    self.ok += 1
                    self.worst = max(self.worst, dt)
                else:
                    self.failures.append((round(t0, 1), round(dt, 3), got[:80]))
            except Exception as e:  # noqa: BLE001
                self.failures.append((round(t0, 1), round(time.time() - t0, 3), repr(e)))
            self.stop.wait(max(0.0, 0.5 - (time.time() - t0)))


def attack(mode_args, path="/"):
    tmp = tempfile.mkdtemp(prefix="mitsu-slowhttp-")
    try:
        with Server(binary=SERVER, workers=2) as srv:
            prober = Prober(srv)
            prober.start()
            cmd = [SLOWHTTPTEST] + mode_args + [
                "-c", "300", "-r", "100", "-l", str(LENGTH), "-p", "2",
                "-g", "-o", os.path.join(tmp, "r"),
                "-u", "http://127.0.0.1:%d%s" % (srv.port, path)]
            t0 = time.time()
            try:
                r = subprocess.run(cmd, capture_output=True, timeout=LENGTH + 15)
            finally:
                prober.stop.set()
                prober.join(5)
            took = time.time() - t0
            out = ANSI.sub("", r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace"))
            verdicts = re.findall(r"service available:\s*(\w+)", out)
            with open(os.path.join(tmp, "r.csv")) as f:
                rows = list(csv.DictReader(f))
            print("  %s: %.1fs, probes ok=%d failed=%d worst=%.3fs, verdicts=%s, max connected=%s,"
                  " %s" % (" ".join(mode_args), took, prober.ok, len(prober.failures),
                           prober.worst, sorted(set(verdicts)),
                           max(int(x["Connected"]) for x in rows) if rows else None,
                           (re.findall(r"Exit status:\s*(.*)", out) or ["?"])[-1].strip()),
                  flush=True)
            assert r.returncode == 0, (r.returncode, out[-2000:])
            assert took <= 30, "attack ran %.1fs" % took
            assert not prober.failures, ("probes failed during the attack", prober.failures[:10])
            assert prober.ok >= int(2 * took * 0.7), ("too few probes", prober.ok, took)
            assert verdicts and all(v == "YES" for v in verdicts), ("slowhttptest verdicts",
                                                                   verdicts, out[-1500:])
            assert rows, "empty csv report"
            unavailable = [x for x in rows if int(x["Service Available"]) == 0]
            assert not unavailable, ("csv says unavailable", unavailable)
            # the attack really happened: slowhttptest held many connections open at once
            assert max(int(x["Connected"]) for x in rows) >= 100, rows
            return rows
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@test
def slowloris_headers():
    # a header line every 2 s: the 10 s head timeout closes them all (slowhttptest then ends
    # early with "No open connections left"), and the service stays up throughout
    rows = attack(["-H", "-i", "2"])
    last = rows[-1]
    assert int(last["Closed"]) >= 250, \
        ("slow heads not closed by the server's head timeout", last)


@test
def slow_body():
    # announced 64 KB body dribbled every 2 s (body timeout is 30 s: they stay open)
    attack(["-B", "-i", "2", "-s", "65536"])


@test
def slow_read():
    # 256 KB responses read 5 bytes at a time through a tiny window
    attack(["-X", "-k", "2", "-n", "1", "-w", "16", "-y", "64", "-z", "32"],
           path="/big?n=262144")


if __name__ == "__main__":
    run()
