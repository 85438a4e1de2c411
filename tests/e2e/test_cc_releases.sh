# hearth-cc's release history and rollback end to end, with Debian's nats-server and the
# stand-in DEA (cc_fake_dea.py): each staged droplet and each env change of a deployed app is
# a release, GET /apps/NAME/releases lists them newest first, POST /apps/NAME/rollback puts
# an older release's droplet and env back without staging and starts the new version next to
# the old one; its errors (no earlier release, the current one, unknown, bad body, another
# user's app). The collector (every second, no grace) keeps the blobs of the last
# blobstore.releases_kept releases (5 by default); restarted with 0 it removes older releases'
# droplets: their rows stay, a rollback to them is refused with 409.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/cc_lib.sh"

fake_dea_start
gc_conf
start_cc

# push N: uploads a one-file app whose content is version N (as alice).
push() {
    mkdir -p "$CC_TMP/v$1"
    echo "version $1" >"$CC_TMP/v$1/index.html"
    upload web "$CC_TMP/v$1"
}
# has_blob KIND SHA1: the local store holds blob KIND/SHA1.
has_blob() { [ -n "$(find "$CC_TMP/data/blobs/$1" -name "$2" 2>/dev/null)" ]; }
# await_gone KIND SHA1: until the collector removed it (10 s).
await_gone() {
    for _ in $(seq 1 100); do
        has_blob "$1" "$2" || return 0
        sleep 0.1
    done
    fail "$1/$2 was not collected"
}
# await_releases N: until the app has N releases (10 s).
await_releases() {
    for _ in $(seq 1 100); do
        call "releases" GET /apps/web/releases "$ALICE"
        [ "$STATUS" = 200 ] && [ "$(jfield length)" = "$1" ] && return 0
        sleep 0.1
    done
    fail "want $1 releases: $STATUS $BODY"
}
# package_sha: the SHA-1 of the app's current package, as the CC stores it.
package_sha() { curl -s -H "Authorization: bearer $ALICE" "$CC_URL/apps/web/application" | sha1sum | cut -c1-40; }
# droplet_of PACKAGE_SHA: the stand-in DEA's droplet of that package.
droplet_of() { printf 'droplet of %s' "$1" | sha1sum | cut -c1-40; }

register alice@x.com pw
register bob@x.com pw
ALICE=$(login alice@x.com pw)
BOB=$(login bob@x.com pw)
call "create" POST /apps "$ALICE" '{"name":"web","uris":["web.hearth.local"],"instances":1,"state":"STARTED","resources":{"memory":64}}'
expect 302
call "no release yet" GET /apps/web/releases "$ALICE"
expect 200
[ "$BODY" = "[]" ] || fail "releases before a push: $BODY"
call "rollback with no release" POST /apps/web/rollback "$ALICE"
expect 400 321
call "env before a droplet" PUT /apps/web/env "$ALICE" '{"env":["EARLY=1"]}'
expect 200
call "env before a droplet" GET /apps/web/releases "$ALICE"
[ "$BODY" = "[]" ] || fail "an env change without a droplet made a release: $BODY"
echo "ok - no release before the first droplet; rollback then is 400/321"

push 1
await_releases 1
P1=$(package_sha)
D1=$(droplet_of "$P1")
printf '%s' "$BODY" | jq -e --arg d "$D1" --arg p "Deploy ${P1:0:7}" \
    '.[0] | .version == 1 and .description == $p and .user == "alice@x.com" and .current == true and .droplet_hash == $d and (.created | type == "number")' \
    >/dev/null || fail "release v1: $BODY"
call "rollback from v1" POST /apps/web/rollback "$ALICE"
expect 400 321
echo "ok - a staged droplet is release v1 \"Deploy ${P1:0:7}\" by its owner"

push 2
await_releases 2
D2=$(droplet_of "$(package_sha)")
call "set env" PUT /apps/web/env "$ALICE" '{"env":["EARLY=1","A=1","B=2"]}'
expect 200
await_releases 3
printf '%s' "$BODY" | jq -e --arg d "$D2" '.[0].version == 3 and .[0].description == "Set A, B" and .[0].droplet_hash == $d and .[0].current and (.[1].current | not) and .[1].version == 2' \
    >/dev/null || fail "env release: $BODY"
call "remove env" PUT /apps/web/env "$ALICE" '{"env":["A=1","B=3"]}'
expect 200
await_releases 4
[ "$(jfield '.[0].description')" = "Set B; Remove EARLY" ] || fail "env change release: $BODY"
echo "ok - env changes of a deployed app are releases (Set A, B / Set B; Remove EARLY)"

# Rollback to v1 on a started app: its droplet, its env, a new version started, no staging.
STAGINGS=$(count_msgs '.subject == "staging.dea-1.start"')
call "get before" GET /apps/web "$ALICE"
RUNS=$(jfield .runningInstances)
call "rollback to v1" POST /apps/web/rollback "$ALICE" '{"version":1}'
expect 200
printf '%s' "$BODY" | jq -e '.version == 5 and .rolled_back_to == 1 and .description == "Rollback to v1" and .replaced == true' \
    >/dev/null || fail "rollback reply: $BODY"
