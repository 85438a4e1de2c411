/* TLS termination (see rtr_tls.h). */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "rtr.h"
#include "rtr_tls.h"

#define RTR_TLS_MAX_CERTS 64

struct rtr_tls_s {
    SSL_CTX *ctx[RTR_TLS_MAX_CERTS];
    X509 *cert[RTR_TLS_MAX_CERTS];
    size_t n;
};

typedef struct rtr_tls_conn_s {
    SSL *ssl;
    BIO *rbio, *wbio;
    size_t inflight; /* ciphertext bytes handed to uv_write and not yet written */
    bool blocked;    /* a caller waits for rtr_cl_on_written */
    char in[RTR_TLS_IN_BUF];
} rtr_tls_conn_t;

typedef struct rtr_tls_chunk_s {
    uv_write_t req;
    rtr_client_t *c;
    size_t len;
    char data[];
} rtr_tls_chunk_t;

void rtr_cl_on_written(uv_write_t *req, int status);

static int rtr_tls_on_sni(SSL *ssl, int *alert, void *arg)
{
    (void)alert;
    rtr_tls_t *t = arg;
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (!name)
        return SSL_TLSEXT_ERR_OK;
    for (size_t i = 0; i < t->n; i++) {
        if (X509_check_host(t->cert[i], name, 0, 0, NULL) == 1) {
            SSL_set_SSL_CTX(ssl, t->ctx[i]);
            break;
        }
    }
    return SSL_TLSEXT_ERR_OK;
}

static int rtr_tls_err(hc_err_t *err, const char *what, const char *path)
{
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
    ERR_clear_error();
    return hc_err_set(err, -EINVAL, "tls: %s %s: %s", what, path, buf);
}

int rtr_tls_new(char *const *pairs, rtr_tls_t **ret, hc_err_t *err)
{
    rtr_tls_t *t = hc_calloc(1, sizeof(*t));
    int rc = 0;
    for (size_t i = 0; pairs && pairs[i]; i++) {
        if (t->n == RTR_TLS_MAX_CERTS) {
            rc = hc_err_set(err, -EINVAL, "tls: more than %d certificates", RTR_TLS_MAX_CERTS);
            goto fail;
        }
        char *cert = hc_strdup(pairs[i]);
        char *key = strchr(cert, ':');
        if (!key) {
            rc = hc_err_set(err, -EINVAL, "tls.certs: %s is not CERT:KEY", pairs[i]);
            free(cert);
            goto fail;
        }
        *key++ = '\0';
        SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
        t->ctx[t->n++] = ctx;
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
        SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
        if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
            rc = rtr_tls_err(err, "certificate", cert);
        else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
            rc = rtr_tls_err(err, "key", key);
        else if (SSL_CTX_check_private_key(ctx) != 1)
            rc = rtr_tls_err(err, "key does not match", cert);
        free(cert);
        if (rc < 0)
            goto fail;
        t->cert[t->n - 1] = SSL_CTX_get0_certificate(ctx);
        SSL_CTX_set_tlsext_servername_callback(ctx, rtr_tls_on_sni);
        SSL_CTX_set_tlsext_servername_arg(ctx, t);
    }
    if (t->n == 0) {
        rc = hc_err_set(err, -EINVAL, "tls: no certificate configured (tls.certs)");
        goto fail;
    }
    *ret = t;
    return 0;
fail:
    rtr_tls_free(t);
    return rc;
}

void rtr_tls_free(rtr_tls_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        SSL_CTX_free(t->ctx[i]);
    free(t);
}

void rtr_tls_conn_init(rtr_tls_t *t, rtr_client_t *c)
{
    rtr_tls_conn_t *tc = hc_calloc(1, sizeof(*tc));
    tc->ssl = SSL_new(t->ctx[0]);
    tc->rbio = BIO_new(BIO_s_mem());
    tc->wbio = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(tc->rbio, -1);
    SSL_set_bio(tc->ssl, tc->rbio, tc->wbio);
    SSL_set_accept_state(tc->ssl);
    c->tls = tc;
}

