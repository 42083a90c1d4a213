#!/bin/sh
# Installs the Debian packages a make target needs, or says exactly how to when not root.
# Usage: scripts/deps.sh build|test|bench|fuzz|eval ...   (groups may be combined)
set -eu

pkgs_build="make gcc pkg-config libc6-dev libssl-dev libinih-dev libjansson-dev libsqlite3-dev libpq-dev libpcre2-dev"
# The attack tools and the browser drive the evaluation and the dashboard tests.
pkgs_eval="gobuster sqlmap hydra wget2"
pkgs_browser="chromium nodejs"  # npm comes with the machine's Node.js
pkgs_test="$pkgs_build postgresql sqlite3 clang libclang-rt-14-dev libcriterion-dev python3 python3-h11 curl slowhttptest valgrind $pkgs_eval $pkgs_browser"
pkgs_fuzz="clang libclang-rt-14-dev"
pkgs_bench="$pkgs_build wrk nginx-light procps curl python3 python3-bottle gunicorn"

want=""
for group in "$@"; do
    case "$group" in
    build) want="$want $pkgs_build" ;;
    test) want="$want $pkgs_test" ;;
    fuzz) want="$want $pkgs_fuzz" ;;
    bench) want="$want $pkgs_bench" ;;
    eval) want="$want $pkgs_build $pkgs_eval sqlite3 python3 curl" ;;
    *) echo "deps.sh: unknown group '$group'" >&2; exit 2 ;;
    esac
done

# npm: the machine's Node.js (NodeSource's nodejs) carries it; Debian's nodejs does not, and
# Debian's npm package conflicts with NodeSource's, so it is asked for only when absent.
case " $want " in *" nodejs "*) command -v npm >/dev/null 2>&1 || want="$want npm" ;; esac

missing=""
for p in $want; do
    case " $missing " in *" $p "*) continue ;; esac
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

line="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
    echo "mitsu needs these Debian packages:$missing" >&2
    echo "run as root:  apt-get update && $line" >&2
    exit 1
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
# A freshly installed nginx starts a system-wide instance on port 80; the bench runs its own.
if echo "$missing" | grep -q nginx; then
    (systemctl stop nginx || service nginx stop || true) >/dev/null 2>&1
fi
