# hearth-cc with the S3 blob backend against a minimal S3 stand-in (no S3-compatible server
# is packaged in Debian): uploads, resource matching and downloads go through signed
# PUT/HEAD/GET requests on path-style URLs.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/cc_lib.sh"

s3_start
cat > "$CC_TMP/cc.yml" <<YML
auth:
  pwhash_memlimit: 64K
  pwhash_opslimit: 1
blobstore:
$S3_YML
YML
start_cc
register alice@x.com pw
ALICE=$(login alice@x.com pw)
call "create" POST /apps "$ALICE" '{"name":"s3app"}'
expect 302
mkdir -p "$CC_TMP/app" && echo "hello s3" > "$CC_TMP/app/index.html"
(cd "$CC_TMP/app" && zip -qr "$CC_TMP/app.zip" .)
STATUS=$(curl -s -o "$CC_TMP/body" -w '%{http_code}' -X PUT -H "Authorization: bearer $ALICE" \
    -F "application=@$CC_TMP/app.zip" -F 'resources=[]' "$CC_URL/apps/s3app/application")
[ "$STATUS" = 200 ] || fail "upload to s3: $STATUS $(cat "$CC_TMP/body")"
SHA=$(sha1sum "$CC_TMP/app/index.html" | cut -c1-40)
grep -q "^PUT /hearth-blobs/res/$SHA signed" "$CC_TMP/s3.log" || fail "resource not in s3: $(cat "$CC_TMP/s3.log")"
grep -q "^PUT /hearth-blobs/pkg/" "$CC_TMP/s3.log" || fail "package not in s3"
! grep -q UNSIGNED "$CC_TMP/s3.log" || fail "unsigned request"
call "match" PUT /resources "$ALICE" "[{\"sha1\":\"$SHA\",\"size\":9,\"fn\":\"index.html\"}]"
[ "$(jfield length)" = 1 ] || fail "match via HEAD: $BODY"
STATUS=$(curl -s -o "$CC_TMP/dl.zip" -w '%{http_code}' -H "Authorization: bearer $ALICE" "$CC_URL/apps/s3app/application")
[ "$STATUS" = 200 ] || fail "download $STATUS"
[ "$(unzip -p "$CC_TMP/dl.zip" index.html)" = "hello s3" ] || fail "package content"
echo "PASS test_cc_s3"
