#!/bin/sh
# Runs every test suite and ends with one line: "N passed, N failed" (the total).
# Suites: unit tests (Criterion), the same under ASan+UBSan, integration tests (Python over
# raw sockets and curl), and a short run of every fuzz target.
# Environment: FUZZ_TEST_SECONDS (default 30) per fuzz target; SKIP_SLOW=1 skips slowhttptest.
set -u
BUILD=${BUILD:-build}
PY=/usr/bin/python3
FUZZ_TEST_SECONDS=${FUZZ_TEST_SECONDS:-30}
total_pass=0
total_fail=0
log_dir=$BUILD/test-logs
mkdir -p "$log_dir"

# A throwaway PostgreSQL for the suites that run against both backends.
pg_dir=$(mktemp -d /tmp/mitsu-pg-XXXXXX)
rmdir "$pg_dir"
if MITSU_TEST_PG_URL=$(scripts/pg-test-server.sh start "$pg_dir" 2>"$log_dir/postgresql.log"); then
    export MITSU_TEST_PG_URL
    trap 'scripts/pg-test-server.sh stop "$pg_dir" >/dev/null 2>&1' EXIT
    echo "PostgreSQL for the tests: $MITSU_TEST_PG_URL"
else
    echo "--- could not start PostgreSQL:"; tail -n 5 "$log_dir/postgresql.log"
    total_fail=$((total_fail + 1))
fi

add() { # add PASSED FAILED SUITE
    total_pass=$((total_pass + $1))
    total_fail=$((total_fail + $2))
    printf '%-40s %5d passed, %d failed\n' "$3" "$1" "$2"
}

# Criterion prints "Synthesis: Tested: T | Passing: P | Failing: F | Crashing: C".
run_criterion() {
    bin=$1
    name=$2
    log="$log_dir/$(echo "$name" | tr / -).log"
    "$bin" --jobs=2 >"$log" 2>&1
    rc=$?
    line=$(grep 'Synthesis:' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "--- $name: no summary (exit $rc); log tail:"; tail -n 20 "$log"
        add 0 1 "$name"
        return
    fi
    p=$(echo "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
    f=$(echo "$line" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
    c=$(echo "$line" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
    f=$((f + c))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    # Criterion counts a test as passed even when LeakSanitizer reports on it afterwards.
    leaks=$(grep -c 'SUMMARY: .*Sanitizer' "$log")
    if [ "$leaks" -gt 0 ]; then
        echo "--- $name: sanitizer reports"; grep -A 12 'ERROR: .*Sanitizer' "$log" | head -n 40
        f=$((f + leaks))
    fi
    [ "$f" -gt 0 ] && { echo "--- $name failures:"; grep -E 'FAIL|CRASH|Assertion|error' "$log" | head -n 30; }
    add "$p" "$f" "$name"
}

# Our Python suites end with "N passed, N failed".
run_python() {
    script=$1
    name=$(basename "$script" .py)
    log="$log_dir/$(echo "$name" | tr / -).log"
    timeout 600 "$PY" "$script" >"$log" 2>&1
    rc=$?
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "--- $name: no summary (exit $rc); log tail:"; tail -n 30 "$log"
        add 0 1 "$name"
        return
    fi
    p=${line%% passed*}
    f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    [ "$f" -gt 0 ] && { echo "--- $name failures:"; grep -A 12 '^FAIL' "$log" | head -n 60; }
    add "$p" "$f" "$name"
}

# A fuzz target passes when it runs its time without finding anything.
run_fuzz() {
    bin=$1
    name=$(basename "$bin")
    log="$log_dir/$name.log"
    scripts/fuzz.sh "$FUZZ_TEST_SECONDS" "$bin" >"$log" 2>&1
    rc=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
    if [ "$rc" -eq 0 ]; then
        add 1 0 "$name (${execs:-?} runs)"
    else
        echo "--- $name found a problem:"; grep -E 'ERROR|SUMMARY|abort|Test unit written' "$log" | head -n 10
        add 0 1 "$name"
    fi
}

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] && run_criterion "$t" "$(basename "$t")"
done
for t in "$BUILD"/tests-asan/test_*; do
    [ -x "$t" ] && run_criterion "$t" "asan/$(basename "$t")"
done
for t in tests/integration/test_*.py; do
    case "$t" in *slowhttp*) [ "${SKIP_SLOW:-0}" = 1 ] && continue ;; esac
    run_python "$t"
done
for t in "$BUILD"/fuzz/fuzz_*; do
    [ -x "$t" ] && run_fuzz "$t"
done

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
