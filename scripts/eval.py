#!/usr/bin/python3
"""End-to-end evaluation (make eval): real attack tools and benign clients against the demo.

For each tool: starts a fresh demo (scripts/run.sh, a temporary MITSU_DATA_DIR, free ports),
runs the tool bounded in time and in requests from its own loopback address through a relay
(scripts/eval_relay.py), stops the demo so that its journal is flushed, and reads the
management database. Prints one table (docs/evaluation.md): requests sent, flagged after how many requests and by
which detector, requests diverted to the decoy, confidential values that reached the tool, and
whether a benign client was flagged. Exit status 1 when an attack tool was not flagged, a
confidential value reached an unauthorized client, or a benign client was flagged; 2 when the
evaluation itself could not run.

Usage: scripts/eval.py [--short] [--json] [--demo DIR] [--only NAME,...] [--keep]
                      [--run-script PATH] [--confidential-sql PATH] [--max-requests N]
Environment: MITSU_EVAL_DEMO (the demo checkout, default this one), BUILD (default DIR/build),
SECLISTS (default ../shared/datasets/seclists beside the checkout).
"""
import argparse
import json
import os
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eval_relay import Relay  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BROWSER_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0 Safari/537.36")

# ---- the demo ---------------------------------------------------------------------------------


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Demo:
    """The demo started with its run script in a fresh data directory."""

    def __init__(self, demo_dir, run_script, data_dir, build):
        self.dir, self.data_dir = demo_dir, data_dir
        self.port = free_port()
        env = dict(os.environ)
        env.update({"MITSU_DATA_DIR": data_dir, "BUILD": build,
                    "MITSU_SERVER_LISTEN": "127.0.0.1:%d" % self.port,
                    "MITSU_ADMIN_LISTEN": "127.0.0.1:%d" % free_port()})
        env.pop("MITSU_JOURNAL_DB", None)
        self.log = open(os.path.join(data_dir, "demo.log"), "wb")
        self.proc = subprocess.Popen([run_script], cwd=demo_dir, env=env,
                                     stdout=subprocess.PIPE, stderr=self.log,
                                     start_new_session=True)
        self.info = {}
        self._wait_ready()

    def _wait_ready(self):
        """Reads the "name: value" lines until the port answers (20 s at most)."""
        lines = []

        def read():
            for raw in self.proc.stdout:
                line = raw.decode(errors="replace").rstrip("\n")
                lines.append(line)
                name, sep, value = line.partition(": ")
                if sep:
                    self.info.setdefault(name.strip(), value.strip())
        threading.Thread(target=read, daemon=True).start()
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                time.sleep(0.3)  # the remaining lines
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the demo did not start; its output: %r; see %s" %
                           (lines[-10:], self.log.name))

    def stop(self):
        """SIGTERM to the run script's process group: the server flushes its journal."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()

    def management_db(self):
        url = self.info.get("management database",
                            "sqlite:" + os.path.join(self.data_dir, "mitsu.db"))
        if not url.startswith("sqlite:"):
            raise RuntimeError("the evaluation reads a SQLite management database, not %s" % url)
        return url[len("sqlite:"):]

    def real_db(self):
        path = self.info.get("real database", "")
        return path[len("sqlite:"):] if path.startswith("sqlite:") else path


# ---- the tools --------------------------------------------------------------------------------


def seclists_dir():
    return os.environ.get("SECLISTS", os.path.join(ROOT, "..", "shared", "datasets", "seclists"))


def head_lines(path, n, fallback):
    try:
        with open(path, errors="replace") as f:
            words = [w.strip() for w in f if w.strip() and not w.startswith("#")]
    except OSError:
        words = []
    return (words or fallback)[:n]


def write_list(out, name, words):
    path = os.path.join(out, name)
    with open(path, "w") as f:
        f.write("\n".join(words) + "\n")
    return path


# Paths a directory scan of this application should find besides the generic list.
EXTRA_WORDS = ["login", "logout", "employees", "search", "admin", "profile", "files", "static",
               "api", "api/employees", "robots.txt", ".env", ".git/config", "backup.sql"]


def gobuster(ctx, relay, out, short, wordlist="common.txt"):
    words = head_lines(os.path.join(seclists_dir(), "Discovery", "Web-Content", wordlist),
                       150 if short else 400, EXTRA_WORDS)
    wordlist = write_list(out, "words.txt", words + EXTRA_WORDS)
    cmd = ["gobuster", "dir", "-u", relay.url(), "-w", wordlist, "-t", "10", "-q", "--no-color",
           "-z", "--timeout", "10s", "-o", os.path.join(out, "found.txt")]
    if ctx.disguise:
        cmd += ["-a", BROWSER_UA]
    return cmd, 120 if short else 300


def gobuster_raft(ctx, relay, out, short):
    """Another usual word list, whose first words are no trap paths of this application."""
    return gobuster(ctx, relay, out, short, "raft-small-words.txt")


def sqlmap_common(ctx, out, short):
    cmd = ["sqlmap", "--batch", "--level", "1", "--risk", "1", "--technique", "BEU",
           "--timeout", "10", "--retries", "1", "--flush-session",
           "--disable-coloring", "--output-dir", out, "--dbms", "SQLite", "--dump-all"]
    if ctx.disguise:  # and without its WAF probe, one loud request a careful attacker skips
        cmd += ["-A", BROWSER_UA, "--skip-waf"]
    return cmd, 120 if short else 400


def sqlmap_search(ctx, relay, out, short):
    cmd, limit = sqlmap_common(ctx, out, short)
    return cmd + ["-u", relay.url("/search?q=smith"), "-p", "q", "--threads", "2"], limit


def sqlmap_login(ctx, relay, out, short):
    """The login form with its anti-CSRF token, which sqlmap fetches from the form before each
    request (one thread: sqlmap allows no more with --csrf-url)."""
    cmd, limit = sqlmap_common(ctx, out, short)
    return cmd + ["-u", relay.url("/login"), "--data", "username=alice&password=secret&csrf=x",
                  "-p", "username,password", "--csrf-token", "csrf",
                  "--csrf-url", relay.url("/login")], limit


def login_session(relay, user_agent):
    """What an attacker does before a brute force against a form with an anti-CSRF token bound
    to the session: open the form once, keep its cookies and token. (Cookie header, token)."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", user_agent)]
    _, body = fetch(opener, relay.url("/login"))
    return "; ".join("%s=%s" % (c.name, c.value) for c in jar), csrf_field(body)


