#!/usr/bin/env bash
# e2e (no root, no container): the java buildpack's war support through the staging driver
# (buildpacks/stage) run directly, with the PATH an app container has, and the staged start
# command run here on a random loopback port (VCAP_APP_HOST=127.0.0.1): which war is chosen
# (ROOT.war first; an executable jar wins over a war), a WebSocket endpoint, an exploded war, the
# launcher taken from the buildpack cache on restaging, Jasper on the classpath only for a war
# with JSP pages (and the page compiled and served, with a tag from a WEB-INF/lib tag library),
# the heap from MEMORY_LIMIT, SIGTERM stopping the application cleanly, a corrupt war failing
# staging with a clear log, and a war whose application cannot start exiting with status 1 without
# ever listening.
set -u
. "$(dirname "$0")/stage_driver_lib.sh"
stage_driver_need java javac jar unzip zip curl python3
[ -r /usr/share/java/tomcat10-embed-core.jar ] || { echo "skipped: no embedded Tomcat"; exit 0; }
T=$(mktemp -d /tmp/hearth-war-stage.XXXXXX)
APP_PID=""
cleanup() {
    if [ -n "$APP_PID" ]; then
        pkill -P "$APP_PID" 2>/dev/null
        kill "$APP_PID" 2>/dev/null
        wait "$APP_PID" 2>/dev/null
    fi
    rm -rf "$T"
}
trap cleanup EXIT

# stage NAME SRC [CACHE_FROM]: stage_driver, and fails unless the java buildpack staged it.
# Sets CMD to the start command. The log is $T/NAME.log.
stage() {
    stage_driver "$@"
    expect_eq "$1: detected buildpack" "$STAGED_BP" java
    CMD=$STAGED_CMD
}

# run NAME MEM: runs the start command of staging NAME in its app dir on a free loopback port
# and waits until GET / answers (fails if the process exits first). Sets PORT.
run() {
    local d="$T/$1/out" _
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    mkdir -p "$d/tmp"
    (cd "$d/app" && PORT=$PORT VCAP_APP_HOST=127.0.0.1 MEMORY_LIMIT=$2 TMPDIR="$d/tmp" HOME="$d/app" \
        VCAP_APPLICATION='{"instance_index": 3, "name": "w"}' \
        exec sh -c "$(sed -n 's/^start_command: //p' "$d/staging_info.yml")") >"$T/$1.run.log" 2>&1 &
    APP_PID=$!
    for _ in $(seq 600); do
        curl -sf -m 5 -o /dev/null "http://127.0.0.1:$PORT/" && return 0
        kill -0 "$APP_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$T/$1.run.log"
    fail "$1 does not answer on 127.0.0.1:$PORT"
}
stop() {
    pkill -P "$APP_PID" 2>/dev/null
    kill "$APP_PID" 2>/dev/null
    wait "$APP_PID" 2>/dev/null
    APP_PID=""
}
get() { curl -sf -m 30 "http://127.0.0.1:$PORT$1" || fail "GET $1"; }

mkdir -p "$T/build"
sh "$APPS/java-war/build.sh" "$T/build" >"$T/build.log" 2>&1 || {
    cat "$T/build.log"
    fail "building the war"
}
WAR=$T/build/hello.war
CP=.hearth/java:/usr/share/java/tomcat10-embed-core.jar:/usr/share/java/tomcat10-embed-websocket.jar
JAVA='m=${MEMORY_LIMIT:-256m}; m=${m%m}; java -Xmx$((m-(m/4>64?m/4:64)))m -XX:-UsePerfData $JAVA_OPTS'

# --- detection
mkdir -p "$T/none"
echo hi >"$T/none/index.html"
"$BP/java/bin/detect" "$T/none" >/dev/null && fail "java detects an app with neither jar nor war"
echo "ok - no jar, no war, no WEB-INF: not java"

