# warden_lib.sh - shared set-up for the hearth-warden e2e tests (sourced, not run).
#
# Each test gets its own data dir, socket, nftables table, interface prefix, address pool,
# port pool and cgroup parent, so tests can run in parallel, and a trap that removes all of
# it (containers, processes, mounts, cgroups, veths, the nft table) even when the test fails.
set -u

wdn_skip() {
    echo "skipped: $*"
    exit 0
}

[ "$(id -u)" = 0 ] || wdn_skip "hearth-warden tests need root"
grep -qE '^cgroup2? ' /proc/mounts || wdn_skip "no cgroup filesystem mounted"
command -v nft >/dev/null || wdn_skip "nft not installed"
[ -n "${HEARTH_BIN_DIR:-}" ] || wdn_skip "HEARTH_BIN_DIR not set"

B="$HEARTH_BIN_DIR/hearth-warden"
T=$(mktemp -d /tmp/hearth-wdn-e2e.XXXXXX)
TAG=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
TABLE="hwe2e_$TAG"
PFX="e${TAG:0:4}"
CGP="hearth-wdn-e2e-$TAG"
NET="10.254.$((128 + RANDOM % 120)).0"
PORT_BASE=$((40000 + (RANDOM % 200) * 100))
UID_BASE=$((200000 + (RANDOM % 4000) * 16))
WPID=""
S="--socket $T/w.sock"

cat >"$T/w.yml" <<YML
nft_table: $TABLE
iface_prefix: $PFX
net_pool: $NET
cgroup_parent: $CGP
port_base: $PORT_BASE
port_count: 100
max_containers: 16
uid_base: $UID_BASE
YML

wdn() { "$B" client $S "$@"; }

wdn_start() {
    "$B" --socket "$T/w.sock" --data-dir "$T/data" -c "$T/w.yml" >>"$T/log" 2>&1 &
    WPID=$!
    for _ in $(seq 100); do
        wdn ping >/dev/null 2>&1 && return 0
        kill -0 "$WPID" 2>/dev/null || break
        sleep 0.1
    done
    wdn_fail "warden did not start"
}

wdn_stop() {
    [ -n "$WPID" ] && kill "$WPID" 2>/dev/null && wait "$WPID" 2>/dev/null
    WPID=""
}

wdn_cleanup() {
    local rc=$?
    if [ -S "$T/w.sock" ] && [ -n "$WPID" ]; then
        for h in $(wdn list 2>/dev/null); do wdn destroy "$h" >/dev/null 2>&1; done
    fi
    wdn_stop
    # Anything left (a failed test, a killed warden): init processes first, then the rest.
    for m in "$T"/data/containers/*/meta.json; do
        [ -f "$m" ] || continue
        pid=$(sed -n 's/.*"init_pid":\([0-9]*\).*/\1/p' "$m")
        [ -n "$pid" ] && [ "$pid" != 0 ] && kill -9 "$pid" 2>/dev/null
    done
    for d in $(find /sys/fs/cgroup -depth -type d -path "*/$CGP*" 2>/dev/null); do
        [ -f "$d/cgroup.procs" ] && xargs -r kill -9 <"$d/cgroup.procs" 2>/dev/null
        rmdir "$d" 2>/dev/null || { sleep 0.2; rmdir "$d" 2>/dev/null; }
    done
    grep -F " $T/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
    nft delete table ip "$TABLE" 2>/dev/null
    for l in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^$PFX"); do
        ip link del "$l" 2>/dev/null
    done
    [ -n "${EXTRA_PIDS:-}" ] && kill $EXTRA_PIDS 2>/dev/null
    rm -rf "$T"
    exit $rc
}
trap wdn_cleanup EXIT

wdn_fail() {
    echo "FAIL: $*"
    echo "--- warden log (tail)"
    tail -20 "$T/log" 2>/dev/null
    exit 1
}

# expect NAME ACTUAL EXPECTED
expect_eq() {
    [ "$2" = "$3" ] || wdn_fail "$1: got '$2', expected '$3'"
    echo "ok - $1"
}

json_get() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
