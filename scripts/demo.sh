#!/bin/sh
# A first look at nsstls with no network: install what is missing, build,
# start an openssl s_server on loopback with the committed test
# certificates, and run nsstls against it so you see a full report.
set -eu
cd "$(dirname "$0")/.."

scripts/deps.sh
[ -d build ] || meson setup build
ninja -C build

fixtures=tests/fixtures
log=$(mktemp)
# s_server ends a connection when its stdin is at EOF: keep a pipe open.
mkfifo "$log.in"
openssl s_server -accept 127.0.0.1:0 -www -alpn h2,http/1.1 \
	-cert $fixtures/server-rsa.crt -key $fixtures/server-rsa.key \
	-cert_chain $fixtures/int-rsa.crt <"$log.in" >"$log" 2>&1 &
server=$!
exec 3>"$log.in"
# The server dies of our SIGTERM, so its wait says 143: under set -e that
# status would become the script's.
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true; exec 3>&-; rm -f "$log" "$log.in"' EXIT

port=""
for _ in $(seq 50); do
	port=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$log")
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || { echo "openssl s_server did not start:"; cat "$log"; exit 1; }

echo "== nsstls against openssl s_server on 127.0.0.1:$port (test CA from $fixtures/roots.pem)"
echo "\$ nsstls --ca-file $fixtures/roots.pem --alpn h2,http/1.1 --no-data localhost:$port"
build/src/nsstls --ca-file $fixtures/roots.pem --alpn h2,http/1.1 --no-data "localhost:$port"
echo
echo "== The same server with NSS's built-in roots only: it is not trusted (exit 6)"
echo "\$ nsstls --brief --no-data localhost:$port"
build/src/nsstls --brief --no-data "localhost:$port" || echo "(exit status $?)"
