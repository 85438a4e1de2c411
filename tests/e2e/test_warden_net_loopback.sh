#!/usr/bin/env bash
# needs: root
# e2e (needs root): net_out to the host's loopback. A server listening on the host's
# 127.0.0.1 is reached from a container through its gateway (the host side of its veth) once
# a net_out to 127.0.0.1/32 on that port is given: warden DNATs gateway:PORT to
# 127.0.0.1:PORT for that container only (nft map lomap + chain lo<slot> in warden's table),
# the server sees a loopback client, and route_localnet is set on that container's host-side
# interface only. Another port stays closed, another container stays shut out, and destroy
# removes the DNAT, the map entry, the chain and the interface (so its sysctl) while the
# global sysctls never change.
. "$(dirname "$0")/warden_lib.sh"
command -v socat >/dev/null || wdn_skip "socat not installed"
wdn_start

rl_all=$(cat /proc/sys/net/ipv4/conf/all/route_localnet)
rl_def=$(cat /proc/sys/net/ipv4/conf/default/route_localnet)

# Two servers on the host's loopback only.
P1=$((20000 + RANDOM % 5000))
P2=$((P1 + 5000))
socat TCP-LISTEN:$P1,bind=127.0.0.1,fork,reuseaddr SYSTEM:'echo one \$SOCAT_PEERADDR' &
EXTRA_PIDS=$!
socat TCP-LISTEN:$P2,bind=127.0.0.1,fork,reuseaddr SYSTEM:'echo two' &
EXTRA_PIDS="$EXTRA_PIDS $!"
for _ in $(seq 50); do
    [ "$(socat -T2 - TCP:127.0.0.1:$P1 </dev/null 2>/dev/null)" = "one 127.0.0.1" ] &&
        [ "$(socat -T2 - TCP:127.0.0.1:$P2 </dev/null 2>/dev/null)" = two ] && break
    sleep 0.1
done

wdn create --handle a >/dev/null || wdn_fail "create a"
wdn create --handle b >/dev/null || wdn_fail "create b"
gwa=$(wdn info a | json_get 'd["host_ip"]')
gwb=$(wdn info b | json_get 'd["host_ip"]')
[ -n "$gwa" ] && [ "$gwa" != None ] || wdn_fail "info a has no host_ip"
ifa=$(ip -o -4 addr show | awk -v ip="$gwa" '$4 ~ "^"ip"/" {print $2}' | head -1)
[ -n "$ifa" ] || wdn_fail "no host interface holds $gwa"

dial() { # container host port
    wdn run "$1" -- socat -T2 - TCP:"$2":"$3",connect-timeout=2 </dev/null 2>/dev/null
}

[ -n "$(dial a "$gwa" $P1)" ] && wdn_fail "a reached the host's loopback before net_out"
dial a 127.0.0.1 $P1 | grep -q one && wdn_fail "the container's own 127.0.0.1 is the host's"
echo "ok - the host's loopback is closed to containers by default"

wdn net-out a --network 127.0.0.1/32 --port $P1 >/dev/null || wdn_fail "net_out 127.0.0.1/32:$P1"
# The server sees a loopback client (as pg_hba and user@localhost expect).
expect_eq "a reaches the host's 127.0.0.1:$P1 at its gateway, as a loopback client" "$(dial a "$gwa" $P1)" "one 127.0.0.1"
out=$(dial a "$gwa" $P2)
[ -z "$out" ] || wdn_fail "a reached the host's 127.0.0.1:$P2 without a rule: $out"
echo "ok - another port of the host's loopback stays closed"
out=$(dial b "$gwb" $P1)
[ -z "$out" ] || wdn_fail "b reached 127.0.0.1:$P1 through a's rule: $out"
echo "ok - the rule is a's only"
expect_eq "route_localnet on a's host interface" "$(cat /proc/sys/net/ipv4/conf/$ifa/route_localnet)" 1
expect_eq "route_localnet (all) unchanged" "$(cat /proc/sys/net/ipv4/conf/all/route_localnet)" "$rl_all"
expect_eq "route_localnet (default) unchanged" "$(cat /proc/sys/net/ipv4/conf/default/route_localnet)" "$rl_def"
nft list map ip "$TABLE" lomap | grep -q "\"$ifa\"" || wdn_fail "lomap lacks $ifa: $(nft list map ip "$TABLE" lomap)"
nft list table ip "$TABLE" | grep -q "dnat to 127.0.0.1:$P1" || wdn_fail "no DNAT rule in $TABLE"

# A second rule, on a wider loopback network: the DNAT goes to 127.0.0.1.
wdn net-out a --network 127.0.0.0/8 --port $P2 >/dev/null || wdn_fail "net_out 127.0.0.0/8:$P2"
expect_eq "a reaches 127.0.0.1:$P2 through 127.0.0.0/8" "$(dial a "$gwa" $P2)" two
expect_eq "and still $P1" "$(dial a "$gwa" $P1)" "one 127.0.0.1"
# A non-loopback net_out keeps its old meaning (no DNAT).
wdn net-out b --network "$gwb/32" --port $P2 >/dev/null || wdn_fail "net_out b"
out=$(dial b "$gwb" $P2)
[ -z "$out" ] || wdn_fail "a net_out to the gateway reached the host's loopback: $out"
echo "ok - a net_out to a non-loopback address adds no translation"

# A restarted warden keeps the rules of live containers.
wdn_stop
wdn_start
expect_eq "the rule survives a warden restart" "$(dial a "$gwa" $P1)" "one 127.0.0.1"

wdn destroy a >/dev/null || wdn_fail "destroy a"
for _ in $(seq 100); do [ -e "/proc/sys/net/ipv4/conf/$ifa" ] || break; sleep 0.1; done
[ -e "/proc/sys/net/ipv4/conf/$ifa" ] && wdn_fail "a's interface (and its route_localnet) outlived destroy"
echo "ok - destroy removes a's interface and its route_localnet"
# Destroy may answer before its network teardown has run: wait for it, boundedly.
for _ in $(seq 100); do
    nft list map ip "$TABLE" lomap | grep -q "\"$ifa\"" ||
        nft list table ip "$TABLE" | grep -q "dnat to 127.0.0.1" || break
    sleep 0.1
done
nft list map ip "$TABLE" lomap | grep -q "\"$ifa\"" && wdn_fail "lomap still has $ifa"
nft list table ip "$TABLE" | grep -q "dnat to 127.0.0.1" && wdn_fail "DNAT rules outlived destroy: $(nft list table ip "$TABLE")"
echo "ok - destroy removes a's DNAT rules and map entry"
expect_eq "route_localnet (all) unchanged after destroy" "$(cat /proc/sys/net/ipv4/conf/all/route_localnet)" "$rl_all"
expect_eq "route_localnet (default) unchanged after destroy" "$(cat /proc/sys/net/ipv4/conf/default/route_localnet)" "$rl_def"

# A new container in the freed slot does not inherit anything.
wdn create --handle c >/dev/null || wdn_fail "create c"
gwc=$(wdn info c | json_get 'd["host_ip"]')
out=$(dial c "$gwc" $P1)
[ -z "$out" ] || wdn_fail "a new container inherited a's loopback rule: $out"
echo "ok - a new container starts without the old rules"
echo "PASS test_warden_net_loopback"