# --- a war; restaged with the cache
mkdir -p "$T/src-war"
cp "$WAR" "$T/src-war/"
stage war "$T/src-war"
expect_eq "war: start command" "$CMD" "$JAVA -cp $CP HearthWarLauncher .hearth/webapp"
grep -q "Compiling the Tomcat launcher" "$T/war.log" || fail "war: launcher not compiled"
[ -f "$T/war/out/app/.hearth/webapp/WEB-INF/web.xml" ] || fail "war: not exploded into .hearth/webapp"
echo "ok - war: exploded into .hearth/webapp, launcher compiled"
stage war2 "$T/src-war" war
grep -q "Tomcat launcher from the cache" "$T/war2.log" || fail "war restaged: launcher compiled again"
[ -f "$T/war2/out/app/.hearth/java/HearthWarLauncher.class" ] || fail "war restaged: no launcher"
echo "ok - war restaged: launcher from the buildpack cache"
run war 300m
expect_eq "war: GET /" "$(get /)" "hello from java-war, index 3"
jpid=$(pgrep -P "$APP_PID" java || echo "$APP_PID")
tr '\0' ' ' <"/proc/$jpid/cmdline" | grep -q '^java -Xmx225m ' || fail "war: java not run with -Xmx225m"
echo "ok - war: java runs with -Xmx225m at MEMORY_LIMIT 300m"
expect_eq "war: servlet of a WEB-INF/lib initializer" "$(get /lib)" "hello from a WEB-INF/lib initializer"
expect_eq "war: WebSocket endpoint" "$(python3 "$HEARTH_SOURCE_DIR/tests/e2e/war_ws.py" "$PORT" /echo hi)" "echo: hi"
grep -q "^hearth-war: serving .* on 127.0.0.1:$PORT\$" "$T/war.run.log" || {
    cat "$T/war.run.log"
    fail "war: the launcher does not say where it serves"
}
echo "ok - war: the launcher's log is on stdout"
[ -e "$T/war/out/tmp/java-war.destroyed" ] && fail "war: destroyed before being stopped"
kill -TERM "$jpid"
wait "$APP_PID"
APP_PID=""
[ -e "$T/war/out/tmp/java-war.destroyed" ] || fail "war: SIGTERM did not stop the application"
echo "ok - war: SIGTERM stops the application (its contextDestroyed listener ran)"

# --- an exploded war
mkdir -p "$T/src-warx"
(cd "$T/src-warx" && unzip -q "$WAR")
stage warx "$T/src-warx"
expect_eq "exploded war: start command" "$CMD" "$JAVA -cp $CP HearthWarLauncher ."

# --- ROOT.war is chosen among wars; an executable jar wins over a war
mkdir -p "$T/src-two"
cp "$WAR" "$T/src-two/ROOT.war"
echo "not a zip" >"$T/src-two/a.war"
stage two "$T/src-two"
grep -q "War: ROOT.war" "$T/two.log" || fail "two wars: ROOT.war not chosen"
echo "ok - two wars: ROOT.war chosen"
mkdir -p "$T/src-jarwar"
sh "$APPS/java-jar/build.sh" "$T/src-jarwar" >/dev/null 2>&1 || fail "building the jar"
cp "$WAR" "$T/src-jarwar/"
stage jarwar "$T/src-jarwar"
expect_eq "jar and war: the executable jar runs" "$CMD" "$JAVA -Dserver.port=\$PORT -jar hello.jar"

# --- JSP: Jasper on the classpath, the page compiled and served (its tag library found)
mkdir -p "$T/src-jsp"
cp "$T/build/jsp.war" "$T/src-jsp/"
stage jsp "$T/src-jsp"
expect_eq "jsp war: start command" "$CMD" \
    "$JAVA -cp $CP:/usr/share/java/tomcat10-embed-el.jar:/usr/share/java/tomcat10-embed-jasper.jar HearthWarLauncher .hearth/webapp"
run jsp 256m
expect_eq "jsp war: the page, with a tag of a WEB-INF/lib tag library" "$(get /hello.jsp)" \
    "jsp says 42, and a tag says hi"
stop

# --- a corrupt war fails staging
mkdir -p "$T/bad/app"
head -c 300 "$WAR" >"$T/bad/app/bad.war"
HOME="$T/bad" sh "$BP/stage" "$T/bad" >"$T/bad.log" 2>&1 && fail "a corrupt war staged"
grep -q "bad.war is not a valid war (it must be a zip archive)" "$T/bad.log" || {
    cat "$T/bad.log"
    fail "corrupt war: no clear message"
}
echo "ok - a corrupt war fails staging with a clear message"

# --- an application that cannot start: exit status 1, never listens
mkdir -p "$T/brk-tree" "$T/src-brk"
(cd "$T/brk-tree" && unzip -q "$WAR" && echo '<web-app><servlet>' >WEB-INF/web.xml &&
    zip -qr "$T/src-brk/app.war" .)
stage brk "$T/src-brk"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$T/brk/out/app" && PORT=$PORT VCAP_APP_HOST=127.0.0.1 MEMORY_LIMIT=256m TMPDIR="$T/brk/out" \
    exec timeout 120 sh -c "$CMD") >"$T/brk.run.log" 2>&1 &
APP_PID=$!
listened=no
while kill -0 "$APP_PID" 2>/dev/null; do # probe the port until the process is gone
    (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && listened=yes
    sleep 0.01
done
wait "$APP_PID"
rc=$?
APP_PID=""
expect_eq "broken web.xml: exit status" "$rc" "1"
expect_eq "broken web.xml: the port never accepted" "$listened" "no"
grep -q "^hearth-war: the web application at .* failed to start" "$T/brk.run.log" || {
    cat "$T/brk.run.log"
    fail "broken web.xml: no clear message"
}
echo "ok - broken web.xml: the log says the application failed to start"
echo PASS
