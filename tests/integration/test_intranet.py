"""The intranet demo as `make run` starts it (scripts/run.sh, examples/intranet): the lines it
prints, a person's browsing that is never flagged, CSRF, and an SQL injection that is diverted to
the decoy so that nothing CONFIDENTIAL reaches the attacker. Two demos run side by side.
BUILD=DIR runs the demo of another build (one compiled with -fsanitize=address,undefined, say:
a sanitizer report fails the test); MITSU_TEST_PG_URL adds a run on PostgreSQL."""
import os
import re
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time

from harness import ROOT, BUILD, Client, new_ip, run, test

RUN_SH = os.path.join(ROOT, "scripts", "run.sh")
CONTRACT = ["app", "dashboard", "admin token", "demo user", "demo password", "real database",
            "decoy database", "management database"]
# A UNION that would show every salary, national id and HR note on the search page.
UNION = ("/search?q=zz%25'%20UNION%20SELECT%20id,salary,national_id,notes%20"
         "FROM%20employees--%20-")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Demo:
    """scripts/run.sh with its own data directory and ports; `lines` is what it printed."""

    def __init__(self, data_dir=None, env=None):
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="mitsu-demo-")
        self.port, self.admin_port = free_port(), free_port()
        self.host = "127.0.0.1"
        self.env = dict(os.environ, BUILD=BUILD, MITSU_DATA_DIR=self.data_dir,
                        MITSU_SERVER_LISTEN="127.0.0.1:%d" % self.port,
                        MITSU_ADMIN_LISTEN="127.0.0.1:%d" % self.admin_port,
                        MITSU_SERVER_WORKERS="2")
        self.env.pop("MITSU_JOURNAL_DB", None)
        self.env.update(env or {})
        self.lines, self.proc = {}, None
        # A file, not a pipe: the event log lines on stderr would fill a pipe nobody reads.
        self.stderr = tempfile.TemporaryFile()

    def stderr_text(self):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def start(self):
        self.proc = subprocess.Popen([RUN_SH], env=self.env, stdout=subprocess.PIPE,
                                     stderr=self.stderr)
        deadline = time.time() + 60
        while time.time() < deadline:
            r, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if not r:
                if self.proc.poll() is not None:
                    break
                continue
            line = self.proc.stdout.readline().decode().rstrip("\n")
            if not line:
                break
            if line.startswith("mitsu: listening on"):
                return self
            key, sep, value = line.partition(": ")
            if sep:
                self.lines[key] = value
        self.stop()
        raise RuntimeError("the demo did not start: %r %s" % (self.lines, self.stderr_text()))

    def stop(self):
        """SIGTERM and wait; the exit status. A sanitizer's report (BUILD of an ASan build) fails."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        err = self.stderr_text()
        if "Sanitizer" in err or "runtime error" in err:
            raise AssertionError("sanitizer report from the demo:\n" + err[-4000:])
        return self.proc.returncode if self.proc else None

    def cleanup(self):
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        rc = self.stop()
        if exc[0] is None and rc not in (0, None):
            raise AssertionError("the demo exited with %r: %s" % (rc, self.stderr_text()[-2000:]))
        if self.own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        return False

    def journal(self, sql, args=()):
        """Rows of the management database, once the journal has written what it was given."""
        path = self.lines["management database"].split("sqlite:", 1)[1]
        time.sleep(1.5)  # the journal writes in batches, from its own thread
        db = sqlite3.connect(path, timeout=10)
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    def served(self, ip, target):
        """Where the recorded requests of that address for target (a LIKE pattern) were served
        from: 'real' or 'decoy'. Only attackers' requests are recorded whole."""
        rows = self.journal("SELECT served FROM requests WHERE ip = ? AND target LIKE ?",
                            (ip, target))
        return {served for (served,) in rows}

    def flagged(self, ip):
        """Whether a client of that address was flagged: its verdict is an event, written when
        it happens (a normal client's row in clients is only refreshed now and then)."""
        return self.journal("SELECT detector, evidence FROM events WHERE ip = ? AND event = 'flag'",
                            (ip,))


