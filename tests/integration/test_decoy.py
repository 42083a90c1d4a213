"""mitsu decoy init, honeytokens and decoy diff, end to end: a real SQLite database with related
tables; `build/mitsu decoy init` makes the decoy (same schema, no real value) and registers the
tokens; an application started on the pair flags and diverts whoever uses a token (a honey login,
a honey API key, a honey e-mail), not the normal users; `mitsu decoy diff` shows what one
attacker wrote into its private copy."""
import base64
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time

from harness import BUILD, Client, Server, run, test

APP = os.environ.get("DECOY_TEST_SERVER", os.path.join(BUILD, "tests", "decoyapp-asan"))
MITSU = os.path.join(BUILD, "mitsu")


def django_hash(password, salt="s4ltS4lt", iterations=1000):
    dk = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return "pbkdf2_sha256$%d$%s$%s" % (iterations, salt, base64.b64encode(dk).decode())


SCHEMA = """
CREATE TABLE departments (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE employees (id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE, dept_id INTEGER NOT NULL REFERENCES departments(id),
  salary INTEGER, notes TEXT);
CREATE INDEX employees_dept ON employees (dept_id);
CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL, api_key TEXT UNIQUE, employee_id INTEGER REFERENCES employees(id));
"""


class Fixture:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="mitsu-decoy-")
        self.real = os.path.join(self.dir, "real.db")
        self.decoy = os.path.join(self.dir, "decoy.db")
        self.journal = os.path.join(self.dir, "mitsu.db")
        self.config = os.path.join(self.dir, "app.ini")
        c = sqlite3.connect(self.real)
        c.execute("PRAGMA journal_mode=WAL")
        c.executescript(SCHEMA)
        c.executemany("INSERT INTO departments (name) VALUES (?)",
                      [("CONFIDENTIAL-DEPT-Skunkworks",), ("Sales",)])
        c.executemany("INSERT INTO employees (first_name, last_name, email, dept_id, salary, notes)"
                      " VALUES (?, ?, ?, ?, ?, ?)",
                      [("Alice", "Real", "alice@real.test", 1, 91000, "CONFIDENTIAL-NOTE-1"),
                       ("Bob", "Real", "bob@real.test", 2, 87000, "CONFIDENTIAL-NOTE-2"),
                       ("Carol", "Real", "carol@real.test", 2, 65000, "CONFIDENTIAL-NOTE-3")])
        c.executemany("INSERT INTO users (username, password_hash, api_key, employee_id)"
                      " VALUES (?, ?, ?, ?)",
                      [("alice", django_hash("alice-real-pw"), "CONFIDENTIAL-KEY-alice", 1),
                       ("bob", django_hash("bob-real-pw"), "CONFIDENTIAL-KEY-bob", 2)])
        c.commit()
        c.close()
        with open(self.config, "w") as f:
            f.write("[db.main]\nreal = sqlite:%s\ndecoy = sqlite:%s\ndecoy_mode = per_attacker\n"
                    "[journal]\ndb = sqlite:%s\nlog = off\n" % (self.real, self.decoy, self.journal))

    def mitsu(self, *args, check=True):
        p = subprocess.run([MITSU] + list(args), capture_output=True, text=True, timeout=60)
        if check and p.returncode != 0:
            raise AssertionError("mitsu %s: %d\n%s%s" % (" ".join(args), p.returncode, p.stdout,
                                                         p.stderr))
        return p

    def init(self):
        out = self.mitsu("decoy", "init", "--from", self.real, "--to", self.decoy, "--seed", "5",
                         "--db", self.journal).stdout
        tokens = {"credential": [], "api_key": [], "email": []}
        for m in re.finditer(r"^honeytoken (\w+) (\S+): (\S+)(?: password: (\S+))?$", out, re.M):
            tokens[m.group(1)].append((m.group(3), m.group(4)))
        return out, tokens

    def server(self):
        return Server(binary=APP, env={"DECOYAPP_CONFIG": self.config,
                                       "MITSU_JOURNAL_DB": "sqlite:" + self.journal})

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def schema_of(path):
    c = sqlite3.connect(path)
    rows = c.execute("SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'"
                     " ORDER BY type, name").fetchall()
    c.close()
    return rows


def dump(path):
    c = sqlite3.connect(path)
    d = "\n".join(c.iterdump())
    c.close()
    return d


