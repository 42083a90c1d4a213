"""The read side of the mitsu command against a management database the honeypot really wrote:
the honeypot test app records one attacker and one normal client (each its own address), stops
on SIGTERM (everything flushed), and then attackers, clients, show, events, requests, export and
stats must tell exactly what is in the database, on SQLite and (with MITSU_TEST_PG_URL) on
PostgreSQL; and every error has its message and exit status."""
import base64
import csv
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import urllib.parse
import uuid

from harness import BUILD, ROOT, Client, Server, new_ip, run, test

# The sanitizer build when there is one (make tests builds it): these are memory-safety tests too.
_ASAN_TOOL = os.path.join(BUILD, "tests", "mitsu-tool-asan")
MITSU = os.environ.get("MITSU_TOOL", _ASAN_TOOL if os.path.exists(_ASAN_TOOL) else
                       os.path.join(BUILD, "mitsu"))
APP = os.environ.get("HP_TEST_SERVER", os.path.join(BUILD, "tests", "hpapp-asan"))
PG_URL = os.environ.get("MITSU_TEST_PG_URL")
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
LOGIN_BODY = b"user=admin&password=hunter2"
COMMANDS = ["attackers", "clients", "show", "events", "requests", "export", "stats"]


def mitsu(*args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("MITSU_")}
    e.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    e.update(env or {})
    p = subprocess.run([MITSU, *args], capture_output=True, text=True, env=e, timeout=60)
    return p.returncode, p.stdout, p.stderr


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (int(t * 1000) % 1000)


class World:
    """A management database with one normal client, then (after `boundary`) one attacker."""

    def __init__(self, url):
        self.url = url
        with Server(binary=APP, env={"MITSU_JOURNAL_DB": url}) as srv:
            self.normal = Client(srv, ip=new_ip())
            # the statuses each client was sent, for its row's counters
            self.normal_sent = [self.normal.get("/pages/hello")[0], self.normal.get("/")[0]]
            time.sleep(1.2)
            self.boundary = rfc3339(time.time() - 0.5)
            self.attacker = Client(srv, ip=new_ip())
            self.attacker_sent = [
                self.attacker.get("/pages/before")[0],       # kept in the ring: pre-flag evidence
                self.attacker.get("/.git/config")[0],        # the trap: flagged at once
                self.attacker.request("POST", "/api/login", body=LOGIN_BODY, headers={
                    "Content-Type": "application/x-www-form-urlencoded"})[0],
                self.attacker.get("/admin")[0]]
        self.sid = self.attacker.cookies["sid"]
        self.normal_sid = self.normal.cookies["sid"]

    def mitsu(self, *args):
        return mitsu(*args, "--db", self.url)

    def ok(self, *args):
        rc, out, err = self.mitsu(*args)
        assert rc == 0, (args, rc, out, err)
        return out

    def json(self, *args):
        return json.loads(self.ok(*args, "--json"))

    def sql(self, query):
        """Rows of a query as lists of strings (None for NULL)."""
        if self.url.startswith("sqlite:"):
            con = sqlite3.connect(self.url[7:])
            rows = con.execute(query).fetchall()
            con.close()
            return [[None if v is None else str(v) for v in r] for r in rows]
        out = subprocess.run(["psql", "-X", "-At", "-F", "\t", "-c", query, self.url],
                             capture_output=True, text=True, check=True).stdout
        return [line.split("\t") for line in out.splitlines()]

    def count(self, query):
        return int(self.sql(query)[0][0])


def sqlite_world():
    d = tempfile.mkdtemp(prefix="mitsu-cli-")
    return World("sqlite:%s/mitsu.db" % d)


def pg_world():
    name = "mitsu_cli_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", "-X", "-q", "-c", "CREATE DATABASE " + name, PG_URL], check=True,
                   capture_output=True)
    u = urllib.parse.urlsplit(PG_URL)
    return World(urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + name, u.query, "")))


_worlds = {}


