#!/bin/sh
# make bench: every benchmark, each a ratio against a reference measured in the same run.
set -eu
echo "== HTTP core: mitsu vs nginx (the honeypot off: this measures the HTTP layer)"
MITSU_HONEYPOT_ENABLED=false MITSU_JOURNAL_LOG=off bench/run.sh
echo
echo "== Comparisons inside mitsu (B/A, requests/s, interleaved rounds)"
bench/ab.sh "router: 2-param route among 200 vs alone" 0.95 \
    'MITSU_HONEYPOT_ENABLED=false BENCH_ROUTES=1 build/bench/routes' /api/v100/users/4/posts/7 \
    'MITSU_HONEYPOT_ENABLED=false BENCH_ROUTES=200 build/bench/routes' /api/v100/users/4/posts/7
# wrk is one client at a flood's pace: the rate detector would flag it at once, and then this
# would measure an attacker's path (next line). A normal client's path is what the goal is about.
bench/ab.sh "honeypot: on (every detector, normal client) vs off" 0.97 \
    'MITSU_HONEYPOT_ENABLED=false MITSU_JOURNAL_LOG=off build/examples/hello' / \
    'MITSU_RATE_LIMIT=1000000 MITSU_RATE_BURST=1000000 MITSU_JOURNAL_LOG=off build/examples/hello' /
bench/ab.sh "honeypot: an attacker's path (diverted, every request recorded) vs off" 0 \
    'MITSU_HONEYPOT_ENABLED=false MITSU_JOURNAL_LOG=off build/examples/hello' / \
    'MITSU_JOURNAL_LOG=off build/examples/hello' /
echo
echo "== Databases: one-row SELECT by key through mitsu_db vs the raw sqlite3 API (goal: >= 0.90)"
build/bench/db_bench "${BENCH_DB_ITERATIONS:-300000}"
echo
echo "== Memory per tracked client (goal: <= 256 bytes)"
build/bench/client_mem
echo
echo "== The paper's prototype on gunicorn vs mitsu doing the same work; decoy vs real latency"
bench/paper.sh
echo
echo "== Recording: records/s into SQLite (goal: >= 100,000/s) and the loss after kill -9"
build/bench/journal_bench 3
