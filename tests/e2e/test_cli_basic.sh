# hearth CLI end to end against a real hearth-cc (and nats-server): target, register, login,
# a wrong password, push --no-start, resource matching on a second push, apps --json,
# set-env/unset-env, delete, usage errors. Everything runs on loopback in temp dirs.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/cli_lib.sh"

wait_http() {
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "$1" && return 0
        sleep 0.1
    done
    fail "no answer from $1"
}

NATS_PORT=$(free_port)
if command -v nats-server > /dev/null; then
    nats-server -a 127.0.0.1 -p "$NATS_PORT" > "$T/nats.log" 2>&1 &
    PIDS+=($!)
fi
CC_PORT=$(free_port)
cat > "$T/cc.yml" <<YML
auth:
  pwhash_memlimit: 64K
  pwhash_opslimit: 1
YML
"$BIN/hearth-cc" -c "$T/cc.yml" --port "$CC_PORT" --data-dir "$T/data" \
    --nats "nats://127.0.0.1:$NATS_PORT" > "$T/cc.log" 2>&1 &
PIDS+=($!)
API="http://127.0.0.1:$CC_PORT"
wait_http "$API/info"

export HEARTH_HOME="$T/home"
unset HEARTH_PASSWORD

# Usage errors exit 2; --help exits 0.
expect_rc 2 no-such-verb
expect_rc 2 push --no-such-flag
expect_rc 2 delete
expect_rc 2 target a b
ok push --help
grep -q -- "--no-start" "$T/out" || fail "push --help does not list --no-start"
expect_rc 2
# Not logged in / no target: exit 1 with a hint.
expect_rc 1 apps
grep -q "hearth target" "$T/err" || fail "no hint to set a target: $(cat "$T/err")"

ok target "127.0.0.1:$CC_PORT"
grep -q "$API" "$T/out" || fail "target not echoed"
[ "$(stat -c %a "$HEARTH_HOME/config")" = 600 ] || fail "config is not mode 0600"
expect_rc 1 target "127.0.0.1:$(free_port)"
ok target
grep -q "$API" "$T/out" || fail "a failed target replaced the good one"

ok register alice@example.com --password s3cret
grep -q "Logged in as alice@example.com" "$T/out" || fail "register did not log in"
grep -q '"token"' "$HEARTH_HOME/config" || fail "no token saved"

# A wrong password says so and exits 1.
expect_rc 1 login alice@example.com --password wrong
grep -qi "wrong email or password" "$T/err" || fail "unclear login error: $(cat "$T/err")"
# The password from stdin (not a terminal), then from the environment.
echo s3cret | "$BIN/hearth" login alice@example.com > "$T/out" 2> "$T/err" \
    || fail "login with the password on stdin: $(cat "$T/err")"
HEARTH_PASSWORD=s3cret ok login alice@example.com
ok info
grep -q "alice@example.com" "$T/out" || fail "info does not show the user"

ok apps --json
[ "$(jq length "$T/out")" = 0 ] || fail "fresh user has apps"

# An app folder with an ignored file, a nested file, an executable and a .git dir.
APP="$T/app"
mkdir -p "$APP/lib" "$APP/.git" "$APP/tmp"
echo "hello" > "$APP/index.html"
echo "nested" > "$APP/lib/util.txt"
printf '#!/bin/sh\necho hi\n' > "$APP/run.sh"
chmod 755 "$APP/run.sh"
echo "secret" > "$APP/.git/config"
echo "scratch" > "$APP/tmp/x.log"
echo "tmp/" > "$APP/.hearthignore"

ok push site --path "$APP" --no-start -i 2 -m 128M --env GREETING=hi
grep -q "3 files" "$T/out" || fail "push did not count 3 files: $(cat "$T/out")"
grep -q "3 new" "$T/out" || fail "first push did not upload 3 files: $(cat "$T/out")"

