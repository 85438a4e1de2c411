#!/usr/bin/env bash
# The CLI against a stand-in CC: app URLs print as http://HOST.DOMAIN:PORT from /info's domain
# and router_port (without the port when /info has none, or it is 80), and `hearth logs`
# follows an instance log across a rotation (peers contract: the full file is renamed to
# NAME.1 and a new empty one starts): the lines written before the rotation, the rest of
# NAME.1 and the new file each show exactly once.
set -uo pipefail
. "$(dirname "$0")/cli_lib.sh"

mkdir -p "$T/files/logs" "$T/home"
export HEARTH_HOME="$T/home"
PORT=$(free_port)
# Stand-in CC: /info from $T/info.json, one started app, its files from $T/files with Range.
cat >"$T/cc.py" <<'PY'
import http.server, json, os, re, sys
root, port = sys.argv[1], int(sys.argv[2])
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, code, body, ctype="application/json", extra=()):
        b = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(b)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(b)
    def do_GET(self):
        if self.path == "/info":
            return self.reply(200, open(os.path.join(root, "info.json")).read())
        if self.path == "/apps/web":
            return self.reply(200, json.dumps({"name": "web", "state": "STARTED", "instances": 1,
                "runningInstances": 1, "uris": ["web.apps.test"], "resources": {"memory": 64},
                "services": [], "staging": {}, "meta": {"created": 0}}))
        if self.path == "/apps/web/instances":
            return self.reply(200, json.dumps({"0": {"state": "RUNNING", "since": 0}}))
        m = re.match(r"^/apps/web/instances/0/files/(logs/std(out|err)\.log(\.1)?)$", self.path)
        if not m:
            return self.reply(404, json.dumps({"code": 100404, "description": "not found"}))
        try:
            data = open(os.path.join(root, "files", m.group(1)), "rb").read()
        except OSError:
            return self.reply(404, json.dumps({"code": 100404, "description": "no file"}))
        rng = self.headers.get("Range")
        if rng:
            start = int(rng.split("=")[1].rstrip("-"))
            if start > len(data):
                return self.reply(416, "", "text/plain", [("Content-Range", f"bytes */{len(data)}")])
            return self.reply(206, data[start:], "text/plain",
                              [("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")])
        return self.reply(200, data, "text/plain")
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
echo '{"domain":"apps.test","router_port":8181}' >"$T/info.json"
python3 "$T/cc.py" "$T" "$PORT" >"$T/cc.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/info" && break; sleep 0.1; done
printf '{"target":"http://127.0.0.1:%s","token":"t","email":"a@b"}' "$PORT" >"$HEARTH_HOME/config"
chmod 600 "$HEARTH_HOME/config"

ok app web
grep -q "^urls: *http://web.apps.test:8181$" "$T/out" || fail "app URL with router_port: $(cat "$T/out")"
echo "ok - app URL is http://HOST.DOMAIN:PORT from /info"
echo '{"domain":"apps.test","router_port":80}' >"$T/info.json"
ok app web
grep -q "^urls: *http://web.apps.test$" "$T/out" || fail "app URL on port 80: $(cat "$T/out")"
echo '{"domain":"apps.test"}' >"$T/info.json"
ok app web
grep -q "^urls: *http://web.apps.test$" "$T/out" || fail "app URL without router_port: $(cat "$T/out")"
echo "ok - no port in the URL for 80 or when /info has none"

# Rotation while following.
printf 'one\ntwo\n' >"$T/files/logs/stdout.log"
: >"$T/files/logs/stderr.log"
"$BIN/hearth" logs web >"$T/follow.out" 2>"$T/follow.err" </dev/null &
fpid=$!
PIDS+=($fpid)
for _ in $(seq 1 50); do grep -q "two" "$T/follow.out" && break; sleep 0.1; done
printf 'three-before-rotation\n' >>"$T/files/logs/stdout.log"
# Rotate at once (no poll sees "three" in the live file): it is in NAME.1 only.
mv "$T/files/logs/stdout.log" "$T/files/logs/stdout.log.1"
printf 'new-1\n' >"$T/files/logs/stdout.log"
for _ in $(seq 1 50); do grep -q "new-1" "$T/follow.out" && break; sleep 0.1; done
printf 'new-2\n' >>"$T/files/logs/stdout.log"
for _ in $(seq 1 50); do grep -q "new-2" "$T/follow.out" && break; sleep 0.1; done
kill -INT "$fpid"
wait "$fpid"
rc=$?
[ "$rc" = 0 ] || fail "logs (follow) exited $rc on SIGINT: $(cat "$T/follow.err")"
cp "$T/follow.out" "$T/out"
for line in one two three-before-rotation new-1 new-2; do
    n=$(grep -c "^\[0 out\] $line\$" "$T/follow.out")
    [ "$n" = 1 ] || fail "'$line' shown $n times: $(cat "$T/follow.out")"
done
order=$(sed -n 's/^\[0 out\] //p' "$T/follow.out" | tr '\n' ' ')
[ "$order" = "one two three-before-rotation new-1 new-2 " ] || fail "order: $order"
echo "ok - logs follows a rotation: the rest of NAME.1, then the new file from 0, each line once"
