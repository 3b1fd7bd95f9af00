#!/bin/sh
# Build the libFuzzer targets (fuzz/, meson -Dfuzzing=true, clang) into
# build-fuzz/ and run each one on its committed corpus, then for SECONDS
# (default 4) of new inputs, one target at a time.  Exits non-zero as soon
# as a target crashes, leaks, trips a sanitizer or fails to build; the
# input that did it is left in build-fuzz/fuzz-out/TARGET/.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# New inputs go to build-fuzz/fuzz-out/TARGET/corpus, never into the
# committed fuzz/corpus/ (merge the interesting ones by hand with
# -merge=1).  FUZZ_JOBS and the like are not offered on purpose: one
# process, nice'd, on shared machines.
set -eu
cd "$(dirname "$0")/.."

seconds=${1:-4}
[ $# -gt 0 ] && shift
scripts/deps.sh fuzz

if [ ! -d build-fuzz ]; then
	# The library is instrumented for coverage (fuzzer-no-link); only
	# the targets link libFuzzer's main.  No -Dwerror: the gcc builds of
	# scripts/test.sh are the warnings gate, and clang warns elsewhere
	# (-Wformat-nonliteral on a va_list formatter without a format
	# attribute).
	CC=clang meson setup build-fuzz --buildtype=debugoptimized \
		-Dfuzzing=true -Dtests=false \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fsanitize=fuzzer-no-link >/dev/null
fi
ninja -C build-fuzz >/dev/null

# Every fuzz/fuzz-NAME.c is a target (fuzz/meson.build lists them too: a
# target missing there fails here).
targets=${*:-$(for f in fuzz/fuzz-*.c; do f=${f#fuzz/fuzz-}; echo "${f%.c}"; done)}

# A sanitizer report fails the target (and so this script); leaks inside
# NSS itself are suppressed by fuzz/lsan.supp, each said why.
asan="detect_leaks=1:abort_on_error=0:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp"

failed=""
for t in $targets; do
	out=build-fuzz/fuzz-out/$t
	mkdir -p "$out/corpus"
	dict=""
	[ -f "fuzz/dict/$t.dict" ] && dict="-dict=fuzz/dict/$t.dict"
	# Suppressions name NSS frames, seen only by the slow unwinder
	# (NSS is built without frame pointers).
	case $t in
	key) export ASAN_OPTIONS="$asan:fast_unwind_on_malloc=0" ;;
	*) export ASAN_OPTIONS="$asan" ;;
	esac
	# stdout and stderr of the code under test are closed (usage
	# messages by the thousand); libFuzzer's and the sanitizers' reports
	# still reach the log.
	if nice -n 19 "build-fuzz/fuzz/fuzz-$t" -max_total_time="$seconds" \
		-print_final_stats=1 -close_fd_mask=3 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$out/" $dict "$out/corpus" "fuzz/corpus/$t" \
		>"$out/log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log")
		printf '%-10s ok   %10s runs in %ss\n' "$t" "$execs" "$seconds"
	else
		printf '%-10s FAILED (see %s/log)\n' "$t" "$out"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$out/log" | head -5
		failed="$failed $t"
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz targets failed:$failed" >&2
	exit 1
fi
