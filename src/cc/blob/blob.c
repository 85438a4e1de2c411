/* Blob store selection and SHA-1 helpers. */
#include <fcntl.h>
#include <string.h>

#include "blob/blob.h"

int cc_blob_open(cc_ctx_t *cc, cc_blob_t **ret, hc_err_t *err)
{
    cc_conf_t *conf = cc->conf;
    if (conf->blob_backend && strcmp(conf->blob_backend, "s3") == 0)
        return cc_blob_s3_new(conf->s3_endpoint, conf->s3_bucket, conf->s3_region,
                              conf->s3_access_key, conf->s3_secret_key, ret, err);
    if (conf->blob_backend && strcmp(conf->blob_backend, "local") != 0)
        return hc_err_set(err, -EINVAL, "unknown backend `%s` (local or s3)", conf->blob_backend);
    if (conf->blob_dir)
        return cc_blob_local_new(conf->blob_dir, ret, err);
    hc_autofree char *dir = hc_asprintf("%s/blobs", conf->data_dir);
    return cc_blob_local_new(dir, ret, err);
}

void cc_blob_free(cc_blob_t *b)
{
    if (!b)
        return;
    b->ops->free(b->self);
    free(b);
}

bool cc_sha1_valid(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return false;
    return n == CC_SHA1_HEX;
}
