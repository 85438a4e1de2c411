# tests/e2e/lib/cloud.sh - the whole micro cloud (hearthd with every daemon: bus, router, CC,
# DEA, warden, HM, hearth-broker and the backing services hearthd can run here) on a private port
# range (--port-base, 17 ports), for tests run as root.
# Source it after cli_lib.sh (it uses T and fail):
#   cloud_start           # sets CLOUD_BASE, CLOUD_DATA, WARDEN (client command); CLI logged in as the admin
#   cloud_get HOST PATH   # GET HOST.localhost/PATH through the router: CLOUD_STATUS, CLOUD_BODY
#   cloud_cleanup         # stops hearthd, destroys containers left, removes the cloud's nft table and
#                         # cgroups, kills the broker's per-instance redis-servers and anything else
#                         # still running from the cloud's data dir; safe to call twice
CLOUD_BASE=""
CLOUD_HD_PID=""
CLOUD_DATA=""
WARDEN=()

cloud_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

cloud_start() {
    CLOUD_DATA="$T/cloud"
    local b i ok
    for _ in $(seq 1 50); do
        # Below the kernel's ephemeral range (32768-60999), so no outgoing connection holds one.
        b=$((20000 + RANDOM % 12000))
        ok=1
        for i in $(seq 0 16); do cloud_port_free $((b + i)) || { ok=0; break; }; done
        [ "$ok" = 1 ] && { CLOUD_BASE=$b; break; }
    done
    [ -n "$CLOUD_BASE" ] || fail "no free port range"
    "$BIN/hearthd" --data-dir "$CLOUD_DATA" --port-base "$CLOUD_BASE" >"$T/hearthd.log" 2>&1 &
    CLOUD_HD_PID=$!
    for _ in $(seq 1 300); do grep -q "hearthd: ready" "$T/hearthd.log" && break; sleep 0.1; done
    grep -q "hearthd: ready" "$T/hearthd.log" || fail "hearthd never reported ready: $(tail "$T/hearthd.log")"
    WARDEN=("$BIN/hearth-warden" client --socket "$CLOUD_DATA/warden.sock")
    for _ in $(seq 1 300); do "${WARDEN[@]}" ping >/dev/null 2>&1 && break; sleep 0.1; done
    local info=""
    for _ in $(seq 1 100); do
        info=$(curl -s -H "Host: api.localhost" "http://127.0.0.1:$CLOUD_BASE/info" || true)
        grep -q '"name":"hearth"' <<<"$info" && break
        sleep 0.1
    done
    grep -q '"name":"hearth"' <<<"$info" || fail "API not reachable through the router: $info"
    export HEARTH_HOME="$T/home"
    unset HEARTH_PASSWORD
    ok target "http://127.0.0.1:$((CLOUD_BASE + 5))"
    ok login "$(jq -r .admin_email "$CLOUD_DATA/secrets.json")" -p "$(jq -r .admin_password "$CLOUD_DATA/secrets.json")"
}

cloud_get() {
    CLOUD_STATUS=$(curl -s -o "$T/cloud_get.out" -w '%{http_code}' -H "Host: $1.localhost" \
        "http://127.0.0.1:$CLOUD_BASE$2")
    CLOUD_BODY=$(cat "$T/cloud_get.out")
}

cloud_cleanup() {
    if [ -n "$CLOUD_HD_PID" ]; then
        kill -TERM "$CLOUD_HD_PID" 2>/dev/null
        for _ in $(seq 1 100); do kill -0 "$CLOUD_HD_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$CLOUD_HD_PID" 2>/dev/null
        wait "$CLOUD_HD_PID" 2>/dev/null
        CLOUD_HD_PID=""
    fi
    local pid h
    for pid in $(sed -n 's/.*msg="component started".* pid=\([0-9]*\).*/\1/p' "$T/hearthd.log" 2>/dev/null); do
        kill -KILL "$pid" 2>/dev/null
    done
    # The broker's redis-servers daemonize: found by their working directory in our data dir.
    for pid in $(pgrep -x redis-server); do
        case "$(readlink "/proc/$pid/cwd" 2>/dev/null)" in "$CLOUD_DATA"/*) kill "$pid" ;; esac
    done
    # Containers outlive warden: a warden on the same socket and data dir destroys what is left.
    if [ -n "$CLOUD_DATA" ] && [ -d "$CLOUD_DATA/warden" ]; then
        "$BIN/hearth-warden" -c "$CLOUD_DATA/config/warden.yml" --socket "$CLOUD_DATA/warden.sock" \
            --data-dir "$CLOUD_DATA/warden" >>"$T/warden-cleanup.log" 2>&1 &
        local wpid=$!
        for _ in $(seq 1 100); do "${WARDEN[@]}" ping >/dev/null 2>&1 && break; sleep 0.1; done
        for h in $("${WARDEN[@]}" list 2>/dev/null); do "${WARDEN[@]}" destroy "$h" >/dev/null 2>&1; done
        kill -TERM "$wpid" 2>/dev/null
        wait "$wpid" 2>/dev/null
    fi
    # What a killed service may have left (RabbitMQ's Erlang helpers, a MariaDB): processes
    # whose command line or working directory is in this cloud's data dir, nothing else.
    if [ -n "$CLOUD_DATA" ]; then
        local cmd cwd
        for pid in /proc/[0-9]*; do
            pid=${pid#/proc/}
            [ "$pid" = $$ ] && continue
            cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || continue
            cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || cwd=""
            case "$cmd $cwd" in *"$CLOUD_DATA/"*) kill -KILL "$pid" 2>/dev/null ;; esac
        done
    fi
    if [ -n "$CLOUD_BASE" ]; then
        nft delete table ip "hearth_$CLOUD_BASE" 2>/dev/null
        # With --port-base, this cloud's warden made cgroups of its own (empty by now).
        for d in /sys/fs/cgroup/*/hearth-warden-"$CLOUD_BASE" /sys/fs/cgroup/hearth-warden-"$CLOUD_BASE"; do
            [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
        done
    fi
    CLOUD_DATA=""
    return 0
}
