/*
 * auth.h - passwords (argon2id through libsodium), opaque bearer tokens stored as SHA-256
 * digests, and a bounded failure counter that rate-limits logins.
 */
#ifndef HEARTH_CC_AUTH_H
#define HEARTH_CC_AUTH_H

#include <sodium.h>

#include "hc_base.h"

#define CC_PW_HASH_LEN crypto_pwhash_STRBYTES /* including the NUL */
#define CC_TOKEN_BYTES 32
#define CC_TOKEN_HEX (CC_TOKEN_BYTES * 2) /* token and digest, hex, without NUL */

/* Initialises libsodium; call once at start. Returns 0 or -EIO. */
int cc_auth_init(void);

/*
 * Hashes pw with argon2id into out (an encoded "$argon2id$..." string). memlimit is bytes,
 * opslimit the iteration count (0: libsodium's interactive defaults). Slow on purpose and
 * blocking: call it from the thread pool. Thread-safe. Returns 0 or -ENOMEM.
 */
int cc_pw_hash(const char *pw, size_t len, uint64_t memlimit, uint64_t opslimit,
               char out[CC_PW_HASH_LEN]);
/* True when pw matches hash. Blocking like cc_pw_hash. Thread-safe. */
bool cc_pw_verify(const char *hash, const char *pw, size_t len);

/* Writes a new random token (CC_TOKEN_HEX hex digits) and its NUL into out. */
void cc_token_new(char out[CC_TOKEN_HEX + 1]);
/* Writes the hex SHA-256 digest of token[0..len) and a NUL into out: what the DB stores. */
void cc_token_digest(const char *token, size_t len, char out[CC_TOKEN_HEX + 1]);
/* Constant-time comparison of two NUL-terminated strings of the same length. */
bool cc_secret_eq(const char *a, const char *b);

/*
 * A failure counter per key (an email, a peer address) in a fixed-size table: after
 * max_failures failures within window_ms the key is blocked until the window ends. When the
 * table is full the oldest entry of the probed slots is replaced, so memory stays bounded
 * and an attacker spraying keys can only forget old counters, not grow the table.
 */
typedef struct cc_ratelimit_s cc_ratelimit_t;

cc_ratelimit_t *cc_ratelimit_new(size_t max_failures, uint64_t window_ms);
void cc_ratelimit_free(cc_ratelimit_t *rl);
/* True when key is blocked at now_ms; *ret_retry_ms tells for how long (may be NULL). */
bool cc_ratelimit_blocked(cc_ratelimit_t *rl, const char *key, uint64_t now_ms,
                          uint64_t *ret_retry_ms);
void cc_ratelimit_fail(cc_ratelimit_t *rl, const char *key, uint64_t now_ms);
void cc_ratelimit_clear(cc_ratelimit_t *rl, const char *key);

#endif
