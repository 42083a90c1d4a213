"""The login, rate and tamper detectors end to end, each from both sides: the attack is flagged,
and what a normal user does is not. Each client is its own 127.0.x.y source address."""
import base64
import json
import os
import re
import shutil
import tempfile
import threading
import time
import urllib.parse

import harness
from harness import BUILD, Server, connect, new_ip, parse_responses, read_all, run, test

APP = os.environ.get("LRT_TEST_SERVER", os.path.join(BUILD, "tests", "lrtapp-asan"))
KEY = "6c72742d746573742d6b65792d6f662d33322d62797465732d6174206c65617374"
class Client(harness.Client):
    """A browser-like client that can log in to the test application."""

    def login(self, user, password):
        return self.post_form("/login", user=user, password=password)[2]


def server(**env):
    e = {"MITSU_JOURNAL_LOG": "stderr"}
    e.update(env)
    return Server(binary=APP, env=e)


def attacker(c):
    return "state=attacker" in c.state()


def browser(srv):
    """A person: loads the login page (and gets the honeypot cookie) before posting."""
    c = Client(srv)
    c.get("/login")
    return c


# ---- login ---------------------------------------------------------------------------------

@test
def brute_force_on_one_user_flags_at_ip_failures():
    with server() as srv:
        c = browser(srv)
        for _ in range(9):
            assert "login=failed" in c.login("demo", "guess")
        assert not attacker(c), c.state()
        c.login("demo", "guess-10")
        assert attacker(c)


@test
def password_spraying_many_users_flags_at_ip_users():
    with server() as srv:
        c = browser(srv)
        for u in ("alice", "bob", "carol", "dave"):
            c.login(u, "Winter2024!")
        assert not attacker(c)
        c.login("erin", "Winter2024!")
        assert attacker(c)


@test
def credential_stuffing_one_user_from_many_addresses_flags_the_tools_not_the_owner():
    with server(MITSU_LOGIN_USER_FAILURES="10") as srv:
        owner = browser(srv)
        tools = [Client(srv) for _ in range(12)]
        for t in tools[:9]:                     # a tool posts straight away, one try per address
            t.login("demo", "leaked-1")
        assert not attacker(tools[8])
        tools[9].login("demo", "leaked-2")      # the 10th failure for "demo"
        assert attacker(tools[9])
        assert attacker(tools[8]) and attacker(tools[4])   # the remembered ones are flagged too
        tools[10].login("demo", "leaked-3")     # later ones at their first try
        assert attacker(tools[10])
        # The owner mistypes during the attack on their account: a browser, one failure: normal.
        assert "login=failed" in owner.login("demo", "demo-pasword")
        assert "login=ok state=normal" in owner.login("demo", "demo-password")
        assert not attacker(owner)


@test
def one_failed_login_then_success_is_normal():
    with server() as srv:
        c = browser(srv)
        c.login("demo", "typo")
        assert "login=ok state=normal" in c.login("demo", "demo-password")
        assert "user=demo state=normal" in c.get("/me")[2]


@test
def two_failures_with_normal_browsing_are_normal():
    with server() as srv:
        c = browser(srv)
        c.login("Demo ", "typo")                # user name typed with a capital and a space
        c.login("demo", "typo2")
        for _ in range(20):                     # then clicks around
            c.get("/api/items")
        c.get("/missing-page")
        c.request("TRACE", "/")                 # protocol: 10 points, a person could do it
        assert not attacker(c), c.state()
        c.login("demo", "demo-password")
        c.login("demo", "typo3")                # the success forgave the first two
        c.login("demo", "typo4")
        assert not attacker(c), c.state()


@test
def a_shared_computer_with_two_users_failing_twice_each_is_normal():
    with server() as srv:
        c = browser(srv)
        for u in ("demo", "other"):
            c.login(u, "wrong")
            c.login(u, "wrong again")
        assert not attacker(c)


