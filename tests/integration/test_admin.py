"""The admin listener end to end (hpapp with MITSU_ADMIN_TOKEN): refused without the token
(pages, API, /metrics), never served on the public listener, security headers and the login
cookie, /metrics in valid exposition format whose numbers follow what the test did, the API
showing the attacker the test made, and every dashboard page in headless Chromium with no
console error (screenshots in build/artifacts/dashboard/)."""
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import time

from harness import BUILD, ROOT, Client, Server, run, test

APP = os.environ.get("HP_TEST_SERVER", os.path.join(BUILD, "tests", "hpapp-asan"))
TOKEN = "test-admin-token-0123456789abcdefghijklmnop"
BROWSER_DIR = os.path.join(ROOT, "tests", "browser")
SHOTS = os.path.join(BUILD, "artifacts", "dashboard")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Admin:
    """The app with its admin listener on a port of the test's choosing."""

    def __init__(self, token=TOKEN, journal=None):
        self.port = free_port()
        env = {"MITSU_ADMIN_LISTEN": "127.0.0.1:%d" % self.port, "MITSU_JOURNAL_LOG": "off"}
        if journal:
            env["MITSU_JOURNAL_DB"] = journal
        if token is not None:
            env["MITSU_ADMIN_TOKEN"] = token
        self.srv = Server(binary=APP, env=env)

    def __enter__(self):
        self.srv.__enter__()
        served(self)
        return self

    def __exit__(self, *exc):
        return self.srv.__exit__(*exc)

    def base(self):
        return "http://127.0.0.1:%d" % self.port

    def request(self, method, path, headers=None, body=None, token=None):
        """(status, headers dict lower-cased, body text); token= sends it as a bearer."""
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode()
        finally:
            c.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def api(self, path):
        status, _, body = self.get(path, token=TOKEN)
        assert status == 200, (path, status, body)
        return json.loads(body)


def make_attacker(adm):
    """A client the application flags, then a trap path and a hostile query: returns its
    (ip, session id) once the management database has them."""
    c = Client(adm.srv)
    assert "state=attacker" in c.get("/flag?score=100")[2]
    c.get("/.env")
    c.get("/pages/x?q=%3Cscript%3Ealert(1)%3C/script%3E")
    sid = c.cookies["sid"]
    deadline = time.time() + 10
    while time.time() < deadline:
        rows = adm.api("/api/attackers")
        if any(r["session_id"] == sid for r in rows):
            client = adm.api("/api/client/" + sid)
            if len(client["requests"]) >= 3:
                return c.ip, sid
        time.sleep(0.1)
    raise AssertionError("the attacker never reached the management database")


def served(adm):
    """One request answered by the application: from then on it handles SIGTERM (the address is
    printed when the listener is bound, a moment before the signal is taken over)."""
    assert Client(adm.srv).get("/")[0] == 200


PAGES = ["/", "/attackers", "/clients/127.0.0.1", "/detectors", "/top"]
PROGRAMS = ["/api/overview", "/api/attackers", "/api/client/127.0.0.1", "/api/detectors",
            "/api/top", "/metrics"]


@test
def no_token_no_admin_listener():
    adm = Admin(token=None)
    with adm:
        s = socket.socket()
        try:
            assert s.connect_ex(("127.0.0.1", adm.port)) != 0, "something listens without a token"
        finally:
            s.close()


