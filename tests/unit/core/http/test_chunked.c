/* Tests for src/core/http/chunked.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "hc_http.h"

/* A writable copy that ends at a guard page, for the in-place decoder. */
static char *guarded(const char *s, size_t len)
{
    return (char *)(uintptr_t)hc_test_guard(s, len);
}

/* Decodes s in one call; returns consumed and the decoded body in out. */
static int64_t decode_all(const char *s, size_t len, hc_http_chunked_t *c, char *out,
                          size_t *ret_out_len)
{
    char *g = guarded(s, len);
    size_t dlen = 0;
    hc_http_chunked_init(c);
    int64_t r = hc_http_chunked_decode(c, g, len, &dlen);
    if (r >= 0) {
        memcpy(out, g, dlen);
        *ret_out_len = dlen;
    }
    return r;
}

/*
 * Feeds s in pieces [0,k) and [k,len) for every k and byte by byte, each piece in its own
 * guarded copy, checking that the decoded body, the consumed count and scan agree.
 */
static void check_splits(const char *s, size_t len, const char *body, size_t body_len,
                         size_t consumed)
{
    static char out[4096];
    for (size_t k = 0; k <= len; k++) {
        hc_http_chunked_t c, sc;
        size_t olen = 0, d;
        int64_t total = 0;
        hc_http_chunked_init(&c);
        hc_http_chunked_init(&sc);
        size_t cuts[3] = {0, k, len};
        for (int i = 0; i < 2; i++) {
            size_t n = cuts[i + 1] - cuts[i];
            char *g = guarded(s + cuts[i], n);
            int64_t sr = hc_http_chunked_scan(&sc, g, n);
            int64_t r = hc_http_chunked_decode(&c, g, n, &d);
            assert_true(r >= 0);
            assert_int_equal(r, sr);
            assert_int_equal(c.done, sc.done);
            memcpy(out + olen, g, d);
            olen += d;
            total += r;
            if (c.done)
                break;
            assert_int_equal(r, (int64_t)n);
        }
        assert_true(c.done);
        assert_int_equal(total, (int64_t)consumed);
        assert_int_equal(olen, body_len);
        assert_memory_equal(out, body, body_len);
        if (k % 64 == 63)
            hc_test_guard_free_all();
    }
    hc_test_guard_free_all();
    /* one byte at a time */
    hc_http_chunked_t c;
    size_t olen = 0, d;
    int64_t total = 0;
    hc_http_chunked_init(&c);
    for (size_t i = 0; i < len && !c.done; i++) {
        char *g = guarded(s + i, 1);
        int64_t r = hc_http_chunked_decode(&c, g, 1, &d);
        assert_int_equal(r, 1);
        memcpy(out + olen, g, d);
        olen += d;
        total += r;
        if (i % 64 == 63)
            hc_test_guard_free_all();
    }
    assert_true(c.done);
    assert_int_equal(total, (int64_t)consumed);
    assert_int_equal(olen, body_len);
    assert_memory_equal(out, body, body_len);
    hc_test_guard_free_all();
}

static void test_chunked_simple(void **state)
{
    (void)state;
    static const char in[] = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    char out[64];
    size_t olen;
    hc_http_chunked_t c;
    assert_int_equal(decode_all(in, sizeof(in) - 1, &c, out, &olen), (int64_t)sizeof(in) - 1);
    assert_true(c.done);
    assert_int_equal(olen, 11);
    assert_memory_equal(out, "hello world", 11);
    /* after the end, nothing more is consumed */
    size_t d = 99;
    char *g = guarded("GET", 3);
    assert_int_equal(hc_http_chunked_decode(&c, g, 3, &d), 0);
    assert_int_equal(d, 0);
    assert_int_equal(hc_http_chunked_scan(&c, g, 3), 0);
    hc_test_guard_free_all();
}

