#!/bin/sh
# The whole test suite, as CI runs it: install what is missing, build with
# warnings as errors (a release build, and a debug build under
# AddressSanitizer + UndefinedBehaviorSanitizer), then run every test —
# C unit tests and integration tests against real TLS servers on loopback —
# with pytest against the sanitizer build — and the libFuzzer targets for a
# minute (scripts/fuzz.sh).
set -eu
cd "$(dirname "$0")/.."

scripts/deps.sh

# Release build: -O2 finds warnings -O0 misses; it must build cleanly.
[ -d build-release ] || meson setup build-release --buildtype=release -Dwerror=true
ninja -C build-release

# The build the suite runs against.
[ -d build-asan ] || meson setup build-asan --buildtype=debug -Dwerror=true \
	-Db_sanitize=address,undefined -Db_lundef=false
ninja -C build-asan

# The fuzz targets keep building and their corpus keeps passing: each
# runs its committed corpus and a few seconds more (about a minute in
# all); a crash, leak or sanitizer report stops the suite here.
scripts/fuzz.sh 2

export NSSTLS="$PWD/build-asan/src/nsstls"
# Any sanitizer report makes the process fail, and so the test.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=87"

# /usr/bin/python3 is Debian's, where python3-pytest is installed.
exec /usr/bin/python3 -m pytest -p no:cacheprovider -q tests "$@"
