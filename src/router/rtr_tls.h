/*
 * rtr_tls.h - TLS termination for client connections (OpenSSL with memory BIOs, so the
 * sockets stay libuv's): server contexts with several certificates chosen by SNI, and the
 * per-connection record layer the proxy calls instead of plain reads and writes.
 */
#ifndef HEARTH_RTR_TLS_H
#define HEARTH_RTR_TLS_H

#include "hc_base.h"

typedef struct rtr_tls_s rtr_tls_t;
typedef struct rtr_client_s rtr_client_t;

#define RTR_TLS_IN_BUF (16 * 1024)
#define RTR_TLS_MAX_INFLIGHT (256 * 1024) /* ciphertext queued to a client, then wait */

/*
 * Loads the certificates: pairs is a NULL-terminated list of "CERT.pem:KEY.pem" (chain
 * files allowed). The first is the default; others are chosen when the client's SNI name
 * matches their certificate (X509_check_host: SAN, CN, wildcards). TLS 1.2 minimum.
 * Blocking file reads: call before the loop runs. Returns 0 or -EINVAL with err set.
 */
int rtr_tls_new(char *const *pairs, rtr_tls_t **ret, hc_err_t *err);
void rtr_tls_free(rtr_tls_t *t);

/* Sets up TLS on an accepted client connection (server side). */
void rtr_tls_conn_init(rtr_tls_t *t, rtr_client_t *c);
void rtr_tls_conn_free(rtr_client_t *c);
/* Where the next ciphertext read goes. */
void rtr_tls_alloc(rtr_client_t *c, char **base, size_t *len);
/*
 * Takes n bytes of ciphertext just read; decrypts into the client's buffer as far as it has
 * room. Returns the plaintext bytes appended (>= 0), or -1 when the connection must close
 * (handshake failure, bad record, close_notify).
 */
ssize_t rtr_tls_on_cipher(rtr_client_t *c, size_t n);
/* Decrypts what is already buffered into the client's buffer. Returns bytes appended or -1. */
ssize_t rtr_tls_pull(rtr_client_t *c);
/*
 * Moves the ciphertext the client's plain buffer holds (read there before TLS began: what
 * followed a PROXY protocol header) into the record layer, empties the buffer and decrypts.
 * Returns plaintext bytes appended, or -1 when the connection must close.
 */
ssize_t rtr_tls_feed(rtr_client_t *c);
/* True while ciphertext or plaintext is buffered beyond the client's buffer. */
bool rtr_tls_has_pending(rtr_client_t *c);
/*
 * Encrypts and queues bufs. Returns 1 when the caller may go on at once, 0 when it must wait
 * for rtr_cl_on_written (always with need_cb), or a negative error.
 */
int rtr_tls_send(rtr_client_t *c, const uv_buf_t *bufs, unsigned n, bool need_cb);

#endif
