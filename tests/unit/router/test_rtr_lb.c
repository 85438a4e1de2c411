/* Tests for src/router/rtr_lb.c: round-robin, least-connections, sticky, instance targeting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rtr_lb.h"

static rtr_table_t *t;

static rtr_pool_t *make_pool(int n)
{
    t = rtr_table_new(120000);
    for (int i = 0; i < n; i++) {
        rtr_reg_t reg;
        memset(&reg, 0, sizeof(reg));
        snprintf(reg.host, sizeof(reg.host), "10.0.0.%d", i + 1);
        reg.port = 80;
        char *uris[1] = {"a.com"};
        reg.uris = uris;
        reg.nuris = 1;
        snprintf(reg.app, sizeof(reg.app), "guid");
        snprintf(reg.instance_id, sizeof(reg.instance_id), "inst-%d", i);
        snprintf(reg.index, sizeof(reg.index), "%d", i);
        rtr_table_register(t, &reg, 0);
    }
    return rtr_table_lookup(t, HC_STR_LIT("a.com"), HC_STR_LIT("/"));
}

static void test_round_robin_spreads_evenly(void **state)
{
    (void)state;
    rtr_pool_t *p = make_pool(3);
    int hits[3] = {0};
    rtr_pick_t pk = {0};
    for (int i = 0; i < 300; i++) {
        rtr_backend_t *be;
        assert_int_equal(rtr_lb_pick(p, &pk, &be), 0);
        hits[be->ip[7] - '1']++;
    }
    assert_int_equal(hits[0], 100);
    assert_int_equal(hits[1], 100);
    assert_int_equal(hits[2], 100);
    rtr_table_free(t);
}

static void test_least_connections_prefers_idle(void **state)
{
    (void)state;
    rtr_pool_t *p = make_pool(3);
    p->eps[0].be->active = 5;
    p->eps[1].be->active = 1;
    p->eps[2].be->active = 3;
    rtr_pick_t pk = {.algo = RTR_LB_LEAST_CONN};
    rtr_backend_t *be;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(rtr_lb_pick(p, &pk, &be), 0);
        assert_ptr_equal(be, p->eps[1].be);
    }
    rtr_table_free(t);
}

static void test_failed_and_excluded_backends_are_skipped(void **state)
{
    (void)state;
    rtr_pool_t *p = make_pool(3);
    rtr_backend_t *be;
    p->eps[0].be->failed_until_ms = 5000;
    rtr_backend_t *ex[1] = {p->eps[1].be};
    rtr_pick_t pk = {.now_ms = 1000, .exclude = ex, .nexclude = 1};
    for (int i = 0; i < 10; i++) {
        assert_int_equal(rtr_lb_pick(p, &pk, &be), 0);
        assert_ptr_equal(be, p->eps[2].be);
    }
    /* Everything healthy excluded: a failed backend still beats no backend. */
    rtr_backend_t *ex2[2] = {p->eps[1].be, p->eps[2].be};
    pk.exclude = ex2;
    pk.nexclude = 2;
    assert_int_equal(rtr_lb_pick(p, &pk, &be), 0);
    assert_ptr_equal(be, p->eps[0].be);
    rtr_backend_t *ex3[3] = {p->eps[0].be, p->eps[1].be, p->eps[2].be};
    pk.exclude = ex3;
    pk.nexclude = 3;
    assert_int_equal(rtr_lb_pick(p, &pk, &be), RTR_PICK_NONE);
    /* After the cool-down the backend is healthy again. */
    pk.nexclude = 0;
    pk.now_ms = 6000;
    int seen0 = 0;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rtr_lb_pick(p, &pk, &be), 0);
        seen0 += be == p->eps[0].be;
    }
    assert_int_equal(seen0, 1);
    rtr_table_free(t);
}

static void test_max_conns(void **state)
{
    (void)state;
    rtr_pool_t *p = make_pool(2);
    rtr_backend_t *be;
    p->eps[0].be->active = 2;
    p->eps[1].be->active = 2;
    rtr_pick_t pk = {.max_conns = 2};
    assert_int_equal(rtr_lb_pick(p, &pk, &be), RTR_PICK_LIMIT);
    p->eps[1].be->active = 1;
    assert_int_equal(rtr_lb_pick(p, &pk, &be), 0);
    assert_ptr_equal(be, p->eps[1].be);
    rtr_table_free(t);
}

static void test_sticky_session(void **state)
{
    (void)state;
    rtr_pool_t *p = make_pool(3);
    rtr_backend_t *be;
    rtr_pick_t pk = {.sticky = HC_STR_LIT("inst-2")};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(rtr_lb_pick(p, &pk, &be), 0);
        assert_string_equal(be->instance_id, "inst-2");
    }
    /* An unknown instance starts a new session on any backend. */
    pk.sticky = HC_STR_LIT("gone");
    assert_int_equal(rtr_lb_pick(p, &pk, &be), 0);
    /* A failed sticky instance is not used while others are healthy. */
    pk.sticky = HC_STR_LIT("inst-2");
    pk.now_ms = 10;
    p->eps[2].be->failed_until_ms = 100;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(rtr_lb_pick(p, &pk, &be), 0);
        assert_string_not_equal(be->instance_id, "inst-2");
    }
    rtr_table_free(t);
}

static void test_app_instance_header(void **state)
{
    (void)state;
    rtr_pool_t *p = make_pool(3);
    rtr_backend_t *be;
    rtr_pick_t pk = {.app = HC_STR_LIT("guid"), .index = HC_STR_LIT("1")};
    assert_int_equal(rtr_lb_pick(p, &pk, &be), 0);
    assert_string_equal(be->index, "1");
    pk.index = HC_STR_LIT("9");
    assert_int_equal(rtr_lb_pick(p, &pk, &be), RTR_PICK_INSTANCE);
    pk.app = HC_STR_LIT("other");
    pk.index = HC_STR_LIT("1");
    assert_int_equal(rtr_lb_pick(p, &pk, &be), RTR_PICK_INSTANCE);
    rtr_table_free(t);
}

static void test_algo_parse(void **state)
{
    (void)state;
    assert_int_equal(rtr_lb_algo_parse("round-robin"), RTR_LB_ROUND_ROBIN);
    assert_int_equal(rtr_lb_algo_parse("least-connection"), RTR_LB_LEAST_CONN);
    assert_int_equal(rtr_lb_algo_parse("random"), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_robin_spreads_evenly),
        cmocka_unit_test(test_least_connections_prefers_idle),
        cmocka_unit_test(test_failed_and_excluded_backends_are_skipped),
        cmocka_unit_test(test_max_conns),
        cmocka_unit_test(test_sticky_session),
        cmocka_unit_test(test_app_instance_header),
        cmocka_unit_test(test_algo_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