@test
def refused_without_the_token():
    with Admin() as adm:
        for path in PAGES:
            status, h, _ = adm.get(path)
            assert status == 303 and h["location"] == "/login", (path, status, h)
        for path in PROGRAMS:
            for token in (None, "wrong", TOKEN[:-1], TOKEN + "x"):
                status, h, body = adm.get(path, token=token)
                assert status == 401, (path, token, status, body)
                assert h["www-authenticate"].startswith("Bearer"), h
                assert "mitsu_" not in body and "session_id" not in body, body
        status, _, body = adm.request("POST", "/login", body="token=wrong",
                                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 401 and "not the admin token" in body, (status, body)
        # a forged cookie is no login
        status, _, _ = adm.get("/attackers", headers={"Cookie": "mitsu_admin=MQ.1.xxxx"})
        assert status == 303


@test
def the_public_listener_never_serves_the_admin():
    with Admin() as adm:
        c = Client(adm.srv)
        status, _, body, _ = c.get("/metrics", headers={"Authorization": "Bearer " + TOKEN})
        assert status == 404 and "mitsu_http_requests_total" not in body, (status, body)
        for path in ("/api/overview", "/api/attackers", "/login", "/detectors"):
            status, _, body, _ = c.get(path, headers={"Authorization": "Bearer " + TOKEN})
            assert "totals" not in body and "Admin token" not in body, (path, body)
            assert "Detectors</h1>" not in body, (path, body)


@test
def security_headers_and_the_login_cookie():
    with Admin() as adm:
        status, h, body = adm.get("/login")
        assert status == 200 and 'name="token"' in body
        for path in ("/login", "/"):
            status, h, _ = adm.get(path, token=TOKEN)
            assert h["content-security-policy"].startswith("default-src 'self'"), h
            assert "script-src 'none'" in h["content-security-policy"], h
            assert h["x-frame-options"] == "DENY" and h["cache-control"] == "no-store", h
        status, h, _ = adm.request("POST", "/login", body="token=" + TOKEN,
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 303 and h["location"] == "/", (status, h)
        cookie = h["set-cookie"]
        for attr in ("HttpOnly", "SameSite=Strict", "Path=/"):
            assert attr in cookie, cookie
        pair = cookie.split(";")[0]
        status, _, body = adm.get("/attackers", headers={"Cookie": pair})
        assert status == 200 and "<h1>Attackers</h1>" in body, status
        status, _, _ = adm.get("/metrics", headers={"Cookie": pair})
        assert status == 200
        status, h, _ = adm.request("POST", "/logout", headers={"Cookie": pair})
        assert status == 303 and "Max-Age=0" in h["set-cookie"], h


@test
def no_method_and_no_spelling_of_a_path_gets_past_the_token():
    """HEAD is GET without the body, so it needs the token too; OPTIONS and the other methods
    are 405 and say nothing; another spelling of a path is no route at all."""
    with Admin() as adm:
        for path in PAGES + PROGRAMS:
            status, _, body = adm.request("HEAD", path)
            assert status == 401 and body == "", (path, status, body)
            for method in ("OPTIONS", "PUT", "DELETE", "TRACE"):
                status, _, body = adm.request(method, path)
                assert status == 405 and "mitsu_" not in body and "192.0" not in body, \
                    (method, path, status, body)
        for path in ("//attackers", "/attackers/", "/%61ttackers", "/API/attackers"):
            status, _, body = adm.get(path)
            assert status == 404 and "Attackers" not in body, (path, status, body)


@test
def a_post_from_another_site_is_refused():
    """Login and logout take no CSRF token: a browser's POST from another origin (Origin, or
    Sec-Fetch-Site) is refused instead, so that no page elsewhere logs the operator out or in.
    Programs that send neither header are unaffected."""
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    with Admin() as adm:
        host = "127.0.0.1:%d" % adm.port
        for path in ("/login", "/logout"):
            for hostile in ({"Origin": "http://evil.example"},
                            {"Origin": "http://" + host + ".evil.example"},
                            {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
                            {"Origin": "http://" + host, "Sec-Fetch-Site": "cross-site"},
                            {"Sec-Fetch-Site": "same-site"}):
                status, h, body = adm.request("POST", path, body="token=" + TOKEN,
                                              headers=dict(form, Host=host, **hostile))
                assert status == 403 and "set-cookie" not in h, (path, hostile, status, h)
        # what Chromium sends from the login page itself (Referrer-Policy: no-referrer)
        for own in ({"Origin": "null", "Sec-Fetch-Site": "same-origin"},
                    {"Origin": "http://" + host}):
            status, h, _ = adm.request("POST", "/login", body="token=" + TOKEN,
                                       headers=dict(form, Host=host, **own))
            assert status == 303 and "mitsu_admin=" in h["set-cookie"], (own, status, h)


def parse_metrics(text):
    """{(name, labels): value}; fails on any line that is not valid exposition format 0.0.4."""
    sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*"'
                        r'(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*")*)?\})? (-?[0-9.e+]+|NaN|[+-]Inf)$')
    typed, helped, values = {}, set(), {}
    assert text.endswith("\n"), "the last line must end with a newline"
    for line in text.splitlines():
        m = re.match(r"^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$", line)
        if m:
            if m.group(1) == "TYPE":
                assert m.group(3) in ("counter", "gauge"), line
                assert m.group(2) not in typed, "two TYPE lines: " + line
                typed[m.group(2)] = m.group(3)
            else:
                helped.add(m.group(2))
            continue
        m = sample.match(line)
        assert m, "not an exposition line: %r" % line
        name = m.group(1)
        assert name in typed and name in helped, "sample before its TYPE/HELP: " + line
        values[(name, m.group(3) or "")] = float(m.group(5))
    return values


def metric(values, name, labels=""):
    return values.get((name, labels), 0)


@test
def metrics_parse_and_follow_what_the_test_did():
    with Admin() as adm:
        before = parse_metrics(adm.get("/metrics", token=TOKEN)[2])
        normal = Client(adm.srv)
        for _ in range(3):
            assert normal.get("/")[0] == 200
        for _ in range(2):
            assert normal.get("/no-such-page")[0] == 404
        ip, sid = make_attacker(adm)  # 3 requests: /flag 200, /.env 404 (trap), /pages/x 200
        status, h, text = adm.get("/metrics", token=TOKEN)
        assert status == 200 and h["content-type"].startswith("text/plain; version=0.0.4"), h
        after = parse_metrics(text)
        d = lambda name, labels="": metric(after, name, labels) - metric(before, name, labels)
        assert d("mitsu_http_requests_total", 'code="200",class="2xx"') == 5, text
        assert d("mitsu_http_requests_total", 'code="404",class="4xx"') == 3, text
        assert d("mitsu_honeypot_detector_hits_total", 'detector="app"') == 1, text
        assert d("mitsu_honeypot_detector_hits_total", 'detector="trap"') == 1, text
        assert d("mitsu_honeypot_diverted_requests_total") == 2, text  # after the flag
        assert metric(after, "mitsu_honeypot_attackers") == 1, text
        assert metric(after, "mitsu_honeypot_clients") == 3, text  # with served()'s
        assert metric(after, "mitsu_journal_dropped_total") == 0, text
        assert ("mitsu_journal_queue_depth", "") in after, text
        assert metric(after, "mitsu_journal_written_total") > 0, text


@test
def the_api_shows_the_attacker_and_escapes_nothing_away():
    with Admin() as adm:
        ip, sid = make_attacker(adm)
        rows = adm.api("/api/attackers")
        me = [r for r in rows if r["session_id"] == sid][0]
        assert me["ip"] == ip and me["state"] == "attacker" and me["flagged_by"] == "app", me
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", me["flagged_at"]), me
        client = adm.api("/api/client/" + ip)
        assert client["client"]["session_id"] == sid
        targets = [r["target"] for r in client["requests"]]
        assert "/pages/x?q=%3Cscript%3Ealert(1)%3C/script%3E" in targets, targets
        assert [e for e in client["events"] if e["event"] == "flag"], client["events"]
        assert adm.get("/api/client/ffffffffffffffffffffffffffffffff", token=TOKEN)[0] == 404
        overview = adm.api("/api/overview")
        assert overview["totals"]["attackers"] == 1 and sum(overview["attackers"]) == 1, overview
        assert overview["live"]["attackers"] == 1, overview
        detectors = {d["detector"]: d for d in adm.api("/api/detectors")}
        assert detectors["app"]["events"] == 1 and detectors["app"]["last_ip"] == ip, detectors
        top = adm.api("/api/top")
        assert {"path": "/.env", "count": 1} in top["paths"], top
        assert top["clients"][0]["session_id"] == sid, top
        # the page shows the hostile text as text
        status, _, page = adm.get("/clients/" + sid, token=TOKEN)
        assert status == 200 and sid in page and ip in page
        assert "%3Cscript%3E" in page and "<script>alert" not in page


def psql(url, sql):
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", "SET client_min_messages"
                    " = warning; " + sql], check=True, stdout=subprocess.DEVNULL, timeout=30)


