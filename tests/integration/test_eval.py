"""The end-to-end evaluation in its short form (scripts/eval.py --short): gobuster, sqlmap,
hydra, a wget2 crawl and a scripted user against the demo, each from its own address. Every
attack tool is flagged, no confidential value reaches a client that is not logged in, no benign
client is flagged. Runs against the demo (examples/intranet) when it is built, else against
its stand-in tests/integration/evalapp.c; MITSU_EVAL_DEMO names another demo checkout."""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import BUILD, ROOT, run, test  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import eval as evaluation  # noqa: E402
from eval_relay import Relay, _Framer  # noqa: E402

STANDIN = os.path.join(ROOT, "tests", "integration", "evalapp")


def target():
    """(arguments for eval.py, what they point at)."""
    demo = os.environ.get("MITSU_EVAL_DEMO", ROOT)
    build = os.environ.get("BUILD", os.path.join(demo, "build"))
    if os.path.exists(os.path.join(demo, "examples", "intranet", "confidential.sql")) and \
            os.path.exists(os.path.join(build, "examples", "intranet")):
        return ["--demo", demo], "the demo in %s" % demo
    return ["--demo", ROOT, "--run-script", os.path.join(STANDIN, "run.sh"),
            "--confidential-sql", os.path.join(STANDIN, "confidential.sql")], \
        "the stand-in %s/tests/evalapp (the demo is not built here)" % BUILD


_result = []


def evaluate(*extra, env=None):
    """eval.py --short --json on the target: (exit status, result)."""
    args, what = target()
    print("evaluating %s" % what, flush=True)
    env = dict(os.environ, **(env or {}))
    if "--run-script" in args:
        env["BUILD"] = os.path.abspath(BUILD)
    p = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "eval.py"), "--short",
                        "--json"] + args + list(extra), capture_output=True, text=True,
                       timeout=480, env=env)
    sys.stdout.write(p.stderr[-3000:])
    assert p.returncode in (0, 1), "eval.py could not run (exit %d)" % p.returncode
    return p.returncode, json.loads(p.stdout)


def short_run():
    """The short evaluation, run once and shared by the tests below."""
    if not _result:
        _, result = evaluate()
        for r in result["rows"]:
            print("  %-28s %5d requests, flagged after %s by %s, %d diverted, %d confidential"
                  % (r["tool"], r["requests"], r["flagged_after"], r["detector"],
                     r["diverted"], r["leaked"]))
        _result.append(result)
    return _result[0]


@test
def the_framer_counts_pipelined_requests_with_bodies():
    f = _Framer()
    assert f.feed(b"GET / HTTP/1.1\r\nHost: h\r\n\r\nPOST /login HTTP/1.1\r\n") == 1
    assert f.feed(b"Content-Length: 11\r\n\r\nuser=a&p=b") == 1
    assert f.feed(b"cGET /x HTTP/1.1\r\n\r\n") == 1  # the body's last byte, then a request


@test
def the_leak_search_finds_a_value_split_across_chunks():
    class Received:
        received = bytearray(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                             b"8\r\nCONFIDEN\r\n9\r\nTIAL-X-42\r\n0\r\n\r\n")
    found = evaluation.leaked(["CONFIDENTIAL-X-42", "CONFIDENTIAL-Y"], Received(), "/nonexistent")
    assert found == ["CONFIDENTIAL-X-42"], found


@test
def the_relay_bounds_requests_and_sends_from_its_address():
    import socket
    import threading
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    peers = []

    def serve():
        c, addr = srv.accept()
        peers.append(addr[0])
        c.recv(4096)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        c.close()
    threading.Thread(target=serve, daemon=True).start()
    relay = Relay(srv.getsockname(), "127.0.0.77", max_requests=1)
    s = socket.create_connection(("127.0.0.1", relay.port), timeout=5)
    s.sendall(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
    data = s.recv(4096)
    s.sendall(b"GET /2 HTTP/1.1\r\nHost: h\r\n\r\n")
    s.close()
    relay.close()
    srv.close()
    assert data.endswith(b"ok") and peers == ["127.0.0.77"], (data, peers)
    assert relay.requests() == 1


@test
def every_attack_tool_is_flagged():
    rows = [r for r in short_run()["rows"] if not r["benign"]]
    assert len(rows) >= 8, rows
    missed = ["%s (%d requests)" % (r["tool"], r["requests"]) for r in rows if not r["flagged"]]
    assert not missed, "not flagged: " + ", ".join(missed)
    assert all(r["requests"] > 0 and r["diverted"] > 0 for r in rows)


@test
def no_confidential_value_reaches_a_client_that_is_not_logged_in():
    result = short_run()
    assert result["confidential_values"] > 0
    leaks = ["%s: %s" % (r["tool"], r["leaked_values"][:3]) for r in result["rows"]
             if r["leaked"] and not r["authorized"]]
    assert not leaks, leaks


@test
def the_leak_search_sees_what_the_logged_in_user_was_shown():
    # The positive control: the demo user's own pages hold confidential values, and the search
    # finds them there; a search that finds nothing anywhere would prove nothing.
    user = [r for r in short_run()["rows"] if r["authorized"]]
    assert user and user[0]["leaked"] > 0, user


@test
def no_benign_client_is_flagged():
    rows = [r for r in short_run()["rows"] if r["benign"]]
    assert {r["tool"] for r in rows} == {"wget2 crawl", "wget2 crawl (logged in)", "normal user"}
    assert all(r["requests"] >= 5 for r in rows), rows
    flagged = ["%s by %s: %s" % (r["tool"], r["detector"], r["evidence"]) for r in rows
               if r["flagged"]]
    assert not flagged, flagged


@test
def the_demo_user_is_not_flagged_while_an_attack_runs():
    # hydra guesses her password meanwhile; gobuster and sqlmap share her application.
    rows = [r for r in short_run()["rows"] if not r["benign"]]
    assert all(r["bystander"] and r["bystander"]["requests"] >= 5 for r in rows), rows
    flagged = ["during %s, by %s: %s" % (r["tool"], r["bystander"]["detector"],
                                         r["bystander"]["evidence"])
               for r in rows if r["bystander"]["flagged"]]
    assert not flagged, flagged


@test
def with_the_honeypot_off_sqlmap_gets_the_real_data_and_the_evaluation_fails():
    # The negative control: the same sqlmap run against the same application with its honeypot
    # off dumps the real database, and the evaluation must see it. (Simulate mode would not
    # do: the demo shows a flagged client no rows rather than real ones.)
    rc, result = evaluate("--only", "sqlmap search", env={"MITSU_HONEYPOT_ENABLED": "false"})
    if result["work_dir"]:
        shutil.rmtree(result["work_dir"], ignore_errors=True)  # kept because the run failed
    row = result["rows"][0]
    assert not row["flagged"] and row["leaked"] > 0, row
    assert rc == 1 and any("confidential" in p for p in result["problems"]), result["problems"]


if __name__ == "__main__":
    missing = evaluation.missing_binaries()
    if missing:
        print("SKIP: the attack tools are not installed: %s (scripts/deps.sh test installs them)"
              % " ".join(missing))
        print("0 passed, 0 failed")
        sys.exit(0)
    if shutil.which("sqlite3") is None and "--run-script" in target()[0]:
        print("SKIP: the stand-in needs the sqlite3 command (scripts/deps.sh test installs it)")
        print("0 passed, 0 failed")
        sys.exit(0)
    run()
