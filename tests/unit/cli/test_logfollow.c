/* Following a log by byte offset across rotations (src/cli/logfollow.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "logfollow.h"

static void test_partial_content_is_printed_whole(void **state)
{
    (void)state;
    uint64_t skip = 99;
    assert_int_equal(cli_log_follow(120, 206, 30, -1, &skip), CLI_LF_PRINT);
    assert_int_equal(skip, 0);
}

static void test_whole_file_skips_what_was_printed(void **state)
{
    (void)state;
    uint64_t skip = 0;
    assert_int_equal(cli_log_follow(120, 200, 150, -1, &skip), CLI_LF_PRINT);
    assert_int_equal(skip, 120);
    assert_int_equal(cli_log_follow(0, 200, 150, -1, &skip), CLI_LF_PRINT);
    assert_int_equal(skip, 0);
    /* exactly as long as printed: nothing new, not a rotation */
    assert_int_equal(cli_log_follow(150, 200, 150, -1, &skip), CLI_LF_PRINT);
    assert_int_equal(skip, 150);
}

static void test_shorter_whole_file_is_a_rotation(void **state)
{
    (void)state;
    uint64_t skip = 7;
    assert_int_equal(cli_log_follow(120, 200, 10, -1, &skip), CLI_LF_ROTATED_PRINT);
    assert_int_equal(skip, 0);
    assert_int_equal(cli_log_follow(120, 200, 0, -1, &skip), CLI_LF_ROTATED_PRINT);
}

static void test_range_past_the_end_is_a_rotation(void **state)
{
    (void)state;
    uint64_t skip;
    /* the file is 40 bytes now (Content-Range: bytes * /40): shorter than printed */
    assert_int_equal(cli_log_follow(120, 416, 0, 40, &skip), CLI_LF_REFETCH);
    /* a server that does not say the size: taken as rotated */
    assert_int_equal(cli_log_follow(120, 416, 0, -1, &skip), CLI_LF_REFETCH);
    /* from byte 0 a 416 cannot mean a rotation: no loop */
    assert_int_equal(cli_log_follow(0, 416, 0, -1, &skip), CLI_LF_NONE);
}

/* A 416 at the end of a file that did not grow is "nothing new", not a rotation (else the
 * follower would print the file again on every poll). */
static void test_range_at_the_end_is_nothing_new(void **state)
{
    (void)state;
    uint64_t skip;
    assert_int_equal(cli_log_follow(120, 416, 0, 120, &skip), CLI_LF_NONE);
    assert_int_equal(cli_log_follow(120, 416, 0, 500, &skip), CLI_LF_NONE);
}

static void test_errors_keep_the_offset(void **state)
{
    (void)state;
    uint64_t skip;
    assert_int_equal(cli_log_follow(120, 404, 20, -1, &skip), CLI_LF_NONE);
    assert_int_equal(cli_log_follow(120, 502, 20, -1, &skip), CLI_LF_NONE);
    assert_int_equal(cli_log_follow(120, 0, 0, -1, &skip), CLI_LF_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partial_content_is_printed_whole),
        cmocka_unit_test(test_whole_file_skips_what_was_printed),
        cmocka_unit_test(test_shorter_whole_file_is_a_rotation),
        cmocka_unit_test(test_range_past_the_end_is_a_rotation),
        cmocka_unit_test(test_range_at_the_end_is_nothing_new),
        cmocka_unit_test(test_errors_keep_the_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
