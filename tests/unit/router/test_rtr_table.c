/* Tests for src/router/rtr_table.c and rtr_map.c: matching, wildcards, expiry, scale. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rtr_table.h"

static void reg_one(rtr_table_t *t, const char *ip, uint16_t port, const char *uri, uint32_t ttl_s,
                    uint64_t now)
{
    rtr_reg_t reg;
    memset(&reg, 0, sizeof(reg));
    snprintf(reg.host, sizeof(reg.host), "%s", ip);
    reg.port = port;
    char *uris[1] = {(char *)uri};
    reg.uris = uris;
    reg.nuris = 1;
    reg.stale_threshold_s = ttl_s;
    snprintf(reg.instance_id, sizeof(reg.instance_id), "inst-%u", port);
    assert_int_equal(rtr_table_register(t, &reg, now), 1);
}

static void unreg_one(rtr_table_t *t, const char *ip, uint16_t port, const char *uri, uint64_t now)
{
    rtr_reg_t reg;
    memset(&reg, 0, sizeof(reg));
    snprintf(reg.host, sizeof(reg.host), "%s", ip);
    reg.port = port;
    char *uris[1] = {(char *)uri};
    reg.uris = uris;
    reg.nuris = 1;
    rtr_table_unregister(t, &reg, now);
}

static rtr_pool_t *look(rtr_table_t *t, const char *host, const char *path)
{
    return rtr_table_lookup(t, hc_str_c(host), hc_str_c(path));
}

static void test_host_is_case_insensitive_and_port_stripped(void **state)
{
    (void)state;
    rtr_table_t *t = rtr_table_new(120000);
    reg_one(t, "10.0.0.1", 8000, "App.Example.COM", 0, 0);
    rtr_pool_t *p = look(t, "app.example.com", "/");
    assert_non_null(p);
    assert_ptr_equal(look(t, "APP.example.com:8080", "/x"), p);
    assert_ptr_equal(look(t, "app.example.com.", "/"), p);
    assert_null(look(t, "other.example.com", "/"));
    assert_null(look(t, "", "/"));
    assert_int_equal(p->n, 1);
    assert_string_equal(p->eps[0].be->key, "10.0.0.1:8000");
    rtr_table_free(t);
}

static void test_longest_path_prefix_wins(void **state)
{
    (void)state;
    rtr_table_t *t = rtr_table_new(120000);
    reg_one(t, "10.0.0.1", 1, "a.com", 0, 0);
    reg_one(t, "10.0.0.1", 2, "a.com/api", 0, 0);
    reg_one(t, "10.0.0.1", 3, "a.com/api/v2/", 0, 0);
    assert_int_equal(rtr_table_route_count(t), 3);
    assert_int_equal(look(t, "a.com", "/")->eps[0].be->port, 1);
    assert_int_equal(look(t, "a.com", "/apix")->eps[0].be->port, 1);
    assert_int_equal(look(t, "a.com", "/api")->eps[0].be->port, 2);
    assert_int_equal(look(t, "a.com", "/API/users")->eps[0].be->port, 2);
    assert_int_equal(look(t, "a.com", "/api/v2")->eps[0].be->port, 3);
    assert_int_equal(look(t, "a.com", "/api/v2/x/y")->eps[0].be->port, 3);
    assert_int_equal(look(t, "a.com", "/api/v20")->eps[0].be->port, 2);
    /* Without a bare-host route, paths outside every prefix are unknown. */
    reg_one(t, "10.0.0.1", 4, "b.com/only", 0, 0);
    assert_null(look(t, "b.com", "/"));
    assert_null(look(t, "b.com", "/onlyx"));
    assert_non_null(look(t, "b.com", "/only/"));
    rtr_table_free(t);
}

static void test_wildcard_routes(void **state)
{
    (void)state;
    rtr_table_t *t = rtr_table_new(120000);
    reg_one(t, "10.0.0.1", 1, "*.example.com", 0, 0);
    reg_one(t, "10.0.0.1", 2, "*.deep.example.com", 0, 0);
    reg_one(t, "10.0.0.1", 3, "exact.example.com", 0, 0);
    assert_int_equal(look(t, "foo.example.com", "/")->eps[0].be->port, 1);
    assert_int_equal(look(t, "a.b.example.com", "/")->eps[0].be->port, 1);
    assert_int_equal(look(t, "x.deep.example.com", "/")->eps[0].be->port, 2);
    assert_int_equal(look(t, "exact.example.com", "/")->eps[0].be->port, 3);
    assert_null(look(t, "example.com", "/"));
    assert_null(look(t, "foo.example.org", "/"));
    rtr_table_free(t);
}

