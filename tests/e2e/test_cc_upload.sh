# hearth-cc uploads end to end: resource matching, package upload and download, a second
# push of a 5,000-file app that uploads no file content, hostile zips refused, limits, user
# isolation, kill -9 in the middle of uploads.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/cc_lib.sh"

cat > "$CC_TMP/cc.yml" <<YML
auth:
  pwhash_memlimit: 64K
  pwhash_opslimit: 1
limits:
  max_unzipped: 4M
  max_files: 6000
YML
start_cc

register alice@x.com pw-a
register bob@x.com pw-b
ALICE=$(login alice@x.com pw-a)
BOB=$(login bob@x.com pw-b)
call "create" POST /apps "$ALICE" '{"name":"site"}'
expect 302

# An app of 5,000 small files plus a nested directory and an executable.
APP="$CC_TMP/app"
mkdir -p "$APP/lib/deep"
python3 -c '
import sys
for i in range(1, 5000):
    open(f"{sys.argv[1]}/f{i}.txt", "w").write(f"file {i}\n")' "$APP"
echo '#!/bin/sh' > "$APP/lib/deep/run.sh"
chmod +x "$APP/lib/deep/run.sh"
ln -s lib/deep/run.sh "$APP/start"
python3 - "$APP" > "$CC_TMP/resources.json" <<'PY'
import hashlib, json, os, sys
root = sys.argv[1]
out = []
for d, _, files in os.walk(root):
    for f in files:
        p = os.path.join(d, f)
        if os.path.islink(p):
            continue
        data = open(p, "rb").read()
        out.append({"fn": os.path.relpath(p, root), "sha1": hashlib.sha1(data).hexdigest(),
                    "size": len(data), "mode": "%o" % (os.stat(p).st_mode & 0o777)})
print(json.dumps(out))
PY
[ "$(jq length "$CC_TMP/resources.json")" = 5000 ] || fail "resource list"

upload() { # upload APP TOKEN ZIP RESOURCES_FILE
    STATUS=$(curl -s -o "$CC_TMP/body" -w '%{http_code}' -X PUT -H "Authorization: bearer $2" \
        -F "application=@$3;type=application/zip" -F "resources=<$4" "$CC_URL/apps/$1/application")
    BODY=$(cat "$CC_TMP/body")
}

call "nothing known yet" PUT /resources "$ALICE" "@$CC_TMP/resources.json"
expect 200
[ "$(jfield length)" = 0 ] || fail "fresh store matched something: $BODY"

(cd "$APP" && zip -qry "$CC_TMP/full.zip" .)
echo '[]' > "$CC_TMP/none.json"
LAST_WHAT="first push"
upload site "$ALICE" "$CC_TMP/full.zip" "$CC_TMP/none.json"
expect 200
call "app after upload" GET /apps/site "$ALICE"
[ "$(jfield .package_state)" = PENDING ] || fail "package state"
V1=$(jfield .version)

call "all known now" PUT /resources "$ALICE" "@$CC_TMP/resources.json"
expect 200
[ "$(jfield length)" = 5000 ] || fail "second match: $(jfield length)"
jq '[.[0] | .size = 999999]' "$CC_TMP/resources.json" > "$CC_TMP/mismatch.json"
call "size mismatch is not a match" PUT /resources "$ALICE" "@$CC_TMP/mismatch.json"
[ "$(jfield length)" = 0 ] || fail "size mismatch matched"

# Second push: only the symlink travels in the zip, every file comes from the pool.
mkdir -p "$CC_TMP/rest" && ln -s lib/deep/run.sh "$CC_TMP/rest/start"
(cd "$CC_TMP/rest" && zip -qry "$CC_TMP/rest.zip" .)
LAST_WHAT="second push"
upload site "$ALICE" "$CC_TMP/rest.zip" "$CC_TMP/resources.json"
expect 200
call "same package" GET /apps/site "$ALICE"
[ "$(jfield .version)" = "$V1" ] || fail "same files, different package: $(jfield .version) vs $V1"

