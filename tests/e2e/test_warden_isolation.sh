#!/usr/bin/env bash
# e2e (needs root): each attack must fail. Two containers: one cannot read the other's files,
# see or signal its processes, or connect to its port; neither reaches the host's
# control-plane ports until a net_out rule allows it; net_in makes an app reachable from the
# host at 127.0.0.1:PORT and host-ip:PORT; seccomp refuses mount, unshare(user), ptrace.
. "$(dirname "$0")/warden_lib.sh"
wdn_start

wdn create --handle a --memory 134217728 >/dev/null || wdn_fail "create a"
wdn create --handle b --memory 134217728 >/dev/null || wdn_fail "create b"
ipa=$(wdn info a | json_get 'd["container_ip"]')
hosta=$(wdn info a | json_get 'd["host_ip"]')

# An app in a, mapped to a host port.
wdn spawn a -- socat TCP-LISTEN:8080,fork,reuseaddr SYSTEM:'echo hello-a' >/dev/null
hp=$(wdn net-in a --container-port 8080) || wdn_fail "net_in"
for _ in $(seq 50); do
    out=$(socat -T2 - TCP:127.0.0.1:"$hp",connect-timeout=2 </dev/null 2>/dev/null)
    [ "$out" = hello-a ] && break
    sleep 0.1
done
expect_eq "net_in reachable at 127.0.0.1:$hp" "$out" "hello-a"
hostip=$(ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | grep -v '^10\.254\.' | head -1)
if [ -n "$hostip" ]; then
    out=$(socat -T2 - TCP:"$hostip":"$hp",connect-timeout=2 </dev/null 2>/dev/null)
    expect_eq "net_in reachable at $hostip:$hp" "$out" "hello-a"
fi
expect_eq "mapped_ports in info" "$(wdn info a | json_get 'd["mapped_ports"][0]["host_port"]')" "$hp"

# b cannot reach a's port, directly or through the host port.
wdn run b -- socat -T2 - TCP:"$ipa":8080,connect-timeout=2 </dev/null >/dev/null 2>&1 &&
    wdn_fail "b connected to a's container port"
echo "ok - b cannot connect to a's port"
wdn run b -- socat -T2 - TCP:"$hosta":"$hp",connect-timeout=2 </dev/null >/dev/null 2>&1 &&
    wdn_fail "b connected to a's mapped port"
echo "ok - b cannot connect to a's mapped port through the host"

# A control-plane port on the host (the bus, say): unreachable until net_out allows it.
bus_port=$((PORT_BASE + 99))
socat TCP-LISTEN:$bus_port,fork,reuseaddr SYSTEM:'echo bus' &
EXTRA_PIDS=$!
sleep 0.3
wdn run b -- socat -T2 - TCP:"$hosta":$bus_port,connect-timeout=2 </dev/null >/dev/null 2>&1 &&
    wdn_fail "container reached a host port"
[ -n "$hostip" ] && wdn run b -- socat -T2 - TCP:"$hostip":$bus_port,connect-timeout=2 \
    </dev/null >/dev/null 2>&1 && wdn_fail "container reached the host's address"
echo "ok - host ports unreachable from containers"
hostb=$(wdn info b | json_get 'd["host_ip"]')
wdn net-out b --network "$hostb/32" --port $bus_port >/dev/null || wdn_fail "net_out"
out=$(wdn run b -- socat -T2 - TCP:"$hostb":$bus_port,connect-timeout=2 </dev/null 2>/dev/null)
expect_eq "net_out opens exactly that port" "$out" "bus"
wdn run a -- socat -T2 - TCP:"$hosta":$bus_port,connect-timeout=2 </dev/null >/dev/null 2>&1 &&
    wdn_fail "net_out of b opened the port for a"
echo "ok - net_out is per container"

# A rule for "the outside" (0.0.0.0/0) opens neither the host's ports nor another container.
wdn create --handle c --memory 134217728 >/dev/null || wdn_fail "create c"
wdn spawn c -- socat TCP-LISTEN:8081,fork,reuseaddr SYSTEM:'echo hello-c' >/dev/null
ipc=$(wdn info c | json_get 'd["container_ip"]')
wdn net-out a --network 0.0.0.0/0 --port $bus_port >/dev/null || wdn_fail "net_out a 0.0.0.0/0"
wdn net-out a --network 0.0.0.0/0 --port 8081 >/dev/null || wdn_fail "net_out a 0.0.0.0/0"
wdn run a -- socat -T2 - TCP:"$hosta":$bus_port,connect-timeout=2 </dev/null >/dev/null 2>&1 &&
    wdn_fail "0.0.0.0/0 opened the gateway's port"
