#!/bin/sh
# Installs every Debian 12 package that building, running and testing hcwatch
# needs. Idempotent: when everything is present it only runs dpkg-query.
# With --test, also what only the tests need: a headless browser for the
# pages, a font for their Chinese, and an image reader for the screenshots.
set -eu

PKGS="build-essential cmake pkg-config
libevent-dev libjansson-dev libssl-dev libcurl4-openssl-dev libpq-dev
libinih-dev libxml2-dev libcmocka-dev
postgresql openssl curl
python3 python3-pytest python3-psycopg2 python3-yaml
wrk clang libclang-rt-14-dev clang-format cppcheck valgrind"
if [ "${1:-}" = "--test" ]; then
	PKGS="$PKGS chromium fonts-wqy-microhei python3-pil"
fi

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

echo "bootstrap: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "bootstrap: missing packages:$missing (run as root or install sudo)" >&2
		exit 1
	}
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