def csrf_field(html):
    m = re.search(r'name="?csrf"?[^>]*?value="?([^" >]*)', html) or \
        re.search(r'value="?([^" >]*)"?[^>]*?name="?csrf', html)
    return m.group(1) if m else ""


def hydra(ctx, relay, out, short):
    seclists = seclists_dir()
    users = head_lines(os.path.join(seclists, "Usernames", "top-usernames-shortlist.txt"),
                       4 if short else 10, ["admin", "root", "alice", "test"])
    users = ["alice"] + [u for u in users if u != "alice"]
    passwords = head_lines(os.path.join(seclists, "Passwords", "Common-Credentials",
                                        "10-million-password-list-top-1000.txt"),
                           10 if short else 20, ["123456", "password", "qwerty", "letmein"])
    # hydra 9.4 reads the failure text from the last field: options go before it.
    agent = BROWSER_UA if ctx.disguise else "Mozilla/5.0 (Hydra)"
    cookie, token = login_session(relay, agent)
    form = "/login:username=^USER^&password=^PASS^&csrf=%s:" % token
    if cookie:
        form += "H=Cookie\\: %s:" % cookie.replace(":", "\\:")
    if ctx.disguise:
        form += "H=User-Agent\\: %s:" % agent.replace(":", "\\:")
    form += "F=Invalid username or password"
    cmd = ["hydra", "-I", "-t", "4", "-w", "10", "-L", write_list(out, "users.txt", users),
           "-P", write_list(out, "passwords.txt", passwords), "-o",
           os.path.join(out, "found.txt"), "-s", str(relay.port), "127.0.0.1",
           "http-post-form", form]
    return cmd, 120 if short else 300


def wget2_crawl(ctx, relay, out, short):
    cmd = ["wget2", "-r", "-l", "2" if short else "4", "--max-threads", "2", "--tries", "1",
           "--timeout", "10", "-Q", "20m", "--no-host-directories", "-P", out, "--robots",
           relay.url()]
    return cmd, 60 if short else 180