static void test_chunked_stops_at_end_of_body(void **state)
{
    (void)state;
    static const char in[] = "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n";
    char out[64];
    size_t olen;
    hc_http_chunked_t c;
    size_t d;
    char *g = guarded(in, sizeof(in) - 1);
    hc_http_chunked_init(&c);
    assert_int_equal(hc_http_chunked_decode(&c, g, sizeof(in) - 1, &d), 13);
    assert_true(c.done);
    assert_int_equal(d, 3);
    assert_memory_equal(g, "abc", 3);
    /* the next message is left where it was */
    assert_memory_equal(g + 13, "GET / HTTP/1.1\r\n\r\n", 18);
    hc_http_chunked_init(&c);
    assert_int_equal(hc_http_chunked_scan(&c, guarded(in, sizeof(in) - 1), sizeof(in) - 1), 13);
    (void)out;
    (void)olen;
    hc_test_guard_free_all();
}

static void test_chunked_extensions_and_trailers(void **state)
{
    (void)state;
    static const char in[] = "4;name=value\r\nWiki\r\n"
                             "5 ;a=\"quoted; string\"; b\r\npedia\r\n"
                             "00E\t;x=y\r\n in\r\n\r\nchunks.\r\n"
                             "0;last\r\nExpires: Wed, 21 Oct 2026 07:28:00 GMT\r\nX-Sum:\r\n\r\n";
    static const char body[] = "Wikipedia in\r\n\r\nchunks.";
    char out[128];
    size_t olen;
    hc_http_chunked_t c;
    assert_int_equal(decode_all(in, sizeof(in) - 1, &c, out, &olen), (int64_t)sizeof(in) - 1);
    assert_true(c.done);
    assert_int_equal(olen, sizeof(body) - 1);
    assert_memory_equal(out, body, olen);
    hc_test_guard_free_all();
}

static void test_chunked_split_at_every_offset(void **state)
{
    (void)state;
    static const char in[] = "1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n"
                             "A\r\n0123456789\r\n1\r\n!\r\n0\r\nTrailer: t\r\n\r\nNEXT";
    static const char body[] = "abcdefghijklmnopqrstuvwxyz0123456789!";
    check_splits(in, sizeof(in) - 1, body, sizeof(body) - 1, sizeof(in) - 1 - 4);
    static const char empty[] = "0\r\n\r\n";
    check_splits(empty, sizeof(empty) - 1, "", 0, sizeof(empty) - 1);
}

static void test_chunked_large_sizes(void **state)
{
    (void)state;
    hc_http_chunked_t c;
    char *g;

    /* 2^60 is the largest size accepted; leading zeros do not count */
    hc_http_chunked_init(&c);
    g = guarded("0001000000000000000\r\nxyz", 24);
    assert_int_equal(hc_http_chunked_scan(&c, g, 24), 24);
    assert_int_equal(c.remaining, (UINT64_C(1) << 60) - 3);
    hc_http_chunked_init(&c);
    g = guarded("FFFFFFFFFFFFFFF\r\n", 17);
    assert_int_equal(hc_http_chunked_scan(&c, g, 17), 17);
    assert_int_equal(c.remaining, (UINT64_C(1) << 60) - 1);
    static const char *const over[] = {"1000000000000001\r\n", "10000000000000000\r\n",
                                       "FFFFFFFFFFFFFFFFFFFFFFFF\r\n"};
    for (size_t i = 0; i < HC_ARRAY_SIZE(over); i++) {
        hc_http_chunked_init(&c);
        g = guarded(over[i], strlen(over[i]));
        assert_int_equal(hc_http_chunked_scan(&c, g, strlen(over[i])), HC_EPROTO);
    }
    /* a 1 MiB chunk in 4 KiB reads */
    static char big[(1 << 20) + 64];
    size_t n = (size_t)sprintf(big, "100000\r\n");
    memset(big + n, 'z', 1 << 20);
    n += 1 << 20;
    n += (size_t)sprintf(big + n, "\r\n0\r\n\r\n");
    hc_http_chunked_init(&c);
    size_t total = 0, d;
    for (size_t off = 0; off < n; off += 4096) {
        size_t len = HC_MIN((size_t)4096, n - off);
        int64_t r = hc_http_chunked_decode(&c, guarded(big + off, len), len, &d);
        assert_int_equal(r, (int64_t)len);
        total += d;
        if (off % (64 * 4096) == 0)
            hc_test_guard_free_all();
    }
    assert_true(c.done);
    assert_int_equal(total, 1 << 20);
    hc_test_guard_free_all();
}

