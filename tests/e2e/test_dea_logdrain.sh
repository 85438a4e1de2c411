#!/usr/bin/env bash
# e2e (needs root): syslog drains. An instance bound to a user-provided service with
# syslog_drain_url syslog://127.0.0.1:PORT (the DEA allows loopback drains here) sends every
# line it writes to a syslog receiver started by the test: RFC 5424 messages with
# octet-counting framing, <14> for stdout and <11> for stderr, the app's name and guid and
# [APP/INDEX]. The receiver goes away and comes back on the same port: the drain reconnects
# and later lines arrive. The instance's own log files still get every line.
. "$(dirname "$0")/dea_lib.sh"
wdn_start
DEA_EXTRA_YAML=$'log_drains:\n  allow_loopback: true' dea_start
DRAIN_PORT=$(free_port)
RECV_PID=""
# receiver: accepts drain connections, writes each framed message as one line to $T/drained.
receiver() {
    python3 - "$DRAIN_PORT" "$T/drained" <<'PY' &
import socket, sys, threading
port, out = int(sys.argv[1]), sys.argv[2]
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(8)
lock = threading.Lock()
def serve(c):
    buf = b""
    while True:
        d = c.recv(65536)
        if not d:
            return
        buf += d
        while b" " in buf:
            n, rest = buf.split(b" ", 1)
            if not n.isdigit():
                raise SystemExit("bad frame: %r" % buf[:40])
            if len(rest) < int(n):
                break
            msg, buf = rest[:int(n)], rest[int(n):]
            with lock, open(out, "ab") as f:
                f.write(msg + b"\n")
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
    RECV_PID=$!
    EXTRA_PIDS="$EXTRA_PIDS $RECV_PID"
    for _ in $(seq 50); do (echo >"/dev/tcp/127.0.0.1/$DRAIN_PORT") 2>/dev/null && return; sleep 0.1; done
    wdn_fail "the syslog receiver did not start"
}
receiver

mkdir -p "$T/app"
cp "$(dirname "$0")/dea_probe_app.py" "$T/app/app.py"
SHA=$(make_droplet "$T/app" "python3 -u app.py")
APP=drain-$TAG
MSG=$(start_msg "$APP" "$SHA" 0 128 drain.e2e.test | python3 -c '
import json, sys
m = json.load(sys.stdin)
m["services"].append({"name": "logs", "label": "user-provided", "credentials": {},
                      "syslog_drain_url": "syslog://127.0.0.1:'"$DRAIN_PORT"'"})
print(json.dumps(m))')
$BUS pub "$NATS" "dea.$DEA_ID.start" "$MSG"
PORT=$(bus_wait 60 "s=='router.register' and d['app']=='$APP'" | json_get 'd["port"]')
say() { curl -sf -o /dev/null "http://127.0.0.1:$PORT/$1/$2" || wdn_fail "GET /$1/$2"; }
# drained RE: waits up to 20 s for a drained message matching the extended regex RE.
drained() {
    for _ in $(seq 200); do grep -qE "$1" "$T/drained" 2>/dev/null && return 0; sleep 0.1; done
    cat "$T/drained" 2>/dev/null | tail -5
    wdn_fail "no drained message matches: $1"
}
TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z'
say say first-line
say err an-error
drained "^<14>1 $TS $APP $APP \[APP/0\] - - first-line$"
drained "^<11>1 $TS $APP $APP \[APP/0\] - - an-error$"
echo "ok - stdout and stderr lines drained as RFC 5424 (<14>, <11>), octet-counted, app and [APP/0]"

kill "$RECV_PID"
wait "$RECV_PID" 2>/dev/null
say say while-away
sleep 1
receiver
for i in 1 2 3 4 5 6 7 8 9 10; do say say "after-$i"; sleep 0.5; grep -q "after-" "$T/drained" && break; done
drained " - - after-[0-9]+$"
echo "ok - the receiver went away and came back: the drain reconnected and later lines arrived"

I=$($BUS req "$NATS" dea.find.droplet "{\"droplet\":\"$APP\"}" 2 1 | json_get 'd["instance"]')
grep -q "^first-line$" "$T/dea/instances/$I/logs/stdout.log" || wdn_fail "stdout.log lacks the line"
grep -q "^an-error$" "$T/dea/instances/$I/logs/stderr.log" || wdn_fail "stderr.log lacks the line"
echo "ok - the instance's log files still get every line"

# The app stops: its last line still leaves. Then a DEA stopping with a connected drain of a
# running instance closes it cleanly (under a sanitizer build: no report in its log).
say say last-words
$BUS pub "$NATS" dea.stop "{\"droplet\":\"$APP\"}"
drained " - - last-words$"
$BUS pub "$NATS" "dea.$DEA_ID.start" "$(echo "$MSG" | sed "s/\"index\": 0/\"index\": 1/")"
bus_wait 60 "s=='router.register' and d['app']=='$APP' and d['private_instance_id']!='$I'" >/dev/null
dea_stop
if grep -qE 'ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error:' "$T/dea.log"; then
    grep -A30 -E 'Sanitizer|runtime error:' "$T/dea.log" | head -60
    wdn_fail "sanitizer report in the DEA's log"
fi
echo "ok - the DEA stopped with a drain connected; nothing to report"