wait_msg '.subject == "dea.dea-1.start" and (.data | fromjson | .sha1 == "'"$D1"'")' >/dev/null
call "app after" GET /apps/web "$ALICE"
[ "$(jfield .package_state)" = STAGED ] || fail "package state after the rollback: $BODY"
call "env after" GET /apps/web/env "$ALICE"
[ "$(printf '%s' "$BODY" | jq -c .env)" = '["EARLY=1"]' ] || fail "env after the rollback: $BODY"
sleep 0.5
[ "$(count_msgs '.subject == "staging.dea-1.start"')" = "$STAGINGS" ] || fail "the rollback restaged"
call "releases" GET /apps/web/releases "$ALICE"
printf '%s' "$BODY" | jq -e --arg d "$D1" '.[0] | .version == 5 and .description == "Rollback to v1" and .droplet_hash == $d and .current' \
    >/dev/null || fail "rollback release: $BODY"
call "events" GET /apps/web/events "$ALICE"
printf '%s' "$BODY" | jq -e '[.events[] | select(.action == "app.rollback" and .user == "alice@x.com")] | length == 1' \
    >/dev/null || fail "no app.rollback event: $BODY"
echo "ok - rollback to v1: v1's droplet started without staging, v1's env, release v5, an event"

call "default rollback" POST /apps/web/rollback "$ALICE"
expect 200
[ "$(jfield .rolled_back_to)" = 4 ] || fail "the default rollback is to the release before: $BODY"
wait_msg '.subject == "dea.dea-1.start" and (.data | fromjson | .sha1 == "'"$D2"'")' >/dev/null
call "env after" GET /apps/web/env "$ALICE"
[ "$(printf '%s' "$BODY" | jq -c .env)" = '["A=1","B=3"]' ] || fail "env after the default rollback: $BODY"
echo "ok - rollback without a version goes to the release before the current one"

call "rollback to current" POST /apps/web/rollback "$ALICE" '{"version":6}'
expect 400 321
call "rollback to unknown" POST /apps/web/rollback "$ALICE" '{"version":99}'
expect 404 320
call "rollback bad version" POST /apps/web/rollback "$ALICE" '{"version":"v2"}'
expect 400 100
call "rollback bad body" POST /apps/web/rollback "$ALICE" 'nope'
expect 400 100
call "bob's rollback" POST /apps/web/rollback "$BOB" '{"version":1}'
expect 404 301
call "bob's releases" GET /apps/web/releases "$BOB"
expect 404 301
call "anonymous releases" GET /apps/web/releases ""
expect 403
call "releases" GET /apps/web/releases "$ALICE"
[ "$(jfield length)" = 6 ] || fail "refused rollbacks made releases: $BODY"
echo "ok - rollback errors: current 400, unknown 404, bad body 400, another user's app 404"

# The collector keeps the last 5 releases' blobs: a stopped app's replaced package goes,
# v1's droplet and package (releases v1 and v5) stay.
call "create other" POST /apps "$ALICE" '{"name":"other"}'
expect 302
mkdir -p "$CC_TMP/o1" "$CC_TMP/o2" && echo one >"$CC_TMP/o1/a.txt" && echo two >"$CC_TMP/o2/a.txt"
upload other "$CC_TMP/o1"
O1=$(curl -s -H "Authorization: bearer $ALICE" "$CC_URL/apps/other/application" | sha1sum | cut -c1-40)
upload other "$CC_TMP/o2"
await_gone pkg "$O1"
has_blob drop "$D1" && has_blob pkg "$P1" || fail "v1's droplet or package was collected"
echo "ok - the collector keeps the blobs of the last releases_kept releases"

# releases_kept 0: only the current blobs stay; older rows stay, their rollback is a 409.
stop_cc
gc_conf '  releases_kept: 0'
start_cc
ALICE=$(login alice@x.com pw)
await_gone drop "$D1"
has_blob drop "$D2" || fail "the current droplet was collected"
call "releases after gc" GET /apps/web/releases "$ALICE"
[ "$(jfield length)" = 6 ] || fail "the collection removed release rows: $BODY"
call "rollback to a collected droplet" POST /apps/web/rollback "$ALICE" '{"version":1}'
expect 409 322
jfield .description | grep -q "no longer in the blob store" || fail "409 message: $BODY"
call "rollback to v3 (the current droplet)" POST /apps/web/rollback "$ALICE" '{"version":3}'
expect 200
call "releases" GET /apps/web/releases "$ALICE"
[ "$(jfield '.[0].description')" = "Rollback to v3" ] || fail "rollback to v3: $BODY"
echo "ok - releases_kept 0: v1's droplet collected, its row kept, its rollback 409/322"
