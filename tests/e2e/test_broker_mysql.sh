#!/usr/bin/env bash
# hearth-broker with a real MariaDB: a database per instance, a user per binding confined to it.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib/services.sh
. tests/e2e/lib/broker.sh
svc_init
if ! start_mariadb; then
    echo "SKIP mysql: $SVC_WHY"
    exit 0
fi
broker_start

my_as() { # my_as CREDS_JSON SQL [DBNAME]
    local c=$1
    MYSQL_PWD=$(jq -r .password <<<"$c") mariadb --no-defaults --protocol=TCP --connect-timeout=5 -N -B \
        -h "$(jq -r .hostname <<<"$c")" -P "$(jq -r .port <<<"$c")" -u "$(jq -r .username <<<"$c")" \
        "${3:-$(jq -r .name <<<"$c")}" -e "$2" 2>&1
}
my_admin() {
    MYSQL_PWD=$MY_PASSWORD mariadb --no-defaults --protocol=TCP -N -B -h 127.0.0.1 -P "$MY_PORT" -u "$MY_USER" -e "$1"
}

osb GET /v2/catalog
[ "$(jq -r '.services[].name' <<<"$BODY")" = mysql ] || fail "catalog: $BODY"
ok "catalog offers mysql"
provision ma mysql
expect_code 201 "provision ma"
provision ma mysql
expect_code 200 "identical provision replays 200"
provision mb mysql
expect_code 201 "provision mb"

bind ma a1 mysql
expect_code 201 "bind a1"
CA1=$(jq -c .credentials <<<"$BODY")
for k in uri hostname port name username password; do
    [ -n "$(jq -r ".$k // empty" <<<"$CA1")" ] || fail "credentials lack $k: $CA1"
done
out=$(my_as "$CA1" "CREATE TABLE t (v VARCHAR(10)); INSERT INTO t VALUES ('hello'); SELECT v FROM t") ||
    fail "a1 writes: $out"
[ "$out" = hello ] || fail "a1 reads: $out"
ok "binding credentials create, write and read a table"
bind ma a2 mysql
expect_code 201 "bind a2"
CA2=$(jq -c .credentials <<<"$BODY")
out=$(my_as "$CA2" "SELECT v FROM t") && [ "$out" = hello ] || fail "a2 reads: $out"
ok "a second binding of the same instance shares its tables"
bind mb b1 mysql
expect_code 201 "bind b1"
CB1=$(jq -c .credentials <<<"$BODY")
my_as "$CB1" "SELECT v FROM t" "$(jq -r .name <<<"$CA1")" >/dev/null && fail "b1 reached ma's database"
ok "another instance's binding cannot use ma's database"
out=$(my_as "$CB1" "SHOW DATABASES") 
grep -q "$(jq -r .name <<<"$CA1")" <<<"$out" && fail "b1 sees ma's database: $out"
ok "and does not even see it"

# unbind revokes, an open session included
MYSQL_PWD=$(jq -r .password <<<"$CA2") mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P "$MY_PORT" \
    -u "$(jq -r .username <<<"$CA2")" -e 'SELECT SLEEP(60)' >/dev/null 2>&1 &
SLEEPER=$!
has_session() { [ "$(my_admin "SELECT count(*) FROM information_schema.processlist WHERE user = '$1'")" = 1 ]; }
svc_wait 10 has_session "$(jq -r .username <<<"$CA2")" || fail "a2's session did not show up"
unbind ma a2 mysql
expect_code 200 "unbind a2"
my_as "$CA2" "SELECT 1" >/dev/null && fail "a2 still connects after unbind"
ok "unbound credentials fail at once"
wait "$SLEEPER" && fail "a2's open session survived the unbind"
ok "an open session of the unbound user is killed"
unbind ma a2 mysql
expect_code 410 "unbind again is 410"

broker_stop
broker_start
bind ma a1 mysql
expect_code 200 "after restart the binding is still there"
out=$(my_as "$CA1" "SELECT v FROM t") && [ "$out" = hello ] || fail "usable after restart: $out"
ok "usable after restart"

DBA=$(jq -r .name <<<"$CA1")
deprovision ma mysql
expect_code 200 "deprovision ma"
[ "$(my_admin "SELECT count(*) FROM information_schema.schemata WHERE schema_name = '$DBA'")" = 0 ] ||
    fail "database $DBA still exists"
ok "deprovision dropped the database"
my_as "$CA1" "SELECT 1" mysql >/dev/null && fail "a1 still logs in"
ok "deprovision dropped the remaining binding's user"
deprovision ma mysql
expect_code 410 "deprovision again is 410"
unbind mb b1 mysql
expect_code 200 "unbind b1"
deprovision mb mysql
expect_code 200 "deprovision mb"
[ "$(my_admin "SELECT count(*) FROM mysql.user WHERE user LIKE 'u%'")" = 0 ] || fail "users left behind"
[ "$(my_admin "SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'd%'")" = 0 ] ||
    fail "databases left behind"
ok "nothing left behind on the server"
broker_stop
echo PASS
