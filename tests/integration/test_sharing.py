"""Shared verdicts: instances on one PostgreSQL management database learn each other's verdicts
within a second (LISTEN/NOTIFY); `mitsu flag` and `mitsu release` reach running instances
(PostgreSQL and SQLite); a released client's recorded requests have their secrets masked.
The PostgreSQL tests need MITSU_TEST_PG_URL (`make test` sets it; scripts/pg-test-server.sh)."""
import os
import sqlite3
import subprocess
import time
import urllib.parse

from harness import BUILD, Client, Server, new_ip, run, test

APP = os.environ.get("HP_TEST_SERVER", os.path.join(BUILD, "tests", "hpapp-asan"))
MITSU = os.path.join(BUILD, "mitsu")
PG = os.environ.get("MITSU_TEST_PG_URL", "")
# A client's row reaches the database at the engine's upkeep, every client_ttl / 4.
ENV = {"MITSU_JOURNAL_LOG": "off", "MITSU_HONEYPOT_CLIENT_TTL": "2s"}


def mitsu(*args):
    e = {k: v for k, v in os.environ.items() if not k.startswith("MITSU_")}
    p = subprocess.run([MITSU, *args], capture_output=True, text=True, env=e, timeout=30)
    return p.returncode, p.stdout, p.stderr


