/* Unit tests for src/cli/config.c: missing file, round trip, file and directory modes, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "cli.h"

static char home[64];

static int setup(void **state)
{
    (void)state;
    snprintf(home, sizeof(home), "/tmp/hearth-cfg-XXXXXX");
    assert_non_null(mkdtemp(home));
    char sub[128];
    snprintf(sub, sizeof(sub), "%s/h", home);
    setenv("HEARTH_HOME", sub, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_missing_file_is_empty(void **state)
{
    (void)state;
    cli_t cli = {0};
    hc_err_t err;
    assert_int_equal(cli_config_load(&cli, &err), 0);
    assert_null(cli.target);
    assert_null(cli.token);
    assert_non_null(strstr(cli.home, "/h"));
    cli_release(&cli);
}

static void test_round_trip_and_modes(void **state)
{
    (void)state;
    cli_t cli = {0};
    hc_err_t err;
    assert_int_equal(cli_config_load(&cli, &err), 0);
    cli.target = hc_strdup("http://api.example.com");
    cli.token = hc_strdup("0123abcd");
    cli.email = hc_strdup("me@example.com");
    assert_int_equal(cli_config_save(&cli, &err), 0);
    char path[160];
    struct stat st;
    snprintf(path, sizeof(path), "%s/h/config", home);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(path, sizeof(path), "%s/h", home);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0077, 0); /* nobody else may read the token */
    cli_release(&cli);

    cli_t again = {0};
    assert_int_equal(cli_config_load(&again, &err), 0);
    assert_string_equal(again.target, "http://api.example.com");
    assert_string_equal(again.token, "0123abcd");
    assert_string_equal(again.email, "me@example.com");
    /* Logging out keeps the target. */
    free(again.token);
    again.token = NULL;
    assert_int_equal(cli_config_save(&again, &err), 0);
    cli_release(&again);
    assert_int_equal(cli_config_load(&again, &err), 0);
    assert_null(again.token);
    assert_string_equal(again.target, "http://api.example.com");
    cli_release(&again);
}

static void test_corrupt_file_is_an_error(void **state)
{
    (void)state;
    char path[160];
    snprintf(path, sizeof(path), "%s/h/config", home);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{not json", f);
    fclose(f);
    cli_t cli = {0};
    hc_err_t err;
    assert_true(cli_config_load(&cli, &err) < 0);
    assert_non_null(strstr(err.msg, "config"));
    cli_release(&cli);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_file_is_empty),
        cmocka_unit_test(test_round_trip_and_modes),
        cmocka_unit_test(test_corrupt_file_is_an_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
