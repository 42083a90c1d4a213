#!/bin/sh
# make fuzz: runs each libFuzzer target for SECONDS, keeping its corpus in build/fuzz-corpus.
set -eu
seconds=$1
shift
status=0
for bin in "$@"; do
    name=$(basename "$bin")
    corpus=build/fuzz-corpus/$name
    mkdir -p "$corpus" build/fuzz-artifacts
    dict=""
    [ -f ../shared/conformance/h2o-fuzz/http.dict ] && dict="-dict=../shared/conformance/h2o-fuzz/http.dict"
    seeds=""
    [ -d ../shared/conformance/h2o-fuzz/http1-corpus ] && seeds=../shared/conformance/h2o-fuzz/http1-corpus
    echo "== $name for ${seconds}s"
    # shellcheck disable=SC2086
    "$bin" $dict -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix=build/fuzz-artifacts/"$name"- "$corpus" $seeds || status=1
done
exit $status
