#!/usr/bin/env bash
# e2e (needs root): the test apps of tests/apps staged by the built-in buildpacks in a real
# warden + DEA (stand-in CC for the package and droplet), each droplet then started and asked
# directly on its host port: Flask, Django and plain WSGI under gunicorn (workers from
# MEMORY_LIMIT), Rack under rackup/WEBrick, an executable jar (heap from MEMORY_LIMIT), and a
# node app reading VCAP_SERVICES through the npm cfenv package (node_modules installed on the
# host at test time and shipped with the app: staging containers do not reach the registry).
. "$(dirname "$0")/dea_apps_lib.sh"

# --- python: Flask, Django, plain WSGI
src=$(app_src flask)
app_stage flask "$src" python
cmd=$(app_start_command flask)
[[ $cmd == *"-m gunicorn"*"--bind 0.0.0.0:\$PORT app:app" ]] || wdn_fail "flask start command: $cmd"
echo "ok - flask: gunicorn serves app:app on \$PORT"
app_run flask 256 "hello from flask, index 0"
expect_eq "flask: MEMORY_LIMIT seen by the app" "$(app_get /env | json_get 'd["MEMORY_LIMIT"]')" "256m"

src=$(app_src django)
app_stage django "$src" python
[[ $(app_start_command django) == *"gunicorn"*" proj.wsgi:application" ]] ||
    wdn_fail "django start command: $(app_start_command django)"
app_run django 256 "hello from django, index 0"

src=$(app_src wsgi)
app_stage wsgi "$src" python
app_run wsgi 256 "hello from wsgi, index 0"
h=$(app_container 'gunicorn.*wsgi:application') || wdn_fail "no container runs the wsgi app"
# The app answers once one worker is up; the second may still be booting: wait up to 10 s.
for _ in $(seq 1 50); do
    ps=$(wdn run "$h" -- sh -c 'ps -e -o args=')
    n=$(echo "$ps" | grep -c '^python3 -m gunicorn .*wsgi:application') # not the sh -c around it
    [ "$n" = 3 ] && break
    sleep 0.2
done
[ "$n" = 3 ] || echo "$ps"
expect_eq "wsgi: gunicorn master + 2 workers at 256 MB" "$n" "3"

# --- ruby: Rack on WEBrick
src=$(app_src rack)
app_stage rack "$src" ruby
app_run rack 128 "hello from rack, index 0"
app_get /env | json_get 'd["server"]' | grep -q '^WEBrick/' || wdn_fail "rack: not served by WEBrick"
echo "ok - rack: served by WEBrick"

# --- java: an executable jar built here (never committed)
mkdir -p "$T/src-java"
sh "$APPS/java-jar/build.sh" "$T/src-java" >"$T/javac.log" 2>&1 || {
    cat "$T/javac.log"
    wdn_fail "building the jar"
}
app_stage java "$T/src-java" java
app_run java 256 "hello from java, index 0"
expect_eq "java: max heap from MEMORY_LIMIT 256m (MiB)" "$(app_get /heap)" "192"

# --- node: cfenv reads VCAP_SERVICES
src=$(app_src cfenv)
if (cd "$src" && npm_config_cache="$T/npm-cache" npm_config_update_notifier=false \
    npm install --omit=dev --no-audit --no-fund >"$T/npm.log" 2>&1); then
    app_stage cfenv "$src" node
    grep -q "Using the node_modules shipped" "$T/cfenv.stage.log" ||
        wdn_fail "cfenv: the node buildpack did not use the shipped node_modules"
    creds='{"uri": "postgres://orders:s3cret@10.1.2.3:5432/orders", "username": "orders", "port": 5432}'
    svcs='[{"name": "orders-db", "label": "postgresql", "plan": "free", "credentials": '"$creds"'}]'
    app_run cfenv 128 '"username":"orders"' "$svcs" '["SERVICE_NAME=orders-db"]'
    got=$(app_get / | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')
    want=$(echo "$creds" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')
    expect_eq "cfenv: the bound service's credentials" "$got" "$want"
    expect_eq "cfenv: app name from VCAP_APPLICATION" "$(app_get /app | json_get 'd["name"]')" "run-cfenv"
else
    tail -5 "$T/npm.log"
    echo "skipped - cfenv: npm install of its dependencies failed on this host (registry unreachable?)"
fi

apps_summary
echo PASS
