#!/bin/sh
# A throwaway PostgreSQL server for the tests: `start DIR` creates a cluster in DIR, listens on a
# free loopback port and prints its URL; `stop DIR` stops it and removes DIR.
#
#   export MITSU_TEST_PG_URL="$(scripts/pg-test-server.sh start /tmp/mitsu-pg)"
#   build/tests/test_db
#   scripts/pg-test-server.sh stop /tmp/mitsu-pg
#
# initdb refuses to run as root, so as root the server runs as the Debian `postgres` user and DIR
# is handed to it (DIR must then be somewhere that user can reach, /tmp say). Durability is
# switched off (fsync, synchronous_commit): the data is thrown away anyway.
set -eu

usage() { echo "usage: $0 start|stop|status DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
case $dir in /*) ;; *) dir=$(pwd)/$dir ;; esac

# shellcheck disable=SC2012 # version directories ("15", "16") have plain names
pgbin=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$pgbin/pg_ctl" ] || { echo "$0: no PostgreSQL server binaries (set PGBIN)" >&2; exit 1; }

# Runs a command as the cluster's owner: ourselves, or `postgres` when we are root.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A port nobody listens on now. Another process may take it before the server does: start retries.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
    # The socket, DIR/.s.PGSQL.PORT, must fit in sun_path (108 bytes).
    if [ ${#dir} -gt 80 ]; then
        echo "$0: $dir: too long for a socket directory (80 characters at most)" >&2
        exit 1
    fi
    if [ -e "$dir/data/postmaster.pid" ]; then
        echo "$0: a server already runs in $dir" >&2
        exit 1
    fi
    mkdir -p "$dir"
    chmod 700 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    : >"$dir/.mitsu-pg-test" # the mark `stop` looks for before it removes anything
    as_owner "$pgbin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
        --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    tries=0
    while :; do
        port=$(free_port)
        if as_owner "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o \
            "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null 2>&1; then
            break
        fi
        tries=$((tries + 1))
        if [ "$tries" -ge 5 ]; then
            echo "$0: the server did not start; log:" >&2
            tail -n 20 "$dir/server.log" >&2
            exit 1
        fi
    done
    url="postgresql://postgres@127.0.0.1:$port/postgres"
    echo "$url" >"$dir/url"
    echo "$url"
}

stop() {
    if [ ! -e "$dir/.mitsu-pg-test" ]; then
        echo "$0: $dir was not made by this script; not touching it" >&2
        exit 1
    fi
    if [ -e "$dir/data/postmaster.pid" ]; then
        as_owner "$pgbin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
    fi
    rm -rf "$dir"
}

case $cmd in
start) start ;;
stop) stop ;;
status) as_owner "$pgbin/pg_ctl" -D "$dir/data" status ;;
*) usage ;;
esac
