/* Tests for src/core/http/parse_request.c, parse_response.c, fields.c and util.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "hc_http.h"

static hc_http_header_t hdrs[HC_HTTP_MAX_HEADERS];

static const char browser_req[] =
    "GET /static/app.js?v=1724&lang=en HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "Connection: keep-alive\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36\r\n"
    "Accept: */*\r\n"
    "Referer: https://www.example.com/\r\n"
    "Accept-Encoding: gzip, deflate, br, zstd\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
    "Cookie: session=4f2a9c1e7b; theme=dark\r\n"
    "\r\n";

/* Parses a guarded copy of [s, s+len) from scratch. */
static int req_parse_n(const char *s, size_t len, size_t cap, hc_http_req_t *req,
                       const char **ret_base)
{
    const char *g = hc_test_guard(s, len);
    memset(req, 0, sizeof(*req));
    req->headers = hdrs;
    req->num_headers = cap;
    if (ret_base)
        *ret_base = g;
    return hc_http_parse_request(g, len, 0, req);
}

static int req_parse(const char *s, hc_http_req_t *req)
{
    return req_parse_n(s, strlen(s), HC_ARRAY_SIZE(hdrs), req, NULL);
}

/* Parses s and expects an error with the given status. */
static void expect_req_error(const char *s, int r, int status)
{
    hc_http_req_t req;
    int got = req_parse(s, &req);
    if (got != r || req.status != status)
        fail_msg("input %s: got %d/%d, want %d/%d", s, got, req.status, r, status);
    hc_test_guard_free_all();
}

static void assert_str(hc_str_t s, const char *want)
{
    if (s.len != strlen(want) || memcmp(s.p, want, s.len) != 0)
        fail_msg("got `%.*s`, want `%s`", (int)s.len, s.p ? s.p : "", want);
}

/* Slices are compared by offset from their buffer, so results from two copies compare. */
static void assert_slice_same(hc_str_t a, const char *abase, hc_str_t b, const char *bbase)
{
    assert_int_equal(a.len, b.len);
    if (a.len)
        assert_int_equal(a.p - abase, b.p - bbase);
}

static void assert_req_same(const hc_http_req_t *a, const char *abase, const hc_http_req_t *b,
                            const char *bbase, const hc_http_header_t *bh)
{
    assert_slice_same(a->method, abase, b->method, bbase);
    assert_slice_same(a->target, abase, b->target, bbase);
    assert_slice_same(a->path, abase, b->path, bbase);
    assert_slice_same(a->query, abase, b->query, bbase);
    assert_slice_same(a->authority, abase, b->authority, bbase);
    assert_slice_same(a->host, abase, b->host, bbase);
    assert_int_equal(a->minor_version, b->minor_version);
    assert_int_equal(a->num_headers, b->num_headers);
    for (size_t i = 0; i < a->num_headers; i++) {
        assert_slice_same(a->headers[i].name, abase, bh[i].name, bbase);
        assert_slice_same(a->headers[i].value, abase, bh[i].value, bbase);
    }
    assert_int_equal(a->body, b->body);
    assert_int_equal(a->content_length, b->content_length);
    assert_int_equal(a->keep_alive, b->keep_alive);
    assert_int_equal(a->upgrade, b->upgrade);
    assert_int_equal(a->expect_continue, b->expect_continue);
}

/*
 * Feeds s to the parser as if it arrived in two reads split at every offset, and one byte
 * at a time with last_len, each prefix in its own guarded copy: every prefix must give
 * HC_AGAIN and the complete head the same result as parsing it whole.
 */
static void check_req_splits(const char *s, size_t len)
{
    static hc_http_header_t whole_h[HC_HTTP_MAX_HEADERS];
    hc_http_req_t whole, part;
    const char *wbase, *pbase;
    int n;

    n = req_parse_n(s, len, HC_ARRAY_SIZE(hdrs), &whole, &wbase);
    assert_true(n > 0);
    memcpy(whole_h, hdrs, sizeof(hdrs));
    whole.headers = whole_h;
    for (size_t k = 0; k < (size_t)n; k++) {
        assert_int_equal(req_parse_n(s, k, HC_ARRAY_SIZE(hdrs), &part, NULL), HC_AGAIN);
        /* second read completes the head: the parser may skip the first k bytes' search */
        pbase = hc_test_guard(s, len);
        memset(&part, 0, sizeof(part));
        part.headers = hdrs;
        part.num_headers = HC_ARRAY_SIZE(hdrs);
        assert_int_equal(hc_http_parse_request(pbase, len, k, &part), n);
        assert_req_same(&whole, wbase, &part, pbase, hdrs);
        if (k % 64 == 63)
            hc_test_guard_free_all();
    }
    /* byte by byte, remembering last_len */
    size_t last = 0;
    for (size_t k = 1; k <= len; k++) {
        pbase = hc_test_guard(s, k);
        memset(&part, 0, sizeof(part));
        part.headers = hdrs;
        part.num_headers = HC_ARRAY_SIZE(hdrs);
        int r = hc_http_parse_request(pbase, k, last, &part);
        if (k < (size_t)n) {
            assert_int_equal(r, HC_AGAIN);
            last = k;
        } else {
            assert_int_equal(r, n);
            assert_req_same(&whole, wbase, &part, pbase, hdrs);
            break;
        }
        if (k % 64 == 63)
            hc_test_guard_free_all();
    }
    hc_test_guard_free_all();
}

