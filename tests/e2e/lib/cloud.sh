# tests/e2e/lib/cloud.sh - the whole micro cloud (hearthd with every daemon: bus, router, CC,
# DEA, warden, HM, hearth-broker and the backing services hearthd can run here) on a private port
# range (--port-base, 17 ports), for tests run as root. The caller defines fail.
#   cloud_boot DATA LOG [ARGS]  # hearthd on DATA (output appended to LOG) with ARGS, until it says
#                               # ready; picks CLOUD_BASE on the first call; sets CLOUD_HD_PID, WARDEN
#   cloud_wait_api              # until the API answers through the router at api.localhost
#   cloud_stop                  # SIGTERM to hearthd, waits for it (SIGKILL after 30 s); a test that
#                               # checks hearthd's own exit sends SIGTERM and waits itself
#   cloud_pids                  # the processes whose command line or working directory is in DATA
#   cloud_start                 # (after cli_lib.sh: T, ok) cloud_boot "$T/cloud" "$T/hearthd.log",
#                               # cloud_wait_api, CLI targeted and logged in as the admin
#   cloud_get HOST PATH         # GET HOST.localhost/PATH through the router: CLOUD_STATUS, CLOUD_BODY
#   cloud_settled N             # until warden holds exactly N containers: a change's rollout is
#                               # over (old instances and staging containers gone), so every
#                               # answer comes from the new version
#   cloud_cleanup               # stops hearthd, destroys containers left, kills what still runs from
#                               # DATA, removes the cloud's nft table and cgroups; safe to call twice
CLOUD_BIN=${HEARTH_BIN_DIR:?}
CLOUD_BASE=""
CLOUD_HD_PID=""
CLOUD_DATA=""
CLOUD_LOG=""
WARDEN=()

cloud_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

cloud_boot() {
    CLOUD_DATA=$1
    CLOUD_LOG=$2
    shift 2
    local b i ok
    for _ in $(seq 1 50); do
        [ -n "$CLOUD_BASE" ] && break
        # Below the kernel's ephemeral range (32768-60999), so no outgoing connection holds one.
        b=$((20000 + RANDOM % 12000))
        ok=1
        for i in $(seq 0 16); do cloud_port_free $((b + i)) || { ok=0; break; }; done
        [ "$ok" = 1 ] && CLOUD_BASE=$b
    done
    [ -n "$CLOUD_BASE" ] || fail "no free port range"
    : >>"$CLOUD_LOG"
    local from
    from=$(wc -l <"$CLOUD_LOG")
    "$CLOUD_BIN/hearthd" --data-dir "$CLOUD_DATA" --port-base "$CLOUD_BASE" "$@" >>"$CLOUD_LOG" 2>&1 &
    CLOUD_HD_PID=$!
    WARDEN=("$CLOUD_BIN/hearth-warden" client --socket "$CLOUD_DATA/warden.sock")
    for _ in $(seq 1 600); do
        tail -n +$((from + 1)) "$CLOUD_LOG" | grep -q "hearthd: ready" && return 0
        kill -0 "$CLOUD_HD_PID" 2>/dev/null || fail "hearthd exited: $(tail "$CLOUD_LOG")"
        sleep 0.1
    done
    fail "hearthd never reported ready: $(tail "$CLOUD_LOG")"
}

cloud_wait_api() {
    local info=""
    for _ in $(seq 1 100); do
        info=$(curl -s -H "Host: api.localhost" "http://127.0.0.1:$CLOUD_BASE/info" || true)
        grep -q '"name":"hearth"' <<<"$info" && return 0
        sleep 0.1
    done
    fail "API not reachable through the router: $info"
}

cloud_stop() {
    [ -n "$CLOUD_HD_PID" ] || return 0
    kill -TERM "$CLOUD_HD_PID" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$CLOUD_HD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$CLOUD_HD_PID" 2>/dev/null || true
    wait "$CLOUD_HD_PID" 2>/dev/null || true
    CLOUD_HD_PID=""
    return 0
}

cloud_pids() {
    [ -n "$CLOUD_DATA" ] || return 0
    local pid cmd cwd
    for pid in /proc/[0-9]*; do
        pid=${pid#/proc/}
        [ "$pid" = $$ ] && continue
        cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || continue
        cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || cwd=""
        case "$cmd $cwd " in *"$CLOUD_DATA/"* | *"$CLOUD_DATA "*) echo "$pid" ;; esac
    done
    return 0
}

cloud_start() {
    cloud_boot "$T/cloud" "$T/hearthd.log"
    # "ready" means the API answers; warden may still be setting up its containers' root.
    for _ in $(seq 1 300); do "${WARDEN[@]}" ping >/dev/null 2>&1 && break; sleep 0.1; done
    cloud_wait_api
    export HEARTH_HOME="$T/home"
    unset HEARTH_PASSWORD
    ok target "http://127.0.0.1:$((CLOUD_BASE + 5))"
    ok login "$(jq -r .admin_email "$CLOUD_DATA/secrets.json")" -p "$(jq -r .admin_password "$CLOUD_DATA/secrets.json")"
}

cloud_settled() {
    local n=""
    for _ in $(seq 1 300); do
        n=$("${WARDEN[@]}" list 2>/dev/null | grep -c .)
        [ "$n" = "$1" ] && return 0
        sleep 0.2
    done
    fail "warden holds $n containers, want $1"
}

cloud_get() {
    CLOUD_STATUS=$(curl -s -o "$T/cloud_get.out" -w '%{http_code}' -H "Host: $1.localhost" \
        "http://127.0.0.1:$CLOUD_BASE$2")
    CLOUD_BODY=$(cat "$T/cloud_get.out")
}

cloud_cleanup() {
    set +e # the exit path: each step is tried whatever the previous one did
    cloud_stop
    local pid h
    # Children hearthd reported starting, in case it died first.
    for pid in $(sed -n 's/.*msg="component started".* pid=\([0-9]*\).*/\1/p' "$CLOUD_LOG" 2>/dev/null); do
        kill -KILL "$pid" 2>/dev/null
    done
    # Containers outlive warden: a warden on the same socket and data dir destroys what is left.
    if [ -n "$CLOUD_DATA" ] && [ -d "$CLOUD_DATA/warden" ]; then
        "$CLOUD_BIN/hearth-warden" -c "$CLOUD_DATA/config/warden.yml" --socket "$CLOUD_DATA/warden.sock" \
            --data-dir "$CLOUD_DATA/warden" >>"$CLOUD_DATA.warden-cleanup.log" 2>&1 &
        local wpid=$!
        for _ in $(seq 1 100); do "${WARDEN[@]}" ping >/dev/null 2>&1 && break; sleep 0.1; done
        for h in $("${WARDEN[@]}" list 2>/dev/null); do "${WARDEN[@]}" destroy "$h" >/dev/null 2>&1; done
        kill -TERM "$wpid" 2>/dev/null
        wait "$wpid" 2>/dev/null
    fi
    # What a killed service may have left (the broker's redis-servers, which daemonize, RabbitMQ's
    # Erlang helpers, a MariaDB): processes whose command line or working directory is in this
    # cloud's data dir, nothing else.
    for pid in $(cloud_pids); do kill -KILL "$pid" 2>/dev/null; done
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
