/* Tests for src/core/base/uuid.c and time.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hc_time.h"
#include "hc_uuid.h"

static void test_uuid4_is_valid_version_4_and_unique(void **state)
{
    (void)state;
    char a[HC_UUID_STR_LEN + 1], b[HC_UUID_STR_LEN + 1];
    hc_uuid4(a);
    hc_uuid4(b);
    assert_int_equal(strlen(a), HC_UUID_STR_LEN);
    assert_true(hc_uuid_valid(a, strlen(a)));
    assert_int_equal(a[14], '4');
    assert_true(strchr("89ab", a[19]) != NULL);
    assert_string_not_equal(a, b);
}

static void test_uuid_valid_rejects_bad_shapes(void **state)
{
    (void)state;
    assert_true(hc_uuid_valid("123E4567-E89B-12D3-A456-426614174000", 36));
    assert_false(hc_uuid_valid("123e4567e89b12d3a456426614174000", 32));
    assert_false(hc_uuid_valid("123e4567-e89b-12d3-a456-42661417400g", 36));
    assert_false(hc_uuid_valid("123e4567-e89b-12d3-a456_426614174000", 36));
}

static void test_random_hex(void **state)
{
    (void)state;
    char out[33];
    hc_random_hex(out, 16);
    assert_int_equal(strlen(out), 32);
    assert_int_equal(strspn(out, "0123456789abcdef"), 32);
}

static void test_time_is_monotonic_and_formats(void **state)
{
    (void)state;
    uint64_t a = hc_now_ns(), b = hc_now_ns();
    assert_true(b >= a);
    char buf[32];
    hc_time_format_rfc3339(1795600000123, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-25T09:46:40.123Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uuid4_is_valid_version_4_and_unique),
        cmocka_unit_test(test_uuid_valid_rejects_bad_shapes),
        cmocka_unit_test(test_random_hex),
        cmocka_unit_test(test_time_is_monotonic_and_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
