/*
 * Unit tests for src/dea/slog.c's pure helpers: cutting a log into bus pieces on UTF-8
 * boundaries and replacing bytes that are not UTF-8 (the pieces must concatenate to the
 * task_log byte for byte, and jansson accepts only UTF-8).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dea.h"
#include "guard.h"

static void test_cut_ascii(void **state)
{
    (void)state;
    const char *s = hc_test_guard("abcdef", 6);
    assert_int_equal(dea_utf8_cut(s, 6, 4), 4);
    assert_int_equal(dea_utf8_cut(s, 6, 6), 6);
    assert_int_equal(dea_utf8_cut(s, 6, 100), 6);
}

static void test_cut_never_splits_a_sequence(void **state)
{
    (void)state;
    /* "a" + U+2713 (3 bytes) + "b" */
    const char *s = hc_test_guard("a\xe2\x9c\x93"
                                  "b",
                                  5);
    assert_int_equal(dea_utf8_cut(s, 5, 1), 1);
    assert_int_equal(dea_utf8_cut(s, 5, 2), 1);
    assert_int_equal(dea_utf8_cut(s, 5, 3), 1);
    assert_int_equal(dea_utf8_cut(s, 5, 4), 4);
    /* A truncated sequence at the end counts as single bytes (sanitized beforehand). */
    const char *t = hc_test_guard("ab\xe2\x9c", 4);
    assert_int_equal(dea_utf8_cut(t, 4, 3), 3);
}

static void test_sanitize(void **state)
{
    (void)state;
    char s[] = "ok \xff\xfe x\xc3\xa9 \xe2\x9c \0z";
    size_t len = sizeof(s) - 1;
    dea_utf8_sanitize(s, len);
    assert_memory_equal(s, "ok ?? x\xc3\xa9 ?? ?z", len);
    char u[] = "\xf0\x9f\x98\x80 fine";
    dea_utf8_sanitize(u, sizeof(u) - 1);
    assert_string_equal(u, "\xf0\x9f\x98\x80 fine");
}

static void test_pieces_concatenate(void **state)
{
    (void)state;
    /* 3000 x "é✓" (5 bytes each): cutting at 8192 always lands on a boundary. */
    size_t len = 3000 * 5, off = 0, pieces = 0;
    char *s = hc_malloc(len);
    for (size_t i = 0; i < 3000; i++)
        memcpy(s + i * 5, "\xc3\xa9\xe2\x9c\x93", 5);
    while (off < len) {
        size_t k = dea_utf8_cut(s + off, len - off, DEA_SLOG_PIECE);
        assert_true(k > 0 && k <= DEA_SLOG_PIECE);
        assert_true((off + k) % 5 == 0 || (off + k) % 5 == 2);
        off += k;
        pieces++;
    }
    assert_int_equal(off, len);
    assert_int_equal(pieces, 2);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut_ascii),
        cmocka_unit_test(test_cut_never_splits_a_sequence),
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_pieces_concatenate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