static void test_request_browser_get(void **state)
{
    (void)state;
    hc_http_req_t req;
    int n = req_parse(browser_req, &req);
    assert_int_equal(n, (int)sizeof(browser_req) - 1);
    assert_str(req.method, "GET");
    assert_str(req.target, "/static/app.js?v=1724&lang=en");
    assert_str(req.path, "/static/app.js");
    assert_str(req.query, "v=1724&lang=en");
    assert_int_equal(req.authority.len, 0);
    assert_int_equal(req.minor_version, 1);
    assert_int_equal(req.num_headers, 8);
    assert_str(req.headers[0].name, "Host");
    assert_str(req.headers[0].value, "www.example.com");
    assert_str(req.headers[7].name, "Cookie");
    assert_str(req.headers[7].value, "session=4f2a9c1e7b; theme=dark");
    assert_str(req.host, "www.example.com");
    assert_int_equal(req.body, HC_HTTP_BODY_NONE);
    assert_true(req.keep_alive);
    assert_false(req.upgrade);
    assert_false(req.expect_continue);
    assert_int_equal(req.status, 0);
    const hc_http_header_t *h =
        hc_http_header_find(req.headers, req.num_headers, HC_STR_LIT("accept-LANGUAGE"));
    assert_non_null(h);
    assert_str(h->value, "en-US,en;q=0.9");
    assert_null(hc_http_header_find(req.headers, req.num_headers, HC_STR_LIT("Accept-Lang")));
    hc_test_guard_free_all();
}

static void test_request_split_at_every_offset(void **state)
{
    (void)state;
    static const char post[] = "POST /api/v1/apps HTTP/1.1\r\nHost: api.hearth.test:9022\r\n"
                               "Content-Type: application/json\r\nContent-Length: 27\r\n"
                               "Expect: 100-continue\r\n\r\n{\"name\":\"x\"}";
    static const char chunked[] =
        "PUT /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
        "X-Empty:\r\nX-Trim: \t padded value \t \r\n\r\n5\r\nhello\r\n";
    static const char lead[] = "\r\n\r\nGET / HTTP/1.0\r\n\r\n";
    check_req_splits(browser_req, sizeof(browser_req) - 1);
    check_req_splits(post, sizeof(post) - 1);
    check_req_splits(chunked, sizeof(chunked) - 1);
    check_req_splits(lead, sizeof(lead) - 1);
}

static void test_request_pipelined(void **state)
{
    (void)state;
    static const char in[] = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"
                             "POST /b HTTP/1.1\r\nHost: b\r\nContent-Length: 3\r\n\r\nxyz"
                             "GET /c HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n";
    hc_http_req_t req;
    const char *base;
    size_t len = sizeof(in) - 1, off = 0;
    const char *paths[] = {"/a", "/b", "/c"};

    req_parse_n(in, len, HC_ARRAY_SIZE(hdrs), &req, &base);
    for (int i = 0; i < 3; i++) {
        req.headers = hdrs;
        req.num_headers = HC_ARRAY_SIZE(hdrs);
        int n = hc_http_parse_request(base + off, len - off, 0, &req);
        assert_true(n > 0);
        assert_str(req.path, paths[i]);
        off += (size_t)n;
        if (req.body == HC_HTTP_BODY_LENGTH)
            off += req.content_length;
        assert_int_equal(req.keep_alive, i != 2);
    }
    assert_int_equal(off, len);
    hc_test_guard_free_all();
}

