/*
 * libFuzzer target for hc_http_parse_response. The first input byte picks options (HEAD
 * request, header capacity, a split point; 0xff: see fuzz_http_expand.h); the rest is the head.
 * Checks the same invariants as fuzz_http_request.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_http_expand.h"
#include "hc_http.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static hc_http_header_t hdrs_a[HC_HTTP_MAX_HEADERS], hdrs_b[HC_HTTP_MAX_HEADERS];

static void check_slice(hc_str_t s, const char *buf, size_t n)
{
    if (s.len == 0)
        return;
    CHECK(s.p >= buf && s.p + s.len <= buf + n);
}

static int parse(const char *buf, size_t len, size_t last_len, bool head, size_t cap,
                 hc_http_header_t *h, hc_http_resp_t *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->headers = h;
    resp->num_headers = cap;
    int r = hc_http_parse_response(buf, len, last_len, head, resp);
    if (r > 0) {
        CHECK((size_t)r <= len);
        check_slice(resp->reason, buf, (size_t)r);
        CHECK(resp->num_headers <= cap);
        for (size_t i = 0; i < resp->num_headers; i++) {
            CHECK(h[i].name.len > 0);
            check_slice(h[i].name, buf, (size_t)r);
            check_slice(h[i].value, buf, (size_t)r);
        }
        CHECK(resp->status_code >= 100 && resp->status_code <= 999);
        CHECK(resp->status == 0);
        if (head || resp->status_code < 200 || resp->status_code == 204 || resp->status_code == 304)
            CHECK(resp->body == HC_HTTP_BODY_NONE);
        if (resp->body == HC_HTTP_BODY_UNTIL_CLOSE)
            CHECK(!resp->keep_alive);
        CHECK(resp->upgrade == (resp->status_code == 101));
    } else if (r == HC_AGAIN) {
        CHECK(resp->status == 0);
    } else {
        CHECK(r == HC_EPROTO || r == HC_ETOOBIG);
        CHECK(resp->status == 502);
    }
    return r;
}

static void same(const hc_http_resp_t *a, const char *ab, const hc_http_resp_t *b, const char *bb)
{
#define SAME(x) CHECK(a->x.len == b->x.len && (a->x.len == 0 || a->x.p - ab == b->x.p - bb))
    SAME(reason);
    CHECK(a->num_headers == b->num_headers);
    for (size_t i = 0; i < a->num_headers; i++) {
        SAME(headers[i].name);
        SAME(headers[i].value);
    }
#undef SAME
    CHECK(a->minor_version == b->minor_version && a->status_code == b->status_code &&
          a->body == b->body && a->content_length == b->content_length &&
          a->keep_alive == b->keep_alive && a->upgrade == b->upgrade);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hc_http_resp_t a, b;

    if (size < 1)
        return 0;
    uint8_t opt = data[0];
    bool head = opt & 0x40;
    size_t len = size - 1;
    size_t cap = (opt & 0x80) ? (size_t)(opt & 0x0f) : HC_HTTP_MAX_HEADERS;
    char *buf = NULL;
    if (opt == 0xff) {
        buf = fuzz_expand(data + 1, len, &len);
        cap = HC_HTTP_MAX_HEADERS;
    }
    if (!buf) {
        len = size - 1;
        buf = malloc(len ? len : 1);
        memcpy(buf, data + 1, len);
    }
    int r = parse(buf, len, 0, head, cap, hdrs_a, &a);

    size_t k = len ? (size_t)(opt & 0x3f) * len / 64 : 0;
    if (r > 0 && (size_t)r <= k)
        k = (size_t)r - 1;
    if (k < len) {
        char *pre = malloc(k ? k : 1);
        memcpy(pre, buf, k);
        int rk = parse(pre, k, 0, head, cap, hdrs_b, &b);
        free(pre);
        if (r > 0)
            CHECK(rk == HC_AGAIN);
        if (rk == HC_AGAIN && k > 0) {
            int r2 = parse(buf, len, k, head, cap, hdrs_b, &b);
            if (r > 0) {
                CHECK(r2 == r);
                same(&a, buf, &b, buf);
            } else if (r == HC_AGAIN) {
                CHECK(r2 == HC_AGAIN);
            } else {
                CHECK(r2 < 0);
            }
        }
    }
    free(buf);
    return 0;
}