@test
def a_success_with_another_account_does_not_launder_a_brute_force():
    with server() as srv:
        c = browser(srv)
        for _ in range(6):
            c.login("victim", "guess")
        c.login("demo", "demo-password")        # the attacker's own account
        for _ in range(3):
            c.login("victim", "guess")
        assert not attacker(c)
        c.login("victim", "guess")               # the 10th failure on the victim
        assert attacker(c)


@test
def failures_are_forgotten_after_the_window():
    with server(MITSU_LOGIN_WINDOW="1s", MITSU_HONEYPOT_DECAY="1s") as srv:
        c = browser(srv)
        for _ in range(9):
            c.login("demo", "guess")
        time.sleep(2.2)
        for _ in range(9):
            c.login("demo", "guess")
        assert not attacker(c)


@test
def login_failure_evidence_carries_the_user_name_as_sent():
    srv = server()
    srv.start()
    c = browser(srv)
    for _ in range(10):
        c.login("r\u00f6ot\"", "x")
    srv.stop()
    lines = [json.loads(l) for l in srv.stderr_text().splitlines() if l.startswith("{")]
    flags = [l for l in lines if l.get("event") == "flag"]
    assert len(flags) == 1 and flags[0]["detector"] == "login", lines
    assert "brute force" in flags[0]["evidence"] and "r\u00f6ot\"" in flags[0]["evidence"], flags


# ---- rate ----------------------------------------------------------------------------------

@test
def a_request_flood_flags_within_seconds_and_counts_once_a_second():
    with server() as srv:
        c = Client(srv)
        t0 = time.time()
        for _ in range(120):                    # empties the bucket of 40 at once
            c.get("/api/x")
        first = time.time() - t0
        if first < 0.9:                         # one overflow so far: 30 points, not a flag
            assert not attacker(c)
        deadline = time.time() + 8
        while not attacker(c) and time.time() < deadline:
            for _ in range(20):
                c.get("/api/x")
        assert attacker(c)
        assert time.time() - t0 > 2.5           # four overflows need three more seconds


