#!/usr/bin/env bash
# needs: root
# hearthd starts the broker's backing services: PostgreSQL, RabbitMQ (with its own epmd) and
# Redis (the broker's per-instance servers) with their data in DATA/services, on ports from
# --port-base. A service whose binary is missing (MariaDB here) is left out: hearthd comes up
# and the broker offers the others. Instances of each are provisioned and bound through the
# broker and used with their credentials. SIGTERM stops every process of the cloud, services
# included. A second start reuses the initialised data (no new initdb) and runs MariaDB too.
set -euo pipefail
bin=${HEARTH_BIN_DIR:?}
tmp=$(mktemp -d)
chmod 711 "$tmp" # servers that run as their own user (postgres, mysql) must reach DATA
. "$(cd "$(dirname "$0")" && pwd)/lib/cloud.sh"

cleanup() {
    cloud_cleanup
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    cat "$tmp/out" >&2 || true
    for f in "$tmp"/data/logs/*.log; do echo "--- $f" >&2; tail -n 8 "$f" >&2; done
    exit 1
}
ok() { echo "ok - $*"; }

start_cloud() { # start_cloud [hearthd args...]
    : >"$tmp/out"
    cloud_boot "$tmp/data" "$tmp/out" "$@"
    base=$CLOUD_BASE
    BPW=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['broker_password'])" \
        "$tmp/data/secrets.json")
}

osb() { # osb METHOD PATH [BODY] -> $CODE $BODY
    local args=(-s -o "$tmp/osb.out" -w '%{http_code}' -X "$1" -u "broker:$BPW"
        -H 'X-Broker-API-Version: 2.14' -H 'Content-Type: application/json')
    [ -n "${3:-}" ] && args+=(--data-binary "$3")
    CODE=$(curl "${args[@]}" "http://127.0.0.1:$((base + 8))$2") || CODE=000
    BODY=$(cat "$tmp/osb.out" 2>/dev/null || true)
}

catalog_names() {
    osb GET /v2/catalog
    python3 -c 'import json,sys; print(" ".join(sorted(s["name"] for s in json.load(sys.stdin)["services"])))' <<<"$BODY"
}

# provision_bind SERVICE ID: provisions (async), waits, binds; credentials JSON in $CREDS.
provision_bind() {
    local svc=$1 id=$2 ids
    osb GET /v2/catalog
    ids=$(python3 -c 'import json,sys; s=[x for x in json.load(sys.stdin)["services"] if x["name"]==sys.argv[1]][0]; print(s["id"], s["plans"][0]["id"])' "$svc" <<<"$BODY")
    set -- $ids
    local sid=$1 pid=$2 body
    body="{\"service_id\":\"$sid\",\"plan_id\":\"$pid\",\"organization_guid\":\"o\",\"space_guid\":\"s\"}"
    svc_ready "$svc"
    local state=""
    osb PUT "/v2/service_instances/$id?accepts_incomplete=true" "$body"
    case "$CODE" in 201 | 200) state=succeeded ;; 202)
        for _ in $(seq 1 150); do
            osb GET "/v2/service_instances/$id/last_operation"
            state=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])' <<<"$BODY")
            [ "$state" = "in progress" ] || break
            sleep 0.2
        done ;;
    esac
    [ "$state" = succeeded ] || fail "$svc: provisioning did not succeed: $BODY"
    # A server that has only just booted may refuse the first bind (RabbitMQ right after its
    # first start): the broker answers 500 and the platform tries again.
    for _ in $(seq 1 10); do
        osb PUT "/v2/service_instances/$id/service_bindings/b-$id" \
            "{\"service_id\":\"$sid\",\"plan_id\":\"$pid\",\"bind_resource\":{\"app_guid\":\"app\"}}"
        [ "$CODE" = 500 ] || break
        echo "# $svc: bind answered 500, retrying: $BODY"
        sleep 1
    done
    [ "$CODE" = 201 ] || fail "$svc: bind: HTTP $CODE $BODY"
    CREDS=$(python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["credentials"]))' <<<"$BODY")
}
# Waits until the backing server answers (they start with hearthd but take their time).
svc_ready() {
    local spw check
    spw=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['services_password'])" \
        "$tmp/data/secrets.json")
    case "$1" in
    postgresql) check=(pg_isready -q -h 127.0.0.1 -p $((base + 11))) ;;
    mysql) check=(mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P $((base + 12)) -u hearth
        "-p$spw" -e 'SELECT 1') ;;
    rabbitmq) check=(curl -sf -o /dev/null -u "hearth:$spw" "http://127.0.0.1:$((base + 14))/api/overview") ;;
    *) return 0 ;;
    esac
    # RabbitMQ boots in 5-20 s here, more on a busy machine.
    for _ in $(seq 1 600); do "${check[@]}" >/dev/null 2>&1 && return 0; sleep 0.2; done
    fail "$1 did not come up"
}
cred() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$CREDS" "$1"; }

# 1. MariaDB's server binary is missing: hearthd comes up, the broker offers the others.
cat >"$tmp/hearthd.yml" <<YAML
services:
  mariadbd: $tmp/no-such-dir/mariadbd
YAML
start_cloud -c "$tmp/hearthd.yml"
grep -q 'msg="backing service not started.*service=mysql' "$tmp/out" ||
    fail "no log line for the missing MariaDB"
names=$(catalog_names)
[ "$names" = "postgresql rabbitmq redis" ] || fail "catalog offers '$names'"
ok "MariaDB missing: logged, catalog offers $names"

provision_bind postgresql pg1
[ -f "$tmp/data/services/postgresql/data/PG_VERSION" ] || fail "no PostgreSQL data in DATA/services"
uri=$(cred uri)
[ "$(cred port)" = $((base + 11)) ] || fail "postgresql port $(cred port), want $((base + 11))"
psql "$uri" -qc 'CREATE TABLE t (x int); INSERT INTO t VALUES (42)' >/dev/null ||
    fail "psql with the binding's credentials"
out=$(psql "$uri" -tAc 'SELECT x FROM t') || fail "psql read"
[ "$out" = 42 ] || fail "psql read '$out'"
ok "PostgreSQL instance on port base+11, written and read through its binding"

provision_bind redis r1
out=$(redis-cli -h "$(cred hostname)" -p "$(cred port)" --user "$(cred username)" \
    --pass "$(cred password)" --no-auth-warning PING) || true
[ "$out" = PONG ] || fail "redis PING through the binding: '$out'"
ok "Redis instance answers through its binding"

provision_bind rabbitmq q1
[ "$(cred port)" = $((base + 13)) ] || fail "rabbitmq port $(cred port), want $((base + 13))"
# The binding's user has rights on the instance's vhost (seen with hearthd's administrator).
spw=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['services_password'])" \
    "$tmp/data/secrets.json")
vhost=$(python3 -c 'import sys,urllib.parse as u; print(u.quote(u.urlparse(sys.argv[1]).path[1:], safe=""))' "$(cred uri)")
code=$(curl -s -o /dev/null -w '%{http_code}' -u "hearth:$spw" \
    "http://127.0.0.1:$((base + 14))/api/permissions/$vhost/$(cred username)")
[ "$code" = 200 ] || fail "rabbitmq: no permissions for the binding's user on its vhost: HTTP $code"
ok "RabbitMQ instance on port base+13, the binding's user has rights on its vhost"

# 2. SIGTERM stops everything: hearth's daemons, the services, the broker's redis-servers.
cloud_stop
sleep 0.5
left=$(cloud_pids)
[ -z "$left" ] || fail "processes left after SIGTERM: $(for p in $left; do tr '\0' ' ' <"/proc/$p/cmdline"; echo; done)"
ok "SIGTERM stopped every process of the cloud"

# 3. A second start keeps the data (no new initdb) and runs MariaDB as well.
start_cloud --services postgresql,mysql,redis
grep -q 'msg="service initialising" component=postgresql' "$tmp/out" &&
    fail "PostgreSQL initialised again"
names=$(catalog_names)
[ "$names" = "mysql postgresql redis" ] || fail "catalog offers '$names'"
provision_bind postgresql pg2
out=$(psql "$uri" -tAc 'SELECT x FROM t') || fail "the first instance after a restart"
[ "$out" = 42 ] || fail "read '$out' after a restart"
ok "after a restart: PostgreSQL kept its data"
provision_bind mysql m1
out=$(mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P "$(cred port)" -u "$(cred username)" \
    -p"$(cred password)" "$(cred name)" -NBe 'CREATE TABLE t (x INT); INSERT INTO t VALUES (7); SELECT x FROM t' 2>&1) ||
    fail "mariadb with the binding's credentials"
[ "$out" = 7 ] || fail "mariadb read '$out'"
ok "MariaDB instance initialised on first use, written and read through its binding"
cloud_stop
sleep 0.5
[ -z "$(cloud_pids)" ] || fail "processes left after the second SIGTERM"
ok "second stop clean"
