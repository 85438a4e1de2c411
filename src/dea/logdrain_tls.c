/* The TLS session of a syslog-tls:// drain: see logdrain_tls.h. */
#include "logdrain_tls.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define WRITE_CHUNK (1 << 20)

/* The oldest OpenSSL error as text (or dflt), and an empty error queue. */
static const char *ssl_reason(char *buf, size_t size, const char *dflt)
{
    unsigned long code = ERR_get_error();
    if (code)
        ERR_error_string_n(code, buf, size);
    else
        snprintf(buf, size, "%s", dflt);
    ERR_clear_error();
    return buf;
}

int dea_logdrain_tls_ctx_new(const char *ca_file, SSL_CTX **ret_ctx, hc_err_t *err)
{
    char reason[256];
    int r = 0;
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        r = hc_err_set(err, -ENOMEM, "TLS context: %s",
                       ssl_reason(reason, sizeof(reason), "out of memory"));
        goto out;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        r = hc_err_set(err, -EINVAL, "TLS: system CA store: %s",
                       ssl_reason(reason, sizeof(reason), "cannot load"));
        goto out;
    }
    if (ca_file && SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
        r = hc_err_set(err, -EINVAL, "log_drains.ca_file `%s`: %s", ca_file,
                       ssl_reason(reason, sizeof(reason), "cannot load"));
        goto out;
    }
    *ret_ctx = ctx;
    ctx = NULL;
out:
    SSL_CTX_free(ctx);
    return r;
}

/* Names are checked as DNS names and sent as SNI; addresses are checked against IP SANs. */
static bool set_peer(SSL *ssl, const char *host)
{
    unsigned char a[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1)
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1;
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return SSL_set_tlsext_host_name(ssl, host) == 1 && SSL_set1_host(ssl, host) == 1;
}

SSL *dea_logdrain_tls_new(SSL_CTX *ctx, const char *host)
{
    SSL *t = SSL_new(ctx);
    BIO *rbio = BIO_new(BIO_s_mem()), *wbio = BIO_new(BIO_s_mem());
    if (!t || !rbio || !wbio)
        goto fail;
    SSL_set_bio(t, rbio, wbio); /* the session owns them from here */
    rbio = wbio = NULL;
    if (!set_peer(t, host))
        goto fail;
    SSL_set_connect_state(t);
    return t;
fail:
    ERR_clear_error();
    BIO_free(rbio);
    BIO_free(wbio);
    SSL_free(t);
    return NULL;
}

/* What a failed SSL call (returning r) means: 0 (wants more bytes) or a negative errno. */
static int step_result(SSL *t, int r, const char *what, hc_err_t *err)
{
    char reason[256];
    int e = SSL_get_error(t, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        ERR_clear_error();
        return 0;
    }
    if (e == SSL_ERROR_ZERO_RETURN) {
        ERR_clear_error();
        return hc_err_set(err, -ECONNRESET, "TLS %s: the receiver closed the session", what);
    }
    long v = SSL_get_verify_result(t);
    if (v != X509_V_OK) {
        ERR_clear_error();
        return hc_err_set(err, -EPROTO, "TLS %s: certificate verification failed: %s", what,
                          X509_verify_cert_error_string(v));
    }
    return hc_err_set(err, -EPROTO, "TLS %s: %s", what,
                      ssl_reason(reason, sizeof(reason), "protocol error"));
}

int dea_logdrain_tls_feed(SSL *t, const char *p, size_t len, hc_err_t *err)
{
    if (len > INT_MAX || (len > 0 && BIO_write(SSL_get_rbio(t), p, (int)len) != (int)len))
        return hc_err_set(err, -ENOMEM, "TLS: cannot buffer %zu received bytes", len);
    ERR_clear_error();
    if (!SSL_is_init_finished(t)) {
        int r = SSL_do_handshake(t);
        if (r != 1)
            return step_result(t, r, "handshake", err);
    }
    char sink[4096];
    int n;
    while ((n = SSL_read(t, sink, sizeof(sink))) > 0)
        ; /* a syslog receiver has nothing to say: session tickets are consumed here */
    int r = step_result(t, n, "read", err);
    return r < 0 ? r : 1;
}

int dea_logdrain_tls_write(SSL *t, const char *p, size_t len)
{
    if (!SSL_is_init_finished(t))
        return -EIO;
    ERR_clear_error();
    while (len > 0) {
        int n = SSL_write(t, p, (int)HC_MIN(len, (size_t)WRITE_CHUNK));
        if (n <= 0) {
            ERR_clear_error();
            return -EIO;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

void dea_logdrain_tls_shutdown(SSL *t)
{
    if (!SSL_is_init_finished(t))
        return;
    ERR_clear_error();
    SSL_shutdown(t); /* best effort: queues close_notify, does not wait for the reply */
    ERR_clear_error();
}

char *dea_logdrain_tls_take(SSL *t, size_t *ret_len)
{
    BIO *wbio = SSL_get_wbio(t);
    size_t pending = BIO_ctrl_pending(wbio);
    if (pending == 0 || pending > INT_MAX)
        return NULL;
    char *out = hc_malloc(pending);
    int n = BIO_read(wbio, out, (int)pending);
    if (n <= 0) {
        free(out);
        return NULL;
    }
    *ret_len = (size_t)n;
    return out;
}