void rtr_tls_conn_free(rtr_client_t *c)
{
    rtr_tls_conn_t *tc = c->tls;
    if (!tc)
        return;
    SSL_free(tc->ssl);
    free(tc);
    c->tls = NULL;
}

void rtr_tls_alloc(rtr_client_t *c, char **base, size_t *len)
{
    rtr_tls_conn_t *tc = c->tls;
    *base = tc->in;
    *len = sizeof(tc->in);
}

static void rtr_tls_on_written(uv_write_t *req, int status)
{
    rtr_tls_chunk_t *ch = req->data;
    rtr_client_t *c = ch->c;
    rtr_tls_conn_t *tc = c->tls;
    tc->inflight -= ch->len;
    free(ch);
    if (c->closing)
        return;
    if (status < 0) {
        rtr_client_close(c);
        return;
    }
    if (tc->blocked && tc->inflight == 0) {
        tc->blocked = false;
        rtr_cl_on_written(&c->wreq, 0);
    }
}

/* Sends whatever OpenSSL produced (records, handshake messages). Returns 0 or an error. */
static int rtr_tls_flush(rtr_client_t *c)
{
    rtr_tls_conn_t *tc = c->tls;
    size_t n = BIO_ctrl_pending(tc->wbio);
    if (n == 0)
        return 0;
    rtr_tls_chunk_t *ch = hc_malloc(sizeof(*ch) + n);
    ch->c = c;
    ch->len = (size_t)BIO_read(tc->wbio, ch->data, (int)n);
    ch->req.data = ch;
    uv_buf_t b = uv_buf_init(ch->data, (unsigned)ch->len);
    int rc = uv_write(&ch->req, (uv_stream_t *)&c->tcp, &b, 1, rtr_tls_on_written);
    if (rc < 0) {
        free(ch);
        return rc;
    }
    tc->inflight += ch->len;
    return 0;
}

ssize_t rtr_tls_pull(rtr_client_t *c)
{
    rtr_tls_conn_t *tc = c->tls;
    size_t before = c->len;
    while (c->len < c->cap) {
        int n = SSL_read(tc->ssl, c->buf + c->len, (int)(c->cap - c->len));
        if (n > 0) {
            c->len += (size_t)n;
            continue;
        }
        int e = SSL_get_error(tc->ssl, n);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            break;
        ERR_clear_error();
        rtr_tls_flush(c); /* an alert, if any */
        return -1;
    }
    if (rtr_tls_flush(c) < 0)
        return -1;
    return (ssize_t)(c->len - before);
}

ssize_t rtr_tls_feed(rtr_client_t *c)
{
    rtr_tls_conn_t *tc = c->tls;
    size_t n = c->len;
    if (n && BIO_write(tc->rbio, c->buf, (int)n) != (int)n)
        return -1;
    c->len = 0;
    return rtr_tls_pull(c);
}

ssize_t rtr_tls_on_cipher(rtr_client_t *c, size_t n)
{
    rtr_tls_conn_t *tc = c->tls;
    if (BIO_write(tc->rbio, tc->in, (int)n) != (int)n)
        return -1;
    return rtr_tls_pull(c);
}

bool rtr_tls_has_pending(rtr_client_t *c)
{
    rtr_tls_conn_t *tc = c->tls;
    return SSL_pending(tc->ssl) > 0 || BIO_ctrl_pending(tc->rbio) > 0;
}

int rtr_tls_send(rtr_client_t *c, const uv_buf_t *bufs, unsigned n, bool need_cb)
{
    rtr_tls_conn_t *tc = c->tls;
    for (unsigned i = 0; i < n; i++) {
        if (bufs[i].len == 0)
            continue;
        if (SSL_write(tc->ssl, bufs[i].base, (int)bufs[i].len) <= 0) {
            ERR_clear_error();
            return UV_EPROTO;
        }
    }
    int rc = rtr_tls_flush(c);
    if (rc < 0)
        return rc;
    if (need_cb || tc->inflight >= RTR_TLS_MAX_INFLIGHT) {
        if (tc->inflight == 0)
            return 1; /* nothing queued: cannot wait for a write */
        tc->blocked = true;
        return 0;
    }
    return 1;
}
