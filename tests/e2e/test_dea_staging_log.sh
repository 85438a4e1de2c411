#!/usr/bin/env bash
# e2e (needs root): the live staging log. A buildpack that prints ~40 KiB of multi-byte UTF-8
# and then waits for a gate file shows its output on staging.<task_id>.log while it is still
# running (the test opens the gate only after reading it from the bus); the pieces carry
# seq 0,1,2..., at most 8 KiB each, end with a done message sent before the reply, and
# concatenate to exactly the reply's task_log.
. "$(dirname "$0")/dea_lib.sh"
wdn_start
cp -r "$HEARTH_SOURCE_DIR/buildpacks" "$T/bp"
mkdir -p "$T/bp/gate/bin"
cat >"$T/bp/gate/bin/detect" <<'SH'
#!/bin/sh
echo gate
SH
cat >"$T/bp/gate/bin/compile" <<'SH'
#!/bin/sh
i=0
while [ $i -lt 1000 ]; do
    echo "line $i: héllo wörld ✓ ünïcödé ☃ $i"
    i=$((i + 1))
done >"$TMPDIR/lines"
cat "$TMPDIR/lines" # one write: the DEA gets it as one chunk to cut into pieces
echo "gate: waiting"
n=0
while [ ! -e /buildpacks/gate/open ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n + 1)); done
[ -e /buildpacks/gate/open ] || { echo "gate: never opened" >&2; exit 1; }
echo "gate: opened"
SH
cat >"$T/bp/gate/bin/release" <<'SH'
#!/bin/sh
printf -- '---\ndefault_process_types:\n  web: sleep 1000\n'
SH
chmod -R a+rX "$T/bp" && chmod +x "$T/bp/gate/bin/"*
DEA_BUILDPACKS="$T/bp" dea_start
CC_PORT=$(free_port)
mkdir -p "$T/cc" "$T/src"
echo "just text" >"$T/src/README"
(cd "$T/src" && zip -qr "$T/cc/gate.zip" .)
python3 "$HEARTH_SOURCE_DIR/tests/e2e/dea_fake_cc.py" "$CC_PORT" "$T/cc" &
EXTRA_PIDS="$EXTRA_PIDS $!"
sleep 0.3
msg=$(python3 -c '
import json, sys
print(json.dumps({"task_id": "t-gate", "app_id": "app-gate", "name": "gate",
  "properties": {"buildpack": "gate", "environment": [], "services": [],
                 "resources": {"memory": 256, "disk": 1024}},
  "download_uri": "http://127.0.0.1:%s/pkg/gate.zip" % sys.argv[1],
  "upload_uri": "http://127.0.0.1:%s/drop/gate.tgz" % sys.argv[1]}))' "$CC_PORT")
$BUS req "$NATS" "staging.$DEA_ID.start" "$msg" 120 1 >"$T/reply" &
REQ=$!
EXTRA_PIDS="$EXTRA_PIDS $REQ"

$BUS slog "$T/bus.jsonl" t-gate 60 "gate: waiting" >"$T/early" || wdn_fail "no live log while staging ran"
[ -s "$T/reply" ] && wdn_fail "the reply came before the gate opened"
grep -q "line 999: héllo wörld ✓" "$T/early" || wdn_fail "early pieces miss the buildpack output"
grep -q "Running buildpacks" "$T/early" || wdn_fail "early pieces miss the DEA's own lines"
echo "ok - the staging log is on the bus while the buildpack still runs"
touch "$T/bp/gate/open"
wait "$REQ"
r=$(cat "$T/reply")
[ -n "$r" ] || wdn_fail "no staging reply"
echo "$r" | json_get 'd.get("error")' | grep -qx None || wdn_fail "staging failed: $r"
echo "$r" | task_log | grep -q "gate: opened" || wdn_fail "task_log misses the end"
slog_check t-gate "$r"
[ "$(wc -c <"$T/slog.t-gate")" -gt 40000 ] || wdn_fail "log shorter than expected"
python3 - "$T/bus.jsonl" <<'PY' || wdn_fail "pieces not cut at 8 KiB"
import json, sys
sizes = [len(json.loads(json.loads(l)["data"]).get("data", "").encode())
         for l in open(sys.argv[1], encoding="utf-8") if json.loads(l)["subject"] == "staging.t-gate.log"]
assert max(sizes) <= 8192 and max(sizes) > 8000, sizes
PY
echo "ok - pieces (seq ordered, <= 8 KiB, UTF-8 whole) concatenate to the task_log; done before the reply"
echo PASS
