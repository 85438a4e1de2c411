#!/usr/bin/env bash
# e2e (needs root): instance logs. An app writes 20000 numbered lines (~860 KB) to stdout
# with log_max_bytes at 64 KiB: logs/stdout.log is rotated to stdout.log.1 (one generation),
# both stay bounded, lines are whole and contiguous across the two files; a live tail
# (?tail=1, chunked) started before the output follows every rotation and shows each line
# exactly once, then ends when the instance stops; ?offset=N starts at byte N; tails are
# bounded (max_tailers) and released when their client goes; /logs?lines=N gives recent
# lines; dea.find.droplet's file_uri + staged + credentials reach the files (cf-v1 §2.4).
. "$(dirname "$0")/dea_lib.sh"
wdn_start
DEA_EXTRA_YAML=$'log_max_bytes: 64k\nmax_tailers: 2' dea_start
mkdir -p "$T/app"
cp "$(dirname "$0")/dea_probe_app.py" "$T/app/app.py"
SHA=$(make_droplet "$T/app" "python3 -u app.py")
APP=logs-$TAG
$BUS pub "$NATS" "dea.$DEA_ID.start" "$(start_msg "$APP" "$SHA" 0 128 logs.e2e.test)"
R=$(bus_wait 60 "s=='router.register' and d['app']=='$APP'")
PORT=$(echo "$R" | json_get 'd["port"]')
I=$(echo "$R" | json_get 'd["private_instance_id"]')
F="http://127.0.0.1:$FILE_PORT/instances/$I/files"

# The tail starts before any output and must see all of it.
curl -sN -u u:p "$F/logs/stdout.log?tail=1" >"$T/tail.out" 2>/dev/null &
TAIL=$!
EXTRA_PIDS="$EXTRA_PIDS $TAIL"
curl -sN -u u:p "$F/logs/stderr.log?tail=1" >/dev/null 2>&1 &
TAIL2=$!
EXTRA_PIDS="$EXTRA_PIDS $TAIL2"
sleep 0.5
code=$(curl -s -o /dev/null -w '%{http_code}' -u u:p "$F/logs/stdout.log?tail=1")
expect_eq "a third tail over max_tailers" "$code" "503"
kill "$TAIL2" 2>/dev/null
wait "$TAIL2" 2>/dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 -u u:p "$F/logs/stderr.log?tail=1")
expect_eq "a tail slot is released when its client goes" "$code" "200"
echo "ok - tails are bounded (503 over max_tailers) and released when the client goes"

curl -sf "http://127.0.0.1:$PORT/go" >/dev/null || wdn_fail "app does not answer"
for _ in $(seq 300); do
    curl -sf -u u:p "$F/logs/stderr.log" | grep -q "spam done" && break
    sleep 0.1
done
curl -sf -u u:p "$F/logs/stderr.log" | grep -q "spam done" || wdn_fail "app output never finished"
for _ in $(seq 100); do grep -q "^line 019999 " "$T/tail.out" && break; sleep 0.1; done

# Files on the DEA: rotation kept one generation, bounded, whole contiguous lines.
curl -sf -u u:p "$F/logs/" | grep -qx "stdout.log.1" || wdn_fail "no rotated generation"
curl -sf -u u:p "$F/logs/stdout.log.1" >"$T/gen1" || wdn_fail "cannot read stdout.log.1"
curl -sf -u u:p "$F/logs/stdout.log" >"$T/gen0" || wdn_fail "cannot read stdout.log"
python3 - "$T/gen1" "$T/gen0" <<'PY' || wdn_fail "rotated logs lost or split lines"
import re, sys
a, b = (open(p).read() for p in sys.argv[1:3])
assert 0 < len(a) <= 2 * 65536 and 0 < len(b) <= 2 * 65536, (len(a), len(b))
lines = (a + b).splitlines(keepends=True)
for l in lines:
    assert re.fullmatch(r"line \d{6} x{30}\n", l), repr(l)