static void test_request_incomplete_returns_again(void **state)
{
    (void)state;
    hc_http_req_t req;
    assert_int_equal(req_parse("", &req), HC_AGAIN);
    assert_int_equal(req_parse("G", &req), HC_AGAIN);
    assert_int_equal(req_parse("GET / HTTP/1.1\r\nHost: exa", &req), HC_AGAIN);
    assert_int_equal(req_parse("GET / HTTP/1.1\r\nHost: example\r\n\r", &req), HC_AGAIN);
    /* a complete request line is judged at once */
    assert_int_equal(req_parse("GET / HTTP/2.0\r\nHo", &req), HC_EPROTO);
    assert_int_equal(req.status, 505);
    assert_int_equal(req_parse("GET apps HTTP/1.1\r\nHo", &req), HC_EPROTO);
    assert_int_equal(req.status, 400);
    assert_int_equal(req_parse("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", &req), HC_EPROTO);
    assert_int_equal(req.status, 400);
    assert_int_equal(req_parse("GET / HTTP/1.1\r\nHost: h\r\nX: \x01", &req), HC_EPROTO);
    assert_int_equal(req.status, 400);
    assert_int_equal(req_parse("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb", &req), HC_EPROTO);
    assert_int_equal(req_parse("GET / HTTP/1.1\r\nHost: h\r\nX: a\r", &req), HC_AGAIN);
    hc_test_guard_free_all();
}

static void test_request_framing(void **state)
{
    (void)state;
    hc_http_req_t req;
    assert_true(req_parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 42\r\n\r\n", &req) > 0);
    assert_int_equal(req.body, HC_HTTP_BODY_LENGTH);
    assert_int_equal(req.content_length, 42);
    /* identical duplicates agree */
    assert_true(req_parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n"
                          "content-length: 7\r\n\r\n",
                          &req) > 0);
    assert_int_equal(req.content_length, 7);
    assert_true(req_parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", &req) > 0);
    assert_int_equal(req.body, HC_HTTP_BODY_LENGTH);
    assert_int_equal(req.content_length, 0);
    assert_true(
        req_parse("POST / HTTP/1.1\r\nHost: h\r\ntransfer-encoding: Chunked\r\n\r\n", &req) > 0);
    assert_int_equal(req.body, HC_HTTP_BODY_CHUNKED);
    assert_true(
        req_parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775807\r\n\r\n",
                  &req) > 0);
    assert_int_equal(req.content_length, INT64_MAX);
    hc_test_guard_free_all();
}

static void test_request_connection_semantics(void **state)
{
    (void)state;
    hc_http_req_t req;
    assert_true(req_parse("GET / HTTP/1.0\r\n\r\n", &req) > 0);
    assert_int_equal(req.minor_version, 0);
    assert_false(req.keep_alive);
    assert_int_equal(req.host.len, 0);
    assert_true(req_parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &req) > 0);
    assert_true(req.keep_alive);
    assert_true(req_parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, close\r\n\r\n", &req) > 0);
    assert_false(req.keep_alive);
    assert_true(req_parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n"
                          "Connection: close\r\n\r\n",
                          &req) > 0);
    assert_false(req.keep_alive);
    /* WebSocket handshake */
    assert_true(req_parse("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
                          "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
                          &req) > 0);
    assert_true(req.upgrade);
    assert_true(req.keep_alive);
    assert_true(req_parse("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n\r\n", &req) > 0);
    assert_false(req.upgrade);
    assert_true(req_parse("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n", &req) > 0);
    assert_false(req.upgrade);
    /* Expect */
    assert_true(req_parse("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n"
                          "Content-Length: 1\r\n\r\n",
                          &req) > 0);
    assert_true(req.expect_continue);
    assert_true(
        req_parse("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n", &req) > 0);
    assert_false(req.expect_continue);
    hc_test_guard_free_all();
}