def confidential_values(real_db):
    with open(os.path.join(ROOT, "examples", "intranet", "confidential.sql")) as f:
        sql = f.read()
    db = sqlite3.connect(real_db)
    try:
        return [row[0] for row in db.execute(sql)]
    finally:
        db.close()


def leaked(text, values):
    return [v for v in values if v in text]


def csrf_of(page):
    m = re.search(r'name="csrf" value="([0-9a-f]{64})"', page)
    assert m, "no CSRF token in the page"
    return m.group(1)


def log_in(c, demo, user="alice", password=None):
    csrf = csrf_of(c.get("/login")[2])
    return c.post_form("/login", username=user, password=password or demo.lines["demo password"],
                       csrf=csrf)


DEMO = None


def demo():
    """One demo shared by the tests that need no demo of their own."""
    global DEMO
    if DEMO is None:
        DEMO = Demo().start()
    return DEMO


@test
def run_sh_prints_the_contract_lines_and_keeps_secrets_private():
    d = demo()
    for key in CONTRACT:
        assert key in d.lines, "missing line %r in %r" % (key, d.lines)
    assert d.lines["app"] == "http://127.0.0.1:%d/" % d.port
    assert d.lines["dashboard"] == "http://127.0.0.1:%d/" % d.admin_port
    assert d.lines["demo user"] == "alice"
    assert len(d.lines["admin token"]) >= 32
    assert d.lines["real database"] == os.path.join(d.data_dir, "intranet.db")
    assert d.lines["decoy database"] == os.path.join(d.data_dir, "decoy.db")
    assert d.lines["management database"] == "sqlite:%s/mitsu.db" % d.data_dir
    for name in ("intranet.db", "decoy.db", "mitsu.db"):
        assert os.path.exists(os.path.join(d.data_dir, name)), name
    for name in ("secret_key", "admin_token", "demo_password", "admin_password"):
        mode = os.stat(os.path.join(d.data_dir, name)).st_mode & 0o777
        assert mode == 0o600, "%s has mode %o" % (name, mode)
    values = confidential_values(d.lines["real database"])
    assert len(values) >= 40 and all("CONFIDENTIAL" in v for v in values)


@test
def a_person_browsing_is_never_flagged_and_sees_the_real_database():
    d = demo()
    values = confidential_values(d.lines["real database"])
    c = Client(d)
    assert c.get("/")[0] == 200
    assert c.get("/static/style.css")[0] == 200
    status, headers, _, _ = log_in(c, d)
    assert status == 303 and headers["location"] == "/employees", (status, headers)
    status, _, page, _ = c.get("/employees")
    assert status == 200 and leaked(page, values), "alice (HR) sees the real salaries"
    assert c.get("/employees/3")[0] == 200
    assert c.get("/employees/3")[0] == 200  # refresh
    status, _, page, _ = c.get("/search?q=Mar")
    assert status == 200 and "Alice Martin" in page
    # A quote breaks the deliberately injectable query: an error page, and no flag for it.
    assert c.get("/search?q=O%27Connor")[0] == 500
    assert c.get("/employees/3")[0] == 200  # back
    status, _, body, _ = c.get("/api/employees")
    assert status == 200 and '"employees"' in body and leaked(body, values)
    assert c.get("/api/employees/2")[0] == 200
    status, headers, body, _ = c.get("/files/employee-handbook.txt")
    assert status == 200 and "attachment" in headers["content-disposition"]
    assert "Employee handbook" in body
    assert c.get("/employes")[0] == 404  # a mistyped address
    assert c.get("/favicon.ico")[0] == 404
    status, _, page, _ = c.get("/profile")
    assert status == 200
    status, headers, _, _ = c.post_form("/profile", phone="+1 555 0199", csrf=csrf_of(page),
                                        website="")
    assert status == 303 and headers["location"] == "/profile"
    status, _, page, _ = c.get("/profile")
    assert "+1 555 0199" in page and "Profile saved." in page
    assert c.get("/employees")[0] == 200
    assert c.get("/employees")[0] == 200
    assert c.get("/logout")[0] == 303
    assert c.get("/employees")[0] == 303
    assert "Alice Martin" in c.get("/search?q=Martin")[2], "still served from the real database"
    assert not d.flagged(c.ip)


