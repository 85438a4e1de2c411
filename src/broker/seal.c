/* broker.db's secrets at rest: see seal.h. */
#include "seal.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#define SEAL_PREFIX "sealed:v1:"
#define SEAL_MAX (64 * 1024) /* a sealed value longer than this is refused unread */

static int key_from_hex(const char *hex, unsigned char key[BRK_SEAL_KEY_LEN], const char *what,
                        hc_err_t *err)
{
    size_t n = 0;
    const char *end = NULL;
    if (sodium_hex2bin(key, BRK_SEAL_KEY_LEN, hex, strlen(hex), " \n", &n, &end) != 0 ||
        n != BRK_SEAL_KEY_LEN || (end && *end != '\0'))
        return hc_err_set(err, -EINVAL, "%s: want %d hex digits", what, 2 * BRK_SEAL_KEY_LEN);
    return 0;
}

static int key_file_read(const char *path, unsigned char key[BRK_SEAL_KEY_LEN], hc_err_t *err)
{
    char hex[4 * BRK_SEAL_KEY_LEN];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -ENOENT : hc_err_set(err, -errno, "%s", path);
    ssize_t n = read(fd, hex, sizeof(hex) - 1);
    int e = errno;
    close(fd);
    if (n < 0)
        return hc_err_set(err, -e, "%s", path);
    hex[n] = '\0';
    int r = key_from_hex(hex, key, path, err);
    sodium_memzero(hex, sizeof(hex));
    return r;
}

static int key_file_create(const char *path, unsigned char key[BRK_SEAL_KEY_LEN], hc_err_t *err)
{
    char hex[2 * BRK_SEAL_KEY_LEN + 2];
    randombytes_buf(key, BRK_SEAL_KEY_LEN);
    sodium_bin2hex(hex, sizeof(hex) - 1, key, BRK_SEAL_KEY_LEN);
    strcat(hex, "\n");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), r = 0;
    if (fd < 0) /* EEXIST: another start made it first; the caller reads it */
        return errno == EEXIST ? -EEXIST : hc_err_set(err, -errno, "%s", path);
    size_t len = strlen(hex);
    if (write(fd, hex, len) != (ssize_t)len || fsync(fd) < 0)
        r = hc_err_set(err, -EIO, "%s", path);
    close(fd);
    sodium_memzero(hex, sizeof(hex));
    if (r < 0)
        unlink(path);
    return r;
}

int brk_seal_key(const char *hex, const char *keyfile, unsigned char key[BRK_SEAL_KEY_LEN],
                 hc_err_t *err)
{
    if (sodium_init() < 0)
        return hc_err_set(err, -EIO, "libsodium did not initialise");
    if (hex)
        return key_from_hex(hex, key, "store_key", err);
    int r = key_file_read(keyfile, key, err);
    if (r == -ENOENT) {
        r = key_file_create(keyfile, key, err);
        if (r == -EEXIST)
            r = key_file_read(keyfile, key, err);
        if (r == -ENOENT)
            r = hc_err_set(err, r, "%s", keyfile);
    }
    return r;
}

char *brk_seal(const unsigned char key[BRK_SEAL_KEY_LEN], const char *plain)
{
    size_t plen = strlen(plain),
           blen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plen;
    unsigned char *box = hc_malloc(blen);
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const unsigned char *)plain, plen,
                          box, key);
    size_t b64 = sodium_base64_encoded_len(blen, sodium_base64_VARIANT_ORIGINAL);
    char *out = hc_malloc(sizeof(SEAL_PREFIX) - 1 + b64);
    memcpy(out, SEAL_PREFIX, sizeof(SEAL_PREFIX) - 1);
    sodium_bin2base64(out + sizeof(SEAL_PREFIX) - 1, b64, box, blen,
                      sodium_base64_VARIANT_ORIGINAL);
    free(box);
    return out;
}

int brk_unseal(const unsigned char key[BRK_SEAL_KEY_LEN], const char *stored, char **plain,
               hc_err_t *err)
{
    *plain = NULL;
    if (strncmp(stored, SEAL_PREFIX, sizeof(SEAL_PREFIX) - 1) != 0) {
        *plain = hc_strdup(stored);
        return 0;
    }
    const char *b64 = stored + sizeof(SEAL_PREFIX) - 1;
    size_t b64len = strlen(b64), blen = 0;
    if (b64len > SEAL_MAX)
        return hc_err_set(err, -EBADMSG, "sealed value too long");
    unsigned char *box = hc_malloc(b64len / 4 * 3 + 3);
    int r = 0;
    if (sodium_base642bin(box, b64len / 4 * 3 + 3, b64, b64len, NULL, &blen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        blen < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
        r = hc_err_set(err, -EBADMSG, "sealed value is malformed");
        goto out;
    }
    size_t plen = blen - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    char *p = hc_malloc(plen + 1);
    if (crypto_secretbox_open_easy((unsigned char *)p, box + crypto_secretbox_NONCEBYTES,
                                   blen - crypto_secretbox_NONCEBYTES, box, key) != 0) {
        free(p);
        r = hc_err_set(err, -EBADMSG, "sealed value does not open with this store key");
        goto out;
    }
    p[plen] = '\0';
    *plain = p;
out:
    free(box);
    return r;
}
