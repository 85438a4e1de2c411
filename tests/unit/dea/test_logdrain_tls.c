/*
 * Unit tests for src/dea/logdrain_tls.c: a drain's TLS session against an in-memory OpenSSL
 * server, with a CA and certificates made here. Trusted name and address, SNI, plaintext
 * through, close_notify; refused: another host, another CA, TLS below 1.2, garbage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "logdrain_tls.h"

typedef struct pki_s {
    EVP_PKEY *ca_key, *key;
    X509 *ca, *cert;
} pki_t;

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v;
    X509V3_set_ctx_nodb(&v);
    X509V3_set_ctx(&v, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v, nid, value);
    assert_non_null(e);
    assert_int_equal(X509_add_ext(x, e, -1), 1);
    X509_EXTENSION_free(e);
}

/* A certificate for key named cn, signed by issuer (NULL: self-signed CA), san when not NULL. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
                       const char *san)
{
    static long serial = 1;
    X509 *x = X509_new();
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x));
    add_ext(x, issuer ? issuer : x, NID_basic_constraints,
            issuer ? "CA:FALSE" : "critical,CA:TRUE");
    if (!issuer)
        add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
    if (san)
        add_ext(x, issuer, NID_subject_alt_name, san);
    assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    return x;
}

/* A CA and a server certificate it signs for san. */
static void pki_make(pki_t *p, const char *san)
{
    p->ca_key = EVP_EC_gen("P-256");
    p->key = EVP_EC_gen("P-256");
    assert_non_null(p->ca_key);
    assert_non_null(p->key);
    p->ca = make_cert(p->ca_key, "drain test CA", NULL, NULL, NULL);
    p->cert = make_cert(p->key, "receiver", p->ca, p->ca_key, san);
}

static void pki_free(pki_t *p)
{
    X509_free(p->ca);
    X509_free(p->cert);
    EVP_PKEY_free(p->ca_key);
    EVP_PKEY_free(p->key);
}

/* An in-memory server with p's certificate (max_version 0: any). */
static SSL *server_new(const pki_t *p, int max_version)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_use_certificate(ctx, p->cert), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(ctx, p->key), 1);
    if (max_version) {
        SSL_CTX_set_security_level(ctx, 0);
        SSL_CTX_set_min_proto_version(ctx, 0);
        SSL_CTX_set_max_proto_version(ctx, max_version);
    }
    SSL *s = SSL_new(ctx);
    SSL_CTX_free(ctx);
    assert_non_null(s);
    SSL_set_bio(s, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
    SSL_set_accept_state(s);
    return s;
}

/* Moves the session's ciphertext to the server. */
static void to_server(SSL *t, SSL *srv)
{
    size_t len;
    char *c;
    while ((c = dea_logdrain_tls_take(t, &len))) {
        assert_int_equal(BIO_write(SSL_get_rbio(srv), c, (int)len), (int)len);
        free(c);
    }
}

/*
 * Runs the handshake between a drain session to host and the server: the last result of
 * dea_logdrain_tls_feed (1: done, negative: refused, reason in err).
 */
static int handshake(SSL_CTX *ctx, SSL *srv, const char *host, SSL **ret_t, hc_err_t *err)
{
    SSL *t = dea_logdrain_tls_new(ctx, host);
    assert_non_null(t);
    int r = dea_logdrain_tls_feed(t, NULL, 0, err);
    for (int round = 0; r == 0 && round < 10; round++) {
        to_server(t, srv);
        ERR_clear_error();
        SSL_do_handshake(srv);
        ERR_clear_error();
        char buf[16384];
        int n;
        r = 0;
        while (r == 0 && (n = BIO_read(SSL_get_wbio(srv), buf, sizeof(buf))) > 0)
            r = dea_logdrain_tls_feed(t, buf, (size_t)n, err);
    }
    *ret_t = t;
    return r;
}

/* The drain's context; p: its CA goes in as log_drains.ca_file (a temp file, gone at once). */
static SSL_CTX *client_ctx(const pki_t *p)
{
    SSL_CTX *ctx = NULL;
    hc_err_t err = {0};
    char ca_file[] = "/tmp/hearth-drain-ca.XXXXXX";
    int fd = p ? mkstemp(ca_file) : -1;
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    bool written = f && PEM_write_X509(f, p->ca) == 1;
    if (f)
        written = fclose(f) == 0 && written;
    else if (fd >= 0)
        close(fd);
    int r = dea_logdrain_tls_ctx_new(p ? ca_file : NULL, &ctx, &err);
    if (fd >= 0)
        unlink(ca_file);
    assert_true(!p || written);
    assert_int_equal(r, 0);
    return ctx;
}

