/* Blob store selection and SHA-1 helpers. */
#include <fcntl.h>
#include <string.h>

#include <openssl/evp.h>

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

int cc_sha1_file(const char *path, char out[CC_SHA1_HEX + 1], uint64_t *ret_size, hc_err_t *err)
{
    hc_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return hc_err_set(err, -errno, "open `%s`", path);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    uint64_t total = 0;
    char buf[64 * 1024];
    int r = 0;
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1) {
        r = hc_err_set(err, -ENOMEM, "sha1 init");
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = hc_err_set(err, -errno, "read `%s`", path);
            goto out;
        }
        if (n == 0)
            break;
        EVP_DigestUpdate(ctx, buf, (size_t)n);
        total += (uint64_t)n;
    }
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    for (unsigned i = 0; i < mdlen && i < 20; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    if (ret_size)
        *ret_size = total;
out:
    EVP_MD_CTX_free(ctx);
    return r;
}
