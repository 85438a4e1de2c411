/* Tests for src/core/base/utf8.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "guard.h"
#include "hc_utf8.h"

static bool valid(const char *s, size_t len)
{
    return hc_utf8_valid(hc_test_guard(s, len), len);
}

static void test_valid_sequences(void **state)
{
    (void)state;
    assert_true(valid("plain ascii", 11));
    assert_true(valid("caf\xc3\xa9", 5));
    assert_true(valid("\xe2\x82\xac", 3));     /* U+20AC */
    assert_true(valid("\xf0\x9f\x94\xa5", 4)); /* U+1F525 */
    assert_true(valid("\xf4\x8f\xbf\xbf", 4)); /* U+10FFFF */
    assert_true(valid("a\0b", 3));
    assert_int_equal(hc_utf8_seq(hc_test_guard("\xe2\x82\xac", 3), 3), 3);
}

static void test_invalid_sequences(void **state)
{
    (void)state;
    assert_false(valid("\xff", 1));
    assert_false(valid("\xc0\xaf", 2));         /* overlong '/' */
    assert_false(valid("\xe0\x80\xaf", 3));     /* overlong */
    assert_false(valid("\xed\xa0\x80", 3));     /* surrogate U+D800 */
    assert_false(valid("\xf4\x90\x80\x80", 4)); /* over U+10FFFF */
    assert_false(valid("\xc3", 1));             /* cut short, at a guard page */
    assert_false(valid("\xe2\x82", 2));
    assert_false(valid("\xc3\x28", 2)); /* bad continuation */
    assert_int_equal(hc_utf8_seq(hc_test_guard("\xf0\x9f\x94", 3), 3), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_sequences),
        cmocka_unit_test(test_invalid_sequences),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    hc_test_guard_free_all();
    return r;
}
