/* Tests for src/router/rtr_pp.c: PROXY protocol v1 and v2 headers, on guard-page inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "guard.h"
#include "rtr_pp.h"

/* Parses the first len bytes of in placed right before a PROT_NONE page. */
static int parse(const void *in, size_t len, rtr_pp_t *pp)
{
    const char *g = hc_test_guard(in, len);
    return rtr_pp_parse(g, len, pp);
}

static int parse_s(const char *s, rtr_pp_t *pp)
{
    return parse(s, strlen(s), pp);
}

static void test_v1_tcp4_and_tcp6(void **state)
{
    (void)state;
    rtr_pp_t pp;
    const char *h = "PROXY TCP4 203.0.113.7 10.0.0.1 56324 443\r\nGET / HTTP/1.1\r\n";
    assert_int_equal(parse_s(h, &pp), 43);
    assert_int_equal(pp.version, 1);
    assert_false(pp.local);
    assert_int_equal(pp.family, AF_INET);
    assert_string_equal(pp.src_ip, "203.0.113.7");
    assert_string_equal(pp.dst_ip, "10.0.0.1");
    assert_int_equal(pp.src_port, 56324);
    assert_int_equal(pp.dst_port, 443);

    h = "PROXY TCP6 2001:db8::1 ::1 65535 0\r\n";
    assert_int_equal(parse_s(h, &pp), (int)strlen(h));
    assert_int_equal(pp.family, AF_INET6);
    assert_string_equal(pp.src_ip, "2001:db8::1");
    assert_int_equal(pp.src_port, 65535);
    assert_int_equal(pp.dst_port, 0);
}

static void test_v1_unknown(void **state)
{
    (void)state;
    rtr_pp_t pp;
    assert_int_equal(parse_s("PROXY UNKNOWN\r\n", &pp), 15);
    assert_true(pp.local);
    const char *h = "PROXY UNKNOWN ffff:f:f:f:f:f:f:ffff ffff:f:f:f:f:f:f:ffff 65535 65535\r\n";
    assert_int_equal(parse_s(h, &pp), (int)strlen(h));
    assert_true(pp.local);
}

static void test_v1_every_prefix_needs_more(void **state)
{
    (void)state;
    rtr_pp_t pp;
    const char *h = "PROXY TCP4 192.168.1.20 10.0.0.1 1 2\r\n";
    size_t n = strlen(h);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(parse(h, i, &pp), HC_AGAIN);
    assert_int_equal(parse(h, n, &pp), (int)n);
}

static void test_v1_malformed(void **state)
{
    (void)state;
    rtr_pp_t pp;
    static const char *bad[] = {
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",       /* LF without CR */
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX",      /* CR without LF */
        "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",       /* a field missing */
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",   /* one too many */
        "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",    /* double space */
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",    /* trailing space */
        "PROXY TCP4 ::1 5.6.7.8 1 2\r\n",         /* wrong family */
        "PROXY TCP6 1.2.3.4 ::1 1 2\r\n",         /* wrong family */
        "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", /* port range */
        "PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n",   /* leading zero */
        "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",    /* sign */
        "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",     /* protocol */
        "PROXY TCP4 1.2.3.400 5.6.7.8 1 2\r\n",   /* address */
        "PROXY \r\n",                             /* nothing */
        "PROXY UNKNOWNX\r\n",                     /* not UNKNOWN */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = parse_s(bad[i], &pp);
        if (rc != HC_EPROTO)
            fail_msg("accepted (%d): %s", rc, bad[i]);
    }
    /* No CRLF within the 107 bytes a line may have. */
    char big[200];
    memset(big, 'a', sizeof(big));
    memcpy(big, "PROXY TCP4 ", 11);
    assert_int_equal(parse(big, 105, &pp), HC_AGAIN);
    assert_int_equal(parse(big, 106, &pp), HC_EPROTO);
    assert_int_equal(parse(big, sizeof(big), &pp), HC_EPROTO);
}

static void test_no_header(void **state)
{
    (void)state;
    rtr_pp_t pp;
    assert_int_equal(parse_s("GET / HTTP/1.1\r\n", &pp), 0);
    assert_int_equal(pp.version, 0);
    assert_int_equal(parse_s("POST / HTTP/1.1\r\n", &pp), 0);
    assert_int_equal(parse_s("PROXZ", &pp), 0);
    assert_int_equal(parse_s("\r\nGET", &pp), 0);
    /* Undecided yet. */
    assert_int_equal(parse_s("P", &pp), HC_AGAIN);
    assert_int_equal(parse_s("PROX", &pp), HC_AGAIN);
    assert_int_equal(parse("\r\n\r\n\0\r", 6, &pp), HC_AGAIN);
    assert_int_equal(parse("", 0, &pp), HC_AGAIN);
}