# Download and compare.
STATUS=$(curl -s -o "$CC_TMP/dl.zip" -w '%{http_code}' -H "Authorization: bearer $ALICE" "$CC_URL/apps/site/application")
[ "$STATUS" = 200 ] || fail "download $STATUS"
mkdir "$CC_TMP/dl" && (cd "$CC_TMP/dl" && unzip -q ../dl.zip)
diff -r "$APP" "$CC_TMP/dl" || fail "downloaded package differs"
[ -x "$CC_TMP/dl/lib/deep/run.sh" ] || fail "executable bit lost"
[ -L "$CC_TMP/dl/start" ] || fail "symlink lost"

# Isolation.
LAST_WHAT="bob uploads to alice's app"
upload site "$BOB" "$CC_TMP/rest.zip" "$CC_TMP/none.json"
expect 404 301
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: bearer $BOB" "$CC_URL/apps/site/application")
[ "$STATUS" = 404 ] || fail "bob downloads alice's package: $STATUS"

# Hostile input.
python3 - "$CC_TMP" <<'PY'
import sys, zipfile, stat
d = sys.argv[1]
def mk(name, entries):
    with zipfile.ZipFile(f"{d}/{name}.zip", "w", zipfile.ZIP_DEFLATED) as z:
        for arc, data, mode in entries:
            zi = zipfile.ZipInfo(arc)
            zi.create_system = 3
            zi.external_attr = mode << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data)
mk("dotdot", [("ok.txt", "x", 0o100644), ("../evil.txt", "x", 0o100644)])
mk("deepdotdot", [("a/b/../../../evil.txt", "x", 0o100644)])
mk("absolute", [("/tmp/evil.txt", "x", 0o100644)])
mk("symlink_out", [("link", "../../../../etc", 0o120777)])
mk("symlink_abs", [("link", "/etc/passwd", 0o120777)])
mk("through_link", [("dir", "sub", 0o120777), ("dir/x.txt", "x", 0o100644)])
mk("device", [("dev", "", 0o020644)])
mk("fifo", [("fifo", "", 0o010644)])
mk("bomb", [("zeros.bin", b"\0" * (8 << 20), 0o100644)])
mk("many", [(f"e{i}", "", 0o100644) for i in range(6500)])
mk("setuid", [("suid", "x", 0o104755)])
PY
printf 'not a zip at all' > "$CC_TMP/garbage.zip"
for z in dotdot deepdotdot absolute symlink_out symlink_abs through_link device bomb many garbage; do
    LAST_WHAT="hostile zip $z"
    upload site "$ALICE" "$CC_TMP/$z.zip" "$CC_TMP/none.json"
    expect 500 402
done
[ ! -e "$CC_TMP/data/evil.txt" ] && [ ! -e /tmp/evil.txt ] && [ ! -e "$CC_TMP/evil.txt" ] || fail "a file escaped"
LAST_WHAT="setuid bit is dropped"
upload site "$ALICE" "$CC_TMP/setuid.zip" "$CC_TMP/none.json"
expect 200
STATUS=$(curl -s -o "$CC_TMP/suid.zip" -w '%{http_code}' -H "Authorization: bearer $ALICE" "$CC_URL/apps/site/application")
mkdir "$CC_TMP/suid" && (cd "$CC_TMP/suid" && unzip -q ../suid.zip)
[ "$(stat -c %a "$CC_TMP/suid/suid")" = 755 ] || fail "setuid kept: $(stat -c %a "$CC_TMP/suid/suid")"

