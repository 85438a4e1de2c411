/*
 * Tests for the byte scans of src/core/http/http_internal.h: the vector paths must stop
 * exactly where the byte tables say, for every byte value at every position of a vector
 * and of the tail, and never read past the end (guard page).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../../../src/core/http/http_internal.h"
#include "guard.h"

typedef const char *(*scan_fn)(const char *p, const char *end);

static const char *find_value_end(const char *p, const char *end)
{
    return hc__http_find_value_end(p, end);
}
static const char *find_target_end(const char *p, const char *end)
{
    return hc__http_find_target_end(p, end);
}
static const char *find_token_end(const char *p, const char *end)
{
    return hc__http_find_token_end(p, end);
}

static bool value_ok(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}
static bool target_ok(unsigned char c)
{
    return c > 0x20 && c != 0x7f;
}
static bool token_ok(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Puts byte b at every position of a run of `fill` bytes of every length up to 40. */
static void check_scan(scan_fn scan, bool (*ok)(unsigned char), char fill)
{
    char buf[48];
    for (size_t len = 0; len <= 40; len++) {
        memset(buf, fill, len);
        /* the guarded copy is writable: edit it in place */
        char *g = (char *)(uintptr_t)hc_test_guard(buf, len);
        assert_ptr_equal(scan(g, g + len), g + len);
        for (int b = 0; b < 256; b++) {
            for (size_t i = 0; i < len; i++) {
                memset(g, fill, len);
                g[i] = (char)b;
                const char *want = ok((unsigned char)b) ? g + len : g + i;
                if (scan(g, g + len) != want)
                    fail_msg("byte 0x%02x at %zu of %zu", b, i, len);
            }
        }
    }
    hc_test_guard_free_all();
}

static void test_value_scan_matches_table(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++)
        assert_int_equal(value_ok((unsigned char)c), hc__http_vchar[c] || c == '\t');
    check_scan(find_value_end, value_ok, 'v');
    check_scan(find_value_end, value_ok, '\xe9');
}

static void test_target_scan_matches_table(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++)
        assert_int_equal(target_ok((unsigned char)c), hc__http_uchar[c]);
    check_scan(find_target_end, target_ok, '/');
}

static void test_token_scan_matches_table(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++)
        assert_int_equal(token_ok((unsigned char)c), hc__http_tchar[c]);
    check_scan(find_token_end, token_ok, 'k');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_scan_matches_table),
        cmocka_unit_test(test_target_scan_matches_table),
        cmocka_unit_test(test_token_scan_matches_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