ok apps --json
[ "$(jq -r '.[0].name' "$T/out")" = site ] || fail "apps --json lacks site"
[ "$(jq -r '.[0].instances' "$T/out")" = 2 ] || fail "instances not 2"
[ "$(jq -r '.[0].resources.memory' "$T/out")" = 128 ] || fail "memory not 128"
[ "$(jq -r '.[0].state' "$T/out")" = STOPPED ] || fail "--no-start app is not STOPPED"
jq -e '.[0].env | index("GREETING=hi")' "$T/out" > /dev/null || fail "env not set on push"
ok apps
grep -q "^site  *stopped  *?*[0-9]*/2  *128M" "$T/out" || fail "apps table: $(cat "$T/out")"

# The package holds exactly the files not ignored.
TOKEN=$(jq -r .token "$HEARTH_HOME/config")
curl -s -H "Authorization: bearer $TOKEN" "$API/apps/site/application" -o "$T/pkg.zip"
unzip -Z1 "$T/pkg.zip" | grep -v "/$" | sort > "$T/list"
printf 'index.html\nlib/util.txt\nrun.sh\n' | diff - "$T/list" > /dev/null \
    || fail "package content: $(cat "$T/list")"

# A second push of the same files uploads nothing; one changed file uploads one.
ok push site --path "$APP" --no-start
grep -q "3 already on the cloud, 0 new" "$T/out" || fail "second push uploaded: $(cat "$T/out")"
echo "changed" > "$APP/index.html"
ok push site --path "$APP" --no-start
grep -q "2 already on the cloud, 1 new" "$T/out" || fail "third push: $(cat "$T/out")"

# Health check flags: sent on update, shown by `hearth app`, bad values refused before any call.
ok push site --path "$APP" --no-start -u http --endpoint /hz
ok app site
grep -q "^health: *http GET /hz$" "$T/out" || fail "app shows no http health check: $(cat "$T/out")"
expect_rc 2 push site --path "$APP" --no-start -u tcp
expect_rc 2 push site --path "$APP" --no-start --endpoint hz
ok push site --path "$APP" --no-start --health-check-type none
ok app site
grep -q "^health: *process$" "$T/out" || fail "none is not process: $(cat "$T/out")"

# Env.
ok set-env site COLOR blue
ok env site --json
jq -e 'index("COLOR=blue")' "$T/out" > /dev/null || fail "set-env: $(cat "$T/out")"
ok unset-env site COLOR
ok env site --json
jq -e 'index("COLOR=blue") | not' "$T/out" > /dev/null || fail "unset-env: $(cat "$T/out")"
jq -e 'index("GREETING=hi")' "$T/out" > /dev/null || fail "unset-env removed too much"

# A manifest with two apps.
mkdir -p "$T/multi/a" "$T/multi/b"
echo a > "$T/multi/a/a.txt"
echo b > "$T/multi/b/b.txt"
cat > "$T/multi/manifest.yml" <<YML
applications:
- name: alpha
  path: a
  memory: 64M
- name: beta
  path: b
  instances: 3
  health-check-type: http
  health-check-http-endpoint: /ready
  env:
    MODE: test
YML
(cd "$T/multi" && "$BIN/hearth" push --no-start > "$T/out" 2> "$T/err") || fail "manifest push"
ok apps --json
[ "$(jq -r 'map(.name) | join(",")' "$T/out")" = "alpha,beta,site" ] || fail "apps: $(cat "$T/out")"
[ "$(jq -r '.[1].instances' "$T/out")" = 3 ] || fail "beta instances"
[ "$(jq -r '.[1].health_check_type + " " + .[1].health_check_http_endpoint' "$T/out")" = "http /ready" ] ||
    fail "beta health check from the manifest: $(cat "$T/out")"
[ "$(jq -r '.[0].health_check_type' "$T/out")" = port ] || fail "alpha health check default"
(cd "$T/multi" && "$BIN/hearth" push --no-start -i 2 > "$T/out" 2> "$T/err"; echo $? > "$T/rc")
[ "$(cat "$T/rc")" = 2 ] || fail "flags with a two-app manifest should be a usage error"

# Delete.
ok delete site alpha beta -f
ok apps --json
[ "$(jq length "$T/out")" = 0 ] || fail "apps left after delete: $(cat "$T/out")"
expect_rc 1 delete site -f
grep -q "hearth apps" "$T/err" || fail "no hint after deleting a missing app"

ok logout
expect_rc 1 apps
grep -q "hearth login" "$T/err" || fail "no login hint after logout"
echo "cli basic: all checks passed"