static void test_register_refreshes_and_unregister_removes(void **state)
{
    (void)state;
    rtr_table_t *t = rtr_table_new(120000);
    reg_one(t, "10.0.0.1", 1, "a.com", 0, 0);
    reg_one(t, "10.0.0.1", 1, "a.com", 0, 10);
    reg_one(t, "10.0.0.2", 1, "a.com", 0, 10);
    assert_int_equal(look(t, "a.com", "/")->n, 2);
    assert_int_equal(rtr_table_backend_count(t), 2);
    unreg_one(t, "10.0.0.1", 1, "a.com", 20);
    assert_int_equal(look(t, "a.com", "/")->n, 1);
    assert_int_equal(rtr_table_backend_count(t), 1);
    unreg_one(t, "10.0.0.9", 1, "a.com", 20); /* unknown backend: nothing happens */
    unreg_one(t, "10.0.0.2", 1, "a.com", 30);
    /* The route stays, empty (503 no_endpoints), until its TTL has passed. */
    rtr_pool_t *p = look(t, "a.com", "/x");
    assert_non_null(p);
    assert_int_equal(p->n, 0);
    assert_int_equal(rtr_table_route_count(t), 1);
    assert_int_equal(rtr_table_backend_count(t), 0);
    assert_int_equal(rtr_table_prune(t, 30 + 120000), 0);
    assert_non_null(look(t, "a.com", "/"));
    /* Registering again fills the same pool. */
    reg_one(t, "10.0.0.3", 1, "a.com", 0, 40);
    assert_ptr_equal(look(t, "a.com", "/"), p);
    assert_int_equal(p->n, 1);
    unreg_one(t, "10.0.0.3", 1, "a.com", 50);
    assert_int_equal(rtr_table_prune(t, 50 + 120001), 0);
    assert_null(look(t, "a.com", "/"));
    assert_int_equal(rtr_table_route_count(t), 0);
    rtr_table_free(t);
}

static void test_empty_routes_yield_to_live_ones(void **state)
{
    (void)state;
    rtr_table_t *t = rtr_table_new(120000);
    reg_one(t, "10.0.0.1", 1, "a.com", 0, 0);
    reg_one(t, "10.0.0.1", 2, "a.com/api", 0, 0);
    reg_one(t, "10.0.0.1", 3, "x.b.com", 0, 0);
    reg_one(t, "10.0.0.1", 4, "*.b.com", 0, 0);
    reg_one(t, "10.0.0.1", 5, "c.com/p", 0, 0);
    unreg_one(t, "10.0.0.1", 2, "a.com/api", 1);
    unreg_one(t, "10.0.0.1", 3, "x.b.com", 1);
    unreg_one(t, "10.0.0.1", 5, "c.com/p", 1);
    /* A shorter prefix or a wildcard with endpoints beats an emptied longer match. */
    assert_int_equal(look(t, "a.com", "/api/x")->eps[0].be->port, 1);
    assert_int_equal(look(t, "x.b.com", "/")->eps[0].be->port, 4);
    /* With nothing live, the emptied route answers (n == 0: 503), outside it is unknown. */
    assert_int_equal(look(t, "c.com", "/p/q")->n, 0);
    assert_null(look(t, "c.com", "/other"));
    rtr_table_free(t);
}

static int gone_calls;
static void on_gone(rtr_backend_t *be, void *data)
{
    (void)be;
    (void)data;
    gone_calls++;
}

