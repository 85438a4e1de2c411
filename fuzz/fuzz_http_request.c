/*
 * libFuzzer target for hc_http_parse_request. The first input byte picks options (header
 * capacity, a split point; 0xff: see fuzz_http_expand.h), the rest is the head. Besides crashes it
 * checks invariants: slices inside the head, consumed <= len, and that parsing in two reads (with
 * last_len) agrees with parsing the whole.
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

static int parse(const char *buf, size_t len, size_t last_len, size_t cap, hc_http_header_t *h,
                 hc_http_req_t *req)
{
    memset(req, 0, sizeof(*req));
    req->headers = h;
    req->num_headers = cap;
    int r = hc_http_parse_request(buf, len, last_len, req);
    if (r > 0) {
        CHECK((size_t)r <= len);
        const hc_str_t *s[] = {&req->method, &req->target,    &req->path,
                               &req->query,  &req->authority, &req->host};
        for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
            check_slice(*s[i], buf, (size_t)r);
        CHECK(req->method.len > 0 && req->target.len > 0);
        CHECK(req->num_headers <= cap && req->num_headers <= HC_HTTP_MAX_HEADERS);
        for (size_t i = 0; i < req->num_headers; i++) {
            CHECK(h[i].name.len > 0);
            check_slice(h[i].name, buf, (size_t)r);
            check_slice(h[i].value, buf, (size_t)r);
        }
        CHECK(req->minor_version == 0 || req->minor_version == 1);
        CHECK(req->status == 0);
        CHECK(req->body == HC_HTTP_BODY_NONE || req->body == HC_HTTP_BODY_LENGTH ||
              req->body == HC_HTTP_BODY_CHUNKED);
        CHECK(req->body == HC_HTTP_BODY_LENGTH || req->content_length == 0);
    } else if (r == HC_AGAIN) {
        CHECK(req->status == 0);
        CHECK(len <= HC_HTTP_MAX_HEAD);
    } else {
        CHECK(r == HC_EPROTO || r == HC_ETOOBIG);
        CHECK(req->status == 400 || req->status == 414 || req->status == 431 ||
              req->status == 501 || req->status == 505);
        CHECK((r == HC_ETOOBIG) == (req->status == 414 || req->status == 431));
    }
    return r;
}

static void same(const hc_http_req_t *a, const char *ab, const hc_http_req_t *b, const char *bb)
{
#define SAME(x) CHECK(a->x.len == b->x.len && (a->x.len == 0 || a->x.p - ab == b->x.p - bb))
    SAME(method);
    SAME(target);
    SAME(path);
    SAME(query);
    SAME(authority);
    SAME(host);
    CHECK(a->num_headers == b->num_headers);
    for (size_t i = 0; i < a->num_headers; i++) {
        SAME(headers[i].name);
        SAME(headers[i].value);
    }
#undef SAME
    CHECK(a->minor_version == b->minor_version && a->body == b->body &&
          a->content_length == b->content_length && a->keep_alive == b->keep_alive &&
          a->upgrade == b->upgrade && a->expect_continue == b->expect_continue);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hc_http_req_t a, b;

    if (size < 1)
        return 0;
    uint8_t opt = data[0];
    size_t len = size - 1;
    size_t cap = (opt & 0x80) ? (size_t)(opt & 0x0f) : HC_HTTP_MAX_HEADERS;
    /* exact-size heap copies, so any read past len is caught by ASan */
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
    int r = parse(buf, len, 0, cap, hdrs_a, &a);

    size_t k = len ? (size_t)(opt & 0x7f) * len / 128 : 0;
    if (r > 0 && (size_t)r > k)
        ; /* split inside the head */
    else if (r > 0)
        k = (size_t)r - 1;
    if (k < len) {
        char *pre = malloc(k ? k : 1);
        memcpy(pre, buf, k);
        int rk = parse(pre, k, 0, cap, hdrs_b, &b);
        free(pre);
        if (r > 0)
            CHECK(rk == HC_AGAIN); /* a prefix of a good head is incomplete, never an error */
        if (rk == HC_AGAIN && k > 0) {
            int r2 = parse(buf, len, k, cap, hdrs_b, &b);
            if (r > 0) {
                CHECK(r2 == r);
                same(&a, buf, &b, buf);
            } else if (r == HC_AGAIN) {
                CHECK(r2 == HC_AGAIN);
            } else {
                CHECK(r2 < 0); /* an error now or once the head completes */
            }
        }
    }
    /* the head alone parses the same: nothing after it was looked at */
    if (r > 0 && (size_t)r < len) {
        char *head = malloc((size_t)r);
        memcpy(head, buf, (size_t)r);
        CHECK(parse(head, (size_t)r, 0, cap, hdrs_b, &b) == r);
        same(&a, buf, &b, head);
        free(head);
    }
    free(buf);
    return 0;
}
