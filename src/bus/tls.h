/*
 * tls.h - optional TLS for client connections (OpenSSL over memory BIOs, so the libuv loop
 * keeps owning the socket). The server sends INFO in clear text first (tls_required:true), the
 * client then starts the handshake, as with nats-server 2.9.
 */
#ifndef HEARTH_BUS_TLS_H
#define HEARTH_BUS_TLS_H

#include <stddef.h>

#include "hc_base.h"

struct bus_client_s;
typedef struct bus_tls_ctx_s bus_tls_ctx_t;
typedef struct bus_tls_s bus_tls_t;

/* Loads the certificate chain and key (PEM). Returns 0 or -EINVAL with err set. */
int bus_tls_ctx_new(const char *cert, const char *key, bus_tls_ctx_t **ret_ctx, hc_err_t *err);
void bus_tls_ctx_free(bus_tls_ctx_t *ctx);
/* A server-side session for one connection. */
bus_tls_t *bus_tls_new(bus_tls_ctx_t *ctx);
void bus_tls_free(bus_tls_t *t);
/*
 * Decrypts bytes read from the socket, runs the handshake (writing its records to the
 * socket) and hands the clear text to bus_client_process. Closes the client on TLS errors.
 */
void bus_tls_feed(struct bus_client_s *c, const char *data, size_t len);
/*
 * Encrypts [p, p+len) and appends the records to *buf (grown as needed, *len_io updated).
 * Returns 0 or -EIO.
 */
int bus_tls_encrypt(bus_tls_t *t, const char *p, size_t len, char **buf, size_t *len_io,
                    size_t *cap_io);

#endif
