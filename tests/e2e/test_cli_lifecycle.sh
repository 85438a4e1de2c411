# hearth CLI end to end through a start: nats-server, the real hearth-cc, the CC tests'
# stand-in DEA (stages with a fake buildpack, reports instances, serves files) and stand-in
# OSBAPI broker. Covers push with start and staging output, app, stats, files, logs --recent,
# scale, stop/start/restart, restage, routes, events, crashes, services and binding, users,
# passwd, buildpacks, stacks, completion.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
command -v nats-server > /dev/null || { echo "SKIP: nats-server not installed"; exit 0; }
. "$HERE/cli_lib.sh"
has() { grep -qF -- "$1" "$T/out" || fail "${2:-output} lacks \`$1\`: $(cat "$T/out")"; }

NATS_PORT=$(free_port)
nats-server -a 127.0.0.1 -p "$NATS_PORT" > "$T/nats.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$NATS_PORT) 2>/dev/null && break; sleep 0.1; done
python3 "$HERE/cc_fake_dea.py" dea "127.0.0.1:$NATS_PORT" dea-1 "$T/msgs.jsonl" 2> "$T/dea.log" &
PIDS+=($!)
python3 "$HERE/cc_fake_broker.py" "$T/broker.port" "$T/broker.log" 2> "$T/broker.err" &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$T/broker.port" ] && break; sleep 0.1; done
CC_PORT=$(free_port)
cat > "$T/cc.yml" <<YML
auth:
  pwhash_memlimit: 64K
  pwhash_opslimit: 1
services:
  broker_url: http://127.0.0.1:$(cat "$T/broker.port")
YML
"$BIN/hearth-cc" -c "$T/cc.yml" --port "$CC_PORT" --data-dir "$T/data" \
    --nats "nats://127.0.0.1:$NATS_PORT" > "$T/cc.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$CC_PORT/info" && break; sleep 0.1; done
# The stand-in DEA records every bus message once subscribed; then it advertises every 0.5 s,
# so after a second the CC knows a DEA to stage on.
for _ in $(seq 1 100); do [ -s "$T/msgs.jsonl" ] && break; sleep 0.1; done
sleep 1

export HEARTH_HOME="$T/home"
unset HEARTH_PASSWORD
ok target "http://127.0.0.1:$CC_PORT/"
ok register admin@example.com -p adminpw
ok register bob@example.com -p bobpw --no-login
ok users
grep -q "^admin@example.com  *yes" "$T/out" || fail "users table: $(cat "$T/out")"
has "bob@example.com"
ok users --json
[ "$(jq length "$T/out")" = 2 ] || fail "users --json"

# Push with a start: staging output is shown, the instance is seen running.
APP="$T/web"
mkdir -p "$APP"
echo '<h1>hi</h1>' > "$APP/index.html"
ok push web -p "$APP" -n www -d example.test --timeout 60
has "fake buildpack" "push (staging output)"
has "web is running: 1 of 1"
has "http://www.example.test"
ok app web
has "state:      STARTED"
has "www.example.test"
grep -q "^#0  *RUNNING" "$T/out" || fail "app instances: $(cat "$T/out")"
ok app web --json
[ "$(jq -r .name "$T/out")" = web ] || fail "app --json"
ok stats web
grep -q "^#0  *RUNNING" "$T/out" || fail "stats: $(cat "$T/out")"
ok stats web --json
[ "$(jq -r '."0".state' "$T/out")" = RUNNING ] || fail "stats --json"
ok files web logs/stdout.log
has "file /droplets/st-0/logs/stdout.log"
ok logs web --recent
has "[0 out] file /droplets/st-0/logs/stdout.log"
has "[0 err] file /droplets/st-0/logs/stderr.log"
has "[staging] -----> fake buildpack"
# Following: the recent part, then the tail until Ctrl-C, which ends it with status 0.
# The stand-in's files have no final newline: following shows such a line once it stayed
# unchanged for two polls, exactly once.
timeout --preserve-status -s INT 5 "$BIN/hearth" logs web > "$T/out" 2> "$T/err" < /dev/null \
    || fail "logs (follow) stopped by SIGINT exited $?: $(cat "$T/err")"
