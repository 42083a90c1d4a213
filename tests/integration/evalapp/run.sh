#!/bin/sh
# Starts the evaluation's stand-in for the demo (build/tests/evalapp) with the demo's
# scripts/run.sh contract: MITSU_DATA_DIR seeded on first run, the same "name: value" lines.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-build}
data=${MITSU_DATA_DIR:-var}
mkdir -p "$data"
data=$(cd "$data" && pwd)
export MITSU_SERVER_LISTEN="${MITSU_SERVER_LISTEN:-127.0.0.1:8080}"
export MITSU_JOURNAL_DB="${MITSU_JOURNAL_DB:-sqlite:$data/mitsu.db}"
export MITSU_DB_MAIN_REAL="sqlite:$data/real.db" MITSU_DB_MAIN_DECOY="sqlite:$data/decoy.db"
if [ ! -f "$data/secret" ]; then
    od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$data/secret"
    od -An -tx1 -N8 /dev/urandom | tr -d ' \n' >"$data/password"
    sqlite3 "$data/real.db" <"$here/real.sql"
    sqlite3 "$data/decoy.db" <"$here/decoy.sql"
fi
MITSU_APP_SECRET_KEYS=$(cat "$data/secret")
EVALAPP_PASSWORD=$(cat "$data/password")
export MITSU_APP_SECRET_KEYS EVALAPP_PASSWORD
echo "app: http://$MITSU_SERVER_LISTEN/"
echo "demo user: alice"
echo "demo password: $EVALAPP_PASSWORD"
echo "real database: $data/real.db"
echo "decoy database: $data/decoy.db"
echo "management database: $MITSU_JOURNAL_DB"
exec "$BUILD/tests/evalapp"
