# Shared by the CLI end-to-end tests (sourced): a temp dir $T cleaned on exit (logs shown on
# failure), PIDS of what the test started, fail, free_port, and h/ok/expect_rc to run the CLI.
BIN=${HEARTH_BIN_DIR:?HEARTH_BIN_DIR not set}
T=$(mktemp -d /tmp/hearth-cli-e2e.XXXXXX)
PIDS=()
FAILED=0

cleanup() {
    local rc=$?
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    if [ "$rc" -ne 0 ] || [ "$FAILED" -ne 0 ]; then
        for f in "$T"/*.log "$T"/out "$T"/err; do
            [ -f "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }
        done
    fi
    rm -rf "$T"
    exit $rc
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    FAILED=1
    exit 1
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# h ARGS...: runs the CLI, stdout in $T/out, stderr in $T/err, exit status in RC.
h() {
    "$BIN/hearth" "$@" > "$T/out" 2> "$T/err" < /dev/null
    RC=$?
}
ok() { h "$@"; [ "$RC" -eq 0 ] || fail "hearth $* exited $RC: $(cat "$T/err")"; }
expect_rc() {
    local want=$1
    shift
    h "$@"
    [ "$RC" -eq "$want" ] || fail "hearth $* exited $RC, expected $want: $(cat "$T/err")"
}