n = [int(l[5:11]) for l in lines]
assert n == list(range(n[0], 20000)), "gap"
assert a.endswith("\n") and len(a) >= 65536, len(a)
PY
echo "ok - stdout.log rotated at log_max_bytes into stdout.log.1, whole lines, none lost across the two"

# ?offset=N: the current file from byte N (compared with a Range read of the same bytes).
SIZE=$(stat -c %s "$T/dea/instances/$I/logs/stdout.log")
OFF=$((SIZE - 100))
curl -s --max-time 1 -u u:p "$F/logs/stdout.log?tail=1&offset=$OFF" >"$T/off.out"
curl -sf -u u:p -H "Range: bytes=$OFF-" "$F/logs/stdout.log" >"$T/range.out" || wdn_fail "range read"
[ "$(wc -c <"$T/off.out")" = 100 ] || wdn_fail "offset tail gave $(wc -c <"$T/off.out") bytes"
cmp -s "$T/off.out" "$T/range.out" || wdn_fail "offset tail and Range read differ"
tail -c 100 "$T/gen0" | cmp -s - "$T/off.out" || wdn_fail "offset tail is not the file's end"
echo "ok - ?tail=1&offset=N starts at byte N (same bytes as Range: bytes=N-)"

L=$(curl -sf -u u:p "http://127.0.0.1:$FILE_PORT/instances/$I/logs?lines=3")
expect_eq "recent lines" "$(echo "$L" | cut -c1-11 | tr '\n' ' ')" "line 019997 line 019998 line 019999 spam done "

FIND=$($BUS req "$NATS" dea.find.droplet "{\"droplet\":\"$APP\"}" 2 1)
URL=$(echo "$FIND" | json_get 'd["file_uri"] + d["staged"] + "/logs/stderr.log"')
U=$(echo "$FIND" | json_get 'd["credentials"][0]')
P=$(echo "$FIND" | json_get 'd["credentials"][1]')
curl -sf -u "$U:$P" "$URL" | grep -q "spam done" || wdn_fail "file_uri+staged+credentials do not reach the file"
echo "ok - recent lines; find.droplet's file_uri + staged + credentials (v1) reach the logs"

# Stop: the tail shows every line exactly once, then ends.
$BUS pub "$NATS" dea.stop "{\"droplet\":\"$APP\"}"
for _ in $(seq 100); do kill -0 "$TAIL" 2>/dev/null || break; sleep 0.1; done
kill -0 "$TAIL" 2>/dev/null && wdn_fail "the tail did not end with the instance"
wait "$TAIL" || wdn_fail "the tail ended badly (curl status $?)"
python3 - "$T/tail.out" <<'PY' || wdn_fail "the live tail lost, split or repeated lines"
import re, sys
lines = open(sys.argv[1]).read().splitlines(keepends=True)
n = [int(l[5:11]) for l in lines if re.fullmatch(r"line \d{6} x{30}\n", l)]
assert len(n) == len(lines), "malformed lines"
assert n == list(range(20000)), (len(n), n[:3], n[-3:])
PY
echo "ok - a live tail followed 13 rotations: all 20000 lines once, in order, ended with the instance"

# A DEA that stops closes its tails (the app keeps running, the client is not left hanging).
$BUS pub "$NATS" "dea.$DEA_ID.start" "$(start_msg "$APP-2" "$SHA" 0 128 logs2.e2e.test)"
I2=$(bus_wait 60 "s=='router.register' and d['app']=='$APP-2'" | json_get 'd["private_instance_id"]')
curl -sN -u u:p "http://127.0.0.1:$FILE_PORT/instances/$I2/files/logs/stdout.log?tail=1" >/dev/null 2>&1 &
TAIL=$!
EXTRA_PIDS="$EXTRA_PIDS $TAIL"
sleep 0.3
kill -0 "$TAIL" 2>/dev/null || wdn_fail "tail not open"
dea_stop
for _ in $(seq 50); do kill -0 "$TAIL" 2>/dev/null || break; sleep 0.1; done
kill -0 "$TAIL" 2>/dev/null && wdn_fail "the tail outlived the DEA"
echo "ok - stopping the DEA closes its open tails"
echo PASS
