/* S3 backend placeholder: selected by blobstore.backend: s3. */
#include "blob/blob.h"

int cc_blob_s3_new(const char *endpoint, const char *bucket, const char *region,
                   const char *access_key, const char *secret_key, cc_blob_t **ret, hc_err_t *err)
{
    (void)endpoint;
    (void)bucket;
    (void)region;
    (void)access_key;
    (void)secret_key;
    (void)ret;
    return hc_err_set(err, -ENOTSUP, "the s3 backend is not built in this version");
}