def world(backend):
    if backend not in _worlds:
        _worlds[backend] = sqlite_world() if backend == "sqlite" else pg_world()
    return _worlds[backend]


def table_rows(out):
    """The data lines of a table (the header dropped)."""
    return out.strip().splitlines()[1:]


# ---- What every backend must show -------------------------------------------------------

def attackers_lists_exactly_the_attacker(w):
    rows = table_rows(w.ok("attackers"))
    assert len(rows) == 1, rows
    assert w.attacker.ip in rows[0] and w.sid in rows[0] and "trap" in rows[0], rows
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", rows[0]), rows
    assert w.normal.ip not in rows[0]
    got = w.json("attackers")
    assert isinstance(got, list) and len(got) == 1, got
    a = got[0]
    db = w.sql("SELECT ip, state, score, flagged_by, requests FROM clients WHERE sid = '%s'" % w.sid)[0]
    assert a["ip"] == w.attacker.ip == db[0], (a, db)
    assert a["session_id"] == w.sid and a["state"] == "attacker" == db[1], a
    assert abs(a["score"] - float(db[2])) < 1e-9 and a["score"] > 0, (a, db)
    assert a["flagged_by"] == "trap" == db[3], a
    assert isinstance(a["requests"], int) and a["requests"] == int(db[4]) >= 1, (a, db)
    assert RFC3339.match(a["flagged_at"]), a
    assert a["captured"] == w.count("SELECT COUNT(*) FROM requests WHERE sid = '%s'" % w.sid) >= 4, a
    assert a["flagged_at"] > w.boundary, (a, w.boundary)


def clients_lists_both_with_their_states(w):
    out = w.ok("clients")
    assert len(table_rows(out)) == 2, out
    assert w.attacker.ip in out and w.normal.ip in out, out
    got = {c["ip"]: c for c in w.json("clients")}
    assert set(got) == {w.attacker.ip, w.normal.ip}, got
    n = got[w.normal.ip]
    assert n["state"] == "normal" and n["session_id"] == w.normal_sid, n
    assert n["flagged_at"] is None and n["flagged_by"] is None and n["requests"] >= 1, n
    assert n["captured"] == 0, n
    assert got[w.attacker.ip]["state"] == "attacker"
    only = w.json("clients", "--state", "normal")
    assert [c["ip"] for c in only] == [w.normal.ip], only
    assert len(w.json("clients", "--limit", "1")) == 1


def show_tells_the_story_and_the_verdict(w):
    out = w.ok("show", w.attacker.ip)
    for needle in (w.sid, "attacker", "/pages/before", "/.git/config", "/api/login", "/admin",
                   "pre-flag", "flagged by trap", "evidence: "):
        assert needle in out, (needle, out)
    # the timeline is in time order: the pre-flag request before the trap, the verdict last
    assert out.index("/pages/before") < out.index("/.git/config") < out.index("/admin"), out
    evidence = w.sql("SELECT evidence FROM events WHERE sid = '%s' AND event = 'flag'" % w.sid)[0][0]
    assert out.rstrip().endswith(evidence), (out, evidence)
    by_prefix = w.ok("show", w.sid[:8])
    assert by_prefix == out, "a prefix of 8 hex digits names the same client"
    j = w.json("show", w.sid)
    assert j["client"]["session_id"] == w.sid and j["client"]["state"] == "attacker", j["client"]
    kinds = [e["type"] for e in j["timeline"]]
    assert kinds.count("request") == w.count("SELECT COUNT(*) FROM requests WHERE sid = '%s'"
                                              % w.sid), kinds
    assert "event" in kinds and j["flag"]["detector"] == "trap", j
    pre = [e for e in j["timeline"] if e["type"] == "request" and e["preflag"]]
    assert [e["target"] for e in pre] == ["/pages/before"], pre


def show_of_a_normal_client_says_not_flagged(w):
    out = w.ok("show", w.normal.ip)
    assert "normal" in out and "not flagged" in out, out
    assert "/pages/hello" not in out, "a normal client's requests are not captured"


