/* Tests for src/bus/conf.c and args.c: nats-server style config files, flags, clear errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "args.h"
#include "server.h"

static char g_path[64];

static const char *write_conf(const char *text)
{
    snprintf(g_path, sizeof(g_path), "/tmp/hearth-bus-conf-XXXXXX");
    int fd = mkstemp(g_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return g_path;
}

static void test_full_file(void **state)
{
    bus_opts_t o;
    hc_err_t err;
    bus_opts_defaults(&o);
    const char *p = write_conf("# hearth bus\n"
                               "listen: 127.0.0.2:5222\n"
                               "http = 8223\n"
                               "max_payload: 2MB\n"
                               "max_pending = 128MB, max_control_line: 8KB\n"
                               "max_connections 100\n"
                               "ping_interval: \"30s\"\n"
                               "ping_max: 3\n"
                               "write_deadline: '500ms'\n"
                               "// comment\n"
                               "authorization {\n"
                               "  user: alice\n"
                               "  password: \"s3cret pass\"\n"
                               "  timeout: 3\n"
                               "}\n"
                               "tls { cert_file: \"/c.pem\", key_file: /k.pem }\n");
    assert_int_equal(bus_conf_load(&o, p, &err), 0);
    assert_string_equal(o.host, "127.0.0.2");
    assert_int_equal(o.port, 5222);
    assert_int_equal(o.http_port, 8223);
    assert_int_equal(o.max_payload, 2 * 1024 * 1024);
    assert_int_equal(o.max_pending, 128 * 1024 * 1024);
    assert_int_equal(o.max_control_line, 8192);
    assert_int_equal(o.max_connections, 100);
    assert_int_equal(o.ping_interval_ms, 30000);
    assert_int_equal(o.ping_max, 3);
    assert_int_equal(o.write_deadline_ms, 500);
    assert_int_equal(o.auth_timeout_ms, 3000);
    assert_string_equal(o.user, "alice");
    assert_string_equal(o.pass, "s3cret pass");
    assert_true(o.tls);
    assert_string_equal(o.tls_cert, "/c.pem");
    assert_string_equal(o.tls_key, "/k.pem");
    unlink(p);
    bus_opts_release(&o);
}

static void expect_error(const char *text, const char *needle)
{
    bus_opts_t o;
    hc_err_t err;
    bus_opts_defaults(&o);
    const char *p = write_conf(text);
    assert_true(bus_conf_load(&o, p, &err) < 0);
    if (!strstr(err.msg, needle))
        fail_msg("error '%s' lacks '%s'", err.msg, needle);
    assert_non_null(strstr(err.msg, p));
    unlink(p);
    bus_opts_release(&o);
}

static void test_errors_name_the_line(void **state)
{
    expect_error("port: 4222\nport: 70000\n", ":2: port: `70000` is out of range");
    expect_error("\n\nbogus: 1\n", ":3: unknown key `bogus`");
    expect_error("max_payload: lots\n", ":1: max_payload: `lots` is not a size");
    expect_error("authorization {\n user: a\n", ":1: block `authorization` is not closed");
    expect_error("ping_interval: \"2 weeks\"\n", ":1: ping_interval");
    expect_error("cluster { port: 1 }\n", "unknown block `cluster`");
    expect_error("tls {\n nope: 1\n}\n", ":2: unknown key `nope` in this block");
    expect_error("user: \"unterminated\n", ":1: `user`: unterminated string");
}

static void test_flags_override_file(void **state)
{
    bus_opts_t o;
    hc_err_t err;
    const char *p = write_conf("port: 5000\nmax_payload: 1KB\n");
    char *argv[] = {"hearth-bus", "-c",     (char *)p, "-p",  "6000", "--user",
                    "u",          "--pass", "x",       "-DV", NULL};
    assert_int_equal(bus_args_parse(10, argv, &o, &err), BUS_ARGS_RUN);
    assert_int_equal(o.port, 6000);
    assert_int_equal(o.max_payload, 1024);
    assert_string_equal(o.user, "u");
    assert_true(o.debug && o.trace);
    bus_opts_release(&o);
    char *bad[] = {"hearth-bus", "--what", NULL};
    assert_true(bus_args_parse(2, bad, &o, &err) < 0);
    assert_non_null(strstr(err.msg, "--what"));
    bus_opts_release(&o);
    char *half[] = {"hearth-bus", "--user", "u", NULL};
    assert_true(bus_args_parse(3, half, &o, &err) < 0);
    bus_opts_release(&o);
    char *big[] = {"hearth-bus", "--max_payload", "100000000", NULL};
    assert_true(bus_args_parse(3, big, &o, &err) < 0);
    bus_opts_release(&o);
    char *help[] = {"hearth-bus", "-h", NULL};
    assert_int_equal(bus_args_parse(2, help, &o, &err), BUS_ARGS_HELP);
    bus_opts_release(&o);
    unlink(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_errors_name_the_line),
        cmocka_unit_test(test_flags_override_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
