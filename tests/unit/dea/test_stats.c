/*
 * Unit tests for src/dea/stats.c: cpu % from the cpu time delta between two warden info
 * samples, memory from RSS (usage when RSS is missing), disk bytes, the usage JSON shape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dea.h"

static json_t *info(int64_t cpu_ns, int64_t rss, int64_t usage, int64_t disk)
{
    return json_pack("{s:{s:I}, s:{s:I, s:I}, s:{s:I}}", "cpu_stat", "usage", (json_int_t)cpu_ns,
                     "memory_stat", "rss", (json_int_t)rss, "usage_in_bytes", (json_int_t)usage,
                     "disk_stat", "bytes_used", (json_int_t)disk);
}

static void test_cpu_from_deltas(void **state)
{
    (void)state;
    dea_inst_t in = {0};
    json_t *a = info(1000000000, 50 << 20, 60 << 20, 4096),
           *b = info(1500000000, 0, 70 << 20, 8192);
    dea_usage_update(&in, a, 10000000000ULL);
    assert_int_equal(in.usage.samples, 1);
    json_t *u = dea_usage_json(&in);
    assert_true(json_real_value(json_object_get(u, "cpu")) == 0.0); /* no base yet */
    assert_true(json_real_value(json_object_get(u, "mem")) == 50.0 * 1024);
    json_decref(u);
    /* 0.5 s of cpu over 2 s of wall time: 25 % */
    dea_usage_update(&in, b, 12000000000ULL);
    u = dea_usage_json(&in);
    assert_true(json_real_value(json_object_get(u, "cpu")) > 24.99);
    assert_true(json_real_value(json_object_get(u, "cpu")) < 25.01);
    assert_true(json_real_value(json_object_get(u, "mem")) == 70.0 * 1024); /* no rss: usage */
    assert_int_equal(json_integer_value(json_object_get(u, "disk")), 8192);
    assert_non_null(json_string_value(json_object_get(u, "time")));
    json_decref(u);
    json_decref(a);
    json_decref(b);
}

static void test_counter_reset_keeps_last_cpu(void **state)
{
    (void)state;
    dea_inst_t in = {0};
    json_t *a = info(900, 1, 1, 1), *b = info(100, 1, 1, 1), *c = json_object();
    dea_usage_update(&in, a, 1000);
    dea_usage_update(&in, b, 2000); /* went backwards (a new cgroup): no negative cpu */
    assert_true(in.usage.cpu_pct >= 0.0);
    dea_usage_update(&in, c, 3000); /* fields missing: zeros, no crash */
    assert_int_equal(in.usage.mem_bytes, 0);
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_from_deltas),
        cmocka_unit_test(test_counter_reset_keeps_last_cpu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
