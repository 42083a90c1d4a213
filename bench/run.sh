#!/usr/bin/env bash
# bench/run.sh: mitsu (build/examples/hello) vs nginx on loopback, with wrk.
#
# For each worker count both servers are started side by side, then measured
# in interleaved rounds (mitsu, nginx | nginx, mitsu | ...); the median of
# the rounds is reported per server, with the ratio mitsu/nginx and the goals.
# See bench/README.md for what is measured and how to read the output.
#
# Environment (all optional):
#   BENCH_SECONDS=5        seconds per wrk run (whole seconds, wrk's limit)
#   BENCH_ROUNDS=3         interleaved rounds per server and worker count
#   BENCH_WORKERS="1 2"    worker counts to measure
#   BENCH_CONNECTIONS=64   wrk connections
#   BENCH_PIPELINE=16      requests per pipelined batch
#   BENCH_WARMUP=1         seconds of unrecorded warm-up per server (0: none)
#   BENCH_PIN=auto         auto|1|0: 1-worker runs pin the server to CPU 0 and
#                          wrk (1 thread) to CPU 1; auto = when >= 2 CPUs
#   BENCH_TARGET_CMD       server under test (default build/examples/hello;
#                          relative paths are from the repo root);
#                          run as `sh -c "exec $BENCH_TARGET_CMD"` with
#                          MITSU_SERVER_LISTEN / MITSU_SERVER_WORKERS set.
#                          "@nginx" runs a second nginx instead (A/A check of
#                          the harness: all ratios should come out near 1).
#   BENCH_KEEP_TMP=1       keep the temp dir (configs, logs, raw results)
#
# Exit status: 0 when everything ran (goals are reported, not asserted);
# non-zero when a server or wrk failed to start or run.

set -u

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
cd "$BENCH_DIR/.." || exit 2    # run from the repo root, wherever called from

SECONDS_PER_RUN=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
WORKER_COUNTS=${BENCH_WORKERS:-1 2}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
DEPTH=${BENCH_PIPELINE:-16}
WARMUP=${BENCH_WARMUP:-1}
PIN=${BENCH_PIN:-auto}
TARGET_CMD=${BENCH_TARGET_CMD:-build/examples/hello}

# goals: mitsu/nginx ratio to reach, per metric
GOAL_RPS=1.0
GOAL_CPU=1.2
GOAL_PIPE=4.0

EXPECTED_BODY="Hello, World!"
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)

TMP=""
STARTED_PIDS=""        # every server / wrk we started, for the EXIT trap
RESULTS=""             # raw results file: workers server metric round value

# ---------------------------------------------------------------- helpers

log()  { printf '%s\n' "$*"; }
warn() { printf 'bench: warning: %s\n' "$*" >&2; }
die()  { printf 'bench: error: %s\n' "$*" >&2; exit 2; }

# at_least VALUE MIN: VALUE is a whole number >= MIN
at_least() {
    case $1 in '' | *[!0-9]*) return 1 ;; esac
    [ "$1" -ge "$2" ]
}

check_config() {
    at_least "$SECONDS_PER_RUN" 1 || die "BENCH_SECONDS must be a whole number >= 1 (wrk takes whole seconds)"
    at_least "$ROUNDS" 1 || die "BENCH_ROUNDS must be >= 1"
    at_least "$CONNECTIONS" 2 || die "BENCH_CONNECTIONS must be >= 2"
    at_least "$DEPTH" 2 || die "BENCH_PIPELINE must be >= 2"
    at_least "$WARMUP" 0 || die "BENCH_WARMUP must be a whole number"
    local w
    for w in $WORKER_COUNTS; do
        at_least "$w" 1 || die "BENCH_WORKERS: bad worker count '$w'"
    done
    case $PIN in
        auto) if [ "$NCPU" -ge 2 ]; then PIN=1; else PIN=0; fi ;;
        0 | 1) ;;
        *) die "BENCH_PIN must be auto, 0 or 1" ;;
    esac
    local tool
    for tool in wrk nginx taskset python3 pgrep getconf; do
        command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found (make bench installs it: scripts/deps.sh bench)"
    done
    if [ "$TARGET_CMD" = build/examples/hello ] && [ ! -x build/examples/hello ]; then
        die "build/examples/hello not found: run 'make all' first"
    fi
}