@test
def the_dashboard_reads_a_postgresql_management_database():
    base = os.environ.get("MITSU_TEST_PG_URL")
    if not base:
        print("SKIPPED: MITSU_TEST_PG_URL is not set (scripts/pg-test-server.sh)")
        return
    schema = "admin_it_%d" % os.getpid()
    psql(base, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s" % (schema, schema))
    try:
        url = "%s%soptions=-csearch_path%%3D%s" % (base, "&" if "?" in base else "?", schema)
        with Admin(journal=url) as adm:
            ip, sid = make_attacker(adm)
            client = adm.api("/api/client/" + sid)
            assert client["client"]["ip"] == ip and len(client["requests"]) == 3, client
            top = adm.api("/api/top")
            assert {"path": "/pages/x", "count": 1} in top["paths"], top
            assert {"query": "q=%3Cscript%3Ealert(1)%3C/script%3E", "count": 1} in top["queries"]
            for path in PAGES[:2] + ["/clients/" + sid, "/detectors", "/top"]:
                status, _, page = adm.get(path, token=TOKEN)
                assert status == 200 and sid in page and ip in page, (path, status)
    finally:
        psql(base, "DROP SCHEMA IF EXISTS %s CASCADE" % schema)


def npm_install():
    if os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "playwright-core")):
        return
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=BROWSER_DIR, check=True,
                   stdout=subprocess.DEVNULL, timeout=300)


@test
def every_page_in_chromium_without_console_errors():
    npm_install()
    shutil.rmtree(SHOTS, ignore_errors=True)
    os.makedirs(SHOTS)
    with Admin() as adm:
        ip, sid = make_attacker(adm)
        p = subprocess.run(["node", os.path.join(BROWSER_DIR, "dashboard.js"), adm.base(), TOKEN,
                            ip, sid, SHOTS], capture_output=True, text=True, timeout=120)
        assert p.stdout.strip(), p.stderr
        result = json.loads(p.stdout.strip().splitlines()[-1])
        assert result["ok"] and p.returncode == 0, json.dumps(result, indent=1) + p.stderr
        assert len(result["pages"]) == 5, result
    shots = sorted(f for f in os.listdir(SHOTS) if f.endswith(".png"))
    assert shots == ["attackers.png", "client.png", "detectors.png", "login.png",
                     "overview.png", "top.png"], shots
    for f in shots:
        with open(os.path.join(SHOTS, f), "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n", f


@test
def the_admin_listener_stops_with_the_application():
    adm = Admin()
    with adm:
        assert adm.get("/login")[0] == 200
        rc = adm.srv.stop()
        assert rc == 0, rc
        s = socket.socket()
        try:
            assert s.connect_ex(("127.0.0.1", adm.port)) != 0, "the admin outlived the app"
        finally:
            s.close()


if __name__ == "__main__":
    run()
