#!/usr/bin/env bash
# e2e (needs root): create with limits, run as an unprivileged uid, hostname, private pid
# namespace, read-only base, memory OOM reported, pids limit, disk limit, copy in/out,
# hostile archives refused, destroy leaves nothing behind.
. "$(dirname "$0")/warden_lib.sh"
wdn_start

H=$(wdn create --handle lc1 --memory 67108864 --pids 64 --disk 16777216 --prop app=a1) ||
    wdn_fail "create"
expect_eq "create returns the handle" "$H" "lc1"

uid=$(wdn run lc1 -- id -u)
[ "$uid" != 0 ] || wdn_fail "processes run as root"
echo "ok - runs as uid $uid, not 0"
expect_eq "hostname is the handle" "$(wdn run lc1 -- hostname)" "lc1"
expect_eq "host hostname unchanged by container" "$(hostname)" "$(hostname)"
wdn run lc1 -- hostname evil >/dev/null 2>&1 && wdn_fail "container changed its hostname"
[ "$(hostname)" != evil ] || wdn_fail "host hostname changed"
echo "ok - cannot set hostname"

n=$(wdn run lc1 -- ps -e -o pid= | wc -l)
[ "$n" -le 2 ] || wdn_fail "ps sees $n processes (expected init + ps)"
echo "ok - ps sees only the container's processes ($n)"
expect_eq "pid 1 is the tiny init" "$(wdn run lc1 -- ps -o comm= -p 1)" "hearth-init"
wdn run lc1 -- ps -e -o args= | grep -qF "$T" && wdn_fail "host paths visible in ps"
echo "ok - no host paths in the container's process list"

wdn run lc1 -- sh -c 'echo x > /usr/bin/hearth-test' 2>/dev/null && wdn_fail "base is writable"
[ ! -e /usr/bin/hearth-test ] || wdn_fail "wrote into the host's /usr"
echo "ok - base filesystem is read-only"
wdn run lc1 -- test -e /etc/shadow && wdn_fail "/etc/shadow visible"
wdn run lc1 -- test -e /root/.bashrc && wdn_fail "/root visible"
echo "ok - no host secrets"
wdn run lc1 -- sh -c 'echo hi > /tmp/t && cat /tmp/t' | grep -q hi || wdn_fail "/tmp not writable"
echo "ok - private writable /tmp"

# Memory: a hog is killed and the event is reported.
wdn run lc1 -- sh -c 'tail /dev/zero' >/dev/null 2>&1
rc=$?
expect_eq "memory hog is SIGKILLed" "$rc" "137"
wdn info lc1 | grep -q '"out of memory"' || wdn_fail "no out of memory event in info"
echo "ok - out of memory event reported"
expect_eq "the OOM killer spares the init" "$(wdn info lc1 | json_get 'd["state"]')" "active"

# Pids: a fork bomb hits the limit, the host and the container survive it, stop ends it.
wdn create --handle lc3 --pids 64 --network none >/dev/null || wdn_fail "create lc3"
# Every process keeps forking and ignores failures, so the bomb stays at the limit.
wdn spawn lc3 -- python3 -c '
import os, time
while True:
    try:
        os.fork()
    except OSError:
        time.sleep(0.01)' >/dev/null
sleep 2
cur=$(wdn info lc3 | json_get 'd["memory_stat"]["pids_current"]')
[ "$cur" -le 64 ] || wdn_fail "pids_current $cur above the limit"
[ "$cur" -ge 32 ] || wdn_fail "fork bomb did not run ($cur processes)"
echo "ok - fork bomb held at $cur processes (limit 64)"
wdn stop lc3 --kill >/dev/null || wdn_fail "stop"
left=$(wdn info lc3 | json_get 'len(d["process_ids"])')
expect_eq "stop kills everything but init" "$left" "1"
expect_eq "stopped state" "$(wdn info lc3 | json_get 'd["state"]')" "stopped"
wdn destroy lc3 >/dev/null || wdn_fail "destroy lc3"

