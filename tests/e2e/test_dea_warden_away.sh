#!/usr/bin/env bash
# e2e (needs root): warden briefly away. With warden stopped, an instance start and a staging
# request both wait for it (their own connections are retried for warden_retry) and succeed
# once it is back; when warden stays away longer than warden_retry, the start is reported
# CRASHED with a clear reason.
. "$(dirname "$0")/dea_lib.sh"
wdn_start
DEA_EXTRA_YAML="warden_retry: 4s" dea_start
A="$HEARTH_SOURCE_DIR/tests/apps"
SHA=$(make_droplet "$A/python-http" "python3 app.py")
CC_PORT=$(free_port)
mkdir -p "$T/cc"
(cd "$A/static" && zip -qr "$T/cc/st.zip" .)
python3 "$HEARTH_SOURCE_DIR/tests/e2e/dea_fake_cc.py" "$CC_PORT" "$T/cc" &
EXTRA_PIDS="$EXTRA_PIDS $!"
sleep 0.3

wdn_stop
$BUS pub "$NATS" "dea.$DEA_ID.start" "$(start_msg away-$TAG "$SHA" 0 128 away.e2e.test)"
msg=$(python3 -c '
import json, sys
print(json.dumps({"task_id": "t-away", "app_id": "app-away", "name": "st",
  "properties": {"environment": [], "services": [], "resources": {"memory": 256, "disk": 1024}},
  "download_uri": "http://127.0.0.1:%s/pkg/st.zip" % sys.argv[1],
  "upload_uri": "http://127.0.0.1:%s/drop/st.tgz" % sys.argv[1]}))' "$CC_PORT")
$BUS req "$NATS" "staging.$DEA_ID.start" "$msg" 60 1 >"$T/reply" &
REQ=$!
EXTRA_PIDS="$EXTRA_PIDS $REQ"
sleep 1 # both tasks are now retrying
wdn_start
PORT=$(bus_wait 30 "s=='router.register' and d['app']=='away-$TAG'" | json_get 'd["port"]')
curl -sf "http://127.0.0.1:$PORT/" | grep -q "hello from python" || wdn_fail "app does not answer"
echo "ok - an instance started while warden was away runs once warden is back"
wait "$REQ"
echo "$(cat "$T/reply")" | json_get 'd.get("error")' | grep -qx None ||
    wdn_fail "staging while warden was away failed: $(cat "$T/reply")"
[ -s "$T/cc/st.tgz" ] || wdn_fail "no droplet uploaded"
echo "ok - a staging task started while warden was away completes once warden is back"

wdn_stop
$BUS pub "$NATS" "dea.$DEA_ID.start" "$(start_msg gone-$TAG "$SHA" 0 64 gone.e2e.test)"
X=$(bus_wait 30 "s=='droplet.exited' and d['droplet']=='gone-$TAG'")
expect_eq "warden gone: reason" "$(echo "$X" | json_get 'd["reason"]')" "CRASHED"
echo "$X" | json_get 'd["exit_description"]' | grep -q "cannot connect to warden" ||
    wdn_fail "no clear reason: $X"
echo "ok - warden away longer than warden_retry: CRASHED, '$(echo "$X" | json_get 'd["exit_description"]')'"
wdn_start
echo PASS
