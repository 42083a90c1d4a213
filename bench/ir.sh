#!/usr/bin/env bash
# bench/ir.sh: instructions the server executes per request, counted by callgrind over exactly N
# requests (bench/nreq.py) after a warm-up, so that comparisons hold on a busy machine where
# timings are noise. One worker; every thread of the server is counted.
#   bench/ir.sh 'ENV... CMD' PATH [N [nreq.py options...]]
# e.g. bench/ir.sh 'MITSU_HONEYPOT_ENABLED=false build/examples/hello' / 2000
# Prints "instructions/request: X" and leaves the profile in $BENCH_IR_OUT when set
# (callgrind_annotate it).
set -euo pipefail
cmd=$1 path=$2 n=${3:-2000}
shift $(( $# < 3 ? $# : 3 ))
dir=$(mktemp -d /tmp/mitsu-ir-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
envs=() bin=()
for w in $cmd; do
    if [ ${#bin[@]} -eq 0 ] && [[ $w == *=* ]]; then envs+=("$w"); else bin+=("$w"); fi
done
env MITSU_SERVER_LISTEN=127.0.0.1:$port MITSU_SERVER_WORKERS=1 MITSU_JOURNAL_DB=sqlite:$dir/j.db \
    "${envs[@]}" valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" "${bin[@]}" \
    >"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 300); do
    curl -s -o /dev/null "http://127.0.0.1:$port$path" && break
    sleep 0.2
done
python3 bench/nreq.py "$port" "$path" 200 "$@" >/dev/null   # warm-up: caches, first clients
callgrind_control -z "$pid" >/dev/null 2>&1
statuses=$(python3 bench/nreq.py "$port" "$path" "$n" "$@")
callgrind_control -d "$pid" >/dev/null 2>&1
sleep 0.5
out=$(ls -t "$dir"/cg.out* | head -1)
ir=$(awk '/^(summary|totals):/ {print $2; exit}' "$out")
[ -n "${BENCH_IR_OUT:-}" ] && cp "$out" "$BENCH_IR_OUT"
echo "statuses: $statuses"
awk -v ir="$ir" -v n="$n" 'BEGIN {printf "instructions/request: %.0f\n", ir / n}'