static void test_chunked_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\r\n",                      /* no size */
        "x\r\n",                     /* not hex */
        "0x5\r\nhello\r\n0\r\n\r\n", /* no 0x prefix */
        "-5\r\n",                    /* no sign */
        "+5\r\n",                    /* no sign */
        " 5\r\n",                    /* no leading space */
        "5 \r\nhello\r\n0\r\n\r\n",  /* whitespace must lead to ';' */
        "5\nhello\r\n0\r\n\r\n",     /* bare LF */
        "5\rhello\r\n0\r\n\r\n",     /* bare CR */
        "5\r\nhelloX\r\n0\r\n\r\n",  /* data longer than its size */
        "5\r\nhello\n0\r\n\r\n",     /* LF only after data */
        "5\r\nhello\r\r\n",          /* CR CR */
        "5;a\x01\r\nhello\r\n",      /* CTL in an extension */
        "5;a\nb\r\nhello\r\n",       /* LF in an extension */
        "5;a=\"x\ry\"\r\nhello\r\n", /* CR in a quoted extension */
        "0\r\n\n",                   /* LF ends the body */
        "0\r\nX: y\n\r\n",           /* LF ends a trailer */
        "0\r\n X: y\r\n\r\n",        /* folded trailer */
        "0\r\nX : y\r\n\r\n",        /* space before colon */
        "0\r\nX: \x7f\r\n\r\n",      /* DEL in a trailer */
        "0\r\nNoColon\r\n\r\n",      /* not a field */
        "0\r\n\rX",                  /* CR not followed by LF */
    };
    for (size_t i = 0; i < HC_ARRAY_SIZE(bad); i++) {
        hc_http_chunked_t c, sc;
        size_t len = strlen(bad[i]), d;
        char *g = guarded(bad[i], len);
        hc_http_chunked_init(&sc);
        if (hc_http_chunked_scan(&sc, g, len) != HC_EPROTO)
            fail_msg("scan accepted case %zu", i);
        hc_http_chunked_init(&c);
        if (hc_http_chunked_decode(&c, g, len, &d) != HC_EPROTO)
            fail_msg("decode accepted case %zu", i);
    }
    hc_test_guard_free_all();
}

static void test_chunked_line_limits(void **state)
{
    (void)state;
    static char buf[2 * HC_HTTP_MAX_HEAD];
    hc_http_chunked_t c;
    size_t n;

    /* extension line of exactly the limit, then one byte over */
    n = (size_t)sprintf(buf, "1;");
    memset(buf + n, 'e', HC_HTTP_MAX_CHUNK_LINE - n);
    n = HC_HTTP_MAX_CHUNK_LINE;
    memcpy(buf + n, "\r\nx\r\n0\r\n\r\n", 10);
    hc_http_chunked_init(&c);
    assert_int_equal(hc_http_chunked_scan(&c, hc_test_guard(buf, n + 10), n + 10), n + 10);
    assert_true(c.done);
    buf[n] = 'e';
    hc_http_chunked_init(&c);
    assert_int_equal(hc_http_chunked_scan(&c, hc_test_guard(buf, n + 1), n + 1), HC_EPROTO);
    /* a trailer line over the limit */
    n = (size_t)sprintf(buf, "0\r\nX: ");
    memset(buf + n, 'v', HC_HTTP_MAX_CHUNK_LINE);
    n += HC_HTTP_MAX_CHUNK_LINE;
    hc_http_chunked_init(&c);
    assert_int_equal(hc_http_chunked_scan(&c, hc_test_guard(buf, n), n), HC_EPROTO);
    /* many short trailer lines, over HC_HTTP_MAX_HEAD in all */
    n = (size_t)sprintf(buf, "0\r\n");
    while (n < HC_HTTP_MAX_HEAD + 100)
        n += (size_t)sprintf(buf + n, "X-Trailer: value\r\n");
    hc_http_chunked_init(&c);
    assert_int_equal(hc_http_chunked_scan(&c, hc_test_guard(buf, n), n), HC_EPROTO);
    hc_test_guard_free_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunked_simple),
        cmocka_unit_test(test_chunked_stops_at_end_of_body),
        cmocka_unit_test(test_chunked_extensions_and_trailers),
        cmocka_unit_test(test_chunked_split_at_every_offset),
        cmocka_unit_test(test_chunked_large_sizes),
        cmocka_unit_test(test_chunked_malformed),
        cmocka_unit_test(test_chunked_line_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