# Bad resource descriptors.
echo '[{"fn":"../x","sha1":"0000000000000000000000000000000000000000","size":1}]' > "$CC_TMP/r1.json"
LAST_WHAT="resource path escape"
upload site "$ALICE" "$CC_TMP/rest.zip" "$CC_TMP/r1.json"
expect 400 100
echo '[{"fn":"x","sha1":"0000000000000000000000000000000000000000","size":1}]' > "$CC_TMP/r2.json"
LAST_WHAT="unknown resource"
upload site "$ALICE" "$CC_TMP/rest.zip" "$CC_TMP/r2.json"
expect 500 402
LAST_WHAT="resource over an uploaded file"
jq '[.[] | select(.fn == "f1.txt") | .fn = "start"]' "$CC_TMP/resources.json" > "$CC_TMP/r3.json"
upload site "$ALICE" "$CC_TMP/rest.zip" "$CC_TMP/r3.json"
expect 500 402
call "not multipart" PUT /apps/site/application "$ALICE" '{}'
expect 400 100
call "bad resources body" PUT /resources "$ALICE" '{"sha1":1}'
expect 400 100

# kill -9 in the middle of uploads: after a restart the app keeps its last acknowledged
# package, the temp areas are swept, and every blob under a real name is whole. Rounds 1-3
# send one big file, rounds 4-6 5,000 new small files (killed while they join the pool).
call "before crash" GET /apps/site "$ALICE"
PKG_BEFORE=$(jfield .version)
head -c 12000000 /dev/urandom > "$CC_TMP/app/big.bin"
(cd "$CC_TMP/app" && zip -q0 "$CC_TMP/big.zip" big.bin f1.txt)
for round in 1 2 3 4 5 6; do
    ZIP=$CC_TMP/big.zip
    if [ "$round" -gt 3 ]; then
        ZIP=$CC_TMP/many-$round.zip
        python3 -c '
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for i in range(5000):
        z.writestr(f"d{i % 50}/g{i}.txt", f"round {sys.argv[2]} file {i}\n")' "$ZIP" "$round"
    fi
    curl -s -o /dev/null -X PUT -H "Authorization: bearer $ALICE" -F "application=@$ZIP" \
        -F 'resources=[]' "$CC_URL/apps/site/application" &
    UP=$!
    sleep "0.$(( (round - 1) % 3 * 3 + 3 ))"
    kill -9 "$CC_PID"
    wait "$CC_PID" 2>/dev/null
    wait "$UP" 2>/dev/null
    start_cc
    call "after crash $round" GET /apps/site "$ALICE"
    expect 200
    V=$(jfield .version)
    [ "$V" = "$PKG_BEFORE" ] || PKG_BEFORE=$V # the upload may have been acknowledged first
    [ -z "$(ls -A "$CC_TMP/data/blobs/tmp")" ] || fail "blob temp files after restart"
done
BAD=$(python3 -c '
import hashlib, os, sys
for top in sys.argv[1:]:
    for d, _, files in os.walk(top):
        for f in files:
            if hashlib.sha1(open(os.path.join(d, f), "rb").read()).hexdigest() != f:
                print(os.path.join(d, f))' "$CC_TMP/data/blobs/res" "$CC_TMP/data/blobs/pkg")
[ -z "$BAD" ] || fail "half blobs under a real name: $BAD"
NRES=$(find "$CC_TMP/data/blobs/res" -type f | wc -l)
[ "$NRES" -ge 5000 ] || fail "only $NRES blobs in the pool"
STATUS=$(curl -s -o "$CC_TMP/after.zip" -w '%{http_code}' -H "Authorization: bearer $ALICE" "$CC_URL/apps/site/application")
[ "$STATUS" = 200 ] && unzip -tq "$CC_TMP/after.zip" >/dev/null || fail "package unreadable after crashes"

# Nothing is left in the temp area, and no blob is half written.
[ -z "$(ls -A "$CC_TMP/data/tmp")" ] || fail "temp files left: $(ls "$CC_TMP/data/tmp")"

[ -z "$(ls -A "$CC_TMP/data/blobs/tmp")" ] || fail "blob temp files left"

echo "PASS test_cc_upload"
