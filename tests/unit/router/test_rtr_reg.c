/* Tests for src/router/rtr_reg.c: the registration JSON, including hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "hc_buf.h"
#include "rtr_reg.h"

static int parse(const char *json, rtr_reg_t *reg, hc_err_t *err)
{
    size_t len = strlen(json);
    const char *g = hc_test_guard(json, len);
    return rtr_reg_parse(g, len, reg, err);
}

static void test_full_registration(void **state)
{
    (void)state;
    rtr_reg_t reg;
    hc_err_t err;
    assert_int_equal(parse("{\"host\":\"10.0.0.5\",\"port\":61001,\"uris\":[\"a.example.com\","
                           "\"a.example.com/api\"],\"app\":\"guid-1\",\"private_instance_id\":"
                           "\"pid-1\",\"private_instance_index\":\"3\",\"tags\":{\"component\":"
                           "\"dea-1\"},\"stale_threshold_in_seconds\":30,\"extra\":[1,2]}",
                           &reg, &err),
                     0);
    assert_string_equal(reg.host, "10.0.0.5");
    assert_int_equal(reg.port, 61001);
    assert_int_equal(reg.nuris, 2);
    assert_string_equal(reg.uris[1], "a.example.com/api");
    assert_string_equal(reg.app, "guid-1");
    assert_string_equal(reg.instance_id, "pid-1");
    assert_string_equal(reg.index, "3");
    assert_int_equal(reg.stale_threshold_s, 30);
    rtr_reg_release(&reg);

    assert_int_equal(parse("{\"host\":\"::1\",\"port\":1,\"uris\":[\"b\"],"
                           "\"private_instance_index\":7,\"app\":null}",
                           &reg, &err),
                     0);
    assert_string_equal(reg.index, "7");
    assert_string_equal(reg.app, "");
    rtr_reg_release(&reg);
}

static void test_hostile_registrations_are_refused(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "null",
        "[]",
        "{",
        "{\"host\":\"10.0.0.1\",\"port\":80}",
        "{\"host\":\"10.0.0.1\",\"port\":80,\"uris\":[]}",
        "{\"host\":\"10.0.0.1\",\"port\":80,\"uris\":\"a.com\"}",
        "{\"host\":\"10.0.0.1\",\"port\":80,\"uris\":[1]}",
        "{\"host\":\"10.0.0.1\",\"port\":80,\"uris\":[\"a b\"]}",
        "{\"host\":\"10.0.0.1\",\"port\":80,\"uris\":[\"/path\"]}",
        "{\"host\":\"10.0.0.1\",\"port\":80,\"uris\":[\"a\\u0000b\"]}",
        "{\"host\":\"10.0.0.1\",\"port\":0,\"uris\":[\"a\"]}",
        "{\"host\":\"10.0.0.1\",\"port\":65536,\"uris\":[\"a\"]}",
        "{\"host\":\"10.0.0.1\",\"port\":\"80\",\"uris\":[\"a\"]}",
        "{\"host\":\"10.0.0.1\",\"port\":80.5,\"uris\":[\"a\"]}",
        "{\"host\":\"example.com\",\"port\":80,\"uris\":[\"a\"]}",
        "{\"host\":42,\"port\":80,\"uris\":[\"a\"]}",
        "{\"port\":80,\"uris\":[\"a\"]}",
        "{\"host\":\"10.0.0.1\",\"port\":80,\"uris\":[\"a\"],\"app\":{}}",
        "{\"host\":\"10.0.0.1\",\"port\":80,\"uris\":[\"a\"],\"tags\":[]}",
        "{\"host\":\"10.0.0.1\",\"port\":80,\"uris\":[\"a\"],\"stale_threshold_in_seconds\":-1}",
        "{\"host\":\"10.0.0.1\",\"port\":80,\"uris\":[\"a\"],\"private_instance_index\":\"x\"}",
        "{\"host\":\"10.0.0.1\",\"host\":\"10.0.0.2\",\"port\":80,\"uris\":[\"a\"]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rtr_reg_t reg;
        hc_err_t err;
        hc_err_clear(&err);
        int r = parse(bad[i], &reg, &err);
        if (r != -EINVAL)
            fail_msg("accepted or wrong code (%d) for %s", r, bad[i]);
        assert_true(err.msg[0] != '\0');
        assert_null(reg.uris);
    }
}

static void test_limits(void **state)
{
    (void)state;
    hc_buf_t b;
    hc_buf_init(&b, 0);
    rtr_reg_t reg;
    hc_err_t err;
    /* Too many URIs: refused after some were copied, nothing leaks (ASan). */
    hc_buf_append_str(&b, "{\"host\":\"10.0.0.1\",\"port\":80,\"uris\":[");
    for (int i = 0; i < RTR_REG_MAX_URIS + 1; i++)
        hc_buf_appendf(&b, "%s\"h%d.com\"", i ? "," : "", i);
    hc_buf_append_str(&b, "]}");
    assert_int_equal(rtr_reg_parse(b.data, b.len, &reg, &err), -EINVAL);
    /* An oversized id. */
    hc_buf_reset(&b);
    hc_buf_append_str(&b, "{\"host\":\"10.0.0.1\",\"port\":80,\"uris\":[\"a\"],\"app\":\"");
    for (int i = 0; i < RTR_REG_MAX_ID + 1; i++)
        hc_buf_append_byte(&b, 'x');
    hc_buf_append_str(&b, "\"}");
    assert_int_equal(rtr_reg_parse(b.data, b.len, &reg, &err), -EINVAL);
    /* An oversized message is refused before parsing. */
    hc_buf_reset(&b);
    while (b.len <= RTR_REG_MAX_JSON)
        hc_buf_append_str(&b, "                ");
    assert_int_equal(rtr_reg_parse(b.data, b.len, &reg, &err), HC_ETOOBIG);
    /* Deep nesting is jansson's to bound; it must come back as an error. */
    hc_buf_reset(&b);
    for (int i = 0; i < 5000; i++)
        hc_buf_append_byte(&b, '[');
    assert_int_equal(rtr_reg_parse(b.data, b.len, &reg, &err), -EINVAL);
    hc_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_registration),
        cmocka_unit_test(test_hostile_registrations_are_refused),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
