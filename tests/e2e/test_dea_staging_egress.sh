#!/usr/bin/env bash
# needs: root
# e2e: staging containers reach the outside (the host's DNS resolvers, tcp 80/443 by default:
# the DEA's staging_egress / staging_net_out), so the node buildpack runs npm install for an
# app whose package.json needs a package from the registry and ships no node_modules; the
# droplet carries it and the app uses it. App containers get no such rule: one cannot reach
# the same outside address. Skipped when this host itself cannot reach the npm registry.
if ! curl -s -m 5 -o /dev/null https://registry.npmjs.org/ms; then
    echo "SKIPPED: npm registry unreachable from this host"
    exit 0
fi
. "$(dirname "$0")/dea_apps_lib.sh"

s="$T/src-egress"
mkdir -p "$s"
cat >"$s/package.json" <<'JSON'
{
  "name": "hearth-egress",
  "version": "1.0.0",
  "private": true,
  "dependencies": { "ms": "2.1.3" },
  "scripts": { "start": "node server.js" }
}
JSON
cat >"$s/server.js" <<'JS'
const http = require("http");
const ms = require("ms");
http.createServer((req, res) => res.end(`ms says ${ms(90000)}\n`)).listen(process.env.PORT, "0.0.0.0");
JS

app_stage egress "$s" node
grep -q "^-----> Network: DNS " "$T/egress.stage.log" || wdn_fail "no network line in the log"
grep -q "tcp 0.0.0.0/0:443" "$T/egress.stage.log" || wdn_fail "no 443 rule in the log"
grep -q "^-----> npm install" "$T/egress.stage.log" || {
    cat "$T/egress.stage.log"
    wdn_fail "npm install did not run"
}
tar -xzOf "$T/cc/egress.tgz" app/node_modules/ms/package.json | grep -q '"version": "2.1.3"' ||
    wdn_fail "the droplet has no node_modules/ms 2.1.3"
echo "ok - npm install in the staging container fetched ms from the registry"
app_run egress 128 "ms says 2m"

# The restage finds npm's cache in the buildpack cache.
app_stage egress2 "$s" node >/dev/null
stage_request egress "$s"
grep -q "Restoring the buildpack cache" "$T/egress.stage.log" || wdn_fail "cache not restored"
echo "ok - a restage restores the buildpack cache (npm's cache)"

# tests/apps/express ships no node_modules: Express and its dependencies come from the registry.
src=$(app_src express)
app_stage express "$src" node
grep -q "^-----> npm install" "$T/express.stage.log" || {
    cat "$T/express.stage.log"
    wdn_fail "express: npm install did not run"
}
tar -tzf "$T/cc/express.tgz" | grep -q '^app/node_modules/express/package.json$' ||
    wdn_fail "express: the droplet has no node_modules/express"
app_run express 256 "hello from express, index 0"
echo "ok - an Express app staged with npm install from the registry answers"

# The app's container has no egress: the registry's address does not answer there.
ip=$(getent ahostsv4 registry.npmjs.org | awk '{print $1; exit}')
[ -n "$ip" ] || wdn_fail "registry.npmjs.org does not resolve on the host"
h=$(app_container 'node server.js') || wdn_fail "no container runs the app"
wdn run "$h" -- socat -T3 - TCP:"$ip":443,connect-timeout=3 </dev/null >/dev/null 2>&1 &&
    wdn_fail "an app container reached $ip:443"
echo "ok - an app container cannot reach $ip:443"
wdn run "$h" -- socat -T3 - TCP:"$ip":80,connect-timeout=3 </dev/null >/dev/null 2>&1 &&
    wdn_fail "an app container reached $ip:80"
echo "ok - an app container cannot reach $ip:80"
wdn run "$h" -- timeout 4 getent ahostsv4 registry.npmjs.org >/dev/null 2>&1 &&
    wdn_fail "an app container resolved a name through the host's resolver"
echo "ok - an app container gets no DNS answer"

for _ in $(seq 50); do wdn list | grep -q '^stg-' || break; sleep 0.1; done
wdn list | grep -q '^stg-' && wdn_fail "staging containers left"
echo "ok - staging containers destroyed"
apps_summary
echo PASS
