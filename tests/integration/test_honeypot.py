"""The honeypot end to end: client ids, detectors (trap, status4xx, protocol), scoring, actions
(divert with decoy routes and prefix rewriting, block, simulate), whitelists, and the false
positives that must never happen. Each test is its own client: its own 127.0.0.x address."""
import json
import os
import re
import tempfile
import time

from harness import BUILD, Client, Server, connect, new_ip, read_all, run, test

APP = os.environ.get("HP_TEST_SERVER", os.path.join(BUILD, "tests", "hpapp-asan"))
def server(**env):
    e = {"MITSU_JOURNAL_LOG": "stderr"}
    e.update(env)
    return Server(binary=APP, env=e)


@test
def first_visit_gets_a_32_hex_client_cookie_with_safe_attributes():
    with server() as srv:
        status, _, body, setc = Client(srv).get("/")
        assert status == 200 and "state=normal" in body, body
        sid = [c for c in setc if c.startswith("sid=")]
        assert len(sid) == 1, setc
        assert re.match(r"sid=[0-9a-f]{32};", sid[0]), sid
        for attr in ("HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=2592000"):
            assert attr in sid[0], (attr, sid)


@test
def returning_client_keeps_its_id_and_gets_no_new_cookie():
    with server() as srv:
        c = Client(srv)
        c.get("/")
        first = c.cookies["sid"]
        _, _, _, setc = c.get("/")
        assert not [x for x in setc if x.startswith("sid=")], setc
        assert c.cookies["sid"] == first


@test
def trap_path_flags_at_once_and_next_requests_are_diverted():
    with server() as srv:
        c = Client(srv)
        c.get("/")
        status, _, _, _ = c.get("/.env")
        assert status == 404
        assert "state=attacker decoy=1" in c.state(), c.state()


@test
def diverted_client_sees_the_decoy_route_normal_client_the_real_one():
    with server() as srv:
        normal, attacker = Client(srv), Client(srv)
        assert "real admin" in normal.get("/admin")[2]
        attacker.get("/wp-login.php")
        assert "decoy admin" in attacker.get("/admin")[2]
        assert "real admin" in normal.get("/admin")[2]


@test
def decoy_prefix_rewrites_the_path_of_diverted_requests_only():
    with server(MITSU_HONEYPOT_DECOY_PREFIXES="/api=/decoy/api") as srv:
        normal, attacker = Client(srv), Client(srv)
        assert "path=/api/users" in normal.get("/api/users")[2]
        attacker.get("/.git/config")
        body = attacker.get("/api/users")[2]
        assert "path=/decoy/api/users" in body and "decoy=1" in body, body


@test
def dropping_the_cookie_keeps_the_ip_verdict():
    with server() as srv:
        c = Client(srv)
        c.get("/")
        c.get("/.env")
        fresh = Client(srv, ip=c.ip)  # same address, no cookie
        assert "state=attacker" in fresh.state()


@test
def changing_ip_with_the_same_cookie_keeps_the_cookie_verdict():
    with server() as srv:
        c = Client(srv)
        c.get("/")
        c.get("/.env")
        moved = Client(srv)
        moved.cookies = dict(c.cookies)
        assert "state=attacker" in moved.state(), moved.state()


@test
def status4xx_distinct_failing_paths_flag():
    with server() as srv:
        c = Client(srv)
        for i in range(9):
            assert c.get("/nope-%d" % i)[0] == 404
        assert "state=normal" in c.state()
        c.get("/nope-last")
        assert "state=attacker" in c.state()


@test
def status4xx_window_zero_is_the_paper_rule_and_counts_forever():
    with server(MITSU_STATUS4XX_WINDOW="0", MITSU_STATUS4XX_COUNT="3") as srv:
        c = Client(srv)
        for i in range(3):
            c.get("/missing-%d" % i)
        assert "state=attacker" in c.state()


@test
def robots_txt_bait_is_served_and_following_it_flags():
    with server() as srv:
        c = Client(srv)
        status, _, body, _ = c.get("/robots.txt")
        assert status == 200 and "Disallow: /admin-backup/" in body, body
        assert "state=normal" in c.state()
        c.get("/admin-backup/")
        assert "state=attacker" in c.state()