@test
def pages_need_a_login_and_a_wrong_password_says_so():
    d = demo()
    c = Client(d)
    status, headers, _, _ = c.get("/employees")
    assert status == 303 and headers["location"] == "/login"
    assert c.get("/api/employees")[0] == 401
    status, _, page, _ = log_in(c, d, password="not-the-password")
    assert status == 200 and "Invalid username or password" in page
    status, _, page, _ = log_in(c, d, user="nobody", password="x")
    assert status == 200 and "Invalid username or password" in page
    assert log_in(c, d)[0] == 303
    assert c.get("/admin")[0] == 403  # alice is HR, not an administrator
    assert not d.flagged(c.ip)


@test
def a_form_without_its_csrf_token_is_refused():
    d = demo()
    c = Client(d)
    assert log_in(c, d)[0] == 303
    page = c.get("/profile")[2]
    assert c.post_form("/profile", phone="+1 555 0666")[0] == 403
    assert c.post_form("/profile", phone="+1 555 0666", csrf="0" * 64)[0] == 403
    assert "+1 555 0666" not in c.get("/profile")[2]
    # The login form too.
    other = Client(d)
    other.get("/login")
    status, _, page, _ = other.post_form("/login", username="alice",
                                         password=d.lines["demo password"])
    assert status == 403 and "Invalid username or password" in page
    assert other.get("/employees")[0] == 303, "not logged in"
    assert "csrf" in page


@test
def guessing_passwords_without_the_csrf_token_is_caught():
    d = demo()
    # A token of the right shape that is not the session's (this tool keeps no cookies).
    guesser = Client(d, ip=new_ip(), keep_cookies=False)
    for i in range(12):
        status, _, page, _ = guesser.post_form("/login", username="alice",
                                               password="guess%d" % i, csrf="0" * 64)
        assert status == 403 and "Invalid username or password" in page
    assert [det for det, _ in d.flagged(guesser.ip)] == ["login"]
    # Without any token, the params detector sees a required field missing.
    lazy = Client(d, ip=new_ip(), keep_cookies=False)
    for i in range(6):
        lazy.post_form("/login", username="alice", password="guess%d" % i)
    assert [det for det, _ in d.flagged(lazy.ip)] == ["params"]


@test
def the_admin_sees_the_admin_area_from_the_real_database():
    d = demo()
    values = confidential_values(d.lines["real database"])
    c = Client(d)
    with open(os.path.join(d.data_dir, "admin_password")) as f:
        assert log_in(c, d, user="admin", password=f.read().strip())[0] == 303
    status, _, page, _ = c.get("/admin")
    assert status == 200 and "CONFIDENTIAL-APIKEY-PAYROLL" in page
    assert len(leaked(page, values)) == len(values), "every confidential value is on /admin"


@test
def an_sql_injection_is_diverted_and_gets_nothing_confidential():
    d = demo()
    values = confidential_values(d.lines["real database"])
    attacker = Client(d, ip=new_ip())
    status, _, page, _ = attacker.get(UNION)
    assert status == 200 and not leaked(page, values), leaked(page, values)
    # Whatever it does next comes from the decoy, even with the stolen password.
    for path in ("/search?q=a", UNION, "/search?q=Martin"):
        page = attacker.get(path)[2]
        assert not leaked(page, values), path
    status, _, page, _ = log_in(attacker, d)
    assert status == 200 and "Invalid username or password" in page
    assert d.flagged(attacker.ip)[0][0] == "signature"
    assert d.served(attacker.ip, "/search%") == {"decoy"}
    # A person elsewhere still sees the real directory.
    assert "Alice Martin" in Client(d).get("/search?q=Martin")[2]


