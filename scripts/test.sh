#!/bin/sh
# Runs every test, as CI does: installs what is missing, then builds twice with
# warnings as errors (a normal build, then ASan+UBSan) and runs the whole CTest
# suite on each: unit tests, fuzz-corpus replays, and integration and fault
# tests against PostgreSQL clusters the harness starts itself. Then the
# formatting (clang-format with the checkout's .clang-format), cppcheck,
# the request-path and lifecycle integration tests under valgrind, every fuzz
# target under libFuzzer for a short while, and the container image built and
# run for real (scripts/docker-check.sh; skipped, saying why, where no Docker
# engine can run).
#
# Every stage runs even when an earlier one failed, so that one failure does
# not hide another; the exit status is non-zero when any stage failed, and the
# last lines name them.
set -u
cd "$(dirname "$0")/.."

sh scripts/bootstrap.sh --test || exit 1

failed=""
skipped=""

# stage NAME COMMAND...: runs one stage and remembers it if it fails.
stage() {
	name=$1
	shift
	echo "== $name"
	if ! "$@"; then
		echo "== $name: FAILED"
		failed="$failed
  $name"
	fi
}

build() {
	dir=$1
	shift
	cmake -S . -B "$dir" -DHCWATCH_WERROR=ON "$@" >/dev/null &&
		cmake --build "$dir" -j "$(nproc)"
}

suite() {
	(cd "$1" && ctest --output-on-failure -j 2)
}

asan() {
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 "$@"
}

# The C the project writes; build folders and generated files are not ours to format.
format_check() {
	find src tests/unit tests/fuzz tests/tools -name '*.[ch]' | sort |
		xargs -r clang-format --dry-run --Werror
}

cppcheck_src() {
	# variableScope is left out: the house style declares at the top of a block.
	cppcheck --quiet --enable=warning,style,portability,performance --suppress=variableScope \
		--std=c11 --inline-suppr -I src -D__GNUC__ --error-exitcode=1 src tests/fuzz tests/unit tests/tools
}

valgrind_suite() {
	(cd build/test && HCWATCH_WRAP="valgrind -q --error-exitcode=99 --leak-check=full \
--errors-for-leak-kinds=definite --show-leak-kinds=definite" \
		ctest --output-on-failure -j 2 -R '^integration\.test_(bind|lifecycle)$')
}

if build build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo; then
	stage "build/test: every suite" suite build/test
	stage "valgrind: the request path and the lifecycle, on build/test" valgrind_suite
else
	echo "== build/test: FAILED to build"
	failed="$failed
  build/test (does not build)"
fi

if build build/asan -DCMAKE_BUILD_TYPE=Debug -DHCWATCH_SANITIZE=ON; then
	stage "build/asan: every suite under ASan+UBSan" asan suite build/asan
else
	echo "== build/asan: FAILED to build"
	failed="$failed
  build/asan (does not build)"
fi

docker_check() {
	sh scripts/docker-check.sh
	rc=$?
	if [ $rc -eq 77 ]; then
		skipped="$skipped
  the container image (scripts/docker-check.sh said why above)"
		return 0
	fi
	return $rc
}

stage "formatting (clang-format -i FILE fixes it)" format_check
stage "cppcheck" cppcheck_src
stage "libFuzzer, 5 s per target (scripts/fuzz.sh SECONDS runs longer)" sh scripts/fuzz.sh 5
stage "the container image, built and run (scripts/docker-check.sh)" docker_check

if [ -n "$skipped" ]; then
	echo "== SKIPPED:$skipped"
fi

if [ -n "$failed" ]; then
	echo "== FAILED:$failed"
	exit 1
fi
echo "== every stage passed"