@test
def smuggling_attempt_flags_the_address():
    with server() as srv:
        ip = new_ip()
        s = connect(srv, source=ip)
        s.sendall(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        data, _ = read_all(s, 3)
        s.close()
        assert data.startswith(b"HTTP/1.1 400 "), data
        assert "state=attacker" in Client(srv, ip=ip).state()


@test
def odd_methods_add_up_but_one_does_not_flag():
    with server() as srv:
        c = Client(srv)
        c.get("/")
        assert c.request("TRACE", "/")[0] == 405
        assert "state=normal" in c.state()
        c.request("PROPFIND", "/")
        c.request("TRACE", "/state")
        assert "state=attacker" in c.state()


@test
def application_flag_takes_effect():
    with server() as srv:
        c = Client(srv)
        body = c.get("/flag")[2]
        assert "state=attacker decoy=0" in body, body  # this request keeps its course
        assert "state=attacker decoy=1" in c.state()


@test
def application_flag_with_a_small_score_only_adds_up():
    with server() as srv:
        c = Client(srv)
        c.get("/flag?score=30")
        assert "state=normal" in c.state()
        c.get("/flag?score=30")
        c.get("/flag?score=50")
        assert "state=attacker" in c.state()


@test
def block_action_answers_403():
    with server(MITSU_HONEYPOT_ACTION="block") as srv:
        c = Client(srv)
        c.get("/.env")
        assert c.get("/state")[0] == 403


@test
def tarpit_holds_the_attackers_responses_but_not_others():
    with server(MITSU_HONEYPOT_ACTION="tarpit", MITSU_HONEYPOT_TARPIT_DELAY="1500ms") as srv:
        c = Client(srv)
        c.get("/.env")
        t0 = time.time()
        body = c.state()
        held = time.time() - t0
        assert "decoy=1" in body and 1.3 < held < 3.5, (body, held)
        # while one is held, another client is served at once
        import threading
        slow = threading.Thread(target=c.state)
        slow.start()
        time.sleep(0.2)
        t0 = time.time()
        assert "state=normal" in Client(srv).state()
        assert time.time() - t0 < 0.5
        slow.join()


@test
def simulate_mode_records_but_does_not_act():
    with server(MITSU_HONEYPOT_MODE="simulate") as srv:
        c = Client(srv)
        c.get("/.env")
        body = c.state()
        assert "state=attacker decoy=0" in body, body
        assert "real admin" in c.get("/admin")[2]


@test
def whitelisted_address_is_never_judged():
    ip = new_ip()
    with server(MITSU_HONEYPOT_WHITELIST=ip + "/32") as srv:
        c = Client(srv, ip=ip)
        for p in ("/.env", "/.git/config", "/wp-login.php"):
            c.get(p)
        assert "state=normal" in c.state()


@test
def disabled_honeypot_judges_nothing():
    with server(MITSU_HONEYPOT_ENABLED="false") as srv:
        c = Client(srv)
        c.get("/.env")
        body = c.state()
        assert "state=unknown decoy=0" in body, body


@test
def a_flag_is_one_json_line_on_stderr():
    srv = server()
    srv.start()
    c = Client(srv)
    c.get("/.aws/credentials")
    srv.stop()
    lines = [json.loads(l) for l in srv.stderr_text().splitlines() if l.startswith("{")]
    flags = [l for l in lines if l.get("event") == "flag"]
    assert len(flags) == 1, lines
    f = flags[0]
    assert f["detector"] == "trap" and f["peer"] == c.ip, f
    assert re.match("^[0-9a-f]{32}$", f["client_id"]) and f["kind"] == "attack", f
    assert "/.aws/credentials" in f["evidence"] and f["path"] == "/.aws/credentials", f


@test
def a_verdict_survives_a_restart():
    journal = tempfile.mkdtemp(prefix="mitsu-verdict-")
    env = {"MITSU_JOURNAL_DB": "sqlite:%s/mitsu.db" % journal}
    ip = new_ip()
    with server(**env) as srv:
        c = Client(srv, ip=ip)
        c.get("/")
        c.get("/.env")
        cookies = dict(c.cookies)
    with server(**env) as srv:
        by_cookie = Client(srv)
        by_cookie.cookies = cookies
        assert "state=attacker decoy=1" in by_cookie.state()
        assert "state=attacker" in Client(srv, ip=ip).state(), "the address keeps it too"
        assert "state=normal" in Client(srv).state()


@test
def the_detector_that_flagged_survives_a_restart():
    journal = tempfile.mkdtemp(prefix="mitsu-verdict-by-")
    db = os.path.join(journal, "mitsu.db")
    env = {"MITSU_JOURNAL_DB": "sqlite:" + db}
    ip = new_ip()
    with server(**env) as srv:
        Client(srv, ip=ip).get("/.env")
    with server(**env) as srv:
        Client(srv, ip=ip).get("/")   # the row is written again, at the latest at shutdown
    import sqlite3
    row = sqlite3.connect(db).execute("SELECT state, flagged_by, requests FROM clients WHERE ip = ?",
                                      (ip,)).fetchone()
    assert row == ("attacker", "trap", 2), row


@test
def an_attackers_requests_are_recorded_whole_a_normal_clients_not():
    journal = tempfile.mkdtemp(prefix="mitsu-rec-")
    db = os.path.join(journal, "mitsu.db")
    with server(MITSU_JOURNAL_DB="sqlite:" + db) as srv:
        normal, attacker = Client(srv), Client(srv)
        normal.get("/pages/hello")
        attacker.get("/pages/before")
        attacker.get("/.git/config")
        attacker.request("POST", "/api/login", headers={"Content-Type": "application/x-www-form-urlencoded"},
                         body=b"user=admin&password=hunter2")
    import sqlite3
    con = sqlite3.connect(db)
    rows = con.execute("SELECT method, target, status, served, preflag, ip FROM requests ORDER BY id").fetchall()
    targets = [r[1] for r in rows]
    assert "/api/login" in targets and "/pages/before" in targets, rows
    assert all(r[5] == attacker.ip for r in rows), rows          # nothing of the normal client
    post = [r for r in rows if r[1] == "/api/login"][0]
    assert post[3] == "decoy" and post[4] == 0, post
    states = dict(con.execute("SELECT ip, state FROM clients").fetchall())
    assert states.get(attacker.ip) == "attacker", states
    events = con.execute("SELECT detector, kind FROM events").fetchall()
    assert ("trap", "attack") in events, events


@test
def behind_a_trusted_proxy_the_forwarded_address_is_the_client():
    proxy = new_ip()
    with server(MITSU_SERVER_TRUSTED_PROXIES=proxy) as srv:
        via_proxy = Client(srv, ip=proxy)
        body = via_proxy.get("/state", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.7"})[2]
        assert "ip=203.0.113.7" in body, body
        via_proxy.cookies.clear()
        via_proxy.get("/.env", headers={"X-Forwarded-For": "203.0.113.7"})
        # another user behind the same proxy is not the attacker
        other = Client(srv, ip=proxy)
        assert "state=normal" in other.get("/state", headers={"X-Forwarded-For": "198.51.100.1"})[2]
        again = Client(srv, ip=proxy)
        assert "state=attacker" in again.get("/state", headers={"X-Forwarded-For": "203.0.113.7"})[2]


@test
def an_untrusted_peer_cannot_choose_its_address():
    with server() as srv:
        c = Client(srv)
        body = c.get("/state", headers={"X-Forwarded-For": "1.2.3.4"})[2]
        assert "ip=%s" % c.ip in body, body


@test
def a_foreign_cookie_of_the_same_name_does_not_hide_ours():
    with server() as srv:
        c = Client(srv)
        c.get("/")
        ours = c.cookies["sid"]
        c.get("/.env")
        other = Client(srv, keep_cookies=False)  # another address: only the cookie can tell
        body = other.get("/state", headers={"Cookie": "sid=from-another-app; sid=" + ours})[2]
        assert "state=attacker" in body, body


@test
def every_request_of_an_attacker_is_on_disk_after_sigterm():
    journal = tempfile.mkdtemp(prefix="mitsu-flush-")
    db = os.path.join(journal, "mitsu.db")
    n = 300
    with server(MITSU_JOURNAL_DB="sqlite:" + db, MITSU_RATE_LIMIT="100000",
                MITSU_RATE_BURST="100000") as srv:
        c = Client(srv)
        c.get("/.env")
        s = connect(srv, source=c.ip)
        batch = "".join("GET /state?i=%d HTTP/1.1\r\nHost: h\r\nCookie: sid=%s\r\n\r\n"
                        % (i, c.cookies["sid"]) for i in range(n))
        s.sendall(batch.encode())
        data = b""
        while data.count(b"HTTP/1.1 200") < n:
            chunk = s.recv(65536)
            assert chunk, "connection closed early"
            data += chunk
        s.close()
    # the with-block sent SIGTERM and checked the exit status: now everything must be there
    import sqlite3
    con = sqlite3.connect(db)
    got = con.execute("SELECT COUNT(*) FROM requests WHERE target LIKE '/state?i=%' "
                      "AND preflag = 0").fetchone()[0]
    assert got == n, (got, n)


# ---- False positives are failures -------------------------------------------------------

@test
def normal_browsing_is_never_flagged():
    with server() as srv:
        c = Client(srv)
        c.get("/")                       # a deep link or a bookmark: first request anywhere
        c.get("/pages/about")
        for _ in range(10):              # a missing favicon and a broken image on every page
            c.get("/favicon.ico")
            c.get("/static/logo.png")
        c.get("/pages/abuot")            # a mistyped URL that exists as a pattern
        c.get("/pagse/about")            # a mistyped URL: one 404
        for _ in range(5):               # back and refresh
            c.get("/pages/about")
            c.get("/")
        c.get("/robots.txt")             # reading robots.txt is fine; following the bait is not
        assert "state=normal" in c.state(), c.state()


@test
def repeated_404_of_one_path_counts_once():
    with server() as srv:
        c = Client(srv)
        for _ in range(30):
            c.get("/old-bookmark")
        assert "state=normal" in c.state()


@test
def a_client_without_cookies_is_still_one_client():
    with server(MITSU_STATUS4XX_COUNT="5") as srv:
        c = Client(srv, keep_cookies=False)
        for i in range(5):
            c.get("/scan-%d" % i)
        assert "state=attacker" in Client(srv, ip=c.ip, keep_cookies=False).state()


if __name__ == "__main__":
    run()
