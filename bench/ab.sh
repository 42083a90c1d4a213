#!/usr/bin/env bash
# bench/ab.sh: two mitsu servers measured against each other with wrk, interleaved rounds, median
# requests/s and server CPU nanoseconds per request of each, and the ratio B/A (the median of the
# rounds' own ratios, with their range; as wrk counted and at saturation) against a goal. For
# comparisons inside mitsu (200 routes against 1, honeypot on against off) where nginx is no
# reference.
#
#   bench/ab.sh TITLE GOAL 'ENV_A CMD_A' PATH_A 'ENV_B CMD_B' PATH_B
# e.g. bench/ab.sh "router: 200 routes vs 1" 0.95 \
#        'BENCH_ROUTES=1 build/bench/routes' /api/v100/users/4/posts/7 \
#        'BENCH_ROUTES=200 build/bench/routes' /api/v100/users/4/posts/7
# Environment: BENCH_SECONDS (default 5), BENCH_ROUNDS (3), BENCH_CONNECTIONS (64),
# BENCH_AB_WORKERS (1), BENCH_AB_CPUS (server CPUs, 0), BENCH_AB_WRK_CPUS (1), BENCH_AB_WRK_ARGS.
# A command holding "{PORT}" gets the port there (a server that is not mitsu). Exit 0 when both ran (the goal is reported, not asserted).
set -euo pipefail

title=$1 goal=$2 cmd_a=$3 path_a=$4 cmd_b=$5 path_b=$6
seconds=${BENCH_SECONDS:-5}
rounds=${BENCH_ROUNDS:-3}
conns=${BENCH_CONNECTIONS:-64}
workers=${BENCH_AB_WORKERS:-1}
pids=()
journals=$(mktemp -d /tmp/mitsu-ab-XXXXXX)
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$journals"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() { # start CMD PORT -> echo PID; "{PORT}" in CMD is replaced (for other servers)
    local cmd=${1//\{PORT\}/$2}
    # each server its own management database
    MITSU_SERVER_LISTEN=127.0.0.1:$2 MITSU_SERVER_WORKERS=$workers \
        MITSU_JOURNAL_DB=sqlite:$journals/$2.db \
        taskset -c "${BENCH_AB_CPUS:-0}" sh -c "exec env $cmd" >/dev/null 2>&1 &
    echo $!
}

wait_ready() { # wait_ready PORT PATH
    for _ in $(seq 100); do
        curl -sf -o /dev/null "http://127.0.0.1:$1$2" && return 0
        sleep 0.1
    done
    echo "bench/ab.sh: server on port $1 did not answer $2" >&2
    exit 2
}

tree() { # PID and its descendants (gunicorn's workers, say)
    echo "$1"
    for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do tree "$c"; done
}
cpu_ns() { # nanoseconds on a CPU of PID's process tree, every thread (schedstat: exact, where
           # /proc/PID/stat counts 10 ms ticks)
    local p
    for p in $(tree "$1"); do cat /proc/"$p"/task/*/schedstat 2>/dev/null; done |
        awk '{t += $1} END {printf "%.0f\n", t}'
}

# BENCH_AB_HEADERS: request header lines (one per line) wrk sends to both servers, a browser's,
# say. BENCH_AB_COOKIE=NAME: each server's NAME cookie, set on a first visit, is sent back on
# every request, as a browser does (a server that sets none gets 32 zeros, an id's length).
headers=()
while IFS= read -r line; do
    [ -n "$line" ] && headers+=(-H "$line")
done <<<"${BENCH_AB_HEADERS:-}"
cookie_of() { # cookie_of PORT PATH -> the -H option carrying the server's cookie, or nothing
    [ -n "${BENCH_AB_COOKIE:-}" ] || return 0
    local c
    c=$(curl -s -D - -o /dev/null "http://127.0.0.1:$1$2" |
        sed -n "s/^[Ss]et-[Cc]ookie: \(${BENCH_AB_COOKIE}=[^;]*\).*/\1/p" | tr -d '\r' | head -1)
    echo "Cookie: ${c:-$BENCH_AB_COOKIE=00000000000000000000000000000000}"
}

