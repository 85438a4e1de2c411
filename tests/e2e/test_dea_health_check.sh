#!/usr/bin/env bash
# e2e (needs root): health_check_type in dea.UUID.start. An app that listens at once but answers
# 503 on /health for its first 3 requests: with "http" /health it is registered only after
# /health answered 200 (the app counts the checks it saw); with "port" it is registered before
# any /health request. "process" runs (and routes) an app that never listens. An endpoint that
# never answers 2xx fails the start after start_timeout with a reason naming the check, and
# the container is destroyed.
DEA_START_TIMEOUT=6s
. "$(dirname "$0")/dea_lib.sh"
wdn_start
dea_start

mkdir -p "$T/hcapp"
cat >"$T/hcapp/app.py" <<'PY'
import http.server, json, os, socketserver, threading
lock = threading.Lock()
seen = {"health": 0, "host": None}

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code, body = 200, b"ok\n"
        if self.path == "/health":
            with lock:
                seen["health"] += 1
                seen["host"] = self.headers.get("Host")
                code = 503 if seen["health"] <= 3 else 200
        elif self.path == "/never":
            code = 503
        elif self.path == "/seen":
            with lock:
                body = json.dumps(seen).encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass

class S(http.server.ThreadingHTTPServer):
    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "app", self.server_address[1]

S(("0.0.0.0", int(os.environ["PORT"])), H).serve_forever()
PY
SHA=$(make_droplet "$T/hcapp" "python3 app.py")
SLEEPER=$(make_droplet "$HEARTH_SOURCE_DIR/tests/apps/never-listens" "sleep 100000")

# start APP SHA EXTRA_JSON: a start message with the health check fields of EXTRA_JSON.
start() {
    local msg
    msg=$(start_msg "$1" "$2" 0 128 "$1.e2e.test" | python3 -c '
import json, sys
d = json.load(sys.stdin); d.update(json.loads(sys.argv[1])); print(json.dumps(d))' "$3")
    $BUS pub "$NATS" "dea.$DEA_ID.start" "$msg"
}
seen() { curl -sf "http://127.0.0.1:$1/seen" || wdn_fail "no /seen on $1"; }

# http: registered only once /health answered 200, after its three 503s.
HTTP_APP=http-$TAG
start "$HTTP_APP" "$SHA" '{"health_check_type":"http","health_check_http_endpoint":"/health"}'
R=$(bus_wait 30 "s=='router.register' and d['app']=='$HTTP_APP'")
P=$(echo "$R" | json_get 'd["port"]')
S=$(seen "$P")
expect_eq "http: /health checks before the route" "$(echo "$S" | json_get 'd["health"]')" 4
expect_eq "http: Host of the check is the app's uri" "$(echo "$S" | json_get 'd["host"]')" \
    "$HTTP_APP.e2e.test"
I=$(echo "$R" | json_get 'd["private_instance_id"]')
bus_wait 30 "s=='dea.heartbeat' and [x['state'] for x in d['droplets'] if x['instance']=='$I']==['RUNNING']" >/dev/null
echo "ok - http: RUNNING in the heartbeat"

# port (the default, field absent): registered as soon as the port opens, no /health asked.
PORT_APP=port-$TAG
start "$PORT_APP" "$SHA" '{}'
R=$(bus_wait 30 "s=='router.register' and d['app']=='$PORT_APP'")
S=$(seen "$(echo "$R" | json_get 'd["port"]')")
expect_eq "port: registered before any /health" "$(echo "$S" | json_get 'd["health"]')" 0

# process: an app that never listens is RUNNING and routed once spawned.
PROC_APP=proc-$TAG
start "$PROC_APP" "$SLEEPER" '{"health_check_type":"process"}'
R=$(bus_wait 30 "s=='router.register' and d['app']=='$PROC_APP'")
I=$(echo "$R" | json_get 'd["private_instance_id"]')
bus_wait 30 "s=='dea.heartbeat' and [x['state'] for x in d['droplets'] if x['instance']=='$I']==['RUNNING']" >/dev/null
echo "ok - process: an app that never listens runs and is routed"

# http on an endpoint that never answers 2xx: the start fails, naming the check.
BAD_APP=bad-$TAG
start "$BAD_APP" "$SHA" '{"health_check_type":"http","health_check_http_endpoint":"/never"}'
X=$(bus_wait 40 "s=='droplet.exited' and d['droplet']=='$BAD_APP'")
expect_eq "never 2xx: CRASHED" "$(echo "$X" | json_get 'd["reason"]')" CRASHED
expect_eq "never 2xx: the reason names the check" \
    "$(echo "$X" | json_get 'd["exit_description"]')" "health check GET /never: HTTP 503"
grep -q "router.register.*$BAD_APP" "$T/bus.jsonl" && wdn_fail "a failing app was registered"
I=$(echo "$X" | json_get 'd["instance"]')
for _ in $(seq 50); do wdn list | grep -q "dea-$I" || break; sleep 0.1; done
wdn list | grep -q "dea-$I" && wdn_fail "container left after the failed start"
echo "ok - never 2xx: not registered, container destroyed"

echo "PASS"
