# fish completion for nsstls(1)

function __nsstls_ciphers
    set -l cmd (commandline -opc)[1]
    command $cmd --list-ciphers 2>/dev/null | string match -ar 'TLS_[A-Z0-9_]+' | sort -u
end

set -l groups x25519 secp256r1 secp384r1 secp521r1 ffdhe2048 ffdhe3072 ffdhe4096 ffdhe6144 ffdhe8192
set -l sigalgs ecdsa_secp256r1_sha256 ecdsa_secp384r1_sha384 ecdsa_secp521r1_sha512 \
    rsa_pss_rsae_sha256 rsa_pss_rsae_sha384 rsa_pss_rsae_sha512 \
    rsa_pss_pss_sha256 rsa_pss_pss_sha384 rsa_pss_pss_sha512 \
    rsa_pkcs1_sha256 rsa_pkcs1_sha384 rsa_pkcs1_sha512 \
    ecdsa_sha1 rsa_pkcs1_sha1 dsa_sha256 dsa_sha384 dsa_sha512 dsa_sha1

# The operand: HOST[:PORT].
complete -c nsstls -f -a '(__fish_print_hostnames)'

# Connection
complete -c nsstls -s p -l port -x -d 'Port (overrides HOST:PORT)'
complete -c nsstls -s 4 -l ipv4 -d 'IPv4 addresses only'
complete -c nsstls -s 6 -l ipv6 -d 'IPv6 addresses only'
complete -c nsstls -l connect-timeout -x -d 'TCP connect timeout per address, seconds (default 10)'
complete -c nsstls -l timeout -x -d 'Handshake and idle read timeout, seconds (default 10)'
complete -c nsstls -l starttls -x -a 'auto smtp submission lmtp imap pop3 ftp xmpp xmpp-server ldap postgres mysql nntp sieve irc' -d 'Speak PROTO first, then upgrade to TLS'
complete -c nsstls -l starttls-name -x -d 'Name sent in EHLO/LHLO (default mail.example.com)'
complete -c nsstls -l xmpp-domain -x -a '(__fish_print_hostnames)' -d 'XMPP domain of the stream (default: the target)'
complete -c nsstls -l proxy -x -a '(__fish_print_hostnames)' -d 'HTTP proxy to tunnel through (HOST:PORT)'
complete -c nsstls -l proxy-user -x -d 'Proxy credentials, USER[:PASS] (Basic)'
complete -c nsstls -l no-proxy-env -d 'Ignore https_proxy, all_proxy and no_proxy'

# TLS parameters
complete -c nsstls -l tls-min -x -a '1.0 1.1 1.2 1.3' -d 'Lowest TLS version (default 1.2)'
complete -c nsstls -l tls-max -x -a '1.0 1.1 1.2 1.3' -d 'Highest TLS version (default 1.3)'
complete -c nsstls -l tls1.2 -d 'Only TLS 1.2'
complete -c nsstls -l tls1.3 -d 'Only TLS 1.3'
complete -c nsstls -l ciphers -x -a '(__fish_complete_list , __nsstls_ciphers)' -d 'Cipher suites to offer'
complete -c nsstls -l list-ciphers -d 'List the implemented cipher suites and exit'
complete -c nsstls -l list-groups -d 'List the key-exchange groups and exit'
complete -c nsstls -l list-sigalgs -d 'List the signature schemes and exit'
complete -c nsstls -l groups -x -a "(__fish_complete_list , 'printf \"%s\n\" $groups')" -d 'Key-exchange groups in preference order'
complete -c nsstls -l sigalgs -x -a "(__fish_complete_list , 'printf \"%s\n\" $sigalgs')" -d 'Signature schemes to offer'
complete -c nsstls -l alpn -x -a "(__fish_complete_list , 'printf \"%s\n\" h2 http/1.1')" -d 'ALPN protocols in preference order'
complete -c nsstls -l servername -x -a '(__fish_print_hostnames)' -d 'SNI name to send (default: the target)'
complete -c nsstls -l no-sni -d 'Send no SNI'
complete -c nsstls -l verify-name -x -a '(__fish_print_hostnames)' -d 'Host name to verify the certificate against'
complete -c nsstls -l ech -x -a 'auto' -d 'Encrypted Client Hello: base64 ECHConfigList, or auto (DNS HTTPS record)'
complete -c nsstls -l ech-grease -d 'Send a GREASE ECH extension'

# Verification and trust
complete -c nsstls -l ca-file -r -F -d 'PEM bundle of trust anchors (repeatable)'
complete -c nsstls -l trust -x -a "(__fish_complete_list , 'printf \"%s\n\" builtin system')" -d 'Trust sources (default builtin)'
complete -c nsstls -l no-builtin-roots -d "Do not load NSS's built-in roots"
complete -c nsstls -l db -x -a '(__fish_complete_directories)' -d 'NSS database directory, opened read-only'
complete -c nsstls -l pass-file -r -F -d 'File whose first line is the password (database, key, PKCS#12)'
complete -c nsstls -l pass -x -a 'env: file: pass:' -d 'Password source (database, key, PKCS#12)'
complete -c nsstls -s k -l insecure -d 'Continue (exit 0) when verification fails'
complete -c nsstls -l allow-weak -d 'RISK: accept weak keys and SHA-1/MD5 signatures'
complete -c nsstls -l warn-days -x -d 'Warn when the certificate expires within N days (default 30)'
complete -c nsstls -l attime -x -d 'Verify as of DATE (YYYY-MM-DD or RFC 3339)'
complete -c nsstls -l aia-fetch -d 'Fetch a missing intermediate from its AIA URL over HTTP'
complete -c nsstls -l ocsp -d "Also ask the certificate's OCSP responder over HTTP"
complete -c nsstls -l ocsp-url -x -d 'OCSP responder URL to ask instead (implies --ocsp)'
complete -c nsstls -l crl-file -r -F -d 'Check the chain against a CRL, PEM or DER (repeatable)'
complete -c nsstls -l save-chain -r -F -d 'Write the chain the server sent to FILE as PEM'
complete -c nsstls -l save-chain-verified -r -F -d 'Write the chain NSS built to FILE as PEM'
complete -c nsstls -l print-cert -r -F -d 'Describe and verify the certificates in FILE, offline'