rate() { # rate PID PORT PATH [COOKIE-HEADER] -> "requests/s server-CPU-ns-per-request"
    local before after out cookie=()
    [ -n "${4:-}" ] && cookie=(-H "$4")
    before=$(cpu_ns "$1")
    out=$(taskset -c "${BENCH_AB_WRK_CPUS:-1}" wrk -t1 -c"$conns" -d"$seconds" ${BENCH_AB_WRK_ARGS:-} \
        "${headers[@]}" "${cookie[@]}" "http://127.0.0.1:$2$3")
    after=$(cpu_ns "$1")
    echo "$out" | awk -v t=$((after - before)) '
        / requests in / {n = $1}
        /^Requests\/sec:/ {r = int($2)}
        END {printf "%d %.0f\n", r, n ? t / n : 0}'
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

port_a=$(free_port) port_b=$(free_port)
pids+=("$(start "$cmd_a" "$port_a")") && pid_a=${pids[-1]}
pids+=("$(start "$cmd_b" "$port_b")") && pid_b=${pids[-1]}
wait_ready "$port_a" "$path_a"
wait_ready "$port_b" "$path_b"
cookie_a=$(cookie_of "$port_a" "$path_a")
cookie_b=$(cookie_of "$port_b" "$path_b")
ra=() rb=() ca=() cb=()
measure() { # measure a|b
    local r
    if [ "$1" = a ]; then
        r=$(rate "$pid_a" "$port_a" "$path_a" "$cookie_a"); ra+=("${r% *}"); ca+=("${r#* }")
    else
        r=$(rate "$pid_b" "$port_b" "$path_b" "$cookie_b"); rb+=("${r% *}"); cb+=("${r#* }")
    fi
}
for i in $(seq "$rounds"); do
    if [ $((i % 2)) -eq 1 ]; then measure a; measure b; else measure b; measure a; fi
done
a=$(printf '%s\n' "${ra[@]}" | median)
b=$(printf '%s\n' "${rb[@]}" | median)
cpu_a=$(printf '%s\n' "${ca[@]}" | median)
cpu_b=$(printf '%s\n' "${cb[@]}" | median)
# The ratio is the median of each round's own B/A: a round measures A and B back to back, so a
# drift of the shared machine over the run cancels within a round instead of landing on one side.
ratios=() extras=() capacities=()
for i in "${!ra[@]}"; do
    ratios+=("$(awk -v a="${ra[$i]}" -v b="${rb[$i]}" 'BEGIN {printf "%.3f", a ? b / a : 0}')")
    capacities+=("$(awk -v a="${ca[$i]}" -v b="${cb[$i]}" 'BEGIN {printf "%.3f", b ? a / b : 0}')")
    extras+=("$((cb[i] - ca[i]))")
done
ratio=$(printf '%s\n' "${ratios[@]}" | median)
# Requests/s a saturated server would give, B/A: the inverse ratio of CPU per request. When wrk
# cannot saturate the server (it shares the machine), the requests/s ratio is squeezed towards 1
# and this one still tells the servers apart.
capacity=$(printf '%s\n' "${capacities[@]}" | median)
# Both must reach the goal: a PASS never rests on a measurement wrk may have capped.
verdict=$(awk -v r="$ratio" -v c="$capacity" -v g="$goal" \
    'BEGIN {print (r >= g && c >= g) ? "PASS" : "MISS"}')
# What B costs per request beyond A, in server CPU nanoseconds (the honeypot's cost, say): the
# median of the rounds' differences.
extra=$(printf '%s\n' "${extras[@]}" | median | awk '{printf "%+d", $1}')
range() { sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END {print lo "-" hi}'; }
spread=$(printf '%s\n' "${ratios[@]}" | range)
cspread=$(printf '%s\n' "${capacities[@]}" | range)
printf '%-44s A %7s req/s %6s ns CPU/req | B %7s req/s %6s ns CPU/req (%s ns)\n' \
    "$title" "$a" "$cpu_a" "$b" "$cpu_b" "$extra"
printf '%-44s B/A req/s %s (rounds %s), at saturation %s (rounds %s)  goal >= %s  %s\n' \
    "" "$ratio" "$spread" "$capacity" "$cspread" "$goal" "$verdict"
kill "$pid_a" "$pid_b" 2>/dev/null || true