@test
def init_copies_the_schema_fills_fake_rows_and_registers_tokens():
    fx = Fixture()
    try:
        out, tokens = fx.init()
        assert "schema check: the decoy's schema is the real one's" in out, out
        assert schema_of(fx.real) == schema_of(fx.decoy)
        d = dump(fx.decoy)
        assert "CONFIDENTIAL" not in d and "alice@real.test" not in d and "Real" not in d, d
        c = sqlite3.connect(fx.decoy)
        assert c.execute("SELECT COUNT(*) FROM employees").fetchone()[0] == 3
        assert c.execute("SELECT COUNT(*) FROM employees e LEFT JOIN departments d"
                         " ON d.id = e.dept_id WHERE d.id IS NULL").fetchone()[0] == 0
        c.close()
        assert len(tokens["credential"]) == 2 and all(p for _, p in tokens["credential"]), out
        assert len(tokens["api_key"]) == 2 and len(tokens["email"]) == 3, out
        j = sqlite3.connect(fx.journal)
        rows = j.execute("SELECT kind, value, db FROM honeytokens").fetchall()
        j.close()
        assert len(rows) == 7 and all(r[2] == "sqlite:" + fx.decoy for r in rows), rows
        # again: refused, the decoy has tables; --force makes it anew, tokens replaced
        p = fx.mitsu("decoy", "init", "--from", fx.real, "--to", fx.decoy, "--db", fx.journal,
                     check=False)
        assert p.returncode == 1 and "refusing to overwrite" in p.stderr, p.stderr
        out = fx.mitsu("decoy", "init", "--from", fx.real, "--to", fx.decoy, "--db", fx.journal,
                       "--force", "--rows", "4").stdout
        j = sqlite3.connect(fx.journal)
        now = set(v for (v,) in j.execute("SELECT value FROM honeytokens"))
        j.close()
        assert now == set(re.findall(r"^honeytoken \w+ \S+: (\S+)", out, re.M)), (now, out)
        assert not now & set(r[1] for r in rows), "the old decoy's tokens are forgotten"
        p = fx.mitsu("decoy", "init", "--from", fx.real, check=False)
        assert p.returncode == 2, p.returncode
    finally:
        fx.cleanup()


@test
def normal_users_stay_normal_and_see_real_data():
    fx = Fixture()
    try:
        _, tokens = fx.init()
        user, _ = tokens["credential"][0]
        with fx.server() as srv:
            c = Client(srv)
            assert c.post_form("/login", username="alice", password="alice-real-pw")[2] == "welcome\n"
            assert "CONFIDENTIAL-NOTE-1" in c.get("/employees")[2]
            # inputs that resemble tokens but are not one
            c.get("/search?email=" + tokens["email"][0][0][:-1])
            c.post_form("/login", username=user + "x", password="nope")
            c.get("/api/me", headers={"Authorization": "Bearer " + tokens["api_key"][0][0][1:]})
            assert c.state() == "normal real\n", c.state()
    finally:
        fx.cleanup()


@test
def a_honey_login_flags_and_diverts_and_the_honey_password_works_in_the_decoy():
    fx = Fixture()
    try:
        _, tokens = fx.init()
        user, password = tokens["credential"][0]
        with fx.server() as srv:
            c = Client(srv)
            status, _, body, _ = c.post_form("/login", username=user, password=password)
            assert status == 200 and body == "welcome\n", body
            assert c.state() == "attacker decoy\n", c.state()
            emp = c.get("/employees")[2]
            assert "CONFIDENTIAL" not in emp and "real.test" not in emp, emp
        j = sqlite3.connect(fx.journal)
        ev = j.execute("SELECT evidence FROM events WHERE detector = 'honeytoken'").fetchall()
        j.close()
        assert ev and "honeytoken credential #" in ev[0][0], ev
        assert user not in ev[0][0], "the whole token is not echoed: %r" % ev
    finally:
        fx.cleanup()


@test
def a_honey_user_name_given_to_mitsu_auth_result_flags():
    fx = Fixture()
    try:
        _, tokens = fx.init()
        user, _ = tokens["credential"][1]
        with fx.server() as srv:
            n = Client(srv)
            n.request("POST", "/sso", headers={"X-Remote-User": "alice"})
            assert n.state() == "normal real\n", n.state()
            a = Client(srv)
            a.request("POST", "/sso", headers={"X-Remote-User": user})
            assert a.state() == "attacker decoy\n", a.state()
    finally:
        fx.cleanup()


