#!/usr/bin/env bash
# e2e (needs root): what containers see of the host's DNS. Each container's /etc/resolv.conf
# is written from the host's (here a file of the test's: warden's `resolv_conf`), a resolver on
# the host's loopback replaced by the container's gateway. That resolver answers a container
# only once a net_out to it (udp 53) is given; a container without the rule gets no answer.
# Outside addresses are unreachable without a rule and reachable with one for 0.0.0.0/0.
. "$(dirname "$0")/warden_lib.sh"
command -v getent >/dev/null || wdn_skip "getent not installed"

# A resolver on a loopback address of its own (port 53 must be free there).
DNS_IP="127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 2))"
python3 "$HEARTH_SOURCE_DIR/tests/e2e/warden_dns.py" "$DNS_IP" 53 192.0.2.123 >"$T/dns.out" 2>&1 &
EXTRA_PIDS=$!
for _ in $(seq 50); do grep -q ready "$T/dns.out" && break; sleep 0.1; done
grep -q ready "$T/dns.out" || wdn_skip "cannot listen on $DNS_IP:53: $(cat "$T/dns.out")"

printf '# test resolvers\nnameserver %s\nnameserver 192.0.2.53\nsearch e2e.test\noptions timeout:1 attempts:1\n' \
    "$DNS_IP" >"$T/resolv.conf"
echo "resolv_conf: $T/resolv.conf" >>"$T/w.yml"
wdn_start

wdn create --handle a --memory 134217728 >/dev/null || wdn_fail "create a"
wdn create --handle b --memory 134217728 >/dev/null || wdn_fail "create b"
gwa=$(wdn info a | json_get 'd["host_ip"]')
rc=$(wdn run a -- cat /etc/resolv.conf)
expect_eq "a's nameservers: the gateway for the loopback one, the other as is" \
    "$(echo "$rc" | awk '$1 == "nameserver" {print $2}' | tr '\n' ' ')" "$gwa 192.0.2.53 "
echo "$rc" | grep -qx "search e2e.test" || wdn_fail "search line not kept: $rc"
echo "$rc" | grep -qx "options timeout:1 attempts:1" || wdn_fail "options line not kept: $rc"

resolve() { wdn run "$1" -- timeout 5 getent ahostsv4 "$2" 2>/dev/null | awk '{print $1; exit}'; }
[ -z "$(resolve a name.e2e.test)" ] || wdn_fail "a resolved a name before any net_out"
echo "ok - no DNS answer without a net_out"

wdn net-out a --network "$DNS_IP/32" --port 53 --protocol udp >/dev/null || wdn_fail "net_out dns"
expect_eq "a resolves through the host's loopback resolver" "$(resolve a name.e2e.test)" \
    "192.0.2.123"
expect_eq "the search domain applies (only *.e2e.test has an answer)" "$(resolve a short)" \
    "192.0.2.123"
[ -z "$(resolve a name.other.test.)" ] || wdn_fail "the responder answered a foreign name"
[ -z "$(resolve b name.e2e.test)" ] || wdn_fail "b resolved a name through a's rule"
echo "ok - the rule is a's only"

# The outside world: closed without a rule, open with a rule for 0.0.0.0/0 (when this host
# itself reaches one: the npm registry's address, port 443).
out_ip=$(timeout 5 getent ahostsv4 registry.npmjs.org | awk '{print $1; exit}')
if [ -n "$out_ip" ] && socat -T3 - TCP:"$out_ip":443,connect-timeout=3 </dev/null >/dev/null 2>&1; then
    wdn run b -- socat -T3 - TCP:"$out_ip":443,connect-timeout=3 </dev/null >/dev/null 2>&1 &&
        wdn_fail "b reached $out_ip:443 without a rule"
    echo "ok - no way out without a net_out"
    wdn net-out b --network 0.0.0.0/0 --port 443 --protocol tcp >/dev/null || wdn_fail "net_out b"
    wdn run b -- socat -T5 - TCP:"$out_ip":443,connect-timeout=5 </dev/null >/dev/null 2>&1 ||
        wdn_fail "b did not reach $out_ip:443 with a rule for 0.0.0.0/0"
    expect_eq "forwarding is on" "$(cat /proc/sys/net/ipv4/ip_forward)" "1"
    wdn run b -- socat -T3 - TCP:"$out_ip":80,connect-timeout=3 </dev/null >/dev/null 2>&1 &&
        wdn_fail "b reached $out_ip:80 with a rule for 443 only"
    wdn run a -- socat -T3 - TCP:"$out_ip":443,connect-timeout=3 </dev/null >/dev/null 2>&1 &&
        wdn_fail "a reached $out_ip:443 through b's rule"
    echo "ok - 0.0.0.0/0:443 opens that port for that container only"
else
    echo "skipped - outside access: this host does not reach registry.npmjs.org:443"
fi

wdn destroy a >/dev/null && wdn destroy b >/dev/null || wdn_fail "destroy"
echo "PASS"
