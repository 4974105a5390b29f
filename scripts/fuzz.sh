#!/bin/sh
# Runs every fuzz target under libFuzzer, with ASan and UBSan, for SECONDS
# each (default 300). The seeds in tests/fuzz/corpus are read, never written;
# what libFuzzer finds goes to build/fuzz/corpus, crashes to build/fuzz/crashes.
# A crash is fixed, then its input is added to tests/fuzz/corpus/TARGET so that
# every test run replays it.
#
#   sh scripts/fuzz.sh [SECONDS] [TARGET...]
set -eu
cd "$(dirname "$0")/.."

secs=${1:-300}
[ $# -gt 0 ] && shift
targets=${*:-"form bind_form bind_payload metadata config hwc channel render template"}
dir=build/fuzz

sh scripts/bootstrap.sh
CC=clang cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHCWATCH_FUZZ=ON \
	-DHCWATCH_SANITIZE=ON -DHCWATCH_WERROR=ON >/dev/null
for t in $targets; do
	cmake --build "$dir" --target "fuzz_$t" -j "$(nproc)" >/dev/null
done

status=0
for t in $targets; do
	mkdir -p "$dir/corpus/$t" "$dir/crashes"
	log="$dir/fuzz_$t.log"
	if "$dir/tests/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -max_len=65536 -print_final_stats=1 -artifact_prefix="$dir/crashes/$t-" \
	    "$dir/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
		echo "fuzz $t: ${secs} s, $runs inputs, $cov, no crash"
	else
		echo "fuzz $t: CRASH; see $log and $dir/crashes/$t-*" >&2
		grep -m 5 -E 'ERROR|SUMMARY|runtime error' "$log" >&2 || true
		status=1
	fi
done
exit $status