def requests_lists_the_attackers_and_none_of_the_normal_client(w):
    out = w.ok("requests", w.attacker.ip)
    rows = table_rows(out)
    assert len(rows) == w.count("SELECT COUNT(*) FROM requests WHERE sid = '%s'" % w.sid), out
    for target in ("/pages/before", "/.git/config", "/api/login", "/admin"):
        assert target in out, (target, out)
    assert "pre-flag" in rows[0] and "/pages/before" in rows[0], rows
    full = w.ok("requests", w.sid, "--full")
    assert LOGIN_BODY.decode() in full and "Content-Type: application/x-www-form-urlencoded" in full
    # a body's lines are indented: one cannot pass for the "#ID  TIME ..." line of a request
    assert "\n  " + LOGIN_BODY.decode() + "\n" in full, full
    j = w.json("requests", w.sid, "--full")
    post = [r for r in j if r["method"] == "POST"][0]
    assert base64.b64decode(post["body"]) == LOGIN_BODY, post
    assert ["Content-Type", "application/x-www-form-urlencoded"] in post["headers"], post
    assert len(w.json("requests", w.sid, "--limit", "2")) == 2
    none = w.ok("requests", w.normal.ip)
    assert "no captured requests" in none, none
    assert w.json("requests", w.normal.ip) == []


def events_filter_by_detector_and_client(w):
    out = w.ok("events", "--detector", "trap")
    assert "trap" in out and w.attacker.ip in out, out
    j = w.json("events", "--detector", "trap")
    assert j and all(e["detector"] == "trap" for e in j), j
    assert len(j) == w.count("SELECT COUNT(*) FROM events WHERE detector = 'trap'")
    assert w.json("events", "--detector", "no-such-detector") == []
    assert "no events" in w.ok("events", "--detector", "no-such-detector")
    assert w.json("events", "--client", w.normal.ip) == []
    mine = w.json("events", "--client", w.sid[:10])
    assert mine and all(e["session_id"] == w.sid for e in mine), mine
    last = w.json("events", "--limit", "1")
    newest = w.sql("SELECT MAX(id) FROM events")[0][0]
    assert len(last) == 1 and last[0]["id"] == int(newest), (last, newest)


def export_jsonl_is_one_object_per_row(w):
    out = w.ok("export", "--format", "jsonl")
    lines = out.splitlines()
    assert len(lines) == w.count("SELECT COUNT(*) FROM requests"), out
    rows = [json.loads(line) for line in lines]
    post = [r for r in rows if r["method"] == "POST"][0]
    assert base64.b64decode(post["body"]) == LOGIN_BODY, post
    assert RFC3339.match(post["time"]) and post["sid"] == w.sid, post
    events = [json.loads(x) for x in w.ok("export", "--format", "jsonl", "--table", "events").splitlines()]
    assert len(events) == w.count("SELECT COUNT(*) FROM events"), events
    clients = w.ok("export", "--format", "jsonl", "--table", "clients").splitlines()
    assert sorted(json.loads(c)["ip"] for c in clients) == sorted([w.attacker.ip, w.normal.ip])


def export_csv_has_the_columns_and_the_rows(w):
    rows = list(csv.reader(io.StringIO(w.ok("export", "--format", "csv"))))
    assert rows[0] == ["id", "time", "sid", "ip", "method", "target", "headers", "body", "raw",
                       "status", "response_size", "latency_us", "served", "preflag"], rows[0]
    assert len(rows) - 1 == w.count("SELECT COUNT(*) FROM requests"), rows
    post = [r for r in rows[1:] if r[4] == "POST"][0]
    assert base64.b64decode(post[7]) == LOGIN_BODY and json.loads(post[6]), post
    ev = list(csv.reader(io.StringIO(w.ok("export", "--format", "csv", "--table", "events"))))
    assert ev[0][:4] == ["id", "uid", "time", "event"] and len(ev) - 1 == w.count(
        "SELECT COUNT(*) FROM events"), ev
    cl = list(csv.reader(io.StringIO(w.ok("export", "--format", "csv", "--table", "clients"))))
    assert cl[0][0] == "sid" and len(cl) == 3, cl


