#!/usr/bin/env bash
# e2e (needs root): staging requests shaped like hearth-cc's: the DEA downloads the package
# (zip), runs the built-in buildpacks in a container (static, node, python, binary), uploads
# the droplet, and the droplet then runs. A second staging of the same app restores its
# buildpack cache; an app no buildpack detects fails with a clear error.
. "$(dirname "$0")/dea_lib.sh"
wdn_start
dea_start
CC_PORT=$(free_port)
mkdir -p "$T/cc"
python3 "$HEARTH_SOURCE_DIR/tests/e2e/dea_fake_cc.py" "$CC_PORT" "$T/cc" &
EXTRA_PIDS="$EXTRA_PIDS $!"
sleep 0.3
A="$HEARTH_SOURCE_DIR/tests/apps"

# stage NAME SRC_DIR: zips SRC_DIR, sends the staging request, prints the reply.
stage() {
    (cd "$2" && zip -qr "$T/cc/$1.zip" .) || wdn_fail "zip $1"
    local msg
    msg=$(python3 -c '
import json, sys
n, port = sys.argv[1:3]
print(json.dumps({"task_id": "t-" + n, "app_id": "app-" + n, "name": n, "package_sha1": "0" * 40,
  "properties": {"framework": "", "runtime": "", "command": None, "environment": ["A=1"],
                 "services": [], "resources": {"memory": 256, "disk": 1024, "fds": 256}},
  "download_uri": "http://127.0.0.1:%s/pkg/%s.zip" % (port, n),
  "upload_uri": "http://127.0.0.1:%s/drop/%s.tgz" % (port, n)}))' "$1" "$CC_PORT")
    $BUS req "$NATS" "staging.$DEA_ID.start" "$msg" 180 1
}

# run_droplet NAME: starts the uploaded droplet, prints its host port.
run_droplet() {
    local sha
    sha=$(sha1sum "$T/cc/$1.tgz" | cut -d' ' -f1)
    cp "$T/cc/$1.tgz" "$T/www/$sha.tgz"
    $BUS pub "$NATS" "dea.$DEA_ID.start" "$(start_msg "run-$1" "$sha" 0 128 "$1.e2e.test")"
    bus_wait 60 "s=='router.register' and d['app']=='run-$1'" | json_get 'd["port"]'
}

check_app() { # NAME BUILDPACK EXPECTED_BODY
    local r port
    r=$(stage "$1" "$T/src-$1")
    [ -n "$r" ] || wdn_fail "no staging reply for $1"
    echo "$r" | json_get 'd.get("error")' | grep -qx None || {
        echo "$r" | json_get 'd["task_log"]'
        wdn_fail "staging $1 failed: $(echo "$r" | json_get 'd.get("error")')"
    }
    expect_eq "$1: detected buildpack" "$(echo "$r" | json_get 'd["detected_buildpack"]')" "$2"
    slog_check "t-$1" "$r"
    tar -xzOf "$T/cc/$1.tgz" staging_info.yml | grep -q '^start_command: ' ||
        wdn_fail "$1: no start_command in the droplet"
    tar -tzf "$T/cc/$1.tgz" | grep -q '^app/' || wdn_fail "$1: droplet has no app/"
    port=$(run_droplet "$1")
    curl -sf "http://127.0.0.1:$port/" | grep -q "$3" || wdn_fail "$1 does not answer '$3'"
    echo "ok - $1 staged with $2 and answers"
}

cp -r "$A/static" "$T/src-static"
check_app static static "hello from hearth-dea"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(bus_wait 5 "s=='router.register' and d['app']=='run-static'" | json_get 'd["port"]')/.hearth-static.py")
expect_eq "static server hides dot files" "$code" "404"

cp -r "$A/node-http" "$T/src-node"
check_app node node "hello from node"

cp -r "$A/python-http" "$T/src-python"
check_app python python "hello from python"

cp -r "$A/c-binary" "$T/src-binary"
cc -O2 -o "$T/src-binary/hello" "$A/c-binary/hello.c" || wdn_fail "cc"
check_app binary binary "hello from C"

# Buildpack cache: the node buildpack keeps npm's cache; a restage restores it.
r=$(stage node "$T/src-node")
echo "$r" | json_get 'd["task_log"]' | grep -q "Restoring the buildpack cache" ||
    wdn_fail "cache not restored on restage"
echo "ok - buildpack cache restored on the second staging"

mkdir -p "$T/src-none" && echo "nothing to run" >"$T/src-none/README"
r=$(stage none "$T/src-none")
echo "$r" | json_get 'd["error"]' | grep -q "status 4" || wdn_fail "undetectable app: $r"
echo "$r" | json_get 'd["task_log"]' | grep -q "No buildpack detected" || wdn_fail "no clear log: $r"
slog_check t-none "$r"
echo "ok - an app no buildpack detects fails with a clear log (published live too)"
for _ in $(seq 50); do wdn list | grep -q '^stg-' || break; sleep 0.1; done
wdn list | grep -q '^stg-' && wdn_fail "staging containers left"
echo "ok - staging containers destroyed"
echo PASS
