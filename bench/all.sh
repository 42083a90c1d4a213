#!/bin/sh
# make bench: every benchmark, each a ratio against a reference measured in the same run.
set -eu
echo "== HTTP core: mitsu vs nginx"
bench/run.sh
echo
echo "== Comparisons inside mitsu (B/A, requests/s, interleaved rounds)"
bench/ab.sh "router: 2-param route among 200 vs alone" 0.95 \
    'BENCH_ROUTES=1 build/bench/routes' /api/v100/users/4/posts/7 \
    'BENCH_ROUTES=200 build/bench/routes' /api/v100/users/4/posts/7
bench/ab.sh "honeypot: on (every default detector) vs off" 0.97 \
    'MITSU_HONEYPOT_ENABLED=false MITSU_JOURNAL_LOG=off build/examples/hello' / \
    'MITSU_HONEYPOT_ENABLED=true MITSU_JOURNAL_LOG=off build/examples/hello' /
echo
echo "== Databases: one-row SELECT by key through mitsu_db vs the raw sqlite3 API (goal: >= 0.90)"
build/bench/db_bench "${BENCH_DB_ITERATIONS:-300000}"
echo
echo "== Memory per tracked client (goal: <= 256 bytes)"
build/bench/client_mem
echo
echo "== The paper's prototype on gunicorn vs mitsu doing the same work; decoy vs real latency"
bench/paper.sh