has "[staging] -----> fake buildpack"
[ "$(grep -cF '[0 out] file /droplets/st-0/logs/stdout.log' "$T/out")" = 1 ] \
    || fail "follow did not show the unterminated line once: $(cat "$T/out")"
expect_rc 1 files web -i 5
grep -q "instance" "$T/err" || fail "files -i 5 error: $(cat "$T/err")"

# Scale and routes.
ok scale web -i 2 -m 64M
ok app web --json
[ "$(jq -r .instances "$T/out")" = 2 ] || fail "scale -i"
[ "$(jq -r .resources.memory "$T/out")" = 64 ] || fail "scale -m"
expect_rc 2 scale web -i many
ok map-route web extra.example.test
ok map-route web example.test --hostname third
ok app web --json
[ "$(jq -r '.uris | sort | join(",")' "$T/out")" = "extra.example.test,third.example.test,www.example.test" ] \
    || fail "map-route: $(cat "$T/out")"
ok unmap-route web extra.example.test
ok app web --json
[ "$(jq -r '.uris | sort | join(",")' "$T/out")" = "third.example.test,www.example.test" ] \
    || fail "unmap-route: $(cat "$T/out")"
expect_rc 1 map-route web "bad_host!"

# push --no-start of a running app leaves it stopped; a push starts it again.
ok push web -p "$APP" -n www -d example.test --no-start
has "1 already on the cloud, 0 new"
ok app web --json
[ "$(jq -r .state "$T/out")" = STOPPED ] || fail "push --no-start left the app running"
ok push web -p "$APP" -n www -d example.test --timeout 60
has "web is running: 2 of 2"

# Stop, start, restart, restage.
ok stop web
ok app web --json
[ "$(jq -r .state "$T/out")" = STOPPED ] || fail "stop"
ok start web --timeout 60
has "web is running: 2 of 2"
ok restart web --timeout 60
has "Stopped web"
has "web is running"
ok restage web --timeout 60
has "Restaging web"
ok crashes web
ok crashes web --json
jq -e 'type == "array"' "$T/out" > /dev/null || fail "crashes --json"
ok events web
has "app.create"
has "app.update"
ok events web --json
jq -e 'map(.action) | index("app.upload")' "$T/out" > /dev/null || fail "events --json"

# Services.
ok marketplace
grep -q "^postgresql  *small" "$T/out" || fail "marketplace: $(cat "$T/out")"
ok create-service postgresql db --plan small
ok services
grep -q "^db  *postgresql  *small" "$T/out" || fail "services: $(cat "$T/out")"
ok bind-service web db
has "Bound db to web"
ok services
grep -q "^db .* web$" "$T/out" || fail "services bound apps: $(cat "$T/out")"
ok app web --json
[ "$(jq -r '.services | join(",")' "$T/out")" = db ] || fail "bind"
expect_rc 1 bind-service web nosuch
ok unbind-service web db
ok app web --json
[ "$(jq -r '.services | length' "$T/out")" = 0 ] || fail "unbind"
ok delete-service db -f
ok services --json
[ "$(jq length "$T/out")" = 0 ] || fail "delete-service"

# Listings that need no login, passwd, completion.
ok buildpacks
grep -q "^python " "$T/out" || fail "buildpacks: $(cat "$T/out")"
ok stacks --json
jq -e 'length >= 1' "$T/out" > /dev/null || fail "stacks"
ok passwd -p newpw
expect_rc 1 login admin@example.com -p adminpw
ok login admin@example.com -p newpw
ok completion bash
bash -n "$T/out" || fail "completion script is not valid bash"
has "create-service"
# A non-admin may not list users.
ok login bob@example.com -p bobpw
expect_rc 1 users
grep -q "not permitted" "$T/err" || fail "users as non-admin: $(cat "$T/err")"
echo "cli lifecycle: all checks passed"
