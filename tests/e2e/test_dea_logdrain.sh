#!/usr/bin/env bash
# e2e (needs root): syslog drains. An instance bound to a user-provided service with
# syslog_drain_url syslog://127.0.0.1:PORT (the DEA allows loopback drains here) sends every
# line it writes to a syslog receiver started by the test: RFC 5424 messages with
# octet-counting framing, <14> for stdout and <11> for stderr, the app's name and guid and
# [APP/INDEX]. The receiver goes away and comes back on the same port: the drain reconnects
# and later lines arrive. The instance's own log files still get every line.
. "$(dirname "$0")/dea_logdrain_lib.sh"
drain_dea_start
DRAIN_PORT=$(free_port)
receiver plain "$DRAIN_PORT"
APP=drain-$TAG
start_app "$APP" "syslog://127.0.0.1:$DRAIN_PORT"
say say first-line
say err an-error
drained plain "^<14>1 $TS $APP $APP \[APP/0\] - - first-line$"
drained plain "^<11>1 $TS $APP $APP \[APP/0\] - - an-error$"
echo "ok - stdout and stderr lines drained as RFC 5424 (<14>, <11>), octet-counted, app and [APP/0]"

kill "$RECV_PID"
wait "$RECV_PID" 2>/dev/null
say say while-away
sleep 1
receiver plain "$DRAIN_PORT"
for i in 1 2 3 4 5 6 7 8 9 10; do say say "after-$i"; sleep 0.5; grep -q "after-" "$T/plain.drained" && break; done
drained plain " - - after-[0-9]+$"
echo "ok - the receiver went away and came back: the drain reconnected and later lines arrived"

I=$(instance_of "$APP")
grep -q "^first-line$" "$T/dea/instances/$I/logs/stdout.log" || wdn_fail "stdout.log lacks the line"
grep -q "^an-error$" "$T/dea/instances/$I/logs/stderr.log" || wdn_fail "stderr.log lacks the line"
echo "ok - the instance's log files still get every line"

# The app stops: its last line still leaves. Then a DEA stopping with a connected drain of a
# running instance closes it cleanly (under a sanitizer build: no report in its log).
say say last-words
$BUS pub "$NATS" dea.stop "{\"droplet\":\"$APP\"}"
drained plain " - - last-words$"
stop_clean "$APP" "$I"
echo "ok - the DEA stopped with a drain connected; nothing to report"
