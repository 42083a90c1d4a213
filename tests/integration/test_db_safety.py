"""Real data is never touched for a diverted attacker: every route of an application that reads
and writes [db.main] is driven by a flagged client, and the real database is byte-identical
before and after while the decoy changed. Also: the start-up schema check, and per-attacker
decoys isolating attackers from each other."""
import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time

from harness import BUILD, Client, Server, run, test

APP = os.environ.get("DB_TEST_SERVER", os.path.join(BUILD, "tests", "dbapp-asan"))
SCHEMA = ("CREATE TABLE employees (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
          "salary INTEGER, note TEXT); CREATE INDEX employees_name ON employees(name);")


def make_db(path, rows, schema=SCHEMA):
    c = sqlite3.connect(path)
    c.execute("PRAGMA journal_mode=WAL")  # as mitsu opens it: the header is already WAL
    c.executescript(schema)
    c.executemany("INSERT INTO employees (name, salary, note) VALUES (?, ?, ?)", rows)
    c.commit()
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def dump(path):
    c = sqlite3.connect(path)
    d = "\n".join(c.iterdump())
    c.close()
    return d


class Fixture:
    def __init__(self, decoy_mode="shared", decoy_schema=SCHEMA):
        self.dir = tempfile.mkdtemp(prefix="mitsu-dbsafe-")
        self.real = os.path.join(self.dir, "real.db")
        self.decoy = os.path.join(self.dir, "decoy.db")
        make_db(self.real, [("Alice Real", 91000, "CONFIDENTIAL-1"),
                            ("Bob Real", 87000, "CONFIDENTIAL-2")])
        make_db(self.decoy, [("Carol Decoy", 50000, "nothing"), ("Dan Decoy", 52000, "nothing")],
                decoy_schema)
        self.env = {"MITSU_DB_MAIN_REAL": "sqlite:" + self.real,
                    "MITSU_DB_MAIN_DECOY": "sqlite:" + self.decoy,
                    "MITSU_DB_MAIN_DECOY_MODE": decoy_mode,
                    "MITSU_JOURNAL_LOG": "off"}

    def server(self):
        return Server(binary=APP, env=self.env)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def drive_every_route(c):
    """Every route, reads and writes; returns every body seen."""
    bodies = []
    for method, path, body in [
            ("GET", "/employees", b""), ("GET", "/employees/1", b""), ("GET", "/employees/2", b""),
            ("GET", "/search?q=Real", b""), ("GET", "/search?q=%25", b""),
            ("POST", "/employees", b"name=Mallory&salary=1&note=x"),
            ("POST", "/employees/1", b"salary=0"), ("POST", "/employees/2/delete", b""),
            ("POST", "/wipe", b""), ("GET", "/employees", b"")]:
        hdrs = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        status, _, text, _ = c.request(method, path, headers=hdrs, body=body)
        bodies.append(text)
    return bodies


@test
def normal_client_reads_the_real_data():
    fx = Fixture()
    try:
        with fx.server() as srv:
            text = Client(srv).get("/employees")[2]
            assert "CONFIDENTIAL-1" in text and "Alice Real" in text, text
    finally:
        fx.cleanup()


@test
def diverted_attacker_never_reads_or_writes_real_data():
    fx = Fixture()
    try:
        real_before, real_dump = digest(fx.real), dump(fx.real)
        decoy_before = dump(fx.decoy)
        with fx.server() as srv:
            attacker = Client(srv)
            assert attacker.get("/flag")[0] == 200
            bodies = drive_every_route(attacker)
            for b in bodies:
                assert "CONFIDENTIAL" not in b and "Real" not in b, b
            # the attacker's writes "worked": it sees its own changes in the decoy
            assert "Mallory" in bodies[-1] or bodies[-1] == "[]", bodies[-1]
            # a normal client meanwhile still sees the real data, untouched
            assert "CONFIDENTIAL-2" in Client(srv).get("/employees")[2]
        assert digest(fx.real) == real_before, "the real database file changed"
        assert dump(fx.real) == real_dump
        assert dump(fx.decoy) != decoy_before, "the decoy did not change"
        assert "pwned" in dump(fx.decoy)
    finally:
        fx.cleanup()


@test
def per_attacker_decoys_isolate_attackers():
    fx = Fixture(decoy_mode="per_attacker")
    try:
        decoy_before = digest(fx.decoy)
        with fx.server() as srv:
            a, b = Client(srv), Client(srv)
            a.get("/flag")
            b.get("/flag")
            a.request("POST", "/employees", headers={"Content-Type": "application/x-www-form-urlencoded"},
                      body=b"name=OnlyA&salary=1&note=a")
            assert "OnlyA" in a.get("/employees")[2]
            assert "OnlyA" not in b.get("/employees")[2], "attackers see each other's changes"
        assert digest(fx.decoy) == decoy_before, "the shared decoy itself must stay as made"
        copies = os.listdir(fx.decoy + ".attackers")
        assert len([f for f in copies if f.endswith(".db")]) == 2, copies
    finally:
        fx.cleanup()


@test
def an_expired_attacker_takes_its_private_copy_with_it():
    fx = Fixture(decoy_mode="per_attacker")
    fx.env["MITSU_HONEYPOT_VERDICT_TTL"] = "1s"
    try:
        with fx.server() as srv:
            a = Client(srv)
            a.get("/flag")
            a.get("/employees")
            copies = os.path.join(fx.dir, "decoy.db.attackers")
            assert len([f for f in os.listdir(copies) if f.endswith(".db")]) == 1
            time.sleep(1.6)
            Client(srv).get("/employees")  # any request does the upkeep
            time.sleep(0.3)
            left = [f for f in os.listdir(copies) if f.endswith(".db")]
            assert left == [], left
    finally:
        fx.cleanup()


@test
def a_decoy_with_another_schema_stops_start_up_with_exit_2():
    fx = Fixture(decoy_schema=SCHEMA.replace("salary INTEGER", "salary TEXT"))
    try:
        p = subprocess.run([APP], env=dict(os.environ, MITSU_SERVER_LISTEN="127.0.0.1:0", **fx.env),
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 2, (p.returncode, p.stderr)
        assert "salary" in p.stderr and "INTEGER" in p.stderr and "TEXT" in p.stderr, p.stderr
    finally:
        fx.cleanup()


run()
