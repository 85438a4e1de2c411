/*
 * logdrain_tls.h - the TLS side of a syslog-tls:// drain (RFC 5425): a client session kept
 * in memory BIOs, so the drain's own libuv TCP stream carries the ciphertext and nothing
 * blocks the loop. The drain feeds in what it reads, takes out what it must send, and
 * writes plaintext once the handshake is done. The receiver's certificate is verified
 * against the system CA store plus log_drains.ca_file, and against the drain's host (a name,
 * also sent as SNI, or an IP address); TLS 1.2 at least. Loop thread.
 */
#ifndef HEARTH_DEA_LOGDRAIN_TLS_H
#define HEARTH_DEA_LOGDRAIN_TLS_H

#include <stddef.h>

#include <openssl/types.h>

#include "hc_base.h"

/*
 * The DEA's client context (freed with SSL_CTX_free; the sessions made from it hold their own
 * reference): the system CA store plus the CAs of ca_file (PEM; NULL: none). Reads files:
 * call it at start, off any connection's path. -EINVAL with err on failure.
 */
int dea_logdrain_tls_ctx_new(const char *ca_file, SSL_CTX **ret_ctx, hc_err_t *err);

/*
 * A client session to host (a name or an IP address, borrowed) in memory BIOs, freed with
 * SSL_free; NULL when out of memory.
 */
SSL *dea_logdrain_tls_new(SSL_CTX *ctx, const char *host);
/*
 * Ciphertext from the receiver (len 0 starts the handshake). Returns 1 once the handshake
 * is done (anything the receiver sends afterwards is read and discarded), 0 while it goes
 * on, or a negative errno with the reason in err (certificate not trusted, host name
 * mismatch, alert, the receiver's close_notify).
 */
int dea_logdrain_tls_feed(SSL *t, const char *p, size_t len, hc_err_t *err);
/* Encrypts plaintext (handshake done): 0, or -EIO. */
int dea_logdrain_tls_write(SSL *t, const char *p, size_t len);
/* Queues a close_notify alert (handshake done; else nothing). */
void dea_logdrain_tls_shutdown(SSL *t);
/* The ciphertext waiting to be sent, malloc'd (the caller frees it), or NULL when none. */
char *dea_logdrain_tls_take(SSL *t, size_t *ret_len);

#endif