@test
def a_logged_in_attacker_gets_the_decoy_admin_area():
    """mitsu_decoy_route: /admin, forbidden to alice, opens for her session once it attacks."""
    d = demo()
    values = confidential_values(d.lines["real database"])
    c = Client(d, ip=new_ip())
    assert log_in(c, d)[0] == 303
    assert c.get("/admin")[0] == 403
    c.get(UNION)
    status, _, page, _ = c.get("/admin")
    assert status == 200 and "<h1>Administration</h1>" in page and not leaked(page, values)
    status, _, page, _ = c.get("/employees")
    assert status == 200 and not leaked(page, values)
    assert d.served(c.ip, "/admin") == {"real", "decoy"}, "the 403 before, the page after"


@test
def without_the_honeypot_the_same_injection_leaks():
    """What the honeypot prevents: the search really is injectable."""
    with Demo(env={"MITSU_HONEYPOT_ENABLED": "false"}) as d:
        values = confidential_values(d.lines["real database"])
        page = Client(d).get(UNION)[2]
        assert len(leaked(page, values)) >= 16, page[-2000:]


@test
def the_honey_field_and_the_hidden_link_flag_bots():
    d = demo()
    bot = Client(d, ip=new_ip())
    csrf = csrf_of(bot.get("/login")[2])
    # Even with the right password: the request that fills the honey field never logs in.
    status, _, page, _ = bot.post_form("/login", username="alice",
                                       password=d.lines["demo password"], csrf=csrf,
                                       website="http://spam.example")
    assert status == 200 and "Invalid username or password" in page
    assert d.flagged(bot.ip), "the honey field"
    assert 'href="/internal/reports/"' in Client(d).get("/")[2]
    crawler = Client(d, ip=new_ip())
    crawler.get("/internal/reports/")
    assert d.flagged(crawler.ip)[0][0] == "trap"


@test
def two_demos_run_side_by_side_and_a_restart_keeps_the_data():
    first = demo()
    with Demo() as second:
        assert second.lines["demo password"] != first.lines["demo password"]
        assert second.lines["admin token"] != first.lines["admin token"]
        attacker_ip = new_ip()
        Client(second, ip=attacker_ip).get(UNION)
        assert second.flagged(attacker_ip)
        assert not first.flagged(attacker_ip), "verdicts stay in their own management database"
        c = Client(first, ip=attacker_ip)
        assert log_in(c, first)[0] == 303 and c.get("/employees")[0] == 200
        data_dir, password = second.data_dir, second.lines["demo password"]
        second.own_dir = False
    with Demo(data_dir=data_dir) as again:
        assert again.lines["demo password"] == password
        Client(again, ip=attacker_ip).get("/search?q=Martin")
        # Only an attacker's requests are recorded whole: this one is, and from the decoy.
        assert again.served(attacker_ip, "/search?q=Martin") == {"decoy"}, "the verdict survives"
    shutil.rmtree(data_dir, ignore_errors=True)


def psql(url, sql):
    out = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-Atc", sql], check=True,
                         capture_output=True, text=True, timeout=30)
    return out.stdout.split()


@test
def the_management_database_can_be_postgresql():
    pg = os.environ.get("MITSU_TEST_PG_URL")
    if not pg:
        print("  (PostgreSQL part skipped: MITSU_TEST_PG_URL is not set)")
        return
    name = "intranet_demo_%d" % os.getpid()
    psql(pg, "CREATE DATABASE %s" % name)
    url = pg.rsplit("/", 1)[0] + "/" + name
    try:
        with Demo(env={"MITSU_JOURNAL_DB": url}) as d:
            assert d.lines["management database"] == url
            attacker = Client(d, ip=new_ip())
            attacker.get(UNION)
            assert not os.path.exists(os.path.join(d.data_dir, "mitsu.db"))
            time.sleep(1.5)
            flags = psql(url, "SELECT detector FROM events WHERE ip = '%s' AND event = 'flag'"
                         % attacker.ip)
            assert flags == ["signature"], flags
    finally:
        psql(pg, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)


@test
def the_shared_demo_stops_cleanly():
    assert demo().stop() == 0


try:
    run()
finally:
    if DEMO:
        DEMO.cleanup()
