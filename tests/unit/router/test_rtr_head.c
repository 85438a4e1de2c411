/* Tests for src/router/rtr_head.c: hop-by-hop removal, forwarding headers, sticky cookies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "rtr_head.h"

static hc_http_header_t hs[HC_HTTP_MAX_HEADERS];

static void parse_req(const char *s, hc_http_req_t *req)
{
    memset(req, 0, sizeof(*req));
    req->headers = hs;
    req->num_headers = HC_HTTP_MAX_HEADERS;
    const char *g = hc_test_guard_str(s);
    assert_true(hc_http_parse_request(g, strlen(s), 0, req) > 0);
}

static void parse_resp(const char *s, hc_http_resp_t *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->headers = hs;
    resp->num_headers = HC_HTTP_MAX_HEADERS;
    const char *g = hc_test_guard_str(s);
    assert_true(hc_http_parse_response(g, strlen(s), 0, false, resp) > 0);
}

static void test_request_rewrite(void **state)
{
    (void)state;
    hc_http_req_t req;
    parse_req("POST /a?b HTTP/1.0\r\nHost: x.com\r\nConnection: keep-alive, X-Hop\r\n"
              "X-Hop: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nX-Forwarded-For: 1.1.1.1\r\n"
              "X-Forwarded-For: 2.2.2.2\r\nX-CF-InstanceID: evil\r\nX-CF-ApplicationID: evil\r\n"
              "Cookie: a=1; __VCAP_ID__=inst-7; b=2\r\nX-CF-App-Instance: g:3\r\n"
              "traceparent: bogus\r\nContent-Length: 3\r\n\r\n",
              &req);
    hc_buf_t out;
    hc_buf_init(&out, 0);
    rtr_head_in_t in = {"9.9.9.9", "http", 1234};
    rtr_head_out_t ret;
    rtr_head_request(&out, &req, &in, &ret);
    rtr_head_backend(&out, "app1", "inst-7", "2");
    const char *o = out.data;
    assert_true(strncmp(o, "POST /a?b HTTP/1.1\r\nHost: x.com\r\n", 33) == 0);
    assert_null(strstr(o, "Connection"));
    assert_null(strstr(o, "X-Hop"));
    assert_null(strstr(o, "Keep-Alive"));
    assert_null(strstr(o, "TE:"));
    assert_null(strstr(o, "evil"));
    assert_null(strstr(o, "bogus"));
    assert_non_null(strstr(o, "\r\nX-Forwarded-For: 1.1.1.1, 2.2.2.2, 9.9.9.9\r\n"));
    assert_non_null(strstr(o, "\r\nX-Forwarded-Proto: http\r\n"));
    assert_non_null(strstr(o, "\r\nX-Request-Start: 1234\r\n"));
    assert_non_null(strstr(o, "\r\nContent-Length: 3\r\n"));
    assert_non_null(strstr(o, "\r\ntraceparent: 00-"));
    assert_non_null(strstr(o, "\r\nX-CF-ApplicationID: app1\r\nX-CF-InstanceID: inst-7\r\n"
                              "X-CF-InstanceIndex: 2\r\n\r\n"));
    assert_true(hc_uuid_valid(ret.request_id, strlen(ret.request_id)));
    assert_true(hc_str_eq(ret.vcap_id, HC_STR_LIT("inst-7")));
    assert_true(hc_str_eq(ret.app_instance, HC_STR_LIT("g:3")));
    /* The generated traceparent is itself valid. */
    const char *tp = strstr(o, "traceparent: ") + 13;
    assert_true(rtr_traceparent_valid(hc_str(tp, 55)));
    hc_buf_release(&out);
}

static void test_connection_cannot_drop_framing(void **state)
{
    (void)state;
    hc_http_req_t req;
    parse_req("POST / HTTP/1.1\r\nHost: x\r\nConnection: Content-Length, Host\r\n"
              "Content-Length: 4\r\n\r\n",
              &req);
    hc_buf_t out;
    hc_buf_init(&out, 0);
    rtr_head_in_t in = {"1.2.3.4", "https", 1};
    rtr_head_out_t ret;
    rtr_head_request(&out, &req, &in, &ret);
    assert_non_null(strstr(out.data, "Content-Length: 4\r\n"));
    assert_non_null(strstr(out.data, "Host: x\r\n"));
    assert_non_null(strstr(out.data, "X-Forwarded-Proto: https\r\n"));
    hc_buf_release(&out);
}