static void test_request_targets(void **state)
{
    (void)state;
    hc_http_req_t req;
    assert_true(req_parse("GET http://app.example.com:8080/a/b?x=1 HTTP/1.1\r\nHost: other\r\n\r\n",
                          &req) > 0);
    assert_str(req.authority, "app.example.com:8080");
    assert_str(req.path, "/a/b");
    assert_str(req.query, "x=1");
    assert_str(req.host, "other");
    assert_true(req_parse("GET https://h HTTP/1.1\r\nHost: h\r\n\r\n", &req) > 0);
    assert_str(req.authority, "h");
    assert_int_equal(req.path.len, 0);
    assert_true(
        req_parse("CONNECT db.example.com:5432 HTTP/1.1\r\nHost: db.example.com:5432\r\n\r\n",
                  &req) > 0);
    assert_str(req.authority, "db.example.com:5432");
    assert_true(req_parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", &req) > 0);
    assert_str(req.path, "*");
    assert_true(req_parse("GET /?only-query HTTP/1.1\r\nHost: h\r\n\r\n", &req) > 0);
    assert_str(req.path, "/");
    assert_str(req.query, "only-query");
    assert_true(req_parse("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", &req) > 0);
    assert_str(req.path, "/caf\xc3\xa9");
    assert_true(req_parse("DELETE /x HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", &req) > 0);
    assert_str(req.method, "DELETE");
    assert_str(req.host, "[::1]:8080");
    hc_test_guard_free_all();
}

static void test_request_versions(void **state)
{
    (void)state;
    hc_http_req_t req;
    expect_req_error("GET / HTTP/2.0\r\nHost: h\r\n\r\n", HC_EPROTO, 505);
    expect_req_error("GET / HTTP/0.9\r\n\r\n", HC_EPROTO, 505);
    expect_req_error("GET / HTTP/3.0\r\n", HC_EPROTO, 505);
    expect_req_error("GET / http/1.1\r\nHost: h\r\n\r\n", HC_EPROTO, 400);
    expect_req_error("GET / HTTP/1.1x\r\nHost: h\r\n\r\n", HC_EPROTO, 400);
    expect_req_error("GET / HTTP/1\r\nHost: h\r\n\r\n", HC_EPROTO, 400);
    expect_req_error("GET /\r\n\r\n", HC_EPROTO, 400);
    assert_true(req_parse("GET / HTTP/1.2\r\nHost: h\r\n\r\n", &req) > 0);
    assert_int_equal(req.minor_version, 1);
    hc_test_guard_free_all();
}

static void test_request_malformed_is_400(void **state)
{
    (void)state;
    static const char *const bad[] = {
        /* request line */
        "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
        "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n",
        " GET / HTTP/1.1\r\nHost: h\r\n\r\n",
        "G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\rHost: h\r\n\r\n",
        "\r\rGET / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET * HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET example.com:80 HTTP/1.1\r\nHost: h\r\n\r\n",
        "CONNECT /x HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET 1http://x/ HTTP/1.1\r\nHost: h\r\n\r\n",
        /* fields */
        "GET / HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n b\r\n\r\n",
        "GET / HTTP/1.1\r\n Host: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n: empty\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nNo-Colon\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\nY: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\nX: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n\n",
        "GET / HTTP/1.1\r\nHost: h\r\n\r\r",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\x1b[0m\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX\x01: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX\xc3\xa9: a\r\n\r\n",
        /* Host */
        "GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: user@h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h/x\r\n\r\n",
        "GET http://a b/ HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET http://user:pw@h/ HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET http:/x HTTP/1.1\r\nHost: h\r\n\r\n",
    };
    for (size_t i = 0; i < HC_ARRAY_SIZE(bad); i++)
        expect_req_error(bad[i], HC_EPROTO, 400);
    /* NUL needs an explicit length */
    static const char nul[] = "GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n";
    hc_http_req_t req;
    assert_int_equal(req_parse_n(nul, sizeof(nul) - 1, 8, &req, NULL), HC_EPROTO);
    assert_int_equal(req.status, 400);
    hc_test_guard_free_all();
}

static void test_request_smuggling_is_refused(void **state)
{
    (void)state;
    static const char *const bad400[] = {
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775808\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
        "Transfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ,\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked;q=1\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \"chunked\"\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n",
        "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\x0b"
        "chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nX: y\r\n Transfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nX: y\nTransfer-Encoding: chunked\r\n\r\n",
    };
    for (size_t i = 0; i < HC_ARRAY_SIZE(bad400); i++)
        expect_req_error(bad400[i], HC_EPROTO, 400);
    expect_req_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                     HC_EPROTO, 501);
    expect_req_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n",
                     HC_EPROTO, 501);
    /* a tab is OWS: the value is still "chunked" */
    hc_http_req_t req;
    assert_true(
        req_parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\tchunked\t\r\n\r\n", &req) > 0);
    assert_int_equal(req.body, HC_HTTP_BODY_CHUNKED);
    hc_test_guard_free_all();
}

static void test_request_values_are_trimmed(void **state)
{
    (void)state;
    hc_http_req_t req;
    assert_true(req_parse("GET / HTTP/1.1\r\nHost:h\r\nX-A:  a b \t\r\nX-B:\r\nX-C: \t \r\n"
                          "X-Utf8: caf\xc3\xa9\r\nX-Tab: a\tb\r\n\r\n",
                          &req) > 0);
    assert_int_equal(req.num_headers, 6);
    assert_str(req.headers[0].value, "h");
    assert_str(req.headers[1].value, "a b");
    assert_str(req.headers[2].value, "");
    assert_str(req.headers[3].value, "");
    assert_str(req.headers[4].value, "caf\xc3\xa9");
    assert_str(req.headers[5].value, "a\tb");
    hc_test_guard_free_all();
}

/* Builds "GET /<pad> HTTP/1.1\r\n" whose request line is exactly line_len bytes. */
static size_t build_line(char *out, size_t line_len)
{
    size_t pad = line_len - strlen("GET / HTTP/1.1");
    memcpy(out, "GET /", 5);
    memset(out + 5, 'a', pad);
    memcpy(out + 5 + pad, " HTTP/1.1\r\n", 11);
    return 5 + pad + 11;
}

static void test_request_line_limit_is_414(void **state)
{
    (void)state;
    static char buf[3 * HC_HTTP_MAX_REQUEST_LINE];
    hc_http_req_t req;
    size_t n = build_line(buf, HC_HTTP_MAX_REQUEST_LINE);
    memcpy(buf + n, "Host: h\r\n\r\n", 11);
    assert_int_equal(req_parse_n(buf, n + 11, 8, &req, NULL), (int)(n + 11));
    n = build_line(buf, HC_HTTP_MAX_REQUEST_LINE + 1);
    memcpy(buf + n, "Host: h\r\n\r\n", 11);
    assert_int_equal(req_parse_n(buf, n + 11, 8, &req, NULL), HC_ETOOBIG);
    assert_int_equal(req.status, 414);
    /* detected before the head is complete, and with last_len */
    assert_int_equal(req_parse_n(buf, HC_HTTP_MAX_REQUEST_LINE + 1, 8, &req, NULL), HC_ETOOBIG);
    assert_int_equal(req.status, 414);
    assert_int_equal(req_parse_n(buf, HC_HTTP_MAX_REQUEST_LINE, 8, &req, NULL), HC_AGAIN);
    const char *g = hc_test_guard(buf, HC_HTTP_MAX_REQUEST_LINE + 100);
    assert_int_equal(hc_http_parse_request(g, HC_HTTP_MAX_REQUEST_LINE + 100, 4000, &req),
                     HC_ETOOBIG);
    assert_int_equal(req.status, 414);
    hc_test_guard_free_all();
}

static void test_request_head_limits_are_431(void **state)
{
    (void)state;
    static char buf[2 * HC_HTTP_MAX_HEAD];
    hc_http_req_t req;
    size_t n;

    /* more fields than the caller's capacity */
    n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n");
    assert_int_equal(req_parse_n(buf, n, 4, &req, NULL), (int)n);
    assert_int_equal(req_parse_n(buf, n, 3, &req, NULL), HC_ETOOBIG);
    assert_int_equal(req.status, 431);
    /* more than HC_HTTP_MAX_HEADERS whatever the capacity */
    static hc_http_header_t big[HC_HTTP_MAX_HEADERS + 10];
    n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\nHost: h\r\n");
    for (int i = 0; i < HC_HTTP_MAX_HEADERS; i++)
        n += (size_t)sprintf(buf + n, "X-%d: v\r\n", i);
    n += (size_t)sprintf(buf + n, "\r\n");
    const char *g = hc_test_guard(buf, n);
    memset(&req, 0, sizeof(req));
    req.headers = big;
    req.num_headers = HC_ARRAY_SIZE(big);
    assert_int_equal(hc_http_parse_request(g, n, 0, &req), HC_ETOOBIG);
    assert_int_equal(req.status, 431);
    /* a head of more than 64 KiB, complete or not */
    n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\nHost: h\r\n");
    while (n < HC_HTTP_MAX_HEAD + 100) {
        memcpy(buf + n, "Cookie: ", 8);
        memset(buf + n + 8, 'c', 4000);
        memcpy(buf + n + 4008, "\r\n", 2);
        n += 4010;
    }
    memcpy(buf + n, "\r\n", 2);
    assert_int_equal(req_parse_n(buf, n + 2, 8, &req, NULL), HC_ETOOBIG);
    assert_int_equal(req.status, 431);
    assert_int_equal(req_parse_n(buf, n, 8, &req, NULL), HC_ETOOBIG);
    assert_int_equal(req.status, 431);
    g = hc_test_guard(buf, n);
    assert_int_equal(hc_http_parse_request(g, n, n - 5000, &req), HC_ETOOBIG);
    assert_int_equal(req.status, 431);
    /* exactly 64 KiB fits */
    size_t fill = HC_HTTP_MAX_HEAD - strlen("GET / HTTP/1.1\r\nHost: h\r\nX: \r\n\r\n");
    n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\nHost: h\r\nX: ");
    memset(buf + n, 'x', fill);
    n += fill;
    n += (size_t)sprintf(buf + n, "\r\n\r\n");
    assert_int_equal(n, HC_HTTP_MAX_HEAD);
    assert_int_equal(req_parse_n(buf, n, 8, &req, NULL), (int)n);
    buf[n] = 'G';
    assert_int_equal(req_parse_n(buf, n + 1, 8, &req, NULL), (int)n);
    hc_test_guard_free_all();
}

static void test_request_trickled_big_head_with_last_len(void **state)
{
    (void)state;
    static char buf[HC_HTTP_MAX_HEAD + 8192];
    static hc_http_header_t h[HC_HTTP_MAX_HEADERS];
    hc_http_req_t req;
    size_t n = (size_t)sprintf(buf, "GET /big HTTP/1.1\r\nHost: h\r\n");
    for (int i = 0; i < 60; i++) {
        n += (size_t)sprintf(buf + n, "X-Pad-%02d: ", i);
        memset(buf + n, 'a' + i % 26, 900);
        n += 900;
        n += (size_t)sprintf(buf + n, "\r\n");
    }
    n += (size_t)sprintf(buf + n, "\r\n");
    assert_true(n < HC_HTTP_MAX_HEAD);
    /* fed in 997-byte reads, the head completes only at the last one */
    size_t last = 0;
    for (size_t k = 997;; k += 997) {
        size_t len = HC_MIN(k, n);
        const char *g = hc_test_guard(buf, len);
        memset(&req, 0, sizeof(req));
        req.headers = h;
        req.num_headers = HC_ARRAY_SIZE(h);
        int r = hc_http_parse_request(g, len, last, &req);
        if (len < n) {
            assert_int_equal(r, HC_AGAIN);
            last = len;
            continue;
        }
        assert_int_equal(r, (int)n);
        assert_int_equal(req.num_headers, 61);
        assert_int_equal(req.headers[60].value.len, 900);
        break;
    }
    /* growing past the limit without an end gives 431 at once */
    memset(buf + n - 2, 'z', sizeof(buf) - n + 2);
    const char *g = hc_test_guard(buf, HC_HTTP_MAX_HEAD + 1);
    memset(&req, 0, sizeof(req));
    req.headers = h;
    req.num_headers = HC_ARRAY_SIZE(h);
    assert_int_equal(hc_http_parse_request(g, HC_HTTP_MAX_HEAD + 1, HC_HTTP_MAX_HEAD - 10, &req),
                     HC_ETOOBIG);
    assert_int_equal(req.status, 431);
    hc_test_guard_free_all();
}

static void test_request_max_headers_fit(void **state)
{
    (void)state;
    static char buf[8192];
    static hc_http_header_t h[HC_HTTP_MAX_HEADERS];
    hc_http_req_t req;
    size_t n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\nHost: h\r\n");
    for (int i = 1; i < HC_HTTP_MAX_HEADERS; i++)
        n += (size_t)sprintf(buf + n, "X-%d: %d\r\n", i, i);
    n += (size_t)sprintf(buf + n, "\r\n");
    const char *g = hc_test_guard(buf, n);
    memset(&req, 0, sizeof(req));
    req.headers = h;
    req.num_headers = HC_ARRAY_SIZE(h);
    assert_int_equal(hc_http_parse_request(g, n, 0, &req), (int)n);
    assert_int_equal(req.num_headers, HC_HTTP_MAX_HEADERS);
    assert_str(req.headers[99].value, "99");
    /* on HC_AGAIN and errors num_headers keeps the capacity */
    req.num_headers = 7;
    assert_int_equal(hc_http_parse_request(g, 40, 0, &req), HC_AGAIN);
    assert_int_equal(req.num_headers, 7);
    assert_int_equal(hc_http_parse_request(g, n, 0, &req), HC_ETOOBIG);
    assert_int_equal(req.num_headers, 7);
    hc_test_guard_free_all();
}

/* ---- responses ---- */

static int resp_parse(const char *s, bool head, hc_http_resp_t *resp)
{
    size_t len = strlen(s);
    const char *g = hc_test_guard(s, len);
    memset(resp, 0, sizeof(*resp));
    resp->headers = hdrs;
    resp->num_headers = HC_ARRAY_SIZE(hdrs);
    return hc_http_parse_response(g, len, 0, head, resp);
}

static void test_response_framing(void **state)
{
    (void)state;
    hc_http_resp_t r;
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 12\r\n"
                             "\r\nhello world!";
    assert_int_equal(resp_parse(ok, false, &r), (int)sizeof(ok) - 1 - 12);
    assert_int_equal(r.status_code, 200);
    assert_str(r.reason, "OK");
    assert_int_equal(r.minor_version, 1);
    assert_int_equal(r.num_headers, 2);
    assert_int_equal(r.body, HC_HTTP_BODY_LENGTH);
    assert_int_equal(r.content_length, 12);
    assert_true(r.keep_alive);
    assert_true(resp_parse(ok, true, &r) > 0);
    assert_int_equal(r.body, HC_HTTP_BODY_NONE);
    assert_true(
        resp_parse("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n", false, &r) > 0);
    assert_int_equal(r.body, HC_HTTP_BODY_CHUNKED);
    assert_str(r.reason, "Not Found");
    assert_true(
        resp_parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", false, &r) > 0);
    assert_int_equal(r.body, HC_HTTP_BODY_CHUNKED);
    assert_true(resp_parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false, &r) > 0);
    assert_int_equal(r.body, HC_HTTP_BODY_UNTIL_CLOSE);
    assert_false(r.keep_alive);
    assert_true(resp_parse("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n", false, &r) > 0);
    assert_int_equal(r.body, HC_HTTP_BODY_UNTIL_CLOSE);
    assert_false(r.keep_alive);
    static const char *const nobody[] = {"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
                                         "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n",
                                         "HTTP/1.1 100 Continue\r\n\r\n",
                                         "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"};
    for (size_t i = 0; i < HC_ARRAY_SIZE(nobody); i++) {
        assert_true(resp_parse(nobody[i], false, &r) > 0);
        assert_int_equal(r.body, HC_HTTP_BODY_NONE);
        assert_true(r.keep_alive);
    }
    assert_true(resp_parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\n\r\n",
                           false, &r) > 0);
    assert_true(r.upgrade);
    assert_int_equal(r.body, HC_HTTP_BODY_NONE);
    /* request-only fields mean nothing in a response */
    assert_true(resp_parse("HTTP/1.1 200 OK\r\nHost: not a host\r\nHost: x\r\n"
                           "Expect: 100-continue\r\nContent-Length: 0\r\n\r\n",
                           false, &r) > 0);
    assert_true(resp_parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false, &r) > 0);
    assert_false(r.keep_alive);
    assert_int_equal(r.minor_version, 0);
    assert_true(resp_parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
                           false, &r) > 0);
    assert_true(r.keep_alive);
    assert_true(resp_parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                           false, &r) > 0);
    assert_false(r.keep_alive);
    hc_test_guard_free_all();
}