[ -n "$hostip" ] && wdn run a -- socat -T2 - TCP:"$hostip":$bus_port,connect-timeout=2 \
    </dev/null >/dev/null 2>&1 && wdn_fail "0.0.0.0/0 opened the host address's port"
for _ in $(seq 50); do # c's listener is up once the host (not filtered) reaches it
    out=$(socat -T1 - TCP:"$ipc":8081,connect-timeout=1 </dev/null 2>/dev/null)
    [ "$out" = hello-c ] && break
    sleep 0.1
done
expect_eq "c's listener answers the host" "$out" "hello-c"
wdn run a -- socat -T2 - TCP:"$ipc":8081,connect-timeout=2 </dev/null >/dev/null 2>&1 &&
    wdn_fail "0.0.0.0/0 opened another container"
echo "ok - a 0.0.0.0/0 rule reaches neither the host nor another container"
wdn net-out a --network "$ipc/32" --port 8081 >/dev/null || wdn_fail "net_out a to c"
out=$(wdn run a -- socat -T2 - TCP:"$ipc":8081,connect-timeout=2 </dev/null 2>/dev/null)
expect_eq "a rule naming the other container opens it" "$out" "hello-c"
wdn destroy c >/dev/null || wdn_fail "destroy c"

# The container's resolv.conf: the host's resolvers, a loopback one replaced by the gateway.
want=$(awk '$1 == "nameserver" && $2 ~ /^[0-9.]+$/ {print $2}' /etc/resolv.conf | head -3 |
    sed "s/^127\..*/$hosta/" | awk '!seen[$0]++')
got=$(wdn run a -- cat /etc/resolv.conf | awk '$1 == "nameserver" {print $2}')
expect_eq "container resolv.conf nameservers" "$got" "$want"

# No IPv6 path around the IPv4 rules (the host side of the veth has no link-local address).
wdn run b -- sh -c 'ip -6 addr' | grep -q inet6 && wdn_fail "container has IPv6 addresses"
echo "ok - no IPv6 inside containers"

# Files: a's writable layer is invisible from b.
wdn run a -- sh -c 'echo secret-a > /home/vcap/secret'
wdn run b -- cat /home/vcap/secret >/dev/null 2>&1 && wdn_fail "b reads a's file"
patha=$(wdn info a | json_get 'd["container_path"]')
wdn run b -- ls "$patha" >/dev/null 2>&1 && wdn_fail "b sees the host path of a"
echo "ok - b cannot read a's files"

# Processes: b sees none of a's and cannot signal them.
wdn run b -- sh -c 'ps -e -o args=' | grep -q socat && wdn_fail "b sees a's processes"
apid=$(wdn info a | json_get '[p for p in d["process_ids"]][-1]')
wdn run b -- kill -9 "$apid" >/dev/null 2>&1
out=$(socat -T2 - TCP:127.0.0.1:"$hp",connect-timeout=2 </dev/null 2>/dev/null)
expect_eq "a's app survives b's kill attempts" "$out" "hello-a"
wdn run b -- kill -9 -1 >/dev/null 2>&1
out=$(socat -T2 - TCP:127.0.0.1:"$hp",connect-timeout=2 </dev/null 2>/dev/null)
expect_eq "a's app survives kill -1 from b" "$out" "hello-a"

# Privilege: no capabilities even as root, seccomp refuses the dangerous calls.
wdn run a --user root -- sh -c 'mount -t tmpfs x /mnt' >/dev/null 2>&1 && wdn_fail "root mounted"
wdn run a --user root -- unshare -U true >/dev/null 2>&1 && wdn_fail "unshare of a user ns"
wdn run a --user root -- sh -c 'echo x > /usr/evil' >/dev/null 2>&1 && wdn_fail "root wrote base"
wdn run a --user root -- hostname evil >/dev/null 2>&1 && wdn_fail "root changed hostname"
caps=$(wdn run a --user root -- sh -c 'grep CapEff /proc/self/status' | awk '{print $2}')
expect_eq "root in a container has no capabilities" "$caps" "0000000000000000"
nnp=$(wdn run a -- sh -c 'grep NoNewPrivs /proc/self/status' | awk '{print $2}')
expect_eq "no_new_privs" "$nnp" "1"
sc=$(wdn run a -- sh -c 'grep Seccomp: /proc/self/status' | awk '{print $2}')
expect_eq "seccomp filter installed" "$sc" "2"

wdn destroy a >/dev/null && wdn destroy b >/dev/null || wdn_fail "destroy"
out=$(socat -T1 - TCP:127.0.0.1:"$hp",connect-timeout=1 </dev/null 2>/dev/null)
[ -z "$out" ] || wdn_fail "mapped port still answers after destroy"
echo "ok - no app left after destroy"
echo "PASS"