def stats_agree_with_sql_counts(w):
    s = w.json("stats")
    expect = {
        ("clients", "total"): "SELECT COUNT(*) FROM clients",
        ("clients", "attacker"): "SELECT COUNT(*) FROM clients WHERE state = 'attacker'",
        ("clients", "normal"): "SELECT COUNT(*) FROM clients WHERE state = 'normal'",
        ("events", "total"): "SELECT COUNT(*) FROM events",
        ("events", "flag"): "SELECT COUNT(*) FROM events WHERE event = 'flag'",
        ("requests", "total"): "SELECT COUNT(*) FROM requests",
        ("requests", "decoy"): "SELECT COUNT(*) FROM requests WHERE served = 'decoy'",
        ("requests", "preflag"): "SELECT COUNT(*) FROM requests WHERE preflag <> 0",
    }
    for (group, name), query in expect.items():
        assert s[group][name] == w.count(query), (group, name, s[group][name], w.count(query))
    assert (s["clients"]["total"], s["clients"]["attacker"]) == (2, 1), s
    assert s["events"]["by_detector"]["trap"] == w.count(
        "SELECT COUNT(*) FROM events WHERE detector = 'trap'"), s
    text = w.ok("stats")
    assert re.search(r"attacker\s+1\n", text) and re.search(r"total\s+2\n", text), text


def since_filters(w):
    after = w.json("clients", "--since", w.boundary)
    assert [c["ip"] for c in after] == [w.attacker.ip], (w.boundary, after)
    assert len(w.json("clients", "--since", "1h")) == 2
    assert len(w.json("attackers", "--since", "2d")) == 1
    assert w.json("attackers", "--since", "2099-01-01T00:00:00Z") == []
    assert w.json("events", "--since", "2099-01-01T00:00:00+02:00") == []
    assert len(w.json("events", "--since", "10m")) == w.count("SELECT COUNT(*) FROM events")
    assert w.ok("export", "--format", "jsonl", "--since", "2099-01-01T00:00:00Z") == ""
    n = len(w.ok("export", "--format", "jsonl", "--since", w.boundary).splitlines())
    assert n == w.count("SELECT COUNT(*) FROM requests"), n


def an_unknown_client_is_an_error(w):
    for args in (["show", "198.51.100.77"], ["requests", "ffffffffff"], ["events", "--client", "nobody"]):
        rc, out, err = w.mitsu(*args)
        assert rc == 1 and "no client" in err and out == "", (args, rc, out, err)


def client_rows_count_every_request_once_stopped(w):
    """SIGTERM reports the counters of the last requests: no request is missing from a row."""
    def counters(sid):
        return [int(v) for v in w.sql("SELECT requests, n4xx FROM clients WHERE sid = '%s'" % sid)[0]]
    requests, n4xx = counters(w.sid)
    captured = w.count("SELECT COUNT(*) FROM requests WHERE sid = '%s'" % w.sid)
    assert requests == len(w.attacker_sent) >= captured, (requests, w.attacker_sent, captured)
    assert n4xx == sum(400 <= s < 500 for s in w.attacker_sent) == w.count(
        "SELECT COUNT(*) FROM requests WHERE sid = '%s' AND status BETWEEN 400 AND 499" % w.sid), \
        (n4xx, w.attacker_sent)
    assert counters(w.normal_sid) == [len(w.normal_sent),
                                      sum(400 <= s < 500 for s in w.normal_sent)], w.normal_sent


CHECKS = [attackers_lists_exactly_the_attacker, clients_lists_both_with_their_states,
          show_tells_the_story_and_the_verdict, show_of_a_normal_client_says_not_flagged,
          requests_lists_the_attackers_and_none_of_the_normal_client,
          events_filter_by_detector_and_client, export_jsonl_is_one_object_per_row,
          export_csv_has_the_columns_and_the_rows, stats_agree_with_sql_counts, since_filters,
          an_unknown_client_is_an_error, client_rows_count_every_request_once_stopped]


