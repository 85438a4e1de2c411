/* Unit tests for the HM's message parsing and building (src/hm/wire.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "wire.h"

static void fresh_engine(hm_engine_t *e)
{
    hm_policy_t p;
    hm_policy_defaults(&p);
    hm_engine_init(e, &p);
    hm_engine_bus(e, true, 1);
}

static void test_bulk_pages(void **state)
{
    (void)state;
    hm_apps_t apps = {0};
    char next[HM_ID_MAX + 1];
    hc_err_t err;
    const char *p1 =
        "{\"results\":{\"g1\":{\"id\":\"g1\",\"instances\":2,\"state\":\"STARTED\","
        "\"package_state\":\"STAGED\",\"package_hash\":\"p\",\"version\":\"d-1\","
        "\"updated_at\":7},\"g2\":{\"id\":\"g2\",\"instances\":1,\"state\":\"STOPPED\","
        "\"package_state\":\"FAILED\",\"package_hash\":\"p\",\"version\":\"p-0\"}},"
        "\"bulk_token\":{\"id\":\"g2\"}}";
    assert_int_equal(hm_wire_bulk_page(p1, strlen(p1), &apps, next, sizeof(next), &err), 0);
    assert_string_equal(next, "g2");
    assert_int_equal(apps.len, 2);
    assert_string_equal(apps.v[0].id, "g1");
    assert_true(apps.v[0].started && apps.v[0].staged);
    assert_int_equal(apps.v[0].instances, 2);
    assert_int_equal(apps.v[0].updated_at, 7);
    assert_string_equal(apps.v[0].version, "d-1");
    assert_false(apps.v[1].started || apps.v[1].staged);
    const char *p2 = "{\"results\":{},\"bulk_token\":{}}";
    assert_int_equal(hm_wire_bulk_page(p2, strlen(p2), &apps, next, sizeof(next), &err), 0);
    assert_string_equal(next, "");
    const char *bad = "{\"results\":{\"g\":{\"id\":\"g\",\"instances\":-1,\"state\":\"STARTED\"}},"
                      "\"bulk_token\":{}}";
    assert_int_equal(hm_wire_bulk_page(bad, strlen(bad), &apps, next, sizeof(next), &err), -EINVAL);
    assert_non_null(strstr(err.msg, "instances"));
    assert_int_equal(hm_wire_bulk_page("[", 1, &apps, next, sizeof(next), &err), -EINVAL);
    hm_apps_release(&apps);
}

static void test_heartbeat_exit_status_health(void **state)
{
    (void)state;
    hm_engine_t e;
    hc_err_t err;
    size_t bad = 0;
    fresh_engine(&e);
    hm_app_t a = {.id = "g1", .version = "d-1", .instances = 1, .started = true, .staged = true};
    hm_engine_set_desired(&e, &a, 1, 10);
    const char *hb = "{\"dea\":\"dea-1\",\"droplets\":[{\"droplet\":\"g1\",\"version\":\"d-1\","
                     "\"instance\":\"i1\",\"index\":0,\"state\":\"RUNNING\"},"
                     "{\"droplet\":\"g1\",\"index\":\"x\"},7]}";
    size_t n = strlen(hb);
    const char *g = hc_test_guard(hb, n);
    assert_int_equal(hm_wire_heartbeat(&e, g, n, 20, &bad, &err), 1);
    assert_int_equal(bad, 2);
    assert_int_equal(hm_engine_running(&e, "g1", NULL), 1);

    const char *health = "{\"droplets\":[{\"droplet\":\"g1\",\"version\":\"d-1\"},"
                         "{\"droplet\":\"unknown\"}]}";
    json_t *h = hm_wire_health(&e, health, strlen(health), &err);
    assert_non_null(h);
    assert_int_equal(json_array_size(h), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(h, 0), "healthy")), 1);
    json_decref(h);

    for (int i = 0; i < 4; i++) {
        char ex[256];
        snprintf(ex, sizeof(ex),
                 "{\"droplet\":\"g1\",\"version\":\"d-1\",\"instance\":\"c%d\",\"index\":0,"
                 "\"reason\":\"CRASHED\",\"crash_timestamp\":1}",
                 i);
        assert_int_equal(hm_wire_exited(&e, ex, strlen(ex), 30 + (uint64_t)i, &err), 0);
    }
    assert_int_equal(hm_wire_exited(&e, "{}", 2, 40, &err), -EINVAL);
    const char *st = "{\"droplet\":\"g1\",\"version\":\"d-1\",\"state\":\"FLAPPING\"}";
    json_t *r = hm_wire_status(&e, st, strlen(st), 1033, 1001000, &err);
    assert_non_null(r);
    json_t *idx = json_object_get(r, "indices");
    assert_int_equal(json_array_size(idx), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(idx, 0), "since")), 1000);
    json_decref(r);
    const char *cr = "{\"droplet\":\"g1\",\"state\":\"CRASHED\"}";
    r = hm_wire_status(&e, cr, strlen(cr), 1033, 2000000, &err);
    assert_int_equal(json_array_size(json_object_get(r, "instances")), 4);
    json_decref(r);
    const char *odd = "{\"droplet\":\"g1\",\"state\":\"RUNNING\"}";
    assert_null(hm_wire_status(&e, odd, strlen(odd), 1033, 2000000, &err));
    hm_engine_release(&e);
}

static void test_decision_json(void **state)
{
    (void)state;
    hm_decision_t d = {.op = HM_OP_START,
                       .app = "g1",
                       .version = "d-1",
                       .index = 3,
                       .last_updated = 9,
                       .flapping = true};
    json_t *o = hm_wire_decision(&d);
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(s, "{\"droplet\":\"g1\",\"flapping\":true,\"indices\":[3],"
                           "\"last_updated\":9,\"op\":\"START\",\"version\":\"d-1\"}");
    free(s);
    json_decref(o);
    hm_decision_t st = {.op = HM_OP_STOP, .app = "g1", .instance = "i9", .last_updated = 9};
    o = hm_wire_decision(&st);
    s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(
        s, "{\"droplet\":\"g1\",\"instances\":[\"i9\"],\"last_updated\":9,\"op\":\"STOP\"}");
    free(s);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bulk_pages),
        cmocka_unit_test(test_heartbeat_exit_status_health),
        cmocka_unit_test(test_decision_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