static void test_response_status_line_forms(void **state)
{
    (void)state;
    hc_http_resp_t r;
    assert_int_equal(resp_parse("HTTP/1.1 200\r\n\r\n", false, &r), 16);
    assert_int_equal(r.reason.len, 0);
    assert_true(resp_parse("HTTP/1.1 200 \r\n\r\n", false, &r) > 0);
    assert_int_equal(r.reason.len, 0);
    assert_true(resp_parse("HTTP/1.1 599 Custom Thing\t(x)\r\n\r\n", false, &r) > 0);
    assert_int_equal(r.status_code, 599);
    assert_str(r.reason, "Custom Thing\t(x)");
    static const char *const bad[] = {
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 099 X\r\n\r\n",
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/2.0 200 OK\r\n\r\n",
        "HTTP/1.1  200 OK\r\n\r\n",
        "http/1.1 200 OK\r\n\r\n",
        "HTTP/1.1 200 O\x01K\r\n\r\n",
        "HTTP/1.1 200 OK\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX : a\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
        "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        "XTTP/1.1",
        "SSH-2.0-OpenSSH",
    };
    for (size_t i = 0; i < HC_ARRAY_SIZE(bad); i++) {
        int got = resp_parse(bad[i], false, &r);
        if (got != HC_EPROTO || r.status != 502)
            fail_msg("input %s: got %d/%d", bad[i], got, r.status);
    }
    assert_int_equal(resp_parse("HTTP/1.", false, &r), HC_AGAIN);
    assert_int_equal(resp_parse("HTTP/1.1 200 OK\r\n", false, &r), HC_AGAIN);
    hc_test_guard_free_all();
}

