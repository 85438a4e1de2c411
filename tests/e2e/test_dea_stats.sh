#!/usr/bin/env bash
# e2e (needs root): usage stats from warden for a real container. dea.find.droplet with
# include_stats reports stats.usage: cpu % rises while the app spins and falls back when it
# stops, memory (KB) covers 64 MB the app holds, disk covers 8 MB it wrote, uptime grows.
. "$(dirname "$0")/dea_lib.sh"
wdn_start
DEA_STATS_INTERVAL=300ms dea_start
mkdir -p "$T/app"
cp "$(dirname "$0")/dea_probe_app.py" "$T/app/app.py"
SHA=$(make_droplet "$T/app" "python3 -u app.py")
APP=stats-$TAG
$BUS pub "$NATS" "dea.$DEA_ID.start" "$(start_msg "$APP" "$SHA" 0 256 stats.e2e.test)"
PORT=$(bus_wait 60 "s=='router.register' and d['app']=='$APP'" | json_get 'd["port"]')

# usage_until PYEXPR: polls find.droplet (u = stats.usage, st = stats) until PYEXPR holds.
usage_until() {
    local r
    for _ in $(seq 100); do
        r=$($BUS req "$NATS" dea.find.droplet "{\"droplet\":\"$APP\",\"include_stats\":true}" 2 1)
        if echo "$r" | python3 -c "
import json, sys
st = json.load(sys.stdin)['stats']; u = st.get('usage')
sys.exit(0 if u and ($1) else 1)" 2>/dev/null; then
            echo "$r"
            return 0
        fi
        sleep 0.2
    done
    echo "last: $r" >&2
    return 1
}

R=$(usage_until "u['mem'] > 1000 and st['uptime'] > 0") || wdn_fail "no usage in find.droplet"
echo "$R" | python3 -c '
import json, sys
st = json.load(sys.stdin)["stats"]
assert st["mem_quota"] == 256 << 20 and isinstance(st["uptime"], float), st
assert set(st["usage"]) == {"time", "cpu", "mem", "disk"}, st
' || wdn_fail "bad stats shape: $R"
UP1=$(echo "$R" | json_get 'd["stats"]["uptime"]')
echo "ok - find.droplet stats carry usage {time, cpu, mem KB, disk bytes} and uptime"

curl -sf "http://127.0.0.1:$PORT/spin" >/dev/null || wdn_fail "app"
usage_until "u['cpu'] > 30" >/dev/null || wdn_fail "cpu % does not show a spinning app"
curl -sf "http://127.0.0.1:$PORT/rest" >/dev/null || wdn_fail "app"
usage_until "u['cpu'] < 20" >/dev/null || wdn_fail "cpu % does not fall when the app rests"
echo "ok - cpu % rises over 30 while the app spins and falls under 20 when it rests"

curl -sf "http://127.0.0.1:$PORT/hold" >/dev/null || wdn_fail "app"
R=$(usage_until "u['mem'] >= 64 * 1024 and u['disk'] >= 8 << 20") ||
    wdn_fail "memory/disk do not show 64 MB held and 8 MB written"
UP2=$(echo "$R" | json_get 'd["stats"]["uptime"]')
python3 -c "import sys; sys.exit(0 if $UP2 > $UP1 else 1)" || wdn_fail "uptime does not grow"
echo "ok - memory covers 64 MB held, disk 8 MB written, uptime grows ($(echo "$R" | json_get 'd["stats"]["usage"]'))"
# /varz on the status port (credentials from the DEA's vcap.component.announce) shows it too.
C=$(bus_wait 10 "s=='vcap.component.announce' and d['type']=='DEA'")
CU=$(echo "$C" | json_get 'd["credentials"][0]')
CP=$(echo "$C" | json_get 'd["credentials"][1]')
curl -sf -u "$CU:$CP" "http://127.0.0.1:$STATUS_PORT/healthz" >/dev/null || wdn_fail "no /healthz"
curl -sf -u "$CU:$CP" "http://127.0.0.1:$STATUS_PORT/varz" | python3 -c '
import json, sys
v = json.load(sys.stdin)
assert v["type"] == "DEA" and v["reserved_memory"] == 256, v
i = [x for x in v["instances"] if x["droplet"] == sys.argv[1]][0]
assert i["state"] == "RUNNING" and i["usage"]["mem"] >= 64 * 1024, i
' "$APP" || wdn_fail "/varz lacks the instance usage"
echo "ok - /varz on the status port lists the instance with its usage"
echo PASS
