# hearth-cc's blob collector end to end (blobstore.gc_interval 1 s, gc_grace 0 s): three
# pushes of an app and one of another leave two packages in the store (each app's current
# one, which still downloads); deleting an app takes its package away too. The local store;
# with BLOB_BACKEND=s3 (test_cc_s3_gc.sh), the S3 stand-in, listed a key a page.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/cc_lib.sh"

S3_YML=""
[ "${BLOB_BACKEND:-local}" = s3 ] && s3_start
gc_conf "$S3_YML"
start_cc
register alice@x.com pw-a
ALICE=$(login alice@x.com pw-a)
for a in one two; do
    call "create $a" POST /apps "$ALICE" "{\"name\":\"$a\"}"
    expect 302
done
echo '[]' >"$CC_TMP/none.json"

# push APP N: uploads a one-file app whose content is version N.
push() {
    mkdir -p "$CC_TMP/src-$1-$2"
    echo "$1 version $2" >"$CC_TMP/src-$1-$2/index.html"
    (cd "$CC_TMP/src-$1-$2" && zip -qr "$CC_TMP/$1-$2.zip" .)
    STATUS=$(curl -s -o "$CC_TMP/body" -w '%{http_code}' -X PUT -H "Authorization: bearer $ALICE" \
        -F "application=@$CC_TMP/$1-$2.zip;type=application/zip" -F "resources=<$CC_TMP/none.json" \
        "$CC_URL/apps/$1/application")
    case "$STATUS" in 200 | 201) ;; *) fail "push $1 $2: HTTP $STATUS $(cat "$CC_TMP/body")" ;; esac
}
if [ -n "$S3_YML" ]; then
    packages() { curl -s "$S3_URL/_objects" | grep -c '^/hearth-blobs/pkg/'; }
else
    packages() { find "$CC_TMP/data/blobs/pkg" -type f 2>/dev/null | wc -l; }
fi
await_packages() { # await_packages N: the store holds N packages within 10 s
    for _ in $(seq 1 100); do
        [ "$(packages)" = "$1" ] && return 0
        sleep 0.1
    done
    fail "the store holds $(packages) packages, want $1"
}

push one 1
push one 2
push one 3
push two 1
await_packages 2
for a in one two; do
    STATUS=$(curl -s -o "$CC_TMP/dl.zip" -w '%{http_code}' -H "Authorization: bearer $ALICE" \
        "$CC_URL/apps/$a/application")
    [ "$STATUS" = 200 ] || fail "download $a after the collection: HTTP $STATUS"
done
unzip -p "$CC_TMP/dl.zip" index.html | grep -q "two version 1" || fail "two's package is not its last"
STATUS=$(curl -s -o "$CC_TMP/dl.zip" -w '%{http_code}' -H "Authorization: bearer $ALICE" \
    "$CC_URL/apps/one/application")
unzip -p "$CC_TMP/dl.zip" index.html | grep -q "one version 3" || fail "one's package is not its last"
echo "ok - 4 pushes of 2 apps: 2 packages left, each app's last, both download"
if [ -n "$S3_YML" ]; then
    grep -q '^GET /hearth-blobs?list-type=2&prefix=pkg%2F&continuation-token=.* signed$' \
        "$CC_TMP/s3.log" || fail "no listing followed a continuation token"
    grep -q '^DELETE /hearth-blobs/pkg/.* signed$' "$CC_TMP/s3.log" || fail "no signed DELETE"
    echo "ok - S3: the listing follows continuation tokens, the removals are signed DELETEs"
fi
# The same bits again: the package exists, its write time is renewed (S3: a copy onto itself).
push one 3
await_packages 2
if [ -n "$S3_YML" ]; then
    [ "$(grep -c '^PUT /hearth-blobs/pkg/' "$CC_TMP/s3.log")" = 5 ] ||
        fail "the package put again was not renewed: $(grep '^PUT /hearth-blobs/pkg/' "$CC_TMP/s3.log")"
fi
echo "ok - the same bits pushed again keep their package"

call "delete two" DELETE /apps/two "$ALICE"
expect 200
await_packages 1
echo "ok - a deleted app's package is collected"
