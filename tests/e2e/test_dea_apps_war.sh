#!/usr/bin/env bash
# e2e (needs root): wars on the java buildpack in a real warden + DEA (stand-in CC for the package
# and droplet). tests/apps/java-war is built into a war here (never committed), staged (exploded
# into .hearth/webapp, the Tomcat launcher compiled), run at 256 MB and asked on its host port:
# the annotated servlet, the web.xml servlet (-Xmx from MEMORY_LIMIT), a static file through the
# DefaultServlet, a servlet added by a WEB-INF/lib jar's ServletContainerInitializer (found
# although jars are not scanned), a WebSocket endpoint, WEB-INF not served. Restaging takes the
# launcher from the app's buildpack cache. The same app pushed exploded (WEB-INF/ at the top) runs
# at 512 MB and /.hearth is not served. A war with a JSP page (and a tag library) has it compiled
# and served. A corrupt war fails staging with a clear log; a war whose web.xml is broken stages
# but its instance exits (CRASHED), saying why in its log.
. "$(dirname "$0")/dea_apps_lib.sh"
for c in javac jar unzip; do
    command -v $c >/dev/null || wdn_skip "$c not installed"
done
[ -r /usr/share/java/tomcat10-embed-core.jar ] || wdn_skip "libtomcat10-embed-java not installed"

# http_code PATH: the status of GET PATH on the last app started.
http_code() { curl -s -o /dev/null -m 10 -w '%{http_code}' "http://127.0.0.1:$APP_PORT$1"; }

mkdir -p "$T/war"
sh "$APPS/java-war/build.sh" "$T/war" >"$T/javac.log" 2>&1 || {
    cat "$T/javac.log"
    wdn_fail "building the war"
}

# --- a war at the top of the app
mkdir -p "$T/src-war"
cp "$T/war/hello.war" "$T/src-war/"
app_stage war "$T/src-war" java
grep -q "Compiling the Tomcat launcher" "$T/war.stage.log" || wdn_fail "war: launcher not compiled"
cmd=$(app_start_command war)
[[ $cmd == *"java -Xmx"*" -cp .hearth/java:/usr/share/java/tomcat10-embed-core.jar:/usr/share/java/tomcat10-embed-websocket.jar HearthWarLauncher .hearth/webapp" ]] ||
    wdn_fail "war start command: $cmd"
[[ $cmd == *jasper* ]] && wdn_fail "war: Jasper on the classpath of an app without JSP"
echo "ok - war: HearthWarLauncher on the Tomcat jar serves .hearth/webapp (no JSP)"
tar -tzf "$T/cc/war.tgz" | grep -q '^app/.hearth/webapp/WEB-INF/classes/hearth/HelloServlet.class$' ||
    wdn_fail "war: not exploded into the droplet"
app_run war 256 "hello from java-war, index 0"
expect_eq "war: GET / body" "$(app_get /)" "hello from java-war, index 0"
expect_eq "war: max heap from MEMORY_LIMIT 256m (MiB)" "$(app_get /heap)" "192"
expect_eq "war: static file" "$(app_get /hello.txt)" "a static file from java-war"
expect_eq "war: servlet added by a WEB-INF/lib initializer" "$(app_get /lib)" \
    "hello from a WEB-INF/lib initializer"
expect_eq "war: WebSocket endpoint" "$(python3 "$HEARTH_SOURCE_DIR/tests/e2e/war_ws.py" "$APP_PORT" /echo hi)" \
    "echo: hi"
expect_eq "war: WEB-INF not served" "$(http_code /WEB-INF/web.xml)" "404"
h=$(app_container 'HearthWarLauncher') || wdn_fail "no container runs the war"
wdn run "$h" -- sh -c 'ps -e -o args=' | grep -q '^java -Xmx192m .*HearthWarLauncher' ||
    wdn_fail "war: java does not run with -Xmx192m"
echo "ok - war: java runs with -Xmx192m at 256 MB"

