#!/bin/sh
# Runs every test, as CI does: installs what is missing, then builds twice with
# warnings as errors (a normal build, then ASan+UBSan) and runs the whole CTest
# suite on each: unit tests, fuzz-corpus replays, and integration and fault
# tests against PostgreSQL clusters the harness starts itself. Then cppcheck,
# the request-path and lifecycle integration tests under valgrind, and every
# fuzz target under libFuzzer for a short while.
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

echo "== cppcheck"
# variableScope is left out: the house style declares at the top of a block.
cppcheck --quiet --enable=warning,style,portability,performance --suppress=variableScope \
	--std=c11 --inline-suppr -I src -D__GNUC__ --error-exitcode=1 src tests/fuzz tests/unit

echo "== valgrind: the request path and the lifecycle, on build/test"
(cd build/test && HCWATCH_WRAP="valgrind -q --error-exitcode=99 --leak-check=full \
--errors-for-leak-kinds=definite --show-leak-kinds=definite" \
	ctest --output-on-failure -j 2 -R '^integration\.test_(bind|lifecycle)$')

echo "== libFuzzer, 10 s per target (scripts/fuzz.sh SECONDS runs longer)"
sh scripts/fuzz.sh 10