/* Builds a v2 header: ver_cmd, fam, then alen bytes of addr. Returns its length. */
static size_t v2(unsigned char *out, unsigned ver_cmd, unsigned fam, const void *addr, size_t alen)
{
    memcpy(out, "\r\n\r\n\0\r\nQUIT\n", 12);
    out[12] = (unsigned char)ver_cmd;
    out[13] = (unsigned char)fam;
    out[14] = (unsigned char)(alen >> 8);
    out[15] = (unsigned char)alen;
    if (alen)
        memcpy(out + 16, addr, alen);
    return 16 + alen;
}

static void test_v2_proxy_inet_and_inet6(void **state)
{
    (void)state;
    rtr_pp_t pp;
    unsigned char h[4096];
    /* 198.51.100.9:40000 -> 10.1.2.3:80, then a TLV (type 0x04 NOOP, 3 bytes). */
    const unsigned char a4[] = {198, 51, 100, 9, 10, 1, 2, 3, 0x9c, 0x40, 0, 80, 4, 0, 3, 1, 2, 3};
    size_t n = v2(h, 0x21, 0x11, a4, sizeof(a4));
    memcpy(h + n, "GET", 3);
    assert_int_equal(parse(h, n + 3, &pp), (int)n);
    assert_int_equal(pp.version, 2);
    assert_false(pp.local);
    assert_int_equal(pp.family, AF_INET);
    assert_string_equal(pp.src_ip, "198.51.100.9");
    assert_string_equal(pp.dst_ip, "10.1.2.3");
    assert_int_equal(pp.src_port, 40000);
    assert_int_equal(pp.dst_port, 80);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(parse(h, i, &pp), HC_AGAIN);

    unsigned char a6[36] = {0x20, 0x01, 0x0d, 0xb8};
    a6[15] = 5;
    a6[31] = 1;
    a6[32] = 0x01;
    a6[33] = 0xbb;
    n = v2(h, 0x21, 0x21, a6, sizeof(a6));
    assert_int_equal(parse(h, n, &pp), (int)n);
    assert_int_equal(pp.family, AF_INET6);
    assert_string_equal(pp.src_ip, "2001:db8::5");
    assert_string_equal(pp.dst_ip, "::1");
    assert_int_equal(pp.src_port, 443);
}

static void test_v2_local_and_unspec(void **state)
{
    (void)state;
    rtr_pp_t pp;
    unsigned char h[512];
    size_t n = v2(h, 0x20, 0x00, NULL, 0); /* LOCAL: the balancer's own health check */
    assert_int_equal(parse(h, n, &pp), 16);
    assert_true(pp.local);
    const unsigned char a4[12] = {1, 2, 3, 4};
    n = v2(h, 0x20, 0x11, a4, sizeof(a4)); /* LOCAL with addresses: still ignored */
    assert_int_equal(parse(h, n, &pp), (int)n);
    assert_true(pp.local);
    unsigned char un[216] = {0};
    n = v2(h, 0x21, 0x31, un, sizeof(un)); /* unix sockets: no IP */
    assert_int_equal(parse(h, n, &pp), (int)n);
    assert_true(pp.local);
}

static void test_v2_malformed(void **state)
{
    (void)state;
    rtr_pp_t pp;
    unsigned char h[4096];
    const unsigned char a4[12] = {1, 2, 3, 4};
    size_t n = v2(h, 0x11, 0x11, a4, sizeof(a4)); /* version 1 in a v2 header */
    assert_int_equal(parse(h, n, &pp), HC_EPROTO);
    n = v2(h, 0x22, 0x11, a4, sizeof(a4)); /* command 2 */
    assert_int_equal(parse(h, n, &pp), HC_EPROTO);
    n = v2(h, 0x21, 0x11, a4, 8); /* too short for IPv4 */
    assert_int_equal(parse(h, n, &pp), HC_EPROTO);
    n = v2(h, 0x21, 0x21, a4, 12); /* too short for IPv6 */
    assert_int_equal(parse(h, n, &pp), HC_EPROTO);
    n = v2(h, 0x21, 0x41, a4, 12); /* family 4 */
    assert_int_equal(parse(h, n, &pp), HC_EPROTO);
    n = v2(h, 0x21, 0x13, a4, 12); /* protocol 3 */
    assert_int_equal(parse(h, n, &pp), HC_EPROTO);
    /* A length over the limit is refused from the fixed part alone. */
    v2(h, 0x21, 0x11, NULL, 0);
    h[14] = (unsigned char)((RTR_PP_V2_MAX_LEN + 1) >> 8);
    h[15] = (unsigned char)(RTR_PP_V2_MAX_LEN + 1);
    assert_int_equal(parse(h, 16, &pp), HC_EPROTO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1_tcp4_and_tcp6),
        cmocka_unit_test(test_v1_unknown),
        cmocka_unit_test(test_v1_every_prefix_needs_more),
        cmocka_unit_test(test_v1_malformed),
        cmocka_unit_test(test_no_header),
        cmocka_unit_test(test_v2_proxy_inet_and_inet6),
        cmocka_unit_test(test_v2_local_and_unspec),
        cmocka_unit_test(test_v2_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