static void test_upgrade_kept_for_websocket(void **state)
{
    (void)state;
    hc_http_req_t req;
    parse_req("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
              &req);
    assert_true(req.upgrade);
    hc_buf_t out;
    hc_buf_init(&out, 0);
    rtr_head_in_t in = {"1.2.3.4", "http", 1};
    rtr_head_out_t ret;
    rtr_head_request(&out, &req, &in, &ret);
    assert_non_null(strstr(out.data, "Upgrade: websocket\r\n"));
    assert_non_null(strstr(out.data, "Connection: Upgrade\r\n"));
    hc_buf_release(&out);
}

static void test_response_sticky_cookie(void **state)
{
    (void)state;
    hc_http_resp_t resp;
    parse_resp(
        "HTTP/1.1 200 OK\r\nSet-Cookie: other=1\r\nSet-Cookie: JSESSIONID=abc; Path=/x; "
        "Secure\r\nConnection: keep-alive\r\nKeep-Alive: timeout=4\r\nContent-Length: 0\r\n\r\n",
        &resp);
    hc_buf_t out;
    hc_buf_init(&out, 0);
    rtr_resp_in_t in = {.instance_id = "inst-1", .request_id = "rid", .close = true};
    rtr_head_response(&out, &resp, &in);
    const char *o = out.data;
    assert_true(strncmp(o, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_non_null(strstr(o, "Set-Cookie: __VCAP_ID__=inst-1; Path=/x; Secure\r\n"));
    assert_non_null(strstr(o, "X-Vcap-Request-Id: rid\r\n"));
    assert_non_null(strstr(o, "Connection: close\r\n\r\n"));
    assert_null(strstr(o, "keep-alive"));
    assert_null(strstr(o, "Keep-Alive"));
    hc_buf_release(&out);

    /* No session cookie, or one the app already pinned: nothing added. */
    parse_resp("HTTP/1.1 204 No Content\r\nSet-Cookie: JSESSIONID=1\r\nSet-Cookie: __VCAP_ID__=z"
               "\r\n\r\n",
               &resp);
    hc_buf_init(&out, 0);
    rtr_resp_in_t in2 = {.instance_id = "inst-1", .keep_alive10 = true};
    rtr_head_response(&out, &resp, &in2);
    assert_null(strstr(out.data, "inst-1"));
    assert_non_null(strstr(out.data, "Connection: keep-alive\r\n"));
    hc_buf_release(&out);
}

static void test_cookie_and_instance_parsing(void **state)
{
    (void)state;
    hc_str_t v =
        rtr_cookie_get(HC_STR_LIT("a=1;b=2; __VCAP_ID__=\"q\" ;c"), HC_STR_LIT("__VCAP_ID__"));
    assert_true(hc_str_eq(v, HC_STR_LIT("q")));
    assert_int_equal(rtr_cookie_get(HC_STR_LIT("x__VCAP_ID__=1"), HC_STR_LIT("__VCAP_ID__")).len,
                     0);
    assert_int_equal(rtr_cookie_get(HC_STR_LIT(";;=;"), HC_STR_LIT("a")).len, 0);
    hc_str_t app, idx;
    assert_true(rtr_app_instance_split(HC_STR_LIT("guid:12"), &app, &idx));
    assert_true(hc_str_eq(idx, HC_STR_LIT("12")));
    assert_false(rtr_app_instance_split(HC_STR_LIT("guid:"), &app, &idx));
    assert_false(rtr_app_instance_split(HC_STR_LIT(":1"), &app, &idx));
    assert_false(rtr_app_instance_split(HC_STR_LIT("guid:1x"), &app, &idx));
    assert_true(rtr_traceparent_valid(
        HC_STR_LIT("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")));
    assert_false(rtr_traceparent_valid(
        HC_STR_LIT("00-00000000000000000000000000000000-b7ad6b7169203331-01")));
    assert_false(rtr_traceparent_valid(
        HC_STR_LIT("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")));
    assert_false(rtr_traceparent_valid(
        HC_STR_LIT("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_rewrite),
        cmocka_unit_test(test_connection_cannot_drop_framing),
        cmocka_unit_test(test_upgrade_kept_for_websocket),
        cmocka_unit_test(test_response_sticky_cookie),
        cmocka_unit_test(test_cookie_and_instance_parsing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
