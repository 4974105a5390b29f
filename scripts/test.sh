#!/bin/sh
# Runs every test, as CI does: installs what is missing, then builds twice with
# warnings as errors (a normal build, then ASan+UBSan) and runs the whole CTest
# suite on each: unit tests, and integration tests against PostgreSQL clusters
# the harness starts itself.
set -eu
cd "$(dirname "$0")/.."

sh scripts/bootstrap.sh

run_suite() {
	dir=$1
	shift
	echo "== $dir: cmake $*"
	cmake -S . -B "$dir" -DHCWATCH_WERROR=ON "$@" >/dev/null
	cmake --build "$dir" -j "$(nproc)"
	(cd "$dir" && ctest --output-on-failure -j 2)
}

run_suite build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	run_suite build/asan -DCMAKE_BUILD_TYPE=Debug -DHCWATCH_SANITIZE=ON
