#!/bin/sh
# Install what building and testing nsstls needs on Debian 12, if missing.
# Used by scripts/demo.sh, scripts/test.sh, scripts/fuzz.sh and .ci/run.
set -eu

BUILD_PKGS="meson ninja-build pkg-config gcc libnss3-dev libnspr4-dev libpopt-dev libjansson-dev scdoc"
TEST_PKGS="python3 python3-pytest python3-jsonschema openssl gnutls-bin libnss3-tools mandoc ca-certificates zsh fish strace bash-completion sslscan testssl.sh curl git"
# fuzz: libFuzzer targets (scripts/fuzz.sh; scripts/test.sh runs them briefly).
FUZZ_PKGS="clang libclang-rt-14-dev"

case "${1:-all}" in
build) want="$BUILD_PKGS" ;;
fuzz) want="$BUILD_PKGS $FUZZ_PKGS" ;;
*) want="$BUILD_PKGS $TEST_PKGS $FUZZ_PKGS" ;;
esac

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "Installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