def register(backend, check):
    def t():
        check(world(backend))
    t.__name__ = "%s_%s" % (backend, check.__name__)
    test(t)


for backend in ["sqlite"] + (["pg"] if PG_URL else []):
    for check in CHECKS:
        register(backend, check)


# ---- Counters while running --------------------------------------------------------------

@test
def client_rows_catch_up_within_an_upkeep_interval_without_traffic():
    """No request after the last one, no SIGTERM: the timer's upkeep still reports the counters
    (client_ttl 2 s: an upkeep every 500 ms)."""
    d = tempfile.mkdtemp(prefix="mitsu-cli-")
    path = os.path.join(d, "mitsu.db")
    with Server(binary=APP, env={"MITSU_JOURNAL_DB": "sqlite:" + path,
                                 "MITSU_HONEYPOT_CLIENT_TTL": "2s"}) as srv:
        n = Client(srv, ip=new_ip())
        a = Client(srv, ip=new_ip())
        time.sleep(0.6)  # past the first upkeep, which finds nobody
        sent = {}
        sent[n] = [n.get("/pages/one")[0], n.get("/nothing-here")[0], n.get("/")[0]]
        sent[a] = [a.get("/.git/config")[0], a.get("/admin")[0], a.get("/nope")[0]]
        deadline = time.time() + 2.5  # an interval (0.5 s) and a poll (0.5 s), with room
        while True:
            con = sqlite3.connect(path)
            got = {c: con.execute("SELECT requests, n4xx FROM clients WHERE sid = ?",
                                  (c.cookies["sid"],)).fetchall() for c in (n, a)}
            con.close()
            want = {c: [(len(s), sum(400 <= x < 500 for x in s))] for c, s in sent.items()}
            if got == want or time.time() > deadline:
                break
            time.sleep(0.1)
        assert got == want, (got, want)
        assert sum(s.count(404) for s in sent.values()) >= 2, sent
    shutil.rmtree(d, ignore_errors=True)


# ---- Errors that need no recorded database ------------------------------------------------

@test
def a_missing_database_is_an_error_and_never_created():
    d = tempfile.mkdtemp(prefix="mitsu-cli-")
    path = os.path.join(d, "nothing.db")
    for args in (["attackers"], ["clients"], ["show", "abcdef"], ["events"], ["requests", "abcdef"],
                 ["export", "--format", "csv"], ["stats"]):
        rc, out, err = mitsu(*args, "--db", path)
        assert rc == 1 and "no management database at " + path in err, (args, rc, err)
    assert not os.path.exists(path)
    rc, _, err = mitsu("stats", "--db", "/nonexistent/dir/mitsu.db")
    assert rc == 1 and "no management database" in err, (rc, err)
    rc, _, err = mitsu("stats", env={"MITSU_JOURNAL_DB": "sqlite:" + path})
    assert rc == 1 and path in err, (rc, err)


@test
def the_database_is_found_by_environment_and_config_file():
    w = world("sqlite")
    rc, out, err = mitsu("attackers", env={"MITSU_JOURNAL_DB": w.url})
    assert rc == 0 and w.sid in out, (rc, out, err)
    d = tempfile.mkdtemp(prefix="mitsu-cli-")
    ini = os.path.join(d, "app.ini")
    with open(ini, "w") as f:
        f.write("[journal]\ndb = %s\n" % w.url)
    rc, out, err = mitsu("attackers", "--config", ini)
    assert rc == 0 and w.sid in out, (rc, out, err)
    rc, out, err = mitsu("attackers", "--config", os.path.join(d, "missing.ini"))
    assert rc == 1 and "cannot use the configuration" in err and out == "", (rc, out, err)


