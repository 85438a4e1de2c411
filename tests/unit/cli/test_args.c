/* Unit tests for src/cli/args.c: option forms, values, `--`, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"

static const cli_opt_t opts[] = {
    {"path", 'p', true, "folder"},    {"instances", 'i', true, "count"},
    {"no-start", 0, false, "flag"},   {"force", 'f', false, "flag"},
    {"env", 'e', true, "repeatable"}, CLI_OPT_END,
};

static int parse(cli_args_t *a, hc_err_t *err, int argc, ...)
{
    char *argv[32];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    return cli_args_parse(opts, argc, argv, a, err);
}

static void test_forms_of_values(void **state)
{
    (void)state;
    cli_args_t a;
    hc_err_t err;
    assert_int_equal(parse(&a, &err, 6, "web", "--path", "dir", "-i3", "--env=A=1", "-e"), -EINVAL);
    assert_non_null(strstr(err.msg, "-e"));
    assert_int_equal(parse(&a, &err, 7, "web", "--path", "dir", "-i3", "--env=A=1", "-e", "B=2"),
                     0);
    assert_int_equal(a.npos, 1);
    assert_string_equal(a.pos[0], "web");
    assert_string_equal(cli_args_get(opts, &a, "path"), "dir");
    assert_string_equal(cli_args_get(opts, &a, "instances"), "3");
    /* The last value wins for get; every value stays in the set list. */
    assert_string_equal(cli_args_get(opts, &a, "env"), "B=2");
    assert_int_equal(a.nset, 4);
    assert_false(cli_args_has(opts, &a, "no-start"));
    assert_null(cli_args_get(opts, &a, "unknown"));
}

static void test_flags_and_bundles(void **state)
{
    (void)state;
    cli_args_t a;
    hc_err_t err;
    assert_int_equal(parse(&a, &err, 4, "--no-start", "-fi", "2", "--json"), 0);
    assert_true(cli_args_has(opts, &a, "no-start"));
    assert_true(cli_args_has(opts, &a, "force"));
    assert_string_equal(cli_args_get(opts, &a, "instances"), "2");
    assert_true(a.json);
    assert_false(a.help);
    assert_int_equal(parse(&a, &err, 2, "x", "-h"), 0);
    assert_true(a.help);
    assert_int_equal(parse(&a, &err, 1, "--help"), 0);
    assert_true(a.help);
}

static void test_double_dash_and_dash(void **state)
{
    (void)state;
    cli_args_t a;
    hc_err_t err;
    assert_int_equal(parse(&a, &err, 4, "--", "-i", "--path", "-"), 0);
    assert_int_equal(a.npos, 3);
    assert_string_equal(a.pos[0], "-i");
    assert_string_equal(a.pos[2], "-");
    assert_int_equal(a.nset, 0);
}

static void test_errors(void **state)
{
    (void)state;
    cli_args_t a;
    hc_err_t err;
    assert_int_equal(parse(&a, &err, 1, "--nope"), -EINVAL);
    assert_non_null(strstr(err.msg, "--nope"));
    assert_int_equal(parse(&a, &err, 1, "-z"), -EINVAL);
    assert_int_equal(parse(&a, &err, 1, "--path"), -EINVAL);
    assert_non_null(strstr(err.msg, "needs a value"));
    assert_int_equal(parse(&a, &err, 1, "--force=yes"), -EINVAL);
    assert_int_equal(parse(&a, &err, 1, "--json=1"), -EINVAL);
    char *many[CLI_MAX_POS + 1];
    for (int i = 0; i <= CLI_MAX_POS; i++)
        many[i] = "x";
    assert_int_equal(cli_args_parse(opts, CLI_MAX_POS + 1, many, &a, &err), -EINVAL);
}

static void test_command_table(void **state)
{
    (void)state;
    static const char *const verbs[] = {"target",
                                        "info",
                                        "register",
                                        "login",
                                        "logout",
                                        "passwd",
                                        "push",
                                        "apps",
                                        "app",
                                        "start",
                                        "stop",
                                        "restart",
                                        "restage",
                                        "delete",
                                        "scale",
                                        "map-route",
                                        "unmap-route",
                                        "logs",
                                        "files",
                                        "stats",
                                        "crashes",
                                        "events",
                                        "env",
                                        "set-env",
                                        "unset-env",
                                        "marketplace",
                                        "services",
                                        "create-service",
                                        "delete-service",
                                        "bind-service",
                                        "unbind-service",
                                        "buildpacks",
                                        "stacks",
                                        "users",
                                        "completion"};
    for (size_t i = 0; i < HC_ARRAY_SIZE(verbs); i++) {
        const cli_cmd_t *c = cli_command_find(verbs[i]);
        assert_non_null(c);
        assert_non_null(c->run);
        assert_true(c->max_pos < 0 || c->max_pos >= c->min_pos);
        for (size_t k = 0; c->opts && c->opts[k].name; k++) {
            assert_non_null(c->opts[k].help);
            assert_true(c->opts[k].short_name != 'h');
        }
    }
    assert_null(cli_command_find("nope"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms_of_values),      cmocka_unit_test(test_flags_and_bundles),
        cmocka_unit_test(test_double_dash_and_dash), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_command_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
