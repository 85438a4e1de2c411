/* Unit tests for src/cli/cmd/ups.c: the flags of cups/uups turned into a request body. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"
#include "cmd/ups.h"

/* Parses argv with the cups options and builds the body; returns cli_ups_body's result. */
static int body_of(json_t **ret, int argc, ...)
{
    char *argv[16];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    cli_args_t a;
    hc_err_t err;
    assert_int_equal(cli_args_parse(cli_ups_opts, argc, argv, &a, &err), 0);
    cli_t cli = {.verb = "cups"};
    *ret = json_object();
    return cli_ups_body(&cli, &a, *ret);
}

static void test_inline_json_and_tags(void **state)
{
    (void)state;
    json_t *b;
    assert_int_equal(
        body_of(&b, 5, "db", "-p", " {\"uri\":\"x://y\",\"n\":2}", "-t", " pg , ,legacy "), 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(b, "credentials"), "uri")), "x://y");
    json_t *tags = json_object_get(b, "tags");
    assert_int_equal(json_array_size(tags), 2);
    assert_string_equal(json_string_value(json_array_get(tags, 0)), "pg");
    assert_string_equal(json_string_value(json_array_get(tags, 1)), "legacy");
    assert_null(json_object_get(b, "syslog_drain_url"));
    json_decref(b);
}

static void test_urls(void **state)
{
    (void)state;
    json_t *b;
    assert_int_equal(body_of(&b, 5, "logs", "-l", "syslog://h:514", "--route-service-url",
                             "https://r.example.com"),
                     0);
    assert_string_equal(json_string_value(json_object_get(b, "syslog_drain_url")),
                        "syslog://h:514");
    assert_string_equal(json_string_value(json_object_get(b, "route_service_url")),
                        "https://r.example.com");
    assert_null(json_object_get(b, "credentials"));
    json_decref(b);
}

static void test_file_and_errors(void **state)
{
    (void)state;
    char path[] = "/tmp/hearth-ups-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "{\"k\":\"v\"}\n", 10), 10);
    close(fd);
    json_t *b;
    char at[64];
    snprintf(at, sizeof(at), "@%s", path);
    assert_int_equal(body_of(&b, 3, "x", "-p", at), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(b, "credentials"), "k")),
                        "v");
    json_decref(b);
    assert_int_equal(body_of(&b, 3, "x", "-p", path), 0);
    json_decref(b);
    /* Not an object, not JSON, no such file: a usage error, nothing added. */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "[1]", 3), 3);
    close(fd);
    assert_int_equal(body_of(&b, 3, "x", "-p", path), CLI_USAGE);
    assert_null(json_object_get(b, "credentials"));
    json_decref(b);
    assert_int_equal(body_of(&b, 3, "x", "-p", "{\"a\":"), CLI_USAGE);
    json_decref(b);
    assert_int_equal(body_of(&b, 3, "x", "-p", "/nonexistent/creds.json"), CLI_USAGE);
    json_decref(b);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inline_json_and_tags),
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_file_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
