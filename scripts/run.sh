#!/bin/sh
# Starts the intranet demo (examples/intranet) with the honeypot on, in the foreground, and says
# where everything is. What `make run` runs. On first run it creates the data directory:
#   MITSU_DATA_DIR       (default var/) real, decoy and management databases, secrets, files/
#   MITSU_SERVER_LISTEN  (default 127.0.0.1:8080) the application
#   MITSU_ADMIN_LISTEN   (default 127.0.0.1:8081) the admin dashboard
#   MITSU_JOURNAL_DB     (default sqlite:$MITSU_DATA_DIR/mitsu.db) the management database
# Several demos run side by side from one checkout with different values of these.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
APP="$BUILD/examples/intranet"
TOOL="$BUILD/mitsu"
SRC=examples/intranet

umask 077
DATA=${MITSU_DATA_DIR:-var}
mkdir -p "$DATA"
DATA=$(cd "$DATA" && pwd)
export MITSU_DATA_DIR="$DATA"
REAL="$DATA/intranet.db"
DECOY="$DATA/decoy.db"

# A secret of 32 random bytes in hex, made once and kept in the data directory (mode 0600).
secret() {
    if [ ! -s "$DATA/$1" ]; then
        od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$DATA/$1.new"
        mv "$DATA/$1.new" "$DATA/$1"
    fi
    cat "$DATA/$1"
}

if [ ! -f "$REAL" ]; then
    echo "First run: seeding $REAL" >&2
    "$APP" --init
fi
if [ ! -d "$DATA/files" ]; then
    mkdir -p "$DATA/files.new" && cp "$SRC"/files/* "$DATA/files.new/" && mv "$DATA/files.new" "$DATA/files"
fi
export MITSU_JOURNAL_DB="${MITSU_JOURNAL_DB:-sqlite:$DATA/mitsu.db}"
if [ ! -f "$DECOY" ]; then
    # Fake rows and honeytokens, registered in the management database. Its report (the
    # planted tokens) goes to stderr: stdout carries only the lines below.
    echo "First run: making the decoy $DECOY with mitsu decoy init" >&2
    if ! "$TOOL" decoy init --from "$REAL" --to "$DECOY" --db "$MITSU_JOURNAL_DB" >&2; then
        rm -f "$DECOY" "$DECOY-wal" "$DECOY-shm"
        exit 1
    fi
fi

export MITSU_APP_SECRET_KEYS="$(secret secret_key)"
export MITSU_ADMIN_TOKEN="$(secret admin_token)"
export MITSU_SERVER_LISTEN="${MITSU_SERVER_LISTEN:-127.0.0.1:8080}"
export MITSU_ADMIN_LISTEN="${MITSU_ADMIN_LISTEN:-127.0.0.1:8081}"
export MITSU_DB_MAIN_REAL="sqlite:$REAL" MITSU_DB_MAIN_DECOY="sqlite:$DECOY"

# The first address of a listen list, as a URL (0.0.0.0 and * are reached on 127.0.0.1).
url() {
    first=${1%%,*}
    case "$first" in
        \**|:*) first="127.0.0.1:${first##*:}" ;;
        0.0.0.0:*) first="127.0.0.1:${first##*:}" ;;
    esac
    echo "http://$first/"
}

echo "app: $(url "$MITSU_SERVER_LISTEN")"
echo "dashboard: $(url "$MITSU_ADMIN_LISTEN")"
echo "admin token: $MITSU_ADMIN_TOKEN"
echo "demo user: alice"
echo "demo password: $(cat "$DATA/demo_password")"
echo "admin user: admin"
echo "admin password: $(cat "$DATA/admin_password")"
echo "real database: $REAL"
echo "decoy database: $DECOY"
echo "management database: $MITSU_JOURNAL_DB"
echo "Starting examples/intranet (Ctrl-C to stop)." >&2
exec "$APP" "$SRC/intranet.ini"