@test
def a_honey_api_key_or_email_flags_too():
    fx = Fixture()
    try:
        _, tokens = fx.init()
        with fx.server() as srv:
            a = Client(srv)
            status, _, body, _ = a.get("/api/me", headers={
                "Authorization": "Bearer " + tokens["api_key"][0][0]})
            assert status == 200 and '"username"' in body, (status, body)
            assert a.state() == "attacker decoy\n"
            b = Client(srv)
            b.get("/search?email=" + tokens["email"][1][0])
            assert b.state() == "attacker decoy\n"
            basic = base64.b64encode(("x:" + tokens["email"][2][0]).encode()).decode()
            e = Client(srv)
            e.get("/employees", headers={"Authorization": "Basic " + basic})
            assert e.state() == "attacker decoy\n"
            k = Client(srv)
            k.get("/employees", headers={"X-API-Key": tokens["api_key"][1][0]})
            assert k.state() == "attacker decoy\n"
            m = Client(srv)
            m.get("/employees", cookie="remember=" + tokens["credential"][1][0])
            assert m.state() == "attacker decoy\n"
            j = Client(srv)
            j.request("POST", "/search", body=('{"filter": {"email": "%s"}}' %
                                               tokens["email"][2][0]).encode(),
                      headers={"Content-Type": "application/json"})
            assert j.state() == "attacker decoy\n"
    finally:
        fx.cleanup()


def first_flag_after(srv, email, seconds):
    """Fresh clients search for email every 100 ms: how long until one was flagged, or None."""
    t0 = time.time()
    while time.time() - t0 < seconds:
        c = Client(srv)
        c.get("/search?email=" + email)
        if c.state() == "attacker decoy\n":
            return time.time() - t0
        time.sleep(0.1)
    return None


@test
def tokens_planted_while_the_app_runs_flag_within_a_second_and_removed_ones_no_more():
    fx = Fixture()
    try:
        _, tokens = fx.init()
        second = os.path.join(fx.dir, "decoy2.db")

        def init_second(*more):
            out = fx.mitsu("decoy", "init", "--from", fx.real, "--to", second, "--db", fx.journal,
                           *more).stdout
            return re.findall(r"^honeytoken email \S+: (\S+)", out, re.M)
        with fx.server() as srv:
            planted = init_second("--seed", "7")
            took = first_flag_after(srv, planted[0], 3)
            assert took is not None and took < 1.5, took  # a poll is 0.5 s
            # made again: its old tokens are forgotten, the new ones flag, the first decoy's stay
            replanted = init_second("--seed", "8", "--force")
            assert not set(planted) & set(replanted), (planted, replanted)
            took = first_flag_after(srv, replanted[0], 3)
            assert took is not None and took < 1.5, took  # a poll is 0.5 s
            old = Client(srv)
            old.get("/search?email=" + planted[0])
            assert old.state() == "normal real\n", old.state()
            assert first_flag_after(srv, tokens["email"][0][0], 0.5) is not None
    finally:
        fx.cleanup()


@test
def decoy_diff_shows_what_one_attacker_changed_in_its_copy():
    fx = Fixture()
    try:
        _, tokens = fx.init()
        before = dump(fx.decoy)
        with fx.server() as srv:
            c = Client(srv)
            c.get("/search?email=" + tokens["email"][0][0])
            assert c.state() == "attacker decoy\n"
            assert c.post_form("/employees/2", notes="pwned by attacker")[2] == "saved\n"
            ip = c.ip
        assert dump(fx.decoy) == before, "the shared decoy is untouched"
        out = fx.mitsu("decoy", "diff", ip, "--config", fx.config).stdout
        assert "db.main: client " in out, out
        assert re.search(r"table employees: 0 added, 0 removed, 1 changed\n  ~ id=2: notes: .* -> "
                         r"'pwned by attacker'\n", out), out
        assert "table users" not in out, out
        p = fx.mitsu("decoy", "diff", "0" * 32, "--config", fx.config)
        assert "no private copy" in p.stdout, p.stdout
        p = fx.mitsu("decoy", "diff", "127.9.9.9", "--config", fx.config, check=False)
        assert p.returncode == 1 and "no client" in p.stderr, p.stderr
    finally:
        fx.cleanup()


run()
