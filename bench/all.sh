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
# would measure an attacker's path (the line after these). A normal client's path is what the
# goal is about. The honeypot's part is a few percent: many short interleaved rounds, and the
# same comparison of two identical servers first, to show what "equal" looks like in this run.
off='MITSU_HONEYPOT_ENABLED=false MITSU_JOURNAL_LOG=off build/examples/hello'
on='MITSU_RATE_LIMIT=1000000 MITSU_RATE_BURST=1000000 MITSU_JOURNAL_LOG=off build/examples/hello'
hp_rounds() { BENCH_SECONDS=${BENCH_HP_SECONDS:-2} BENCH_ROUNDS=${BENCH_HP_ROUNDS:-31} bench/ab.sh "$@"; }
hp_rounds "A/A: the honeypot off against itself (noise)" 0.97 "$off" / "$off" /
hp_rounds "honeypot: on vs off, wrk's request" 0.97 "$off" / "$on" /
(
    export BENCH_AB_COOKIE=sid BENCH_AB_HEADERS='User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8
Accept-Language: en-US,en;q=0.5
Accept-Encoding: gzip, deflate, br'
    hp_rounds "honeypot: on vs off, a browser's request" 0.97 "$off" / "$on" /
)
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
