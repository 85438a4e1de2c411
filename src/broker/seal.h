/*
 * seal.h - secrets at rest in broker.db: the per-instance admin secret, each binding's password
 * and its credentials are stored sealed (libsodium crypto_secretbox: XSalsa20-Poly1305 with a
 * random nonce) as "sealed:v1:" + base64(nonce || box). The key is `store_key` from the
 * configuration (64 hex digits) or, unset, the file DATA/store.key (made 0600 at first start), so
 * a copy of broker.db alone (a backup, a dump) gives no credentials away. Values stored before
 * sealing existed are read as they are and sealed at their next write.
 */
#ifndef HEARTH_BROKER_SEAL_H
#define HEARTH_BROKER_SEAL_H

#include <stddef.h>

#include "hc_base.h"

#define BRK_SEAL_KEY_LEN 32

/* Fills key from hex (when not NULL) or from keyfile, creating keyfile when it is missing. */
int brk_seal_key(const char *hex, const char *keyfile, unsigned char key[BRK_SEAL_KEY_LEN],
                 hc_err_t *err);
/* The sealed form of plain (malloc'd). */
char *brk_seal(const unsigned char key[BRK_SEAL_KEY_LEN], const char *plain);
/*
 * The plain text of stored into *plain (malloc'd): opened when sealed, copied when it predates
 * sealing. -EBADMSG when it is sealed but does not open with key (another key, altered bytes).
 */
int brk_unseal(const unsigned char key[BRK_SEAL_KEY_LEN], const char *stored, char **plain,
               hc_err_t *err);

#endif