# Disk: writes past the quota fail, usage stays under the limit.
wdn run lc1 -- sh -c 'dd if=/dev/zero of=/home/vcap/big bs=1M count=32' >/dev/null 2>&1 &&
    wdn_fail "wrote 32 MiB into a 16 MiB disk"
used=$(wdn info lc1 | json_get 'd["disk_stat"]["bytes_used"]')
[ "$used" -le 16777216 ] || wdn_fail "disk usage $used above limit"
echo "ok - disk limit enforced (used $used)"
wdn run lc1 -- rm -f /home/vcap/big

# Runtime limits.
expect_eq "limit_memory query" "$(wdn limit-memory lc1 | json_get 'd["limit_in_bytes"]')" "67108864"
wdn limit-memory lc1 134217728 >/dev/null
expect_eq "limit_memory set" "$(wdn limit-memory lc1 | json_get 'd["limit_in_bytes"]')" "134217728"
wdn limit-disk lc1 33554432 >/dev/null
expect_eq "limit_disk set" "$(wdn limit-disk lc1 | json_get 'd["byte_limit"]')" "33554432"

# List by property.
wdn create --handle lc2 --prop app=a2 --network none >/dev/null || wdn_fail "create lc2"
expect_eq "list filters by property" "$(wdn list --prop app=a1)" "lc1"
expect_eq "list all" "$(wdn list | sort | tr '\n' ' ')" "lc1 lc2 "

# Spawn, stream, link, signal.
job=$(wdn spawn lc1 -- sh -c 'echo one; echo two >&2; exit 3')
out=$(wdn stream lc1 "$job" 2>/dev/null)
expect_eq "stream exit status" "$?" "3"
expect_eq "stream stdout" "$out" "one"
expect_eq "link stderr" "$(wdn link lc1 "$job" 2>&1 >/dev/null)" "two"
job=$(wdn spawn lc1 -- sleep 100)
sleep 0.3
wdn signal lc1 "$job" KILL >/dev/null || wdn_fail "signal"
wdn link lc1 "$job" >/dev/null
expect_eq "signalled job status" "$?" "137"

# copy_in / copy_out.
mkdir -p "$T/src/d" && echo payload >"$T/src/d/f.txt" && tar -C "$T/src" -cf "$T/in.tar" d
wdn copy-in lc1 "$T/in.tar" /home/vcap/in >/dev/null || wdn_fail "copy_in"
expect_eq "copied file readable inside" "$(wdn run lc1 -- cat /home/vcap/in/d/f.txt)" "payload"
wdn run lc1 -- sh -c 'echo back > /home/vcap/out.txt'
wdn copy-out lc1 /home/vcap/out.txt "$T/out.tar" >/dev/null || wdn_fail "copy_out"
expect_eq "copy_out content" "$(tar -xOf "$T/out.tar" out.txt)" "back"
python3 - "$T" <<'PY'
import io, sys, tarfile
t = sys.argv[1]
def mk(name, entries):
    with tarfile.open(f"{t}/{name}.tar", "w") as tf:
        for path, kind, val in entries:
            ti = tarfile.TarInfo(path)
            if kind == "sym":
                ti.type, ti.linkname = tarfile.SYMTYPE, val
                tf.addfile(ti)
            else:
                data = val.encode()
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
mk("dotdot", [(f"../../../..{t}/escape1", "f", "x")])
mk("abs", [(f"{t}/escape2", "f", "x")])
mk("sym", [("link", "sym", t), ("link/escape3", "f", "x")])
PY
for k in dotdot abs sym; do
    wdn copy-in lc1 "$T/$k.tar" /home/vcap/x >/dev/null 2>&1 && wdn_fail "hostile $k tar accepted"
done
ls "$T"/escape* >/dev/null 2>&1 && wdn_fail "hostile tar wrote on the host"
echo "ok - hostile archives (.., absolute, symlink escape) refused"