# Client authentication
complete -c nsstls -l cert -r -F -d 'Client certificate: nickname in --db, or PEM file'
complete -c nsstls -l key -r -F -d 'Private key of the --cert file (PEM)'
complete -c nsstls -l cert-chain -r -F -d 'Intermediates to send with the client certificate (PEM)'
complete -c nsstls -l pkcs12 -r -F -d 'Client certificate and key from a PKCS#12 file'
complete -c nsstls -l post-handshake-auth -d 'Allow TLS 1.3 post-handshake client authentication'

# Session
complete -c nsstls -l no-data -d 'Exit right after the handshake and the report'
complete -c nsstls -l crlf -d 'Translate LF from stdin into CRLF'
complete -c nsstls -l renegotiate -d 'Renegotiate N times after the handshake (TLS 1.2; --renegotiate=N)'
complete -c nsstls -l key-update -d 'Send a TLS 1.3 KeyUpdate after the handshake (--key-update=request)'
complete -c nsstls -l export-keying-material -x -d 'Print keying material for LABEL[:LEN[:CONTEXT]] (repeatable)'
complete -c nsstls -l reconnect -d 'Connect N more times, resuming the session (--reconnect=N, default 5)'
complete -c nsstls -l early-data -r -F -d 'Send FILE as TLS 1.3 0-RTT data on the resumed connections'
complete -c nsstls -l sess-out -r -F -d 'Refused: NSS 3.87 binds a session to its process (use --reconnect)'
complete -c nsstls -l sess-in -r -F -d 'Refused: NSS 3.87 binds a session to its process (use --reconnect)'

# Output
complete -c nsstls -l json -f -a 'pretty compact' -d 'Report as one JSON document on stdout (--json=pretty to indent); no data phase'
complete -c nsstls -l showcerts -d 'Write the chain the server sent as PEM to stdout'
complete -c nsstls -l brief -d 'Print a short report'
complete -c nsstls -s q -l quiet -d 'No report, only errors'
complete -c nsstls -s v -l verbose -d 'More detail (repeat for more)'
complete -c nsstls -l trace -f -a 'hex' -d 'Print every TLS record sent and received on stderr (--trace=hex adds a hex dump)'
complete -c nsstls -l keylog -r -F -d 'Append the TLS 1.3 secrets to FILE in the NSS key log format'

# Health checks
complete -c nsstls -l check -d 'Health check: one status line, exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN'
complete -c nsstls -l crit-days -x -d 'CRITICAL when a certificate of the chain expires within N days (default 7)'
complete -c nsstls -l min-tls -x -a '1.0 1.1 1.2 1.3' -d 'CRITICAL when the server chooses a TLS version below this (--check)'
complete -c nsstls -l expect-alpn -x -a 'h2 http/1.1' -d 'CRITICAL unless the server selects this ALPN protocol (--check)'
complete -c nsstls -l require-ocsp-staple -d 'CRITICAL unless the server staples a good OCSP response (--check)'
complete -c nsstls -l forbid -x -a 'weak' -d 'CRITICAL on weak cryptography (--check)'

# Many targets
complete -c nsstls -l targets -r -F -d 'Read targets from FILE, HOST[:PORT] per line (- for stdin)'
complete -c nsstls -s j -l jobs -x -d 'Check up to N targets at once (default 8, at most 256)'
complete -c nsstls -l unordered -d 'Print each result as it finishes, not in input order'

# Scan
complete -c nsstls -l scan -d 'Scan mode: every version, suite, group, scheme, certificate and feature accepted'
complete -c nsstls -l scan-jobs -x -d 'Probes of one server at once (default 8, at most 64)'
complete -c nsstls -l profile -x -a 'modern intermediate old' -d 'Mozilla profile the scan is judged against'
complete -c nsstls -l shard -x -d 'Take every N-th target from offset K (K/N)'

# Server mode
complete -c nsstls -l listen -x -d 'Server mode: accept TLS connections on [ADDR:]PORT'
complete -c nsstls -l self-signed -x -d 'Serve throw-away RSA and EC certificates for these names'
complete -c nsstls -l verify-client -d 'Ask for a client certificate, fail without a good one'
complete -c nsstls -l request-client-cert -d 'Ask for a client certificate, accept without'
complete -c nsstls -l renegotiate-for-cert -d 'TLS 1.2: renegotiate to ask for a client certificate'
complete -c nsstls -l hrr -d 'Answer every first TLS 1.3 ClientHello with a HelloRetryRequest'
complete -c nsstls -l accept-early-data -d 'Accept TLS 1.3 0-RTT data on resumed sessions'
complete -c nsstls -l echo -d 'Send back what each client sends'
complete -c nsstls -l www -d 'Answer HTTP with a page describing the connection'
complete -c nsstls -l once -d 'Serve one connection, stdin to the client'
complete -c nsstls -l max-connections -x -d 'Exit after N connections'

# Help
complete -c nsstls -l version -d 'Print nsstls, NSS and NSPR versions and exit'
complete -c nsstls -s '?' -l help -d 'Show help and exit'
complete -c nsstls -l usage -d 'Show a short usage message and exit'
