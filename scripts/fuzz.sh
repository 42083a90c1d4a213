#!/bin/sh
# Runs each libFuzzer target for SECONDS, keeping its corpus in build/fuzz-corpus/NAME.
# A target's dictionary is fuzz/NAME.dict; the HTTP targets also get the shared h2o seeds and
# dictionary. Exit status non-zero if any target found a problem.
# Usage: scripts/fuzz.sh SECONDS BINARY...
set -eu
seconds=$1
shift
shared=../shared/conformance/h2o-fuzz
status=0
for bin in "$@"; do
    name=$(basename "$bin")
    corpus=build/fuzz-corpus/$name
    mkdir -p "$corpus" build/fuzz-artifacts
    dict=""
    seeds=""
    [ -f "fuzz/$name.dict" ] && dict="-dict=fuzz/$name.dict"
    case "$name" in
    fuzz_parser | fuzz_server)
        [ -z "$dict" ] && [ -f "$shared/http.dict" ] && dict="-dict=$shared/http.dict"
        [ -d "$shared/http1-corpus" ] && seeds="$shared/http1-corpus"
        ;;
    esac
    [ -d "fuzz/seeds/$name" ] && seeds="$seeds fuzz/seeds/$name"
    echo "== $name for ${seconds}s"
    # shellcheck disable=SC2086
    "$bin" $dict -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
        -artifact_prefix=build/fuzz-artifacts/"$name"- "$corpus" $seeds || status=1
done
exit $status
