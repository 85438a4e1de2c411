/* SHA-1 of files and buffers, the blob store's content address (OpenSSL's EVP interface). */
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>

#include "hc_fs.h"

static void sha1_to_hex(const unsigned char *md, char out[HC_SHA1_HEX + 1])
{
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < HC_SHA1_HEX / 2; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[HC_SHA1_HEX] = '\0';
}

int hc_sha1_file(const char *path, int open_flags, char out[HC_SHA1_HEX + 1], uint64_t *ret_size,
                 hc_err_t *err)
{
    hc_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC | open_flags);
    if (fd < 0)
        return hc_err_set(err, -errno, "open `%s`", path);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    uint64_t total = 0;
    unsigned char buf[64 * 1024];
    int r = 0;
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1) {
        r = hc_err_set(err, -ENOMEM, "SHA-1 unavailable");
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
    hc_assert(mdlen == HC_SHA1_HEX / 2);
    sha1_to_hex(md, out);
    if (ret_size)
        *ret_size = total;
out:
    EVP_MD_CTX_free(ctx);
    return r;
}

void hc_sha1_hex(const void *data, size_t len, char out[HC_SHA1_HEX + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    hc_assert(EVP_Digest(data, len, md, &mdlen, EVP_sha1(), NULL) == 1 && mdlen == HC_SHA1_HEX / 2);
    sha1_to_hex(md, out);
}