def wget2_crawl_logged_in(ctx, relay, out, short):
    """The demo user's session (a login in Python), then a crawl of everything it links to
    except the way out."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", BROWSER_UA)]
    _, body = fetch(opener, relay.url("/login"))
    form = {"username": "alice", "password": ctx.demo.info.get("demo password", ""),
            "csrf": csrf_field(body)}
    fetch(opener, relay.url("/login"), urllib.parse.urlencode(form).encode())
    cookies = os.path.join(out, "cookies.txt")
    with open(cookies, "w") as f:
        f.write("# Netscape HTTP Cookie File\n")
        for c in jar:
            f.write("127.0.0.1\tFALSE\t/\tFALSE\t4102444800\t%s\t%s\n" % (c.name, c.value))
    cmd, limit = wget2_crawl(ctx, relay, out, short)
    return cmd[:-1] + ["--load-cookies", cookies, "--filter-urls", "--reject-regex", "logout",
                       relay.url("/employees")], limit


def fetch(opener, url, data=None):
    """One browser request: (status, body text); errors are answers too."""
    try:
        with opener.open(url, data=data, timeout=10) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def normal_user(ctx, relay, out, short):
    """A person: home page and its assets, a wrong password once, the right one, the list, a
    profile, back, refresh, a mistyped URL, a search, log out. Returns None: runs in Python."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    opener.addheaders = [("User-Agent", BROWSER_UA)]
    base = relay.url("")
    pages = []

    def visit(path, data=None, assets=False):
        status, body = fetch(opener, base + path, data)
        pages.append("%d %s\n" % (status, path))
        with open(os.path.join(out, "pages.html"), "a") as f:
            f.write(body)
        if assets:
            for a in sorted(set(re.findall(r'(?:href|src)="?(/static/[^" >]+)', body)))[:5]:
                fetch(opener, base + a)
                pages.append("asset %s\n" % a)
        time.sleep(0.3)  # a person reads
        return body

    def login(password):
        body = visit("/login", assets=True)
        form = {"username": "alice", "password": password, "csrf": csrf_field(body)}
        return visit("/login", urllib.parse.urlencode(form).encode())

    visit("/", assets=True)
    login("alice-typo")
    login(ctx.demo.info.get("demo password", ""))
    listing = visit("/employees", assets=True)
    ids = re.findall(r'href="?/employees/(\d+)', listing) or ["1"]
    visit("/employees/" + ids[0])
    visit("/employees")                 # back
    visit("/employees/" + ids[0])       # forward
    visit("/employees/" + ids[0])       # refresh
    visit("/employes")                  # a mistyped URL
    visit("/search?q=smith")
    visit("/favicon.ico")
    visit("/logout")
    with open(os.path.join(out, "visited.txt"), "w") as f:
        f.writelines(pages)
    return None


class Tool:
    def __init__(self, name, build, benign=False, authorized=False, needs=None, disguise=False):
        self.name, self.build, self.benign = name, build, benign
        self.authorized = authorized  # logged in as the demo user: may see confidential values
        self.needs = needs  # the binary it runs, checked before the run
        self.disguise = disguise  # sends a browser's User-Agent instead of its own


ATTACKS = [("gobuster", gobuster), ("gobuster raft", gobuster_raft),
           ("sqlmap search", sqlmap_search),
           ("sqlmap login", sqlmap_login), ("hydra", hydra)]
# Each attack as it comes, then disguised by a browser's User-Agent: what is left to catch it
# is its behaviour.
TOOLS = [Tool("wget2 crawl", wget2_crawl, benign=True, needs="wget2"),
         Tool("wget2 crawl (logged in)", wget2_crawl_logged_in, benign=True, authorized=True,
              needs="wget2"),
         Tool("normal user", normal_user, benign=True, authorized=True)] + \
    [Tool(n, f, needs=n.split()[0]) for n, f in ATTACKS] + \
    [Tool(n + " (browser UA)", f, needs=n.split()[0], disguise=True) for n, f in ATTACKS]


def missing_binaries():
    return sorted({t.needs for t in TOOLS if t.needs and not shutil.which(t.needs)})


# ---- running and measuring --------------------------------------------------------------------


class Context:
    """What a tool's command line is made from."""

    def __init__(self, demo, tool):
        self.demo, self.disguise = demo, tool.disguise