# --- restaging the same app: the launcher comes from its buildpack cache
first=$STAGE_MS
app_stage war "$T/src-war" java
grep -q "Tomcat launcher from the cache" "$T/war.stage.log" || {
    cat "$T/war.stage.log"
    wdn_fail "war restaged: launcher not taken from the cache"
}
echo "ok - war restaged: launcher from the buildpack cache"
echo "time - war: restaging (launcher cached) $STAGE_MS ms"
echo "war staging $first" >>"$T/times"

# --- an exploded war (WEB-INF/ at the top) at 512 MB
mkdir -p "$T/src-warx"
(cd "$T/src-warx" && unzip -q "$T/war/hello.war")
app_stage warx "$T/src-warx" java
[[ $(app_start_command warx) == *" HearthWarLauncher ." ]] ||
    wdn_fail "warx start command: $(app_start_command warx)"
app_run warx 512 "hello from java-war, index 0"
expect_eq "warx: max heap from MEMORY_LIMIT 512m (MiB)" "$(app_get /heap)" "384"
expect_eq "warx: static file" "$(app_get /hello.txt)" "a static file from java-war"
expect_eq "warx: the launcher (/.hearth) not served" \
    "$(http_code /.hearth/java/HearthWarLauncher.class)" "404"

# --- JSP: Jasper (and its Java compiler) on the classpath, the page compiled in the container
mkdir -p "$T/src-warjsp"
cp "$T/war/jsp.war" "$T/src-warjsp/"
app_stage warjsp "$T/src-warjsp" java
[[ $(app_start_command warjsp) == *":/usr/share/java/tomcat10-embed-jasper.jar HearthWarLauncher .hearth/webapp" ]] ||
    wdn_fail "warjsp start command: $(app_start_command warjsp)"
app_run warjsp 256 "hello from java-war, index 0"
expect_eq "warjsp: the JSP page, with a tag of a WEB-INF/lib tag library" "$(app_get /hello.jsp)" \
    "jsp says 42, and a tag says hi"

# --- a corrupt war fails staging
mkdir -p "$T/src-warbad"
head -c 200 "$T/war/hello.war" >"$T/src-warbad/broken.war"
app_stage_fails warbad "$T/src-warbad" "broken.war is not a valid war (it must be a zip archive)"

# --- a war whose web.xml is not XML: staged, but the instance exits and says why
mkdir -p "$T/warweb/tree" "$T/src-warweb"
(cd "$T/warweb/tree" && unzip -q "$T/war/hello.war" && echo '<web-app><servlet>' >WEB-INF/web.xml &&
    zip -qr "$T/src-warweb/app.war" .)
app_stage warweb "$T/src-warweb" java
sha=$(sha1sum "$T/cc/warweb.tgz" | cut -d' ' -f1)
cp "$T/cc/warweb.tgz" "$T/www/$sha.tgz"
$BUS pub "$NATS" "dea.$DEA_ID.start" "$(start_msg run-warweb "$sha" 0 256 warweb.e2e.test)"
X=$(bus_wait 60 "s=='droplet.exited' and d['droplet']=='run-warweb'")
expect_eq "broken web.xml: reason" "$(echo "$X" | json_get 'd["reason"]')" "CRASHED"
expect_eq "broken web.xml: exit status" "$(echo "$X" | json_get 'd["exit_status"]')" "1"
I=$(echo "$X" | json_get 'd["instance"]')
curl -sf -u u:p "http://127.0.0.1:$FILE_PORT/instances/$I/logs?lines=20" >"$T/warweb.log"
grep -q "hearth-war: the web application at .* failed to start" "$T/warweb.log" || {
    cat "$T/warweb.log"
    wdn_fail "broken web.xml: the instance's log does not say the application failed to start"
}
echo "ok - broken web.xml: CRASHED saying the application failed to start in its log"
$BUS wait "$T/bus.jsonl" 1 "s=='router.register' and d['app']=='run-warweb'" >/dev/null &&
    wdn_fail "broken web.xml: the instance was registered"

apps_summary
echo PASS