static void test_trusted_name(void **state)
{
    (void)state;
    pki_t p = {0};
    pki_make(&p, "DNS:logs.test");
    SSL_CTX *ctx = client_ctx(&p);
    SSL *srv = server_new(&p, 0), *t = NULL;
    hc_err_t err = {0};
    assert_int_equal(handshake(ctx, srv, "logs.test", &t, &err), 1);
    assert_string_equal(SSL_get_servername(srv, TLSEXT_NAMETYPE_host_name), "logs.test");
    assert_true(SSL_version(t) >= TLS1_2_VERSION);
    /* plaintext goes through, then close_notify */
    assert_int_equal(dea_logdrain_tls_write(t, "5 hello", 7), 0);
    dea_logdrain_tls_shutdown(t);
    to_server(t, srv);
    char buf[64];
    int n = SSL_read(srv, buf, sizeof(buf));
    assert_int_equal(n, 7);
    assert_memory_equal(buf, "5 hello", 7);
    assert_int_equal(SSL_read(srv, buf, sizeof(buf)), 0);
    assert_int_equal(SSL_get_error(srv, 0), SSL_ERROR_ZERO_RETURN);
    /* the receiver's session tickets are taken in, then its close_notify ends the session */
    SSL_shutdown(srv);
    char back[16384];
    n = BIO_read(SSL_get_wbio(srv), back, sizeof(back));
    assert_true(n > 0 && n < (int)sizeof(back));
    assert_true(dea_logdrain_tls_feed(t, back, (size_t)n, &err) < 0);
    assert_non_null(strstr(err.msg, "closed"));
    SSL_free(t);
    SSL_free(srv);
    SSL_CTX_free(ctx);
    pki_free(&p);
}

static void test_trusted_address(void **state)
{
    (void)state;
    pki_t p = {0};
    pki_make(&p, "DNS:logs.test,IP:192.0.2.7,IP:2001:db8::7");
    SSL_CTX *ctx = client_ctx(&p);
    static const char *const hosts[] = {"192.0.2.7", "2001:db8::7"};
    for (size_t i = 0; i < 2; i++) {
        SSL *srv = server_new(&p, 0), *t = NULL;
        hc_err_t err = {0};
        assert_int_equal(handshake(ctx, srv, hosts[i], &t, &err), 1);
        assert_null(SSL_get_servername(srv, TLSEXT_NAMETYPE_host_name)); /* no SNI for an address */
        SSL_free(t);
        SSL_free(srv);
    }
    SSL_CTX_free(ctx);
    pki_free(&p);
}

/* expect: what err says; ca: the client trusts the test CA. */
static void refused(const char *san, const char *host, bool ca, int max_version, const char *expect)
{
    pki_t p = {0};
    pki_make(&p, san);
    SSL_CTX *ctx = client_ctx(ca ? &p : NULL);
    SSL *srv = server_new(&p, max_version), *t = NULL;
    hc_err_t err = {0};
    assert_true(handshake(ctx, srv, host, &t, &err) < 0);
    if (!strstr(err.msg, expect))
        fail_msg("%s: got `%s`", expect, err.msg);
    assert_int_equal(dea_logdrain_tls_write(t, "x", 1), -EIO); /* nothing leaves */
    assert_int_equal(ERR_peek_error(), 0);
    SSL_free(t);
    SSL_free(srv);
    SSL_CTX_free(ctx);
    pki_free(&p);
}

static void test_refused(void **state)
{
    (void)state;
    refused("DNS:other.test", "logs.test", true, 0, "hostname mismatch");
    refused("DNS:logs.test", "192.0.2.7", true, 0, "IP address mismatch");
    refused("DNS:*.test", "a.logs.test", true, 0, "hostname mismatch");
    refused("DNS:logs.test", "logs.test", false, 0, "unable to get local issuer certificate");
    refused("DNS:logs.test", "logs.test", true, TLS1_1_VERSION, "protocol version");
}

static void test_garbage_and_bad_ca_file(void **state)
{
    (void)state;
    SSL_CTX *ctx = client_ctx(NULL);
    SSL *t = dea_logdrain_tls_new(ctx, "logs.test");
    hc_err_t err = {0};
    assert_int_equal(dea_logdrain_tls_feed(t, NULL, 0, &err), 0);
    size_t len = 0;
    char *hello = dea_logdrain_tls_take(t, &len);
    assert_non_null(hello);
    assert_true(len > 5 && hello[0] == 0x16); /* a handshake record: the ClientHello */
    free(hello);
    assert_true(dea_logdrain_tls_feed(t, "HTTP/1.1 400 Bad Request\r\n\r\n", 28, &err) < 0);
    assert_non_null(strstr(err.msg, "TLS handshake"));
    SSL_free(t);
    SSL_CTX_free(ctx);
    SSL_CTX *none = NULL;
    assert_int_equal(dea_logdrain_tls_ctx_new("/nonexistent/ca.pem", &none, &err), -EINVAL);
    assert_null(none);
    assert_non_null(strstr(err.msg, "log_drains.ca_file `/nonexistent/ca.pem`"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trusted_name),
        cmocka_unit_test(test_trusted_address),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_garbage_and_bad_ca_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