static void test_expiry_uses_ttl_and_override(void **state)
{
    (void)state;
    rtr_table_t *t = rtr_table_new(120000);
    rtr_table_on_backend_gone(t, on_gone, NULL);
    gone_calls = 0;
    reg_one(t, "10.0.0.1", 1, "a.com", 0, 1000);
    reg_one(t, "10.0.0.2", 1, "a.com", 10, 1000);
    reg_one(t, "10.0.0.3", 1, "b.com", 0, 1000);
    assert_int_equal(rtr_table_prune(t, 1000 + 10000), 0);
    assert_int_equal(rtr_table_prune(t, 1000 + 10001), 1);
    assert_int_equal(gone_calls, 1);
    assert_int_equal(look(t, "a.com", "/")->n, 1);
    reg_one(t, "10.0.0.3", 1, "b.com", 0, 100000);
    assert_int_equal(rtr_table_prune(t, 1000 + 120001), 1);
    assert_int_equal(look(t, "a.com", "/")->n, 0); /* expired: empty for another TTL */
    assert_int_equal(look(t, "b.com", "/")->n, 1);
    reg_one(t, "10.0.0.3", 1, "b.com", 0, 240000);
    assert_int_equal(rtr_table_prune(t, 1000 + 120001 + 120000), 0);
    assert_non_null(look(t, "a.com", "/"));
    assert_int_equal(rtr_table_prune(t, 1000 + 120001 + 120001), 0);
    assert_null(look(t, "a.com", "/"));
    /* Dial tone: touching everything keeps routes past their TTL. */
    rtr_table_touch_all(t, 500000);
    assert_int_equal(rtr_table_prune(t, 500000 + 60000), 0);
    assert_non_null(look(t, "b.com", "/"));
    rtr_table_free(t);
}

static void test_backend_outlives_route_while_referenced(void **state)
{
    (void)state;
    rtr_table_t *t = rtr_table_new(120000);
    reg_one(t, "10.0.0.1", 1, "a.com", 0, 0);
    rtr_backend_t *be = look(t, "a.com", "/")->eps[0].be;
    rtr_backend_ref(be);
    unreg_one(t, "10.0.0.1", 1, "a.com", 0);
    assert_true(be->gone);
    assert_string_equal(be->key, "10.0.0.1:1");
    rtr_backend_unref(be); /* frees it; ASan reports a leak or a double free otherwise */
    rtr_table_free(t);
}

static void test_100k_routes(void **state)
{
    (void)state;
    rtr_table_t *t = rtr_table_new(120000);
    char uri[64];
    for (int i = 0; i < 100000; i++) {
        snprintf(uri, sizeof(uri), "app-%d.example.com", i);
        reg_one(t, "10.1.0.1", (uint16_t)(1 + i % 60000), uri, 0, 0);
    }
    assert_int_equal(rtr_table_route_count(t), 100000);
    for (int i = 0; i < 100000; i += 997) {
        snprintf(uri, sizeof(uri), "APP-%d.example.com", i);
        rtr_pool_t *p = look(t, uri, "/");
        assert_non_null(p);
        assert_int_equal(p->eps[0].be->port, 1 + i % 60000);
    }
    hc_buf_t out;
    hc_buf_init(&out, 0);
    rtr_table_dump_json(t, &out);
    assert_false(out.overflow);
    assert_non_null(strstr(out.data, "\"app-99999.example.com\":[{\"address\":\"10.1.0.1:"));
    hc_buf_release(&out);
    assert_int_equal(rtr_table_prune(t, 200000), 100000);
    assert_int_equal(rtr_table_route_count(t), 100000); /* empty routes kept for one TTL */
    assert_int_equal(rtr_table_prune(t, 200000 + 120001), 0);
    assert_int_equal(rtr_table_route_count(t), 0);
    rtr_table_free(t);
}

static void test_host_normalize(void **state)
{
    (void)state;
    char out[RTR_MAX_HOST + 1];
    assert_int_equal(rtr_host_normalize(HC_STR_LIT("[::1]:8080"), out), 5);
    assert_string_equal(out, "[::1]");
    assert_int_equal(rtr_host_normalize(HC_STR_LIT(":80"), out), -EINVAL);
    char big[300];
    memset(big, 'a', sizeof(big));
    assert_int_equal(rtr_host_normalize(hc_str(big, sizeof(big)), out), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_is_case_insensitive_and_port_stripped),
        cmocka_unit_test(test_longest_path_prefix_wins),
        cmocka_unit_test(test_wildcard_routes),
        cmocka_unit_test(test_register_refreshes_and_unregister_removes),
        cmocka_unit_test(test_empty_routes_yield_to_live_ones),
        cmocka_unit_test(test_expiry_uses_ttl_and_override),
        cmocka_unit_test(test_backend_outlives_route_while_referenced),
        cmocka_unit_test(test_100k_routes),
        cmocka_unit_test(test_host_normalize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
