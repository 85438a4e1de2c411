/* Blob store selection and SHA-1 helpers. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

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

typedef struct staged_s {
    char *tmp, *dst;
} staged_t;

struct cc_blob_batch_s {
    cc_blob_t *blob;
    staged_t *v;
    size_t len, cap;
};

cc_blob_batch_t *cc_blob_batch_new(cc_blob_t *b)
{
    cc_blob_batch_t *bt = hc_calloc(1, sizeof(*bt));
    bt->blob = b;
    return bt;
}

int cc_blob_batch_put(cc_blob_batch_t *bt, const char *key, const char *src, hc_err_t *err)
{
    const cc_blob_ops_t *ops = bt->blob->ops;
    if (!ops->stage)
        return ops->put(bt->blob->self, key, src, err);
    char *tmp = NULL, *dst = NULL;
    int r = ops->stage(bt->blob->self, key, src, &tmp, &dst, err);
    if (r != 0)
        return r < 0 ? r : 0; /* 1: the store has it already */
    if (bt->len == bt->cap) {
        bt->cap = bt->cap ? bt->cap * 2 : 64;
        bt->v = hc_reallocarray(bt->v, bt->cap, sizeof(*bt->v));
    }
    bt->v[bt->len++] = (staged_t){tmp, dst};
    return 0;
}

static void drop_staged(cc_blob_batch_t *bt)
{
    for (size_t i = 0; i < bt->len; i++) {
        if (bt->v[i].tmp)
            unlink(bt->v[i].tmp);
        free(bt->v[i].tmp);
        free(bt->v[i].dst);
    }
    bt->len = 0;
}

int cc_blob_batch_commit(cc_blob_batch_t *bt, hc_err_t *err)
{
    const cc_blob_ops_t *ops = bt->blob->ops;
    int r = 0;
    if (bt->len == 0)
        return 0;
    /* Data first: nothing gets its real name before its bytes are on disk. */
    r = ops->sync(bt->blob->self, err);
    for (size_t i = 0; r == 0 && i < bt->len; i++) {
        r = ops->publish(bt->blob->self, bt->v[i].tmp, bt->v[i].dst, err);
        if (r == 0) {
            free(bt->v[i].tmp);
            bt->v[i].tmp = NULL;
        }
    }
    /* Then the names. */
    if (r == 0)
        r = ops->sync(bt->blob->self, err);
    drop_staged(bt);
    return r;
}

void cc_blob_batch_free(cc_blob_batch_t *bt)
{
    if (!bt)
        return;
    drop_staged(bt);
    free(bt->v);
    free(bt);
}

bool cc_sha1_valid(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return false;
    return n == CC_SHA1_HEX;
}