static void test_response_split_and_pipelined(void **state)
{
    (void)state;
    static const char in[] = "HTTP/1.1 100 Continue\r\n\r\n"
                             "HTTP/1.1 201 Created\r\nLocation: /apps/1\r\nContent-Length: 2\r\n"
                             "Date: Tue, 24 Nov 2026 10:00:00 GMT\r\n\r\n{}";
    size_t len = sizeof(in) - 1;
    hc_http_resp_t r;
    const char *g = hc_test_guard(in, len);
    memset(&r, 0, sizeof(r));
    r.headers = hdrs;
    r.num_headers = HC_ARRAY_SIZE(hdrs);
    int n1 = hc_http_parse_response(g, len, 0, false, &r);
    assert_int_equal(n1, 25);
    assert_int_equal(r.status_code, 100);
    r.num_headers = HC_ARRAY_SIZE(hdrs);
    int n2 = hc_http_parse_response(g + n1, len - (size_t)n1, 0, false, &r);
    assert_int_equal((size_t)n1 + (size_t)n2 + 2, len);
    assert_int_equal(r.status_code, 201);
    assert_int_equal(r.num_headers, 3);
    /* every split of the second head */
    const char *s = in + n1;
    size_t slen = len - (size_t)n1;
    size_t last = 0;
    for (size_t k = 1; k <= slen; k++) {
        const char *pg = hc_test_guard(s, k);
        memset(&r, 0, sizeof(r));
        r.headers = hdrs;
        r.num_headers = HC_ARRAY_SIZE(hdrs);
        assert_int_equal(hc_http_parse_response(pg, k, 0, false, &r),
                         k < (size_t)n2 ? HC_AGAIN : n2);
        r.num_headers = HC_ARRAY_SIZE(hdrs);
        int got = hc_http_parse_response(pg, k, last, false, &r);
        if (k < (size_t)n2) {
            assert_int_equal(got, HC_AGAIN);
            last = k;
        } else {
            assert_int_equal(got, n2);
            assert_int_equal(r.content_length, 2);
            assert_str(r.headers[2].value, "Tue, 24 Nov 2026 10:00:00 GMT");
        }
        if (k % 64 == 0)
            hc_test_guard_free_all();
    }
    hc_test_guard_free_all();
}