@test
def a_wrong_path_or_a_foreign_database_is_an_error():
    d = tempfile.mkdtemp(prefix="mitsu-cli-")
    rc, _, err = mitsu("attackers", "--db", d)          # a directory
    assert rc == 1 and "cannot open the management database" in err, (rc, err)
    other = os.path.join(d, "other.db")
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE users (id INTEGER)")
    con.commit()
    con.close()
    rc, _, err = mitsu("clients", "--db", other)
    assert rc == 1 and "is not a mitsu management database" in err, (rc, err)
    text = os.path.join(d, "notes.txt")
    with open(text, "w") as f:
        f.write("hello\n" * 100)
    rc, _, err = mitsu("stats", "--db", text)
    assert rc == 1 and "not a database" in err, (rc, err)
    if PG_URL:
        u = urllib.parse.urlsplit(PG_URL)
        missing = urllib.parse.urlunsplit((u.scheme, u.netloc, "/no_such_db_here", u.query, ""))
        rc, _, err = mitsu("stats", "--db", missing)
        assert rc == 1 and "cannot open the management database" in err, (rc, err)


@test
def usage_errors_exit_2_with_the_usage_line():
    cases = [
        (["attackers", "--bogus"], "unknown option '--bogus'"),
        (["attackers", "--since", "yesterday"], "bad TIME 'yesterday'"),
        (["attackers", "--limit", "0"], "bad --limit '0'"),
        (["clients", "--state", "evil"], "bad --state 'evil'"),
        (["events", "--since"], "option needs a value"),
        (["show"], "missing argument"),
        (["requests", "a", "b"], "unexpected argument 'b'"),
        (["export"], "--format is required"),
        (["export", "--format", "xml"], "--format is jsonl or csv"),
        (["export", "--format", "csv", "--table", "users"], "--table is requests"),
        (["stats", "--json=yes"], "option takes no value"),
    ]
    db = world("sqlite").url   # a usable database: the error must be the usage, not the file
    for args, message in cases:
        rc, out, err = mitsu(args[0], "--db", db, *args[1:])
        assert rc == 2 and message in err and out == "", (args, rc, out, err)


@test
def every_subcommand_answers_help():
    rc, out, _ = mitsu("--help")
    assert rc == 0
    for name in COMMANDS:
        assert "\n  %s " % name in out, (name, out)
        rc, out2, err = mitsu(name, "--help")
        assert rc == 0 and out2.startswith("usage: mitsu " + name), (name, rc, out2, err)


@test
def the_manual_page_documents_every_subcommand():
    page = open(os.path.join(ROOT, "docs", "mitsu.1")).read()
    rc, out, _ = mitsu("--help")
    names = re.findall(r"^  (\S+) ", out, re.M)
    assert set(COMMANDS) <= set(names), names
    for name in names + ["flag", "release", "decoy init", "decoy diff"]:
        assert '.SS "mitsu %s' % name.replace("-", "\\-") in page, name
    if not shutil.which("groff"):  # man-db brings it; without it only the text is checked
        return
    p = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", os.path.join(ROOT, "docs", "mitsu.1")],
                       capture_output=True, text=True)
    assert p.returncode == 0 and p.stderr == "", p.stderr


@test
def attacker_text_cannot_drive_the_terminal():
    w = world("sqlite")
    con = sqlite3.connect(w.url[7:])
    con.execute("INSERT INTO events (time, event, sid, ip, detector, kind, score, evidence)"
                " VALUES (?, 'hit', ?, ?, 'sqli', 'attack', 5, ?)",
                (int(time.time() * 1000), w.sid, w.attacker.ip, "x\x1b[2Jy" + "z" * 200))
    con.commit()
    con.close()
    out = w.ok("events", "--detector", "sqli")
    assert "\x1b" not in out and "x\\x1b[2Jy" in out, out
    assert "\u2026" in out and "z" * 100 not in out, "long evidence is cut with an ellipsis"
    con = sqlite3.connect(w.url[7:])
    con.execute("DELETE FROM events WHERE detector = 'sqli'")
    con.commit()
    con.close()


run()