class Bystander:
    """The demo user going about her business from her own address while an attack runs: an
    attack must not get her flagged (hydra guesses her password, for one)."""

    def __init__(self, demo, source, out):
        self.source, self.out = source, out
        os.makedirs(out, exist_ok=True)
        self.relay = Relay(("127.0.0.1", demo.port), source)
        self.error = None
        self.thread = threading.Thread(target=self._run, args=(demo,), daemon=True)
        self.thread.start()

    def _run(self, demo):
        try:
            time.sleep(0.5)  # the attack is under way
            normal_user(Context(demo, TOOLS[0]), self.relay, self.out, True)
        except OSError as e:
            self.error = str(e)

    def join(self):
        self.thread.join(60)
        self.relay.close()


def run_tool(demo, tool, source, out, short, max_requests):
    """Runs one tool through its own relay; returns the relay and what happened."""
    os.makedirs(out, exist_ok=True)
    ctx = Context(demo, tool)
    relay = Relay(("127.0.0.1", ctx.demo.port), source, max_requests=max_requests)
    t0 = time.time()
    note = ""
    try:
        spec = tool.build(ctx, relay, out, short)
        if spec is not None:
            cmd, limit = spec
            with open(os.path.join(out, "command.txt"), "w") as f:
                f.write(shlex.join(cmd) + "\n")
            with open(os.path.join(out, "stdout.txt"), "wb") as so, \
                    open(os.path.join(out, "stderr.txt"), "wb") as se:
                p = subprocess.Popen(cmd, cwd=out, stdout=so, stderr=se, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
                try:
                    rc = p.wait(limit)
                    note = "exit %d" % rc
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
                    note = "stopped at %ds" % limit
    finally:
        time.sleep(0.5)  # the last responses through the relay
        relay.close()
    if relay.refused:
        note += ", request bound reached"
    return relay, note, time.time() - t0


def http_bodies(data):
    """The bodies of a stream of HTTP responses, de-chunked, joined (leak search must see a
    value split across chunks too)."""
    out, i = [], 0
    while i < len(data):
        end = data.find(b"\r\n\r\n", i)
        if end < 0:
            break
        head = data[i:end].decode("latin-1").lower()
        i = end + 4
        m = re.search(r"\ncontent-length:\s*(\d+)", head)
        if m:
            n = int(m.group(1))
            out.append(data[i:i + n])
            i += n
        elif "transfer-encoding: chunked" in head:
            while i < len(data):
                eol = data.find(b"\r\n", i)
                try:
                    size = int(data[i:eol].split(b";")[0], 16)
                except ValueError:
                    return b"".join(out)
                i = eol + 2
                if size == 0:
                    i = data.find(b"\r\n", i) + 2 if data.find(b"\r\n", i) >= 0 else len(data)
                    break
                out.append(data[i:i + size])
                i += size + 2
        else:
            out.append(data[i:])
            break
    return b"".join(out)


def confidential_values(sql_path, real_db):
    with open(sql_path) as f:
        sql = f.read()
    db = sqlite3.connect("file:%s?mode=ro" % real_db, uri=True)
    try:
        values = {str(r[0]) for r in db.execute(sql) if r[0] is not None and str(r[0]).strip()}
    finally:
        db.close()
    return sorted(values)


def leaked(values, relay, out):
    """The confidential values found in what the tool received or wrote."""
    haystacks = [bytes(relay.received), http_bodies(bytes(relay.received))]
    for d, _, files in os.walk(out):
        for name in files:
            if name in ("command.txt", "words.txt", "users.txt", "passwords.txt"):
                continue  # what we gave it
            try:
                with open(os.path.join(d, name), "rb") as f:
                    haystacks.append(f.read(64 << 20))
            except OSError:
                pass
    found = set()
    for v in values:
        for variant in {v.encode(), urllib.parse.quote(v).encode(), json.dumps(v)[1:-1].encode()}:
            if any(variant in h for h in haystacks):
                found.add(v)
    return sorted(found)


def journal_facts(db_path, ip):
    """What the management database says of the clients at ip (nothing when there is none: a
    demo with its honeypot off)."""
    if not os.path.exists(db_path):
        return {"flagged": False, "flagged_at": None, "detector": None, "evidence": None,
                "detectors": [], "diverted": 0, "captured": 0, "server_requests": None}
    db = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
    try:
        flagged = db.execute(
            "SELECT MIN(flagged_at), COUNT(*) FROM clients WHERE ip = ? AND state = 'attacker'",
            (ip,)).fetchone()
        first = db.execute(
            "SELECT detector, evidence, time FROM events WHERE ip = ? AND event = 'flag'"
            " ORDER BY time, id LIMIT 1", (ip,)).fetchone()
        detectors = [r[0] for r in db.execute(
            "SELECT detector FROM events WHERE ip = ? AND event = 'flag'"
            " GROUP BY detector ORDER BY MIN(time)", (ip,))]
        # Every request of an attacker is captured (preflag = 0), from the one it was flagged in.
        captured, diverted = db.execute(
            "SELECT COUNT(*), COALESCE(SUM(served = 'decoy'), 0) FROM requests"
            " WHERE ip = ? AND preflag = 0", (ip,)).fetchone()
        server_count = db.execute("SELECT COALESCE(SUM(requests), 0) FROM clients WHERE ip = ?",
                                  (ip,)).fetchone()[0]
    finally:
        db.close()
    flagged_at = first[2] if first else flagged[0]
    return {"flagged": flagged[1] > 0 or first is not None, "flagged_at": flagged_at,
            "detector": first[0] if first else None, "evidence": first[1] if first else None,
            "detectors": detectors, "diverted": diverted, "captured": captured,
            "server_requests": server_count}


def flagged_after(facts, relay):
    """The number of the request the client was flagged in: the requests sent less those
    captured from the flag on; by timestamps when nothing was captured."""
    if not facts["flagged"]:
        return None
    if facts["captured"]:
        return max(1, relay.requests() - facts["captured"] + 1)
    return relay.requests_until(facts["flagged_at"]) if facts["flagged_at"] else None


def measure(tool, source, out, relay, note, secs, demo, conf_sql, bystander):
    """One row of the table, from the stopped demo's databases and what the tool received."""
    values = confidential_values(conf_sql, demo.real_db())
    facts = journal_facts(demo.management_db(), source)
    leaks = leaked(values, relay, out)
    if bystander:
        b = journal_facts(demo.management_db(), bystander.source)
        bystander = {"source": bystander.source, "requests": bystander.relay.requests(),
                     "flagged": b["flagged"], "detector": b["detector"],
                     "evidence": b["evidence"], "error": bystander.error}
    return {"bystander": bystander,"tool": tool.name, "source": source, "benign": tool.benign,
            "authorized": tool.authorized, "requests": relay.requests(),
            "server_requests": facts["server_requests"], "flagged": facts["flagged"],
            "flagged_after": flagged_after(facts, relay), "detector": facts["detector"],
            "detectors": facts["detectors"], "evidence": facts["evidence"],
            "diverted": facts["diverted"], "leaked": len(leaks), "leaked_values": leaks,
            "confidential_values": len(values), "seconds": round(secs, 1), "note": note,
            "output": out}


def evaluate(args):
    """Each tool against its own fresh demo, so that no result depends on another tool's."""
    demo_dir = os.path.abspath(args.demo)
    build = os.path.abspath(os.environ.get("BUILD", os.path.join(demo_dir, "build")))
    run_script = os.path.abspath(args.run_script or os.path.join(demo_dir, "scripts", "run.sh"))
    conf_sql = os.path.abspath(args.confidential_sql or
                               os.path.join(demo_dir, "examples", "intranet", "confidential.sql"))
    work = tempfile.mkdtemp(prefix="mitsu-eval-")
    only = args.only.split(",") if args.only else None
    tools = [t for t in TOOLS if not only or t.name in only or t.name.split()[0] in only]
    rows = []
    for i, tool in enumerate(tools):
        source = "127.0.0.%d" % (i + 2)
        base = os.path.join(work, re.sub(r"\W+", "-", tool.name).strip("-"))
        out, data_dir = os.path.join(base, "output"), os.path.join(base, "data")
        os.makedirs(data_dir)
        log("%s from %s ..." % (tool.name, source))
        demo = Demo(demo_dir, run_script, data_dir, build)
        bystander = None
        try:
            if not tool.benign:
                bystander = Bystander(demo, "127.0.1.%d" % (i + 2), os.path.join(base, "user"))
            relay, note, secs = run_tool(demo, tool, source, out, args.short,
                                         args.max_requests)
            if bystander:
                bystander.join()
        finally:
            demo.stop()
        log("  %d requests in %.0fs (%s)" % (relay.requests(), secs, note or "done"))
        rows.append(measure(tool, source, out, relay, note, secs, demo, conf_sql, bystander))
    result = {"mode": "short" if args.short else "full", "demo": demo_dir,
              "confidential_values": min((r["confidential_values"] for r in rows), default=0),
              "work_dir": work, "rows": rows}
    result["problems"] = problems(result)
    if not args.keep and not result["problems"]:
        shutil.rmtree(work, ignore_errors=True)
        result["work_dir"] = None
    return result


def problems(result):
    out = []
    if result["confidential_values"] == 0:
        out.append("confidential.sql lists no value: nothing to search for")
    for r in result["rows"]:
        if r["requests"] == 0:
            out.append("%s sent no request (%s)" % (r["tool"], r["note"]))
        if r["benign"] and r["flagged"]:
            out.append("benign client %s was flagged by %s" % (r["tool"], r["detector"]))
        b = r["bystander"]
        if b and b["flagged"]:
            out.append("the demo user at %s was flagged by %s during %s: %s" %
                       (b["source"], b["detector"], r["tool"], b["evidence"]))
        if b and (b["error"] or b["requests"] < 5):
            out.append("the demo user during %s did not run (%s)" % (r["tool"], b["error"]))
        if not r["benign"] and not r["flagged"]:
            out.append("%s was not flagged" % r["tool"])
        if r["leaked"] and not r["authorized"]:
            out.append("%s received %d confidential value(s): %s" %
                       (r["tool"], r["leaked"], ", ".join(r["leaked_values"][:5])))
    return out


def benign_flagged(r):
    """The benign column: the client itself, or the demo user who was busy during an attack."""
    if r["benign"]:
        return "yes" if r["flagged"] else "no"
    b = r["bystander"]
    return ("user: yes" if b["flagged"] else "user: no") if b else "-"


def table(result):
    head = ["tool", "source", "requests", "flagged after", "by", "diverted", "confidential",
            "benign flagged"]
    lines = []
    for r in result["rows"]:
        after = "%d" % r["flagged_after"] if r["flagged"] and r["flagged_after"] else \
            ("yes" if r["flagged"] else "not flagged")
        lines.append([r["tool"], r["source"], str(r["requests"]), after,
                      ",".join(r["detectors"]) or "-", str(r["diverted"]),
                      "%d%s" % (r["leaked"], " (logged in)" if r["authorized"] else ""),
                      benign_flagged(r)])
    widths = [max(len(x[i]) for x in [head] + lines) for i in range(len(head))]
    right = {2, 3, 5, 6}

    def fmt(cells):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    text = [fmt(head), fmt(["-" * w for w in widths])] + [fmt(x) for x in lines]
    flagged = sum(1 for r in result["rows"] if r["benign"] and r["flagged"]) + \
        sum(1 for r in result["rows"] if r["bystander"] and r["bystander"]["flagged"])
    bystanders = sum(1 for r in result["rows"] if r["bystander"])
    text.append("")
    text.append("benign clients flagged: %d of %d (%d during an attack, the demo user from"
                " 127.0.1.N); confidential values in the real database: %d" %
                (flagged, bystanders + sum(r["benign"] for r in result["rows"]), bystanders,
                 result["confidential_values"]))
    for p in result["problems"]:
        text.append("PROBLEM: " + p)
    return "\n".join(text)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--short", action="store_true", help="small lists and time bounds (make test)")
    ap.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    ap.add_argument("--demo", default=os.environ.get("MITSU_EVAL_DEMO", ROOT),
                    help="the checkout whose scripts/run.sh starts the demo")
    ap.add_argument("--run-script", help="another script with run.sh's contract")
    ap.add_argument("--confidential-sql", help="default DEMO/examples/intranet/confidential.sql")
    ap.add_argument("--only", help="comma-separated tool names (first word is enough)")
    ap.add_argument("--max-requests", type=int, default=20000, help="per tool (default 20000)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    missing = missing_binaries()
    if missing:
        log("eval: missing tools: %s (scripts/deps.sh eval installs them)" % " ".join(missing))
        return 2
    try:
        result = evaluate(args)
    except (RuntimeError, OSError, sqlite3.Error) as e:
        log("eval: %s" % e)
        return 2
    print(json.dumps(result, indent=1) if args.json else table(result))
    if result["work_dir"]:
        log("outputs kept in %s" % result["work_dir"])
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
