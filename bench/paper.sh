#!/usr/bin/env bash
# bench/paper.sh: mitsu against the paper's prototype (Bottle on gunicorn, 2 sync workers), both
# doing the prototype's per-request work on the same SQLite files: a management-database look-up
# per request, 4xx counting, a real/decoy item route. Goal: mitsu >= 10x the prototype's
# requests/s. Then the latency of a diverted (decoy) request against a real one on mitsu.
# BENCH_PAPER_PARTS: "ratio latency" (default), or either alone. BENCH_PAPER_BIN: the mitsu app.
set -euo pipefail
parts=${BENCH_PAPER_PARTS:-ratio latency}
app=${BENCH_PAPER_BIN:-build/bench/paper}
proto=../shared/reference/paper-prototype
[ -f "$proto/seed_app.py" ] || { echo "bench/paper.sh: $proto is missing" >&2; exit 2; }
dir=$(mktemp -d /tmp/mitsu-paper-XXXXXX)
trap 'rm -rf "$dir"' EXIT
/usr/bin/python3 "$proto/seed_app.py" --init "$dir"

# The goal's measurement: each server gets one core (CPU 0) and wrk the other (CPU 1). wrk costs
# the same per request whichever server it loads, so on shared cores it takes a larger share from
# the faster server and caps the ratio; pinned, each server has exactly the same CPU. The
# prototype runs as shipped (2 sync workers), mitsu with one worker (one core).
[[ " $parts " == *" ratio "* ]] &&
BENCH_AB_WORKERS=1 BENCH_AB_CPUS=0 BENCH_AB_WRK_CPUS=1 bench/ab.sh \
    "paper prototype vs mitsu, one core each" 10 \
    "SEED_DIR=$dir gunicorn -w 2 -k sync -b 127.0.0.1:{PORT} --chdir $proto seed_app:app" / \
    "PAPER_DIR=$dir MITSU_JOURNAL_LOG=off MITSU_RATE_LIMIT=1000000 MITSU_RATE_BURST=1000000 $app" / &&
# For information: both cores shared by the server (2 workers) and wrk (2 threads).
BENCH_AB_WORKERS=2 BENCH_AB_CPUS=0,1 BENCH_AB_WRK_CPUS=0,1 BENCH_AB_WRK_ARGS=-t2 bench/ab.sh \
    "same, 2 workers, cores shared with wrk (info)" 0 \
    "SEED_DIR=$dir gunicorn -w 2 -k sync -b 127.0.0.1:{PORT} --chdir $proto seed_app:app" / \
    "PAPER_DIR=$dir MITSU_JOURNAL_LOG=off MITSU_RATE_LIMIT=1000000 MITSU_RATE_BURST=1000000 $app" /

[[ " $parts " == *" latency "* ]] || exit 0
# A real and a diverted client on the same route, each with its own client cookie.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# (wrk is a flood: the rate detector would flag the "real" client too, so its limit is lifted)
PAPER_DIR=$dir MITSU_JOURNAL_LOG=off MITSU_JOURNAL_DB=sqlite:$dir/journal.db \
    MITSU_RATE_LIMIT=1000000 MITSU_RATE_BURST=1000000 \
    MITSU_SERVER_LISTEN=127.0.0.1:$port MITSU_SERVER_WORKERS=1 \
    taskset -c 0 "$app" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
sid_of() { # a fresh client's id cookie, from its own source address
    curl -s --interface "$1" -D - -o /dev/null "http://127.0.0.1:$port/" |
        sed -n 's/^Set-Cookie: sid=\([0-9a-f]*\);.*/\1/p'
}
real_sid=$(sid_of 127.0.0.21)
attacker_sid=$(sid_of 127.0.0.22)
curl -s -o /dev/null --interface 127.0.0.22 -b "sid=$attacker_sid" "http://127.0.0.1:$port/.env"
latency() { # latency SID CONNECTIONS -> "req/s p50 p99"
    taskset -c 1 wrk -t1 -c"$2" -d"${BENCH_SECONDS:-5}" --latency -H "Cookie: sid=$1" \
        "http://127.0.0.1:$port/item/7" |
        awk '/^Requests\/sec:/ {r=$2} / 50%/ {p50=$2} / 99%/ {p99=$2} END {print int(r), p50, p99}'
}
# 16 connections saturate the one worker (a flood; the journal writer shares its core); one
# connection is a tool sending its requests one after another, as an attacker's usually do.
echo "decoy vs real latency on /item/7 (1 worker, interleaved):"
for conns in 16 1; do
    for round in 1 2; do
        read -r rr r50 r99 <<<"$(latency "$real_sid" "$conns")"
        read -r dr d50 d99 <<<"$(latency "$attacker_sid" "$conns")"
        printf '  %2d conn round %d  real: %7s req/s p50 %-8s p99 %-8s | decoy: %7s req/s p50 %-8s p99 %s\n' \
            "$conns" "$round" "$rr" "$r50" "$r99" "$dr" "$d50" "$d99"
    done
done
curl -s -b "sid=$attacker_sid" "http://127.0.0.1:$port/item/7" | grep -q decoy-secret ||
    echo "  warning: the attacker was not served from the decoy"