# Kill what we started, by PID: TERM, then KILL after 5 s.
cleanup() {
    local pid
    for pid in $STARTED_PIDS; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in $STARTED_PIDS; do
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    STARTED_PIDS=""
    if [ -n "$TMP" ] && [ -d "$TMP" ]; then
        if [ "${BENCH_KEEP_TMP:-0}" = 1 ]; then
            log "bench: temp dir kept: $TMP"
        else
            rm -rf "$TMP"
        fi
    fi
}

forget_pid() {
    local p out=""
    for p in $STARTED_PIDS; do [ "$p" = "$1" ] || out="$out $p"; done
    STARTED_PIDS=$out
}

# Two distinct free loopback ports (both sockets held open while picking).
free_ports() {
    python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))
'
}

# wait_port PID PORT: until PORT accepts a connection (10 s); fails if PID dies.
wait_port() {
    local pid=$1 port=$2
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || return 1
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# check_hello PORT: GET / must answer 200 "Hello, World!".
check_hello() {
    python3 - "$1" "$EXPECTED_BODY" <<'EOF'
import http.client, sys
port, want = int(sys.argv[1]), sys.argv[2].encode()
c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
c.request("GET", "/")
r = c.getresponse()
body = r.read()
if r.status != 200 or body != want:
    sys.exit("GET / on port %d: status %d, body %r (want 200 %r)" % (port, r.status, body, want))
EOF
}

# CPU time (utime+stime+cutime+cstime, clock ticks) of PID and all its
# descendants: for nginx master + workers, for mitsu the one process (whose
# /proc/PID/stat already sums all its threads). Result in $CPU_TICKS.
tree_pids() {
    local c
    echo "$1"
    for c in $(pgrep -P "$1" 2>/dev/null); do tree_pids "$c"; done
}
cpu_ticks() {
    local p line total=0
    for p in $(tree_pids "$1"); do
        read -r line 2>/dev/null <"/proc/$p/stat" || continue
        line=${line##*) }       # drop "pid (comm) ", comm may contain spaces
        # shellcheck disable=SC2086
        set -- $line            # $1 = state, ... $12 utime $13 stime $14 cutime $15 cstime
        total=$((total + ${12} + ${13} + ${14} + ${15}))
    done
    CPU_TICKS=$total
}

# Busy CPU ticks of the whole machine (user nice system irq softirq, all
# CPUs) from /proc/stat, in $ALL_TICKS.
machine_ticks() {
    local _cpu user nice sys _idle _iowait irq softirq _rest
    read -r _cpu user nice sys _idle _iowait irq softirq _rest </proc/stat
    ALL_TICKS=$((user + nice + sys + irq + softirq))
}

# CPU ticks of this shell's reaped children (i.e. wrk, once waited for).
self_child_ticks() {
    local line
    read -r line <"/proc/$$/stat"
    line=${line##*) }
    # shellcheck disable=SC2086
    set -- $line
    SELF_TICKS=$((${14} + ${15}))
}

# ---------------------------------------------------------------- servers

# start_nginx NAME WORKERS PORT CPUSET: sets SERVER_PID
start_nginx() {
    local name=$1 workers=$2 port=$3 cpus=$4 dir="$TMP/$1"
    local user_line="" listen_opts=""
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && user_line="user root;"
    [ "$workers" -gt 1 ] && listen_opts="reuseport"
    sed -e "s|@USER_LINE@|$user_line|" \
        -e "s|@WORKERS@|$workers|" \
        -e "s|@DIR@|$dir|g" \
        -e "s|@LISTEN@|127.0.0.1:$port|" \
        -e "s|@LISTEN_OPTS@|$listen_opts|" \
        "$BENCH_DIR/nginx.conf.in" >"$dir/nginx.conf"
    # shellcheck disable=SC2086
    $cpus nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" \
        >"$dir/stdout.log" 2>&1 &
    SERVER_PID=$!
    STARTED_PIDS="$STARTED_PIDS $SERVER_PID"
}

# start_target NAME WORKERS PORT CPUSET: sets SERVER_PID
start_target() {
    local name=$1 workers=$2 port=$3 cpus=$4 dir="$TMP/$1"
    if [ "$TARGET_CMD" = "@nginx" ]; then
        start_nginx "$@"
        return
    fi
    mkdir -p "$dir"
    # shellcheck disable=SC2086
    MITSU_SERVER_LISTEN="127.0.0.1:$port" MITSU_SERVER_WORKERS="$workers" \
        $cpus sh -c "exec $TARGET_CMD" >"$dir/stdout.log" 2>"$dir/stderr.log" &
    SERVER_PID=$!
    STARTED_PIDS="$STARTED_PIDS $SERVER_PID"
}

# ready NAME PID PORT: wait for the port, then check GET /.
ready() {
    local name=$1 pid=$2 port=$3
    if ! wait_port "$pid" "$port"; then
        if kill -0 "$pid" 2>/dev/null; then
            warn "$name (pid $pid) not listening on 127.0.0.1:$port after 10 s; its output:"
        else
            wait "$pid"
            warn "$name (pid $pid) exited with status $? before listening; its output:"
        fi
        tail -n 20 "$TMP/$name"/*.log >&2 2>/dev/null
        return 1
    fi
    check_hello "$port" || return 1
    # mitsu announces its URL on stdout once ready; say so if it did not.
    if [ "$name" = mitsu ] && [ "$TARGET_CMD" != "@nginx" ]; then
        for _ in $(seq 20); do
            grep -q "$port" "$TMP/$name/stdout.log" 2>/dev/null && break
            sleep 0.1
        done
        grep -q "$port" "$TMP/$name/stdout.log" 2>/dev/null ||
            warn "$name printed no line with its URL on stdout (unflushed?)"
    fi
}

# stop_server NAME PID: SIGTERM, wait up to 5 s, report a non-zero exit.
stop_server() {
    local name=$1 pid=$2 rc
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        warn "$name (pid $pid) still running 5 s after SIGTERM; killing it"
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    rc=$?
    forget_pid "$pid"
    [ "$rc" = 0 ] || warn "$name exited with status $rc on SIGTERM"
}

# ---------------------------------------------------------------- wrk

# run_wrk PORT THREADS CPUSET DURATION DEPTH: runs wrk, measuring the CPU time
# of the server tree SERVER_PID over the run. Sets R_REQ R_DUR_US R_P99_US
# R_ERR R_SRV_TICKS R_WRK_TICKS R_OTHER_TICKS (busy CPU of the machine not
# charged to the server or wrk: other processes, and kernel softirq work);
# returns non-zero if wrk failed.
run_wrk() {
    local port=$1 threads=$2 cpus=$3 duration=$4 depth=$5 out="$TMP/wrk.out"
    local pid rc before self_before all_before line
    cpu_ticks "$SERVER_PID"; before=$CPU_TICKS
    self_child_ticks; self_before=$SELF_TICKS
    machine_ticks; all_before=$ALL_TICKS
    # shellcheck disable=SC2086
    $cpus wrk -t "$threads" -c "$CONNECTIONS" -d "${duration}s" --latency \
        -s "$BENCH_DIR/pipeline.lua" "http://127.0.0.1:$port/" -- "$depth" \
        >"$out" 2>&1 &
    pid=$!
    STARTED_PIDS="$STARTED_PIDS $pid"
    wait "$pid"
    rc=$?
    forget_pid "$pid"
    cpu_ticks "$SERVER_PID"; R_SRV_TICKS=$((CPU_TICKS - before))
    self_child_ticks; R_WRK_TICKS=$((SELF_TICKS - self_before))
    machine_ticks; R_OTHER_TICKS=$((ALL_TICKS - all_before - R_SRV_TICKS - R_WRK_TICKS))
    [ "$R_OTHER_TICKS" -lt 0 ] && R_OTHER_TICKS=0
    line=$(grep '^BENCH_RESULT ' "$out")
    if [ "$rc" != 0 ] || [ -z "$line" ]; then
        warn "wrk failed (status $rc):"
        cat "$out" >&2
        return 1
    fi
    # shellcheck disable=SC2086
    set -- ${line#BENCH_RESULT }
    local kv k v errs=0
    for kv in "$@"; do
        k=${kv%%=*} v=${kv#*=}
        case $k in
            requests) R_REQ=$v ;;
            duration_us) R_DUR_US=$v ;;
            p99_us) R_P99_US=$v ;;
            *) errs=$((errs + v)) ;;
        esac
    done
    R_ERR=$errs
    if [ "$R_REQ" = 0 ]; then
        warn "wrk completed no request on port $port:"
        cat "$out" >&2
        return 1
    fi
}

# fmt helpers (awk does the floating point)
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

record() { # workers server metric round value
    printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"
}

# measure NAME PORT WORKERS ROUND KIND(ka|pipe)
measure() {
    local name=$1 port=$2 workers=$3 round=$4 kind=$5
    local depth=1 rps p99 rpc srv wrk_cpu other
    [ "$kind" = pipe ] && depth=$DEPTH
    SERVER_PID=${PIDS[$name]}
    run_wrk "$port" "$WRK_THREADS" "$WRK_CPUS" "$SECONDS_PER_RUN" "$depth" || return 1
    rps=$(calc '%.0f' "$R_REQ / ($R_DUR_US / 1e6)")
    srv=$(calc '%.0f' "100 * $R_SRV_TICKS / $CLK_TCK / ($R_DUR_US / 1e6)")
    wrk_cpu=$(calc '%.0f' "100 * $R_WRK_TICKS / $CLK_TCK / ($R_DUR_US / 1e6)")
    other=$(calc '%.0f' "100 * $R_OTHER_TICKS / $CLK_TCK / ($R_DUR_US / 1e6)")
    record "$workers" "$name" other "$round" "$other"
    if [ "$R_SRV_TICKS" -gt 0 ]; then
        rpc=$(calc '%.0f' "$R_REQ / ($R_SRV_TICKS / $CLK_TCK)")
    else
        rpc=nan
    fi
    if [ "$kind" = ka ]; then
        p99=$(calc '%.3f' "$R_P99_US / 1000")
        record "$workers" "$name" rps "$round" "$rps"
        record "$workers" "$name" p99 "$round" "$p99"
        record "$workers" "$name" rpc "$round" "$rpc"
        record "$workers" "$name" cpu "$round" "$srv"
        record "$workers" "$name" wcpu "$round" "$wrk_cpu"
        printf '  %-5s keep-alive  %8s req/s  p99 %7s ms  %8s req/CPU-s  CPU%%: server %3s wrk %3s other %3s' \
            "$name" "$rps" "$p99" "$rpc" "$srv" "$wrk_cpu" "$other"
    else
        record "$workers" "$name" pipe "$round" "$rps"
        record "$workers" "$name" pipe_rpc "$round" "$rpc"
        record "$workers" "$name" pipe_cpu "$round" "$srv"
        record "$workers" "$name" pipe_wcpu "$round" "$wrk_cpu"
        printf '  %-5s pipelined   %8s req/s                 %8s req/CPU-s  CPU%%: server %3s wrk %3s other %3s' \
            "$name" "$rps" "$rpc" "$srv" "$wrk_cpu" "$other"
    fi
    [ "$R_ERR" -gt 0 ] && printf '  (%s errors)' "$R_ERR"
    printf '\n'
    record "$workers" "$name" err "$round" "$R_ERR"
}

# ---------------------------------------------------------------- summary

# median WORKERS SERVER METRIC
median() {
    awk -F'\t' -v w="$1" -v s="$2" -v m="$3" \
        '$1 == w && $2 == s && $3 == m && $5 != "nan" { print $5 }' "$RESULTS" |
        sort -g |
        awk '{ v[NR] = $1 } END {
                if (NR == 0) { print "nan"; exit }
                if (NR % 2) print v[(NR + 1) / 2]
                else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

total_errors() {
    awk -F'\t' -v w="$1" -v s="$2" '$1 == w && $2 == s && $3 == "err" { t += $5 } END { print t + 0 }' "$RESULTS"
}

# bound_tag WORKERS KIND(ka|pipe): what limited mitsu's throughput, judged
# from the median CPU use of mitsu and of wrk during mitsu's runs.
bound_tag() {
    local w=$1 p="" srv wrk
    [ "$2" = pipe ] && p=pipe_
    srv=$(median "$w" mitsu "${p}cpu")
    wrk=$(median "$w" mitsu "${p}wcpu")
    if [ "$w" = 1 ] && [ "$PIN" = 1 ]; then
        # wrk alone on CPU 1, server alone on CPU 0
        awk -v s="$srv" -v c="$wrk" 'BEGIN {
            if (c >= 90) print "  [wrk-bound: wrk " c "% of its CPU]";
            else if (s >= 90) print "  [server-bound]" }'
    else
        awk -v s="$srv" -v c="$wrk" -v n="$NCPU" 'BEGIN {
            if (s + c >= 90 * n) print "  [CPU-bound: server " s "% + wrk " c "% of " n " CPUs]" }'
    fi
}

# Runs during which the rest of the machine used a lot of CPU (other
# processes, unattributed kernel work): their req/s are not trustworthy.
noise_note() {
    awk -F'\t' '$3 == "other" && $5 + 0 >= 30 { n++; if ($5 + 0 > max) max = $5 + 0 }
        END { if (n) printf "note: %d run(s) saw >= 30%% CPU used outside server and wrk (max %d%%):" \
              " the machine was busy, req/s and p99 are noisy; req per CPU-s holds up best.\n", n, max }' "$RESULTS"
}

# row LABEL WORKERS METRIC FORMAT GOAL(or -) DIRECTION(higher|lower|info) [TAG]
row() {
    local label=$1 w=$2 metric=$3 fmt=$4 goal=$5 dir=$6 tag=${7:-} m n ratio verdict
    m=$(median "$w" mitsu "$metric")
    n=$(median "$w" nginx "$metric")
    ratio=$(awk -v m="$m" -v n="$n" 'BEGIN { if (m == "nan" || n == "nan" || n + 0 == 0) print "n/a"; else printf "%.2fx", m / n }')
    if [ "$goal" = - ]; then
        verdict=""
        [ "$dir" = info ] || verdict="($dir is better)"
    elif [ "$ratio" = n/a ]; then
        verdict=">= ${goal}x  MISS"
        MISSES=$((MISSES + 1))
    elif awk -v r="${ratio%x}" -v g="$goal" 'BEGIN { exit !(r + 0 >= g + 0) }'; then
        verdict=">= ${goal}x  PASS"
    else
        verdict=">= ${goal}x  MISS"
        MISSES=$((MISSES + 1))
    fi
    printf '%-7s  %-26s %12s %12s %11s   %s\n' "$w" "$label" \
        "$(awk -v v="$m" "BEGIN { if (v == \"nan\") print \"n/a\"; else printf \"$fmt\", v }")" \
        "$(awk -v v="$n" "BEGIN { if (v == \"nan\") print \"n/a\"; else printf \"$fmt\", v }")" \
        "$ratio" "$verdict$tag"
}

summary() {
    local w e_m e_n
    MISSES=0
    log ""
    log "=== mitsu vs nginx: median of $ROUNDS round(s) x ${SECONDS_PER_RUN}s, $CONNECTIONS connections, loopback ==="
    [ "$TARGET_CMD" != build/examples/hello ] && log "    (mitsu = $TARGET_CMD)"
    printf '%-7s  %-26s %12s %12s %11s   %s\n' workers metric mitsu nginx mitsu/nginx goal
    printf '%-7s  %-26s %12s %12s %11s   %s\n' ------- -------------------------- ------------ ------------ ----------- ----------------
    for w in $WORKER_COUNTS; do
        row "req/s (keep-alive)" "$w" rps '%.0f' "$GOAL_RPS" higher "$(bound_tag "$w" ka)"
        row "p99 latency ms (k-a)" "$w" p99 '%.3f' - lower
        row "req per server CPU-s" "$w" rpc '%.0f' "$GOAL_CPU" higher
        row "req/s (pipelined x$DEPTH)" "$w" pipe '%.0f' "$GOAL_PIPE" higher "$(bound_tag "$w" pipe)"
        row "server CPU % (k-a)" "$w" cpu '%.0f' - info
        row "req per CPU-s (pipelined)" "$w" pipe_rpc '%.0f' - higher
        row "server CPU % (pipelined)" "$w" pipe_cpu '%.0f' - info
        e_m=$(total_errors "$w" mitsu)
        e_n=$(total_errors "$w" nginx)
        if [ "$e_m" != 0 ] || [ "$e_n" != 0 ]; then
            printf '%-7s  %-26s %12s %12s\n' "$w" "wrk errors (all runs)" "$e_m" "$e_n"
        fi
    done
    log ""
    noise_note
    if [ "$MISSES" = 0 ]; then
        log "goals: all met"
    else
        log "goals: $MISSES missed (reported, not asserted)"
    fi
}

# ---------------------------------------------------------------- main

# bench_workers WORKERS: start both servers, interleave the rounds, stop them.
bench_workers() {
    local w=$1 pm pn srv_cpus="" r kind name order
    WRK_THREADS=$(( w < NCPU ? w : NCPU ))
    WRK_CPUS=""
    if [ "$w" = 1 ] && [ "$PIN" = 1 ]; then
        srv_cpus="taskset -c 0"
        WRK_CPUS="taskset -c 1"
        WRK_THREADS=1
    fi
    read -r pm pn <<<"$(free_ports)"
    PORTS=([mitsu]=$pm [nginx]=$pn)
    start_target mitsu "$w" "$pm" "$srv_cpus"; PIDS[mitsu]=$SERVER_PID
    start_nginx nginx "$w" "$pn" "$srv_cpus"; PIDS[nginx]=$SERVER_PID
    ready mitsu "${PIDS[mitsu]}" "$pm" || die "mitsu server did not come up"
    ready nginx "${PIDS[nginx]}" "$pn" || die "nginx did not come up"

    log ""
    log "--- $w worker(s): mitsu pid ${PIDS[mitsu]} on :$pm, nginx pid ${PIDS[nginx]} on :$pn;" \
        "wrk -t$WRK_THREADS -c$CONNECTIONS${WRK_CPUS:+ pinned to CPU 1, servers to CPU 0}"
    if [ "$WARMUP" -gt 0 ]; then
        for name in mitsu nginx; do
            SERVER_PID=${PIDS[$name]}
            run_wrk "${PORTS[$name]}" "$WRK_THREADS" "$WRK_CPUS" "$WARMUP" 1 ||
                die "warm-up against $name failed"
        done
    fi
    for r in $(seq "$ROUNDS"); do
        # alternate who goes first (m n | n m | m n ...) so a drift in the
        # machine's speed does not favour one server
        order="mitsu nginx"
        [ $((r % 2)) = 0 ] && order="nginx mitsu"
        log " round $r/$ROUNDS"
        for kind in ka pipe; do
            for name in $order; do
                measure "$name" "${PORTS[$name]}" "$w" "$r" "$kind" || die "wrk run against $name failed"
            done
        done
    done
    stop_server mitsu "${PIDS[mitsu]}"
    stop_server nginx "${PIDS[nginx]}"
}

main() {
    check_config
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/mitsu-bench.XXXXXX") || die "mktemp failed"
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    RESULTS="$TMP/results.tsv"
    : >"$RESULTS"
    declare -gA PIDS=() PORTS=()

    local w runs=0
    for w in $WORKER_COUNTS; do runs=$((runs + 1)); done
    log "bench: $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2), $(nginx -v 2>&1 | sed 's/.*: //'), $NCPU CPU(s)," \
        "~$(( runs * (ROUNDS * 4 * SECONDS_PER_RUN + 2 * WARMUP) ))s of load"
    log "bench: mitsu = $TARGET_CMD"
    for w in $WORKER_COUNTS; do
        bench_workers "$w"
    done
    summary
}

main "$@"