def burst(c, paths):
    threads = [threading.Thread(target=c.get, args=(p,)) for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


@test
def a_page_with_ten_api_calls_at_once_and_fast_clicking_are_normal():
    with server() as srv:
        c = Client(srv)
        c.get("/")
        for page in range(3):                   # three pages, each opening ten API calls
            burst(c, ["/"] + ["/api/%d/%d" % (page, i) for i in range(10)])
            time.sleep(0.5)
        for _ in range(25):                     # then clicks as fast as a person can and more
            c.get("/api/next")
        assert not attacker(c), c.state()


@test
def static_assets_do_not_count():
    d = tempfile.mkdtemp()
    try:
        for i in range(80):
            with open(os.path.join(d, "a%d.png" % i), "wb") as f:
                f.write(b"\x89PNG")
        with server(LRT_STATIC_DIR=d) as srv:
            c = Client(srv)
            c.get("/")
            for i in range(80):                 # a page with eighty images
                assert c.get("/static/a%d.png" % i)[0] == 200
            assert not attacker(c)
    finally:
        shutil.rmtree(d)


# ---- tamper --------------------------------------------------------------------------------

def altered(value, padded=False):
    """A signed value with its value field changed and its time and signature kept; padded:
    re-encoded the way a hand with a base64 tool would."""
    v, ts, mac = value.split(".")
    raw = base64.urlsafe_b64decode(v + "=" * (-len(v) % 4))
    raw = raw.replace(b"dark", b"lite").replace(b"demo", b"root")
    v = base64.b64encode(raw).decode() if padded else \
        base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return "%s.%s.%s" % (v, ts, mac)


@test
def an_altered_signed_cookie_flags_an_unaltered_one_does_not():
    with server() as srv:
        good, bad, padded = Client(srv), Client(srv), Client(srv)
        for c in (good, bad, padded):
            c.get("/prefs/set")
        for _ in range(3):
            assert "prefs=theme=dark state=normal" in good.get("/prefs")[2]
        bad.cookies["prefs"] = altered(bad.cookies["prefs"])
        body = bad.get("/prefs")[2]
        assert "prefs=(none)" in body and "tampered=1" in body, body
        padded.cookies["prefs"] = altered(padded.cookies["prefs"], padded=True)
        padded.get("/prefs")
        assert attacker(bad) and attacker(padded) and not attacker(good)


@test
def an_altered_session_cookie_flags_on_any_route():
    with server() as srv:
        c = browser(srv)
        c.login("demo", "demo-password")
        assert "user=demo" in c.get("/me")[2]
        c.cookies["session"] = altered(c.cookies["session"])
        c.get("/")                              # a route that never reads the session
        assert attacker(c)


@test
def an_altered_signed_form_field_flags_an_intact_one_does_not():
    with server() as srv:
        good, bad, lazy = Client(srv), Client(srv), Client(srv)
        for c in (good, bad, lazy):
            page = c.get("/order")[2]
            c.price = page.split('value="')[1].split('"')[0]
        assert "price=100 state=normal" in good.post_form("/order", price=good.price)[2]
        v, ts, mac = bad.price.split(".")
        bad.post_form("/order", price="%s.%s.%s" % (base64.urlsafe_b64encode(b"1").decode()
                                                    .rstrip("="), ts, mac))
        assert attacker(bad) and not attacker(good)
        lazy.post_form("/order", price="100")  # no signature at all: a quarter of the weight
        assert not attacker(lazy)


@test
def another_applications_cookies_of_the_same_names_are_not_flagged():
    # Another application on the host (cookies ignore the port) or a parent domain uses the
    # cookie names "session" and "sid" too: its values come back on every request.
    flask = "eyJ1c2VyIjoiYWRtaW4ifQ.ZxYz1A.q1w2e3r4t5y6u7i8o9p0"
    with server() as srv:
        c = browser(srv)
        c.login("demo", "demo-password")
        ours = c.cookies["session"]
        for _ in range(6):
            c.get("/me", cookie="sid=%s; session=%s; session=%s" % (c.cookies["sid"], flask, ours))
        assert "user=demo" in c.get("/me")[2]
        c.cookies["session"] = flask            # theirs alone, e.g. after they overwrote ours
        for _ in range(6):
            c.get("/me")
        assert not attacker(c)
        other = Client(srv)
        other.get("/")
        for _ in range(6):                      # their "sid" sent along with ours ...
            other.get("/api/x", cookie="sid=s%3Aabc.def; sid=" + other.cookies["sid"])
        for _ in range(6):                      # ... or instead of ours: they overwrote it
            other.cookies["sid"] = "s%3Aabc.def"
            other.get("/")                      # we set ours again: a fresh client each time
            other.get("/api/x")
        assert not attacker(other)


@test
def a_replayed_malformed_client_id_adds_up_for_a_tool():
    with server() as srv:
        tool = Client(srv, keep_cookies=False)
        tool.get("/", cookie="sid=0123456789ABCDEF0123456789ABCDEF")
        assert "state=normal" in tool.get("/state")[2]
        for _ in range(3):                      # a quarter of the weight each
            tool.get("/", cookie="sid=0123456789ABCDEF0123456789ABCDEF")
        assert "state=attacker" in tool.get("/state")[2]


@test
def after_a_restart_without_secret_keys_old_cookies_are_not_tampering():
    # A random key per process: yesterday's cookies match no key. With configured keys, the
    # same value is an alteration.
    stale = "dGhlbWU9ZGFyaw.1700000000." + "A" * 43
    with server() as srv:
        c = Client(srv)
        c.cookies["prefs"] = stale
        assert "tampered=1" in c.get("/prefs")[2]
        assert not attacker(c)
    with server(MITSU_APP_SECRET_KEYS=KEY) as srv:
        c = Client(srv)
        c.cookies["prefs"] = stale
        c.get("/prefs")
        assert attacker(c)


run()