static void test_response_too_long(void **state)
{
    (void)state;
    static char buf[HC_HTTP_MAX_HEAD + 16];
    hc_http_resp_t r;
    memcpy(buf, "HTTP/1.1 200 ", 13);
    memset(buf + 13, 'r', sizeof(buf) - 13);
    const char *g = hc_test_guard(buf, HC_HTTP_MAX_REQUEST_LINE + 1);
    memset(&r, 0, sizeof(r));
    r.headers = hdrs;
    r.num_headers = 8;
    assert_int_equal(hc_http_parse_response(g, HC_HTTP_MAX_REQUEST_LINE + 1, 0, false, &r),
                     HC_ETOOBIG);
    assert_int_equal(r.status, 502);
    hc_test_guard_free_all();
}

static void test_reason_phrases(void **state)
{
    (void)state;
    assert_string_equal(hc_http_reason(200), "OK");
    assert_string_equal(hc_http_reason(404), "Not Found");
    assert_string_equal(hc_http_reason(414), "URI Too Long");
    assert_string_equal(hc_http_reason(431), "Request Header Fields Too Large");
    assert_string_equal(hc_http_reason(502), "Bad Gateway");
    assert_string_equal(hc_http_reason(505), "HTTP Version Not Supported");
    assert_string_equal(hc_http_reason(799), "Unknown");
    assert_string_equal(hc_http_reason(-1), "Unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_browser_get),
        cmocka_unit_test(test_request_split_at_every_offset),
        cmocka_unit_test(test_request_pipelined),
        cmocka_unit_test(test_request_incomplete_returns_again),
        cmocka_unit_test(test_request_framing),
        cmocka_unit_test(test_request_connection_semantics),
        cmocka_unit_test(test_request_targets),
        cmocka_unit_test(test_request_versions),
        cmocka_unit_test(test_request_malformed_is_400),
        cmocka_unit_test(test_request_smuggling_is_refused),
        cmocka_unit_test(test_request_values_are_trimmed),
        cmocka_unit_test(test_request_line_limit_is_414),
        cmocka_unit_test(test_request_head_limits_are_431),
        cmocka_unit_test(test_request_trickled_big_head_with_last_len),
        cmocka_unit_test(test_request_max_headers_fit),
        cmocka_unit_test(test_response_framing),
        cmocka_unit_test(test_response_status_line_forms),
        cmocka_unit_test(test_response_split_and_pipelined),
        cmocka_unit_test(test_response_too_long),
        cmocka_unit_test(test_reason_phrases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