class PgDatabase:
    """A fresh database on the test server, dropped afterwards."""

    def __init__(self):
        self.name = "mitsu_share_%d_%d" % (os.getpid(), int(time.time() * 1000) % 1000000)
        u = urllib.parse.urlsplit(PG)
        self.url = urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + self.name, u.query, ""))

    def psql(self, sql, url=None):
        p = subprocess.run(["psql", "-qAt", "-v", "ON_ERROR_STOP=1", url or self.url, "-c", sql],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stderr
        return p.stdout

    def __enter__(self):
        self.psql("CREATE DATABASE " + self.name, PG)
        return self

    def __exit__(self, *exc):
        self.psql("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name, PG)
        return False


def pg_test(fn):
    def wrapper():
        if not PG:
            print("SKIP %s: MITSU_TEST_PG_URL is not set (see scripts/pg-test-server.sh)"
                  % fn.__name__)
            return
        fn()
    wrapper.__name__ = fn.__name__
    return test(wrapper)


def server(db=None):
    """An hpapp on the management database db (None: a SQLite one of its own)."""
    env = dict(ENV)
    if db:
        env["MITSU_JOURNAL_DB"] = db
    return Server(binary=APP, env=env)


def wait_for(check, limit):
    """Polls check() every 20 ms; returns the seconds it took to be true (or fails at limit)."""
    t0 = time.time()
    while True:
        if check():
            return time.time() - t0
        assert time.time() - t0 < limit, "not within %.1f s" % limit
        time.sleep(0.02)


def state_of(client):
    return client.state().split(" path=")[0]


def known_to_db(client, db, action, *more):
    """Runs `mitsu ACTION SID` until the client's row is in the database (written at upkeep)."""
    sid = client.cookies["sid"]
    deadline = time.time() + 10
    while True:
        client.get("/")  # an upkeep runs on a request
        rc, out, err = mitsu(action, sid, "--db", db, *more)
        if rc == 0:
            return sid
        assert "no client" in err and time.time() < deadline, (rc, err)
        time.sleep(0.2)


@pg_test
def an_attacker_flagged_on_one_instance_is_diverted_on_the_other_within_a_second():
    with PgDatabase() as pg, server(pg.url) as a, server(pg.url) as b:
        ip = new_ip()
        on_b = Client(b, ip=ip, keep_cookies=False)
        assert state_of(on_b) == "state=normal decoy=0"
        attacker = Client(a, ip=ip)
        attacker.get("/")
        attacker.get("/.env")  # a trap path: flagged at once, on A
        assert state_of(attacker) == "state=attacker decoy=1"
        took = wait_for(lambda: state_of(on_b) == "state=attacker decoy=1", 3)
        assert took < 1.0, "B diverted it after %.2f s" % took
        print("  B diverted the attacker %.0f ms after A flagged it" % (took * 1000))
        # A normal client of B from another address is untouched.
        assert state_of(Client(b)) == "state=normal decoy=0"

        # Released by the operator: both serve it normally again within a second.
        rc, out, err = mitsu("release", attacker.cookies["sid"], "--db", pg.url)
        assert rc == 0 and "released" in out, (rc, out, err)
        t0 = time.time()
        wait_for(lambda: state_of(attacker) == "state=released decoy=0", 3)
        wait_for(lambda: state_of(on_b) == "state=released decoy=0", 3)
        assert time.time() - t0 < 1.0, "released everywhere after %.2f s" % (time.time() - t0)
        assert pg.psql("SELECT state FROM clients WHERE sid = '%s'"
                       % attacker.cookies["sid"]).strip() == "released"
        # Its score was reset: a small hit now does not add up with the trap's 100 points.
        attacker.get("/flag?score=10")
        assert state_of(attacker) == "state=released decoy=0"


@pg_test
def mitsu_flag_of_a_normal_client_diverts_it_on_every_running_instance():
    with PgDatabase() as pg, server(pg.url) as a, server(pg.url) as b:
        c = Client(a)
        c.get("/")
        assert state_of(c) == "state=normal decoy=0"
        sid = known_to_db(c, pg.url, "flag", "--reason", "seen in the WAF logs")
        t0 = time.time()
        took = wait_for(lambda: state_of(c) == "state=attacker decoy=1", 3)
        assert took < 1.0, "A diverted it after %.2f s" % took
        print("  A diverted it %.0f ms after mitsu flag returned" % (took * 1000))
        # B never saw it: its address leads to the verdict there too.
        wait_for(lambda: state_of(Client(b, ip=c.ip, keep_cookies=False))
                 == "state=attacker decoy=1", 1.0)
        assert time.time() - t0 < 1.5
        out = pg.psql("SELECT event || ' ' || detector || ' ' || evidence FROM events"
                      " WHERE sid = '%s' AND event = 'flag'" % sid)
        assert out.strip() == "flag operator seen in the WAF logs", out


@test
def on_sqlite_mitsu_flag_and_release_reach_the_running_instance():
    with server() as srv:  # the harness's own SQLite journal
        db = srv.env["MITSU_JOURNAL_DB"]
        c = Client(srv)
        c.get("/")
        known_to_db(c, db, "flag")
        took = wait_for(lambda: state_of(c) == "state=attacker decoy=1", 3)
        assert took < 1.0, "diverted after %.2f s" % took
        print("  SQLite: diverted %.0f ms after mitsu flag returned" % (took * 1000))
        rc, out, err = mitsu("release", c.ip, "--db", db)  # CLIENT as an IP address
        assert rc == 0, (rc, out, err)
        took = wait_for(lambda: state_of(c) == "state=released decoy=0", 3)
        assert took < 1.0, "released after %.2f s" % took
        c.get("/flag?score=10")
        assert state_of(c) == "state=released decoy=0"


@test
def a_released_clients_recorded_requests_have_their_secrets_masked():
    with server() as srv:
        db = srv.env["MITSU_JOURNAL_DB"]
        c = Client(srv)
        c.get("/pages/login?password=hunter1")
        c.get("/.env?token=hunter2")  # flags: this request and the next are captured whole
        c.get("/api/x?password=hunter3&user=bob",
              headers={"Authorization": "Bearer hunter4"})
        sid = c.cookies["sid"]
        path = db[len("sqlite:"):]

        def rows():
            con = sqlite3.connect(path)
            try:
                return con.execute("SELECT target, headers, preflag FROM requests WHERE sid = ?"
                                   " ORDER BY id", (sid,)).fetchall()
            finally:
                con.close()
        wait_for(lambda: any("hunter3" in (r[0] or "") for r in rows()), 5)
        assert any(r[2] == 1 for r in rows()), "the pre-flag evidence is recorded"
        assert any("hunter4" in r[1] for r in rows()), "an attacker's capture is kept whole"
        rc, out, err = mitsu("release", sid, "--db", db)
        assert rc == 0, (rc, out, err)
        text = repr(rows())
        assert "hunter" not in text, text
        assert "password=[masked]&user=bob" in text and "Bearer [masked]" in text, text


@test
def flag_and_release_exit_2_on_bad_usage_and_1_on_an_unknown_client():
    with server() as srv:
        db = srv.env["MITSU_JOURNAL_DB"]
        Client(srv).get("/")
        assert mitsu("flag", "--db", db)[0] == 2
        assert mitsu("release", "a", "b", "--db", db)[0] == 2
        assert mitsu("release", "x", "--reason", "r", "--db", db)[0] == 2, "no --reason there"
        rc, _, err = mitsu("flag", "0123456789abcdef", "--db", db)
        assert rc == 1 and "no client" in err, (rc, err)
        rc, _, err = mitsu("release", "10.9.9.9", "--db", db)
        assert rc == 1 and "no client" in err, (rc, err)
        rc, out, _ = mitsu("flag", "--help")
        assert rc == 0 and "usage: mitsu flag CLIENT [--reason TEXT]" in out, out


if __name__ == "__main__":
    run()
