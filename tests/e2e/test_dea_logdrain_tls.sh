#!/usr/bin/env bash
# e2e (needs root): syslog-tls drains (RFC 5425). The test makes a CA and certificates with
# openssl in its temp dir and gives the DEA the CA as log_drains.ca_file. One instance is
# bound to four syslog-tls drains: two receivers whose certificates the CA signed for the
# drain's host (by name, with SNI, and by IP address) get every line, RFC 5424 and
# octet-counted as over plain TCP; a receiver whose certificate names another host and one
# whose certificate another CA signed get nothing, though the DEA keeps trying them; the DEA
# and the app keep running. The app stops: its last line leaves and the session ends with a
# close_notify.
. "$(dirname "$0")/dea_logdrain_lib.sh"
command -v openssl >/dev/null || wdn_skip "openssl not installed"
K="$T/tls"
mkdir -p "$K"
# ca NAME: a self-signed CA. cert CA NAME SAN: a server certificate CA signs for SAN.
ca() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$1" \
        -keyout "$K/$1.key" -out "$K/$1.pem" 2>/dev/null || wdn_fail "openssl: CA $1"
}
cert() {
    printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$3" \
        >"$K/$2.ext"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
        -keyout "$K/$2.key" -out "$K/$2.csr" 2>/dev/null || wdn_fail "openssl: request $2"
    openssl x509 -req -in "$K/$2.csr" -CA "$K/$1.pem" -CAkey "$K/$1.key" -CAcreateserial \
        -days 2 -extfile "$K/$2.ext" -out "$K/$2.pem" 2>/dev/null || wdn_fail "openssl: cert $2"
}
ca drain-ca
ca rogue-ca
cert drain-ca good "DNS:localhost,IP:127.0.0.1"
cert drain-ca wronghost "DNS:other.example,IP:10.9.9.9"
cert rogue-ca rogue "DNS:localhost,IP:127.0.0.1"
# The drain connects to the first address its host resolves to: "localhost" when that is
# 127.0.0.1 here (then the name, SNI included, is checked), else the address only.
NAME=127.0.0.1
getent ahosts localhost | head -1 | grep -q '^127\.' && NAME=localhost
drain_dea_start "  ca_file: $K/drain-ca.pem"
declare -A P
for r in good-name good-ip wronghost rogue; do P[$r]=$(free_port); done
receiver good-name "${P[good-name]}" "$K/good.pem" "$K/good.key"
receiver good-ip "${P[good-ip]}" "$K/good.pem" "$K/good.key"
receiver wronghost "${P[wronghost]}" "$K/wronghost.pem" "$K/wronghost.key"
receiver rogue "${P[rogue]}" "$K/rogue.pem" "$K/rogue.key"
APP=tlsdrain-$TAG
start_app "$APP" "syslog-tls://$NAME:${P[good-name]}" "syslog-tls://127.0.0.1:${P[good-ip]}/" \
    "syslog-tls://$NAME:${P[wronghost]}" "syslog-tls://127.0.0.1:${P[rogue]}"
say say first-line
say err an-error
for r in good-name good-ip; do
    drained $r "^<14>1 $TS $APP $APP \[APP/0\] - - first-line$"
    drained $r "^<11>1 $TS $APP $APP \[APP/0\] - - an-error$"
done
echo "ok - over TLS, verified against log_drains.ca_file by name and by address: lines drained as RFC 5424, octet-counted"
if [ "$NAME" = localhost ]; then
    grep -qx "sni localhost" "$T/good-name.drained.events" || wdn_fail "no SNI localhost"
    ! grep -q "^sni" "$T/good-ip.drained.events" || wdn_fail "SNI sent for an IP address"
    echo "ok - SNI names the host (and is not sent for an address)"
fi

# failed NAME: how many handshakes NAME's receiver saw fail.
failed() { grep -c "^handshake-failed" "$T/$1.drained.events" 2>/dev/null; }
for _ in $(seq 200); do
    [ "$(failed wronghost)" -ge 2 ] && [ "$(failed rogue)" -ge 2 ] && break
    sleep 0.1
done
for r in wronghost rogue; do
    [ "$(failed $r)" -ge 2 ] || wdn_fail "$r: the DEA did not retry its handshake"
    [ ! -s "$T/$r.drained" ] || wdn_fail "$r got messages: $(head -2 "$T/$r.drained")"
done
say say still-here
drained good-name " - - still-here$"
kill -0 "$DEA_PID" 2>/dev/null || wdn_fail "the DEA died"
for r in wronghost rogue; do [ ! -s "$T/$r.drained" ] || wdn_fail "$r got lines"; done
echo "ok - a certificate for another host or from another CA: no line leaves, the DEA retries, DEA and app keep running"

I=$(instance_of "$APP")
say say last-words
$BUS pub "$NATS" dea.stop "{\"droplet\":\"$APP\"}"
drained good-ip " - - last-words$"
for _ in $(seq 50); do grep -q "^close" "$T/good-ip.drained.events" && break; sleep 0.1; done
grep -qx "close clean" "$T/good-ip.drained.events" || wdn_fail "the session did not end with close_notify"
echo "ok - the app stopped: its last line left and the session ended with close_notify"
stop_clean "$APP" "$I"
echo "ok - the DEA stopped with TLS drains connected and failing; nothing to report"
