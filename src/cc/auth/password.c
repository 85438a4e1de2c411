/* Password hashing and tokens on libsodium. */
#include <string.h>

#include "auth/auth.h"
#include "hc_uuid.h"

int cc_auth_init(void)
{
    return sodium_init() < 0 ? -EIO : 0;
}

int cc_pw_hash(const char *pw, size_t len, uint64_t memlimit, uint64_t opslimit,
               char out[CC_PW_HASH_LEN])
{
    if (memlimit == 0)
        memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    if (opslimit == 0)
        opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    if (memlimit < crypto_pwhash_MEMLIMIT_MIN)
        memlimit = crypto_pwhash_MEMLIMIT_MIN;
    if (opslimit < crypto_pwhash_OPSLIMIT_MIN)
        opslimit = crypto_pwhash_OPSLIMIT_MIN;
    if (crypto_pwhash_str_alg(out, pw, len, opslimit, (size_t)memlimit,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return -ENOMEM;
    return 0;
}

bool cc_pw_verify(const char *hash, const char *pw, size_t len)
{
    return crypto_pwhash_str_verify(hash, pw, len) == 0;
}

void cc_token_new(char out[CC_TOKEN_HEX + 1])
{
    hc_random_hex(out, CC_TOKEN_BYTES);
}

void cc_token_digest(const char *token, size_t len, char out[CC_TOKEN_HEX + 1])
{
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, (const unsigned char *)token, len);
    sodium_bin2hex(out, CC_TOKEN_HEX + 1, d, sizeof(d));
}

bool cc_secret_eq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return false;
    return la == 0 || sodium_memcmp(a, b, la) == 0;
}
