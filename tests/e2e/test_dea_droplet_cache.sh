#!/usr/bin/env bash
# e2e (needs root): the DEA's droplet cache stays within droplet_cache.max_size. With room for
# two of three droplets and min_age 0s, the least recently used droplet no instance runs is
# evicted after each download, the droplet of a running instance never is (even as the oldest),
# an evicted droplet starts again (downloaded again), and at start stray temp files older than
# an hour go while a recent one and files that are not droplets stay. A start from the cache
# counts as a use.
. "$(dirname "$0")/dea_lib.sh"

# Three droplets of the python app, each with 64 KiB of incompressible padding.
declare -A SHA SIZE
for x in a b c; do
    mkdir -p "$T/src-$x"
    cp -r "$HEARTH_SOURCE_DIR/tests/apps/python-http/." "$T/src-$x/"
    head -c 65536 /dev/urandom >"$T/src-$x/pad.bin"
    SHA[$x]=$(make_droplet "$T/src-$x" "python3 app.py")
    SIZE[$x]=$(stat -c %s "$T/www/${SHA[$x]}.tgz")
done
# Room for any two, not for three.
TOTAL=$((SIZE[a] + SIZE[b] + SIZE[c]))
SMALLEST=$(printf '%s\n' "${SIZE[@]}" | sort -n | head -1)
MAX=$((TOTAL - SMALLEST))
CACHE="$T/dea/droplets"

# Left by a previous DEA: an old and a recent download's temp file, and a file not ours.
mkdir -p "$CACHE"
echo x >"$CACHE/${SHA[a]}.tgz.999.pending"
touch -d '2 hours ago' "$CACHE/${SHA[a]}.tgz.999.pending"
echo x >"$CACHE/${SHA[b]}.tgz.998.pending"
echo x >"$CACHE/notes.txt"

wdn_start
DEA_EXTRA_YAML="stop_drain: 0s
droplet_cache:
  max_size: $MAX
  min_age: 0s" dea_start
echo "ok - DEA $DEA_ID advertises (droplet_cache.max_size $MAX, droplets of ${SIZE[*]} bytes)"
for _ in $(seq 50); do [ -e "$CACHE/${SHA[a]}.tgz.999.pending" ] || break; sleep 0.1; done
[ -e "$CACHE/${SHA[a]}.tgz.999.pending" ] && wdn_fail "old temp file left"
[ -e "$CACHE/${SHA[b]}.tgz.998.pending" ] || wdn_fail "recent temp file removed"
[ -e "$CACHE/notes.txt" ] || wdn_fail "a file that is not a droplet was removed"
echo "ok - at start: temp file older than an hour removed, recent one and other files kept"

# start NAME X: starts an instance of droplet X as app NAME, waits until it is routed and
# answers; prints its instance id.
start() {
    local app="$1-$TAG" r
    $BUS pub "$NATS" "dea.$DEA_ID.start" "$(start_msg "$app" "${SHA[$2]}" 0 128 "$app.e2e.test")"
    r=$(bus_wait 60 "s=='router.register' and d['app']=='$app'")
    curl -sf "http://127.0.0.1:$(echo "$r" | json_get 'd["port"]')/" | grep -q "hello from python" ||
        wdn_fail "$app does not answer"
    echo "$r" | json_get 'd["private_instance_id"]'
}

stop() {
    $BUS pub "$NATS" dea.stop "{\"droplet\":\"$1-$TAG\"}"
    bus_wait 30 "s=='droplet.exited' and d['droplet']=='$1-$TAG' and d['reason']=='STOPPED'" >/dev/null
}

# cached: the droplets in the cache, as letters, sorted ("a c").
cached() {
    local out="" x
    for x in a b c; do [ -e "$CACHE/${SHA[$x]}.tgz" ] && out="$out $x"; done
    echo "${out# }"
}

# expect_cache LETTERS: the cache holds exactly these droplets (waiting for an eviction run)
# and at most max_size bytes of them.
expect_cache() {
    for _ in $(seq 100); do [ "$(cached)" = "$1" ] && break; sleep 0.1; done
    expect_eq "$2: cached droplets" "$(cached)" "$1"
    local bytes
    bytes=$(find "$CACHE" -name '*.tgz' -printf '%s\n' | awk '{s+=$1} END {print s+0}')
    [ "$bytes" -le "$MAX" ] || wdn_fail "$2: cache holds $bytes bytes, over $MAX"
}

start c1 c >/dev/null
expect_cache "c" "c runs"
start a1 a >/dev/null
stop a1
expect_cache "a c" "a ran"
sleep 1.1 # distinct mtimes on filesystems with coarse timestamps
start b1 b >/dev/null
stop b1
expect_cache "b c" "b ran: a evicted, c (the oldest, running) kept"
start a2 a >/dev/null
expect_cache "a c" "a runs again: downloaded again, b evicted, c (running) kept"
[ "$(sha1sum "$CACHE/${SHA[a]}.tgz" | cut -d' ' -f1)" = "${SHA[a]}" ] || wdn_fail "bad a"
echo "ok - the evicted droplet was downloaded again and its instance answers"
stop c1
start b2 b >/dev/null
expect_cache "a b" "c stopped: c evicted, a (running) kept"
curl -sf "http://127.0.0.1:$(bus_wait 5 "s=='router.register' and d['app']=='a2-$TAG'" | json_get 'd["port"]')/" >/dev/null ||
    wdn_fail "a2 stopped answering"
echo "ok - running instances unharmed by the evictions"
stop a2
stop b2
sleep 1.1
start a3 a >/dev/null # from the cache: a counts as used now, after b
stop a3
expect_cache "a b" "a started from the cache"
start c2 c >/dev/null
expect_cache "a c" "c ran: b (used before a's start from the cache) evicted"
echo "PASS"
