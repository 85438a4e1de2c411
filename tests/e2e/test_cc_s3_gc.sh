# hearth-cc's blob collector with the S3 backend: test_cc_blob_gc.sh against the S3 stand-in
# (ListObjectsV2 with continuation tokens, DELETE).
BLOB_BACKEND=s3 . "$(dirname "$0")/test_cc_blob_gc.sh"
