/* tls.c - see tls.h. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "server.h"
#include "tls.h"

struct bus_tls_ctx_s {
    SSL_CTX *ctx;
};

struct bus_tls_s {
    SSL *ssl;
    BIO *rbio, *wbio; /* network -> ssl, ssl -> network */
    bool handshake_done;
};

int bus_tls_ctx_new(const char *cert, const char *key, bus_tls_ctx_t **ret_ctx, hc_err_t *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    char ebuf[256];

    if (!ctx)
        return hc_err_set(err, -EINVAL, "tls: cannot create context");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        ERR_error_string_n(ERR_get_error(), ebuf, sizeof(ebuf));
        SSL_CTX_free(ctx);
        return hc_err_set(err, -EINVAL, "tls: certificate `%s`: %s", cert, ebuf);
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        ERR_error_string_n(ERR_get_error(), ebuf, sizeof(ebuf));
        SSL_CTX_free(ctx);
        return hc_err_set(err, -EINVAL, "tls: key `%s`: %s", key, ebuf);
    }
    bus_tls_ctx_t *c = hc_calloc(1, sizeof(*c));
    c->ctx = ctx;
    *ret_ctx = c;
    return 0;
}

void bus_tls_ctx_free(bus_tls_ctx_t *ctx)
{
    if (!ctx)
        return;
    SSL_CTX_free(ctx->ctx);
    free(ctx);
}

bus_tls_t *bus_tls_new(bus_tls_ctx_t *ctx)
{
    bus_tls_t *t = hc_calloc(1, sizeof(*t));
    t->ssl = SSL_new(ctx->ctx);
    t->rbio = BIO_new(BIO_s_mem());
    t->wbio = BIO_new(BIO_s_mem());
    if (!t->ssl || !t->rbio || !t->wbio) {
        fprintf(stderr, "out of memory\n");
        abort();
    }
    SSL_set_bio(t->ssl, t->rbio, t->wbio);
    SSL_set_accept_state(t->ssl);
    return t;
}

void bus_tls_free(bus_tls_t *t)
{
    if (!t)
        return;
    SSL_free(t->ssl); /* frees both BIOs */
    free(t);
}

/* Moves pending TLS records from the write BIO to the end of *buf. */
static void drain_wbio(bus_tls_t *t, char **buf, size_t *len_io, size_t *cap_io)
{
    size_t pending;
    while ((pending = BIO_ctrl_pending(t->wbio)) > 0) {
        if (*len_io + pending > *cap_io) {
            size_t cap = *cap_io ? *cap_io : 4096;
            while (cap < *len_io + pending)
                cap *= 2;
            *buf = hc_realloc(*buf, cap);
            *cap_io = cap;
        }
        int n = BIO_read(t->wbio, *buf + *len_io, (int)pending);
        if (n <= 0)
            break;
        *len_io += (size_t)n;
    }
}

int bus_tls_encrypt(bus_tls_t *t, const char *p, size_t len, char **buf, size_t *len_io,
                    size_t *cap_io)
{
    while (len > 0) {
        int chunk = len > (1 << 20) ? (1 << 20) : (int)len;
        int n = SSL_write(t->ssl, p, chunk);
        if (n <= 0)
            return -EIO;
        p += n;
        len -= (size_t)n;
        drain_wbio(t, buf, len_io, cap_io);
    }
    drain_wbio(t, buf, len_io, cap_io);
    return 0;
}

typedef struct raw_write_s {
    uv_write_t req;
    char *data;
} raw_write_t;

static void on_raw_write(uv_write_t *req, int status)
{
    raw_write_t *w = HC_CONTAINER_OF(req, raw_write_t, req);
    free(w->data);
    free(w);
}

/* Sends handshake records straight to the socket (they must precede any queued output). */
static void send_records(bus_client_t *c)
{
    char *data = NULL;
    size_t len = 0, cap = 0;
    drain_wbio(c->tls, &data, &len, &cap);
    if (len == 0) {
        free(data);
        return;
    }
    raw_write_t *w = hc_calloc(1, sizeof(*w));
    w->data = data;
    uv_buf_t b = uv_buf_init(data, (unsigned int)len);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_raw_write) < 0) {
        free(data);
        free(w);
        bus_client_close(c, BUS_CLOSE_TLS, NULL);
    }
}

void bus_tls_feed(bus_client_t *c, const char *data, size_t len)
{
    bus_tls_t *t = c->tls;
    char clear[16384];

    if (BIO_write(t->rbio, data, (int)len) != (int)len) {
        bus_client_close(c, BUS_CLOSE_TLS, NULL);
        return;
    }
    if (!t->handshake_done) {
        int r = SSL_do_handshake(t->ssl);
        send_records(c);
        if (r != 1) {
            int e = SSL_get_error(t->ssl, r);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                bus_client_close(c, BUS_CLOSE_TLS, NULL);
            return;
        }
        t->handshake_done = true;
    }
    for (;;) {
        int n = SSL_read(t->ssl, clear, sizeof(clear));
        if (n <= 0) {
            int e = SSL_get_error(t->ssl, n);
            if (e == SSL_ERROR_ZERO_RETURN)
                bus_client_close(c, BUS_CLOSE_CLIENT, NULL);
            else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                bus_client_close(c, BUS_CLOSE_TLS, NULL);
            break;
        }
        bus_client_process(c, clear, (size_t)n);
        if (c->closing)
            break;
    }
    if (BIO_ctrl_pending(t->wbio) > 0)
        send_records(c);
}
