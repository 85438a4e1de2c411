# User-provided services end to end through the CLI and the real hearth-cc (nats-server and the
# CC tests' stand-in DEA, no broker configured at all): cups/uups with credentials, tags, a
# syslog drain, bad input refused with clear errors; binding puts the instance in the start
# message under label "user-provided" (what the DEA turns into VCAP_SERVICES); deleting a
# bound one is refused; an update reaches the app at its next start; other users cannot see it.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
command -v nats-server >/dev/null || { echo "SKIP: nats-server not installed"; exit 0; }
. "$HERE/cli_lib.sh"
has() { grep -qF -- "$1" "$T/out" || fail "${2:-output} lacks \`$1\`: $(cat "$T/out")"; }
has_err() { grep -qF -- "$1" "$T/err" || fail "${2:-stderr} lacks \`$1\`: $(cat "$T/err")"; }

NATS_PORT=$(free_port)
nats-server -a 127.0.0.1 -p "$NATS_PORT" >"$T/nats.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$NATS_PORT) 2>/dev/null && break; sleep 0.1; done
MSGS="$T/msgs.jsonl"
python3 "$HERE/cc_fake_dea.py" dea "127.0.0.1:$NATS_PORT" dea-1 "$MSGS" 2>"$T/dea.log" &
PIDS+=($!)
CC_PORT=$(free_port)
cat >"$T/cc.yml" <<YML
auth:
  pwhash_memlimit: 64K
  pwhash_opslimit: 1
YML
"$BIN/hearth-cc" -c "$T/cc.yml" --port "$CC_PORT" --data-dir "$T/data" \
    --nats "nats://127.0.0.1:$NATS_PORT" >"$T/cc.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$CC_PORT/info" && break; sleep 0.1; done
for _ in $(seq 1 100); do [ -s "$MSGS" ] && break; sleep 0.1; done
sleep 1

# start_services FROM COND: the services array of a dea.*.start message after line FROM of the
# message log for which the jq condition COND holds (waits up to 30 s).
start_services() {
    local from=$1 cond=$2 out=""
    for _ in $(seq 1 300); do
        out=$(tail -n +"$((from + 1))" "$MSGS" | jq -c 'select(.subject | test("^dea\\..*\\.start$")) | .data | fromjson | .services | select('"$cond"')' 2>/dev/null | tail -n 1)
        [ -n "$out" ] && { printf '%s\n' "$out"; return 0; }
        sleep 0.1
    done
    fail "no dea.*.start with services matching $cond after line $from: $(tail -n +"$((from + 1))" "$MSGS" | jq -c 'select(.subject | test("start$")) | .data | fromjson | .services')"
}

export HEARTH_HOME="$T/home"
unset HEARTH_PASSWORD
ok target "http://127.0.0.1:$CC_PORT/"
ok register alice@example.com -p alicepw
ok register bob@example.com -p bobpw --no-login

# Creation, with every kind of field, and the errors a user can make.
ok cups mydb -p '{"uri":"postgres://u:secret@db.example.com:5432/d","username":"u"}' -t "pg, legacy"
has "Created mydb"
printf '{"api_key":"k-123"}' >"$T/cred.json"
ok create-user-provided-service apikey -p "$T/cred.json"
ok cups drain -l syslog://logs.example.com:514
expect_rc 2 cups bad -p '{"uri": '
has_err "not valid JSON"
expect_rc 2 cups bad -p "$T/missing.json"
has_err "neither a JSON object nor a readable file"
expect_rc 2 cups bad -p '@'"$T/cred.json"x
printf '[1,2]' >"$T/arr.json"
expect_rc 2 cups bad -p "$T/arr.json"
has_err "must be a JSON object"
expect_rc 1 cups mydb -p '{}'
has_err "a service named \`mydb\` exists"
expect_rc 1 cups route -r http://plain.example.com
has_err "route_service_url: must be an https:// URL"
expect_rc 1 cups 'bad name' -p '{}'
has_err "Bad request: name"
ok services
grep -q "^mydb  *user-provided" "$T/out" || fail "services: $(cat "$T/out")"
has apikey
has drain
ok services --json
[ "$(jq -r '[.[] | select(.vendor == "user-provided") | .name] | sort | join(",")' "$T/out")" = apikey,drain,mydb ] ||
    fail "services --json: $(cat "$T/out")"

# Push an app (the stand-in DEA stages and runs it), bind: the start message carries the
# instance under label user-provided with its credentials and tags, without any broker.
APP="$T/web"
mkdir -p "$APP"
echo '<h1>hi</h1>' >"$APP/index.html"
ok push web -p "$APP" -n www -d example.test --timeout 60
N=$(wc -l <"$MSGS")
ok bind-service web mydb
ok bind-service web apikey
S=$(start_services "$N" 'length == 2')
M=$(printf '%s' "$S" | jq -c '.[] | select(.name == "mydb")')
[ "$(printf '%s' "$M" | jq -r .label)" = user-provided ] || fail "label: $S"
[ "$(printf '%s' "$M" | jq -r .credentials.uri)" = "postgres://u:secret@db.example.com:5432/d" ] || fail "credentials: $S"
[ "$(printf '%s' "$M" | jq -r '.tags | join(",")')" = pg,legacy ] || fail "tags: $S"
[ "$(printf '%s' "$S" | jq -r '.[] | select(.name == "apikey") | .credentials.api_key')" = k-123 ] || fail "apikey: $S"
grep -qi "broker" "$T/cc.log" && fail "a broker was involved: $(grep -i broker "$T/cc.log")"

# Deleting a bound instance is refused and says why; the instance is still there.
expect_rc 1 delete-service mydb -f
has_err "Service \`mydb\` is bound to app \`web\`; unbind it first"
ok services
has mydb

# An update is stored and reaches the app at its next start.
ok uups mydb -p '{"uri":"postgres://u:new@db2.example.com:5432/d"}'
has "bound to app \`web\`"
expect_rc 2 uups mydb
has_err "nothing to update"
expect_rc 1 uups nosuch -p '{}'
has_err "Service not found"
N=$(wc -l <"$MSGS")
ok restart web --timeout 60
S=$(start_services "$N" 'any(.[]; .name == "mydb" and .credentials.uri == "postgres://u:new@db2.example.com:5432/d")')
[ "$(printf '%s' "$S" | jq -r '.[] | select(.name == "mydb") | .tags | join(",")')" = pg,legacy ] || fail "tags kept: $S"

# Another user sees none of it and cannot change it.
ok login bob@example.com -p bobpw
ok services --json
[ "$(jq length "$T/out")" = 0 ] || fail "bob sees alice's services: $(cat "$T/out")"
expect_rc 1 uups mydb -p '{"uri":"stolen"}'
expect_rc 1 delete-service mydb -f
ok login alice@example.com -p alicepw

# Unbound, it can be deleted.
ok unbind-service web mydb
ok delete-service mydb -f
ok services --json
[ "$(jq -r '[.[].name] | sort | join(",")' "$T/out")" = apikey,drain ] || fail "after delete: $(cat "$T/out")"
echo "PASS test_services_user_provided"
