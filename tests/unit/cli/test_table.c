/* Unit tests for src/cli/table.c and the formatting helpers of src/cli/output.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"

static void test_columns_align_without_trailing_spaces(void **state)
{
    (void)state;
    cli_table_t t;
    hc_buf_t out;
    cli_table_init(&t, 3, "name", "state", "urls");
    cli_table_add(&t, "web", "started", "web.example.com");
    cli_table_add(&t, "a-longer-name", "stopped", NULL);
    cli_table_add(&t, "x", "", "");
    hc_buf_init(&out, 0);
    cli_table_render(&t, &out);
    assert_string_equal(out.data, "name           state    urls\n"
                                  "web            started  web.example.com\n"
                                  "a-longer-name  stopped  -\n"
                                  "x\n");
    hc_buf_release(&out);
    cli_table_release(&t);
}

static void test_utf8_counts_characters(void **state)
{
    (void)state;
    cli_table_t t;
    hc_buf_t out;
    cli_table_init(&t, 2, "k", "v");
    cli_table_add(&t, "caf\xc3\xa9", "1");
    cli_table_add(&t, "tea", "2");
    hc_buf_init(&out, 0);
    cli_table_render(&t, &out);
    assert_string_equal(out.data, "k     v\ncaf\xc3\xa9  1\ntea   2\n");
    hc_buf_release(&out);
    cli_table_release(&t);
}

static void test_many_rows_grow(void **state)
{
    (void)state;
    cli_table_t t;
    hc_buf_t out;
    cli_table_init(&t, 1, "n");
    for (int i = 0; i < 100; i++)
        cli_table_add(&t, "row");
    assert_int_equal(t.nrows, 101);
    hc_buf_init(&out, 0);
    cli_table_render(&t, &out);
    assert_int_equal(out.len, 2 + 100 * 4);
    hc_buf_release(&out);
    cli_table_release(&t);
}

static void test_parse_mb(void **state)
{
    (void)state;
    int64_t mb;
    assert_int_equal(cli_parse_mb("256M", &mb), 0);
    assert_int_equal(mb, 256);
    assert_int_equal(cli_parse_mb("256mb", &mb), 0);
    assert_int_equal(mb, 256);
    assert_int_equal(cli_parse_mb("1G", &mb), 0);
    assert_int_equal(mb, 1024);
    assert_int_equal(cli_parse_mb("512", &mb), 0);
    assert_int_equal(mb, 512);
    assert_int_equal(cli_parse_mb("2048K", &mb), 0);
    assert_int_equal(mb, 2);
    assert_int_equal(cli_parse_mb("0", &mb), -EINVAL);
    assert_int_equal(cli_parse_mb("12Q", &mb), -EINVAL);
    assert_int_equal(cli_parse_mb("M", &mb), -EINVAL);
    assert_int_equal(cli_parse_mb("", &mb), -EINVAL);
    assert_int_equal(cli_parse_mb("-5M", &mb), -EINVAL);
    assert_int_equal(cli_parse_mb("99999999999999999999G", &mb), -EINVAL);
}

static void test_human_size_and_duration(void **state)
{
    (void)state;
    char b[16];
    cli_human_size(0, b, sizeof(b));
    assert_string_equal(b, "0B");
    cli_human_size(1023, b, sizeof(b));
    assert_string_equal(b, "1023B");
    cli_human_size(1536, b, sizeof(b));
    assert_string_equal(b, "1.5K");
    cli_human_size(20ULL << 20, b, sizeof(b));
    assert_string_equal(b, "20M");
    cli_fmt_duration(59.9, b, sizeof(b));
    assert_string_equal(b, "59s");
    cli_fmt_duration(3725, b, sizeof(b));
    assert_string_equal(b, "1h2m");
    cli_fmt_duration(90000, b, sizeof(b));
    assert_string_equal(b, "1d1h");
    cli_fmt_duration(-3, b, sizeof(b));
    assert_string_equal(b, "0s");
}

static void test_default_domain(void **state)
{
    (void)state;
    char d[64];
    /* GET /info is taken as asked and unanswered: the domain comes from the target alone. */
    cli_t cli = {.info_fetched = true};
    cli.target = "http://api.example.com:8080";
    cli_default_domain(&cli, d, sizeof(d));
    assert_string_equal(d, "example.com");
    cli.target = "http://127.0.0.1:9022";
    cli_default_domain(&cli, d, sizeof(d));
    assert_string_equal(d, "localhost");
    cli.target = "http://localhost:9022";
    cli_default_domain(&cli, d, sizeof(d));
    assert_string_equal(d, "localhost");
    cli.target = "https://api.localhost";
    cli_default_domain(&cli, d, sizeof(d));
    assert_string_equal(d, "localhost");
    cli.target = NULL;
    cli_default_domain(&cli, d, sizeof(d));
    assert_string_equal(d, "localhost");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_columns_align_without_trailing_spaces),
        cmocka_unit_test(test_utf8_counts_characters),
        cmocka_unit_test(test_many_rows_grow),
        cmocka_unit_test(test_parse_mb),
        cmocka_unit_test(test_human_size_and_duration),
        cmocka_unit_test(test_default_domain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