# A process left running must not survive destroy; nor may a net_out rule or a mapped port.
wdn net-out lc1 --network 10.9.9.9/32 --port 9 >/dev/null || wdn_fail "net_out lc1"
wdn net-in lc1 --container-port 8080 >/dev/null || wdn_fail "net_in lc1"
wdn spawn lc1 -- sleep 1000 >/dev/null
sleep 0.3
init=$(sed -n 's/.*"init_pid":\([0-9]*\).*/\1/p' "$T/data/containers/lc1/meta.json")
wdn destroy lc1 >/dev/null || wdn_fail "destroy"
wdn destroy lc2 >/dev/null || wdn_fail "destroy lc2"
sleep 0.3
# Gone, or a zombie waiting for its parent to reap it: either way it runs nothing.
grep -qs '^State:.*[RSD]' "/proc/$init/status" && wdn_fail "init still alive after destroy"
pgrep -u "$uid" >/dev/null && wdn_fail "processes of uid $uid survive destroy"
grep -F " $T/" /proc/mounts && wdn_fail "mounts left behind"
find /sys/fs/cgroup -type d -path "*/$CGP/lc*" | grep -q . && wdn_fail "cgroups left behind"
# The veth pair goes with the container's network namespace, which the kernel frees
# asynchronously once its last process is gone.
for _ in $(seq 30); do
    ip -o link | grep -q " $PFX" || break
    sleep 0.1
done
ip -o link | grep -q " $PFX" && wdn_fail "veths left behind"
# Every slot's chain and outmap entry exist while warden runs; they must hold no rule, and no
# port may stay mapped.
nft list map ip "$TABLE" portmap | grep -q elements && wdn_fail "port mappings left behind"
nft list table ip "$TABLE" | sed -n '/chain c[0-9]/,/}/p' | grep -vE 'chain c[0-9]|^[[:space:]]*}?[[:space:]]*$' |
    grep -q . && wdn_fail "nft rules left behind"
[ -z "$(ls "$T/data/containers")" ] || wdn_fail "container dirs left behind"
echo "ok - destroy leaves no processes, mounts, cgroups, veths, rules or files"
wdn info lc1 >/dev/null 2>&1 && wdn_fail "info on destroyed container"

# Destroy then create of the same handle, back to back on one connection: the create waits
# for the old container's cleanup (mounts, cgroups run off the loop) and then succeeds.
wdn create --handle again --network none >/dev/null || wdn_fail "create again"
python3 - "$T/w.sock" <<'PY' || wdn_fail "re-create of a destroyed handle"
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
reqs = [{"type": "destroy", "handle": "again"}, {"type": "create", "handle": "again",
        "network": "none"}, {"type": "run", "handle": "again", "path": "/bin/echo",
        "args": ["fresh"]}, {"type": "destroy", "handle": "again"}]
s.sendall(b"".join(json.dumps(r).encode() + b"\n" for r in reqs))
f = s.makefile("rb")
got = [json.loads(f.readline()) for _ in reqs]
assert [g["type"] for g in got] == ["destroy", "create", "run", "destroy"], got
assert got[2]["stdout"] == "fresh\n", got[2]
PY
echo "ok - a destroyed handle can be created again at once"

# Grace time: a container no client references any more is destroyed after grace_time.
wdn create --handle g1 --grace 1 --network none >/dev/null || wdn_fail "create g1"
wdn create --handle g2 --network none >/dev/null || wdn_fail "create g2"
for _ in $(seq 50); do
    wdn list | grep -q '^g1$' || break
    sleep 0.1
done
expect_eq "grace time destroys an unreferenced container" "$(wdn list)" "g2"
wdn destroy g2 >/dev/null

# A warden stopped with no container left removes its nftables table and cgroup parents.
for _ in $(seq 50); do
    [ -z "$(find /sys/fs/cgroup -mindepth 2 -type d -path "*/$CGP/*" 2>/dev/null)" ] && break
    sleep 0.1
done
wdn_stop
nft list table ip "$TABLE" >/dev/null 2>&1 && wdn_fail "table $TABLE left after a clean stop"
left=$(find /sys/fs/cgroup -type d -path "*/$CGP*" 2>/dev/null)
expect_eq "a clean stop leaves no cgroup dir" "$left" ""
echo "ok - a warden stopped with no container leaves no nft table and no cgroup"
echo "PASS"
