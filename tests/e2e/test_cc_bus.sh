# hearth-cc on the bus end to end, with Debian's nats-server and a stand-in DEA that records
# every message: the API route registration, staging (package download, droplet upload,
# reply), dea.UUID.start per instance, scaling, dea.stop, droplet.updated, dea.update, and
# the HM's START/STOP requests.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/cc_lib.sh"

fake_dea_start
start_cc

pub() { python3 "$HERE/cc_fake_dea.py" pub "127.0.0.1:$NATS_PORT" "$1" "$2"; }
# await_staged APP: waits (10 s) until APP's package is STAGED.
await_staged() {
    for _ in $(seq 1 100); do
        call "$1 staged" GET "/apps/$1" "$ALICE"
        [ "$(jfield .package_state)" = STAGED ] && return 0
        sleep 0.1
    done
    fail "$1 not staged: $BODY"
}

wait_msg '.subject == "dea.locate"' > /dev/null
wait_msg '.subject == "router.register" and (.data | fromjson | .uris == ["api.hearth.local"] and .port == '"$CC_PORT"')' > /dev/null

A=$(wait_msg '.subject == "vcap.component.announce" and (.data | fromjson | .type == "CloudController")')
CRED=$(printf '%s' "$A" | jq -r '.data | fromjson | .credentials | join(":")')
[ "$(curl -s -u "$CRED" "http://127.0.0.1:$CC_STATUS_PORT/healthz")" = ok ] || fail "healthz"
for _ in $(seq 1 50); do
    [ "$(curl -s -u "$CRED" "http://127.0.0.1:$CC_STATUS_PORT/varz" | jq -r .deas)" = 1 ] && break
    sleep 0.1
done
[ "$(curl -s -u "$CRED" "http://127.0.0.1:$CC_STATUS_PORT/varz" | jq -r .deas)" = 1 ] || fail "varz deas"

register alice@x.com pw
register bob@x.com pw
ALICE=$(login alice@x.com pw)
call "create" POST /apps "$ALICE" '{"name":"web","uris":["web.hearth.local"],"instances":2,"resources":{"memory":64}}'
expect 302
call "get" GET /apps/web "$ALICE"
GUID=$(jfield .guid)

# Starting an app without bits publishes nothing to the DEAs.
call "start without bits" PUT /apps/web "$ALICE" '{"state":"STARTED"}'
expect 200
sleep 0.5
[ "$(count_msgs '.subject | startswith("staging.")')" = 0 ] || fail "staged without bits"

mkdir -p "$CC_TMP/app" && echo '<h1>hi</h1>' > "$CC_TMP/app/index.html"
upload web "$CC_TMP/app"

# New bits on a STARTED app: staging on dea-1, then one start per instance.
STG=$(wait_msg '.subject == "staging.dea-1.start"')
printf '%s' "$STG" | jq -e '.reply != null and (.data | fromjson | .app_id == "'"$GUID"'" and (.download_uri | test("/staging/packages/")))' > /dev/null || fail "staging request: $STG"
S0=$(wait_msg '.subject == "dea.dea-1.start" and (.data | fromjson | .index == 0)')
wait_msg '.subject == "dea.dea-1.start" and (.data | fromjson | .index == 1)' > /dev/null
printf '%s' "$S0" | jq -e '.data | fromjson | .droplet == "'"$GUID"'" and .uris == ["web.hearth.local"] and .limits.mem == 64 and (.executableUri | test("/staged_droplets/'"$GUID"'/"))' > /dev/null || fail "start message: $S0"
printf '%s' "$S0" | jq -e '.data | fromjson | has("health_check_type") or has("health_check_http_endpoint") | not' > /dev/null ||
    fail "default health check sent in the start message: $S0"
wait_msg '.subject == "droplet.updated" and (.data | fromjson | .droplet == "'"$GUID"'")' > /dev/null
call "staged" GET /apps/web "$ALICE"
[ "$(jfield .package_state)" = STAGED ] || fail "package state $(jfield .package_state)"
VERSION=$(jfield .version)
call "staging log" GET /apps/web/staging_log "$ALICE"
expect 200
printf '%s' "$BODY" | grep -q "staged ok" || fail "staging log: $BODY"

# The droplet is downloadable from the URL in the start message; a wrong SHA-1 is refused.
URL=$(printf '%s' "$S0" | jq -r '.data | fromjson | .executableUri')
[ "$(curl -s "$URL")" = "droplet of $(curl -s -H "Authorization: bearer $ALICE" "$CC_URL/apps/web/application" | sha1sum | cut -c1-40)" ] || fail "droplet download"
STATUS=$(curl -s -o /dev/null -w '%{http_code}' "$CC_URL/staged_droplets/$GUID/0000000000000000000000000000000000000000")
[ "$STATUS" = 404 ] || fail "wrong droplet sha1: $STATUS"
STG_URL=$(printf '%s' "$STG" | jq -r '.data | fromjson | .download_uri')
STATUS=$(curl -s -o /dev/null -w '%{http_code}' "${STG_URL%/*}/1.deadbeef")
[ "$STATUS" = 403 ] || fail "forged staging token: $STATUS"

# Scale up: index 2 only. Scale down: dea.stop for indices 1 and 2 of this version.
call "scale up" PUT /apps/web "$ALICE" '{"instances":3}'
expect 200
wait_msg '.subject == "dea.dea-1.start" and (.data | fromjson | .index == 2)' > /dev/null
call "scale down" PUT /apps/web "$ALICE" '{"instances":1}'
expect 200
wait_msg '.subject == "dea.stop" and (.data | fromjson | .indices == [1,2] and .droplet == "'"$GUID"'")' > /dev/null

# Running state from the DEAs: index 0 runs, index 1 was stopped by the scale-down.
call "instances" GET /apps/web/instances "$ALICE"
expect 200
[ "$(jfield '.instances | length')" = 1 ] || fail "instances: $BODY"
[ "$(jfield '.instances[0].state')" = RUNNING ] || fail "instance 0: $BODY"
call "stats" GET /apps/web/stats "$ALICE"
expect 200
[ "$(jfield '."0".stats.name')" = web ] || fail "stats: $BODY"
call "crashes without an HM" GET /apps/web/crashes "$ALICE"
expect 200
[ "$(jfield '.crashes | length')" = 0 ] || fail "crashes: $BODY"
call "file" GET /apps/web/instances/0/files/logs/stdout.log "$ALICE"
expect 200
[ "$BODY" = "file /droplets/st-0/logs/stdout.log" ] || fail "file proxy: $BODY"
# Range requests pass through the files proxy: 206 with the DEA's Content-Range, 416 when
# the range cannot be satisfied; a Range that is not a byte range is not passed on.
R=$(curl -s -D "$CC_TMP/hdr" -H "Authorization: bearer $ALICE" -H "Range: bytes=5-12" \
    -w '%{http_code}' -o "$CC_TMP/part" "$CC_URL/apps/web/instances/0/files/logs/stdout.log")
[ "$R" = 206 ] || fail "range: status $R"
[ "$(cat "$CC_TMP/part")" = "/droplet" ] || fail "range body: $(cat "$CC_TMP/part")"
grep -qi '^Content-Range: bytes 5-12/35' "$CC_TMP/hdr" || fail "range header: $(cat "$CC_TMP/hdr")"
R=$(curl -s -D "$CC_TMP/hdr" -H "Authorization: bearer $ALICE" -H "Range: bytes=-4" \
    -w '%{http_code}' -o "$CC_TMP/part" "$CC_URL/apps/web/instances/0/files/logs/stdout.log")
[ "$R" = 206 ] && [ "$(cat "$CC_TMP/part")" = ".log" ] || fail "suffix range: $R $(cat "$CC_TMP/part")"
R=$(curl -s -D "$CC_TMP/hdr" -H "Authorization: bearer $ALICE" -H "Range: bytes=100-" \
    -w '%{http_code}' -o "$CC_TMP/part" "$CC_URL/apps/web/instances/0/files/logs/stdout.log")
[ "$R" = 416 ] || fail "unsatisfiable range: status $R"
grep -qi '^Content-Range: bytes \*/35' "$CC_TMP/hdr" || fail "416 header: $(cat "$CC_TMP/hdr")"
R=$(curl -s -H "Authorization: bearer $ALICE" -H "Range: lines=1-2" -w '%{http_code}' \
    -o "$CC_TMP/part" "$CC_URL/apps/web/instances/0/files/logs/stdout.log")
[ "$R" = 200 ] && [ "$(cat "$CC_TMP/part")" = "file /droplets/st-0/logs/stdout.log" ] || fail "odd range: $R"
call "file outside" GET /apps/web/instances/0/files/../../etc/passwd "$ALICE"
expect 500 306
call "file of a missing index" GET /apps/web/instances/5/files/x "$ALICE"
expect 400 304
call "bob reads alice's files" GET /apps/web/instances/0/files/x "$(login bob@x.com pw)"
expect 404 301

# The stacks the DEAs advertise.
call "stacks" GET /stacks
expect 200
[ "$(printf '%s' "$BODY" | jq -c '.stacks | map({name, deas})')" = '[{"name":"test-stack","deas":1}]' ] || fail "stacks: $BODY"

# New URIs: dea.update with the new list.
call "map uri" PUT /apps/web "$ALICE" '{"uris":["web.hearth.local","www.hearth.local"]}'
expect 200
wait_msg '.subject == "dea.update" and (.data | fromjson | .uris == ["web.hearth.local","www.hearth.local"])' > /dev/null

# The HM asks for a start of index 0 of the current version, then a stop of one instance.
BEFORE=$(count_msgs '.subject == "dea.dea-1.start" and (.data | fromjson | .index == 0)')
pub cloudcontrollers.hm.requests "{\"droplet\":\"$GUID\",\"op\":\"START\",\"version\":\"$VERSION\",\"indices\":[0],\"flapping\":true}"
wait_msg '.subject == "dea.dea-1.start" and (.data | fromjson | .flapping == true and .index == 0)' > /dev/null
pub cloudcontrollers.hm.requests "{\"droplet\":\"$GUID\",\"op\":\"START\",\"version\":\"old-0\",\"indices\":[0]}"
pub cloudcontrollers.hm.requests "{\"droplet\":\"$GUID\",\"op\":\"STOP\",\"instances\":[\"inst-1\"]}"
wait_msg '.subject == "dea.stop" and (.data | fromjson | .instances == ["inst-1"])' > /dev/null
[ "$(count_msgs '.subject == "dea.dea-1.start" and (.data | fromjson | .index == 0)')" = $((BEFORE + 1)) ] || fail "START for an old version was obeyed"
# A STOP carries the app's last_updated as the HM saw it (the bulk API's updated_at): obeyed
# while the app is unchanged, ignored once the app has changed since (cf-v1.md §5.5).
bulk_updated() { curl -s -u bulk:bulksecret "$CC_URL/bulk/apps?batch_size=100" | jq -r ".results[\"$GUID\"].updated_at"; }
UPD=$(bulk_updated)
[ "$UPD" -gt 0 ] 2>/dev/null || fail "bulk updated_at: $UPD"
pub cloudcontrollers.hm.requests "{\"droplet\":\"$GUID\",\"op\":\"STOP\",\"last_updated\":$UPD,\"instances\":[\"inst-3\"]}"
wait_msg '.subject == "dea.stop" and (.data | fromjson | .instances == ["inst-3"])' > /dev/null
call "change the app" PUT /apps/web "$ALICE" '{"instances":1}'
expect 200
UPD2=$(bulk_updated)
[ "$UPD2" -gt "$UPD" ] || fail "updated_at did not move on a change: $UPD -> $UPD2"
pub cloudcontrollers.hm.requests "{\"droplet\":\"$GUID\",\"op\":\"STOP\",\"last_updated\":$UPD,\"instances\":[\"inst-4\"]}"
pub cloudcontrollers.hm.requests "{\"droplet\":\"$GUID\",\"op\":\"STOP\",\"last_updated\":\"$UPD2\",\"instances\":[\"inst-6\"]}"
pub cloudcontrollers.hm.requests "{\"droplet\":\"$GUID\",\"op\":\"STOP\",\"last_updated\":$UPD2,\"instances\":[\"inst-5\"]}"
wait_msg '.subject == "dea.stop" and (.data | fromjson | .instances == ["inst-5"])' > /dev/null
[ "$(count_msgs '.subject == "dea.stop" and (.data | fromjson | .instances == ["inst-4"])')" = 0 ] || fail "a STOP older than the app's last change was obeyed"
[ "$(count_msgs '.subject == "dea.stop" and (.data | fromjson | .instances == ["inst-6"])')" = 0 ] || fail "a STOP with a malformed last_updated was obeyed"
pub cloudcontrollers.hm.requests 'not json at all'
# A STOP for an app the CC does not know (deleted while its DEA was away) stops its instances.
pub cloudcontrollers.hm.requests '{"droplet":"gone-app-1","op":"STOP","instances":["inst-9"]}'
wait_msg '.subject == "dea.stop" and (.data | fromjson | .droplet == "gone-app-1" and .instances == ["inst-9"])' > /dev/null
pub cloudcontrollers.hm.requests '{"droplet":"gone-app-1","op":"START","indices":[0]}'

# Stop and delete.
call "stop" PUT /apps/web "$ALICE" '{"state":"STOPPED"}'
expect 200
wait_msg '.subject == "dea.stop" and (.data | fromjson | keys == ["droplet"])' > /dev/null
N=$(count_msgs '.subject == "dea.stop"')
call "delete" DELETE /apps/web "$ALICE"
expect 200
for _ in $(seq 1 50); do [ "$(count_msgs '.subject == "dea.stop"')" -gt "$N" ] && break; sleep 0.1; done
[ "$(count_msgs '.subject == "dea.stop"')" -gt "$N" ] || fail "no dea.stop on delete"

# A second start of the same bits reuses the droplet: no new staging request.
call "create again" POST /apps "$ALICE" '{"name":"web2","instances":1,"resources":{"memory":64}}'
upload web2 "$CC_TMP/app"
call "start web2" PUT /apps/web2 "$ALICE" '{"state":"STARTED"}'
wait_msg '.subject == "dea.dea-1.start" and (.data | fromjson | .name == "web2")' > /dev/null
STAGINGS=$(count_msgs '.subject == "staging.dea-1.start"')
call "restart web2" PUT /apps/web2 "$ALICE" '{"state":"STOPPED"}'
call "restart web2" PUT /apps/web2 "$ALICE" '{"state":"STARTED","health_check_type":"http","health_check_http_endpoint":"/ready"}'
wait_msg '.subject == "dea.dea-1.start" and (.data | fromjson | .name == "web2" and .health_check_type == "http" and .health_check_http_endpoint == "/ready")' > /dev/null
sleep 0.5
[ "$(count_msgs '.subject == "staging.dea-1.start"')" = "$STAGINGS" ] || fail "restart restaged"

# Live staging log: while the DEA stages, GET /apps/NAME/staging_log shows the chunks it
# has published so far, in order (its duplicate and its chunk from the future are dropped);
# the DEA finishes only once the test has seen them, and the final task_log replaces the log.
call "create slowlog" POST /apps "$ALICE" '{"name":"slowlog","instances":1,"resources":{"memory":64}}'
expect 302
mkdir -p "$CC_TMP/slow" && echo "slow bits" > "$CC_TMP/slow/index.html"
upload slowlog "$CC_TMP/slow"
call "start slowlog" PUT /apps/slowlog "$ALICE" '{"state":"STARTED"}'
expect 200
LIVE=$(printf -- '-----> live step one\n-----> live step two \xc3\xa9\n')
for _ in $(seq 1 100); do
    call "live staging log" GET /apps/slowlog/staging_log "$ALICE"
    [ "$STATUS" = 200 ] && [ "$BODY" = "$LIVE" ] && break
    sleep 0.1
done
expect 200
[ "$BODY" = "$LIVE" ] || fail "live staging log: '$BODY'"
# Well after the dropped messages went out, the log has not changed and staging still runs.
wait_msg '.subject | test("^staging\\..*\\.log$")' > /dev/null
sleep 0.5
call "live staging log again" GET /apps/slowlog/staging_log "$ALICE"
[ "$BODY" = "$LIVE" ] || fail "staging log after a duplicate and a gap: '$BODY'"
call "still staging" GET /apps/slowlog "$ALICE"
[ "$(jfield .package_state)" = PENDING ] || fail "package state while staging: $(jfield .package_state)"
touch "$MSGS.release"
await_staged slowlog
call "final staging log" GET /apps/slowlog/staging_log "$ALICE"
expect 200
[ "$BODY" = "-----> final log of the task" ] || fail "final staging log: '$BODY'"

# Between the droplet's upload and the staging reply the app reads STAGED but no instance of
# it has been sent to a DEA: GET /instances answers every index DOWN without asking the DEAs
# (dea.find.droplet); once the reply has come and the instance is started, it asks them.
call "create slowreply" POST /apps "$ALICE" '{"name":"slowreply","instances":1,"resources":{"memory":64}}'
expect 302
call "get slowreply" GET /apps/slowreply "$ALICE"
SR=$(jfield .guid)
mkdir -p "$CC_TMP/sr" && echo "slow reply bits" > "$CC_TMP/sr/index.html"
upload slowreply "$CC_TMP/sr"
call "start slowreply" PUT /apps/slowreply "$ALICE" '{"state":"STARTED"}'
expect 200
await_staged slowreply # the droplet is stored; the staging reply is held back
FINDS=$(count_msgs '.subject == "dea.find.droplet" and (.data | fromjson | .droplet == "'"$SR"'")')
call "instances before the staging reply" GET /apps/slowreply/instances "$ALICE"
expect 200
[ "$(printf '%s' "$BODY" | jq -c '[.instances[] | [.index, .state]]')" = '[[0,"DOWN"]]' ] ||
    fail "instances before the staging reply: $BODY"
call "stats before the staging reply" GET /apps/slowreply/stats "$ALICE"
expect 200
[ "$(printf '%s' "$BODY" | jq -r '."0".state')" = DOWN ] || fail "stats before the staging reply: $BODY"
sleep 0.3
[ "$(count_msgs '.subject == "dea.find.droplet" and (.data | fromjson | .droplet == "'"$SR"'")')" = "$FINDS" ] ||
    fail "the DEAs were asked for instances that cannot exist yet"
[ "$(count_msgs '.subject == "dea.dea-1.start" and (.data | fromjson | .name == "slowreply")')" = 0 ] ||
    fail "slowreply started before its staging reply"
touch "$MSGS.reply"
wait_msg '.subject == "dea.dea-1.start" and (.data | fromjson | .name == "slowreply")' > /dev/null
call "instances after the staging reply" GET /apps/slowreply/instances "$ALICE"
expect 200
[ "$(printf '%s' "$BODY" | jq -c '[.instances[] | [.index, .state]]')" = '[[0,"RUNNING"]]' ] ||
    fail "instances after the staging reply: $BODY"
echo "ok - instances of a droplet whose staging reply is awaited are DOWN without asking the DEAs"

# The API route goes away when the CC stops.
stop_cc
wait_msg '.subject == "router.unregister" and (.data | fromjson | .uris == ["api.hearth.local"])' > /dev/null

echo "PASS test_cc_bus"
