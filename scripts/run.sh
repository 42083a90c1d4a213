#!/bin/sh
# Starts the demo application in the foreground and says where it is.
# MITSU_SERVER_LISTEN and MITSU_SERVER_WORKERS override the address and worker count.
set -eu
BUILD=${BUILD:-build}
export MITSU_SERVER_LISTEN="${MITSU_SERVER_LISTEN:-127.0.0.1:8080}"
echo "Starting examples/hello (Ctrl-C to stop)."
exec "$BUILD/examples/hello"
