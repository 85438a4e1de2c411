/* Tests for src/core/conf/: option tables, YAML loading, errors with file:line:key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "guard.h"
#include "hc_conf.h"
#include "hc_log.h"

typedef enum { LB_RR = 0, LB_LEAST = 1 } lb_t;

typedef struct tconf_s {
    int port;
    int64_t offset;
    unsigned workers;
    uint64_t max_conns;
    bool tls;
    char *name;
    char *host;
    uint64_t drain_ms;
    uint32_t tick_ms;
    uint64_t body_max;
    char **nats_urls;
    int lb;
    int log_level;
    char *status_user;
} tconf_t;

static const hc_conf_enum_t lb_names[] = {{"round-robin", LB_RR}, {"least-conn", LB_LEAST}, {0}};

static const hc_conf_opt_t opts[] = {
    HC_CONF_INT("port", tconf_t, port, 8080, 1, 65535, "HTTP port"),
    HC_CONF_INT("offset", tconf_t, offset, -5, INT64_MIN, INT64_MAX),
    HC_CONF_UINT("workers", tconf_t, workers, 4, 1, 64, "worker count"),
    HC_CONF_UINT("max_conns", tconf_t, max_conns, 10000, 0, UINT64_MAX),
    HC_CONF_BOOL("tls", tconf_t, tls, false, "enable TLS"),
    HC_CONF_STR("name", tconf_t, name, "router"),
    HC_CONF_STR("host", tconf_t, host, NULL),
    HC_CONF_MS("drain_timeout", tconf_t, drain_ms, 20000, 0, 600000, "drain time"),
    HC_CONF_MS("tick", tconf_t, tick_ms, 250, 10, 60000),
    HC_CONF_SIZE("body_max", tconf_t, body_max, 64 * 1024 * 1024, 1024, 1ULL << 40),
    HC_CONF_STRLIST("nats.urls", tconf_t, nats_urls, "nats://127.0.0.1:4222", "bus servers"),
    HC_CONF_ENUM("lb", tconf_t, lb, lb_names, LB_RR, "balancing"),
    HC_CONF_ENUM("log.level", tconf_t, log_level, hc_conf_log_levels, HC_LOG_INFO),
    HC_CONF_STR("status.auth.user", tconf_t, status_user, "admin"),
    HC_CONF_END,
};

static int setup(void **state)
{
    tconf_t *c = calloc(1, sizeof(*c));
    hc_conf_defaults(opts, c);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    hc_conf_free(opts, *state);
    free(*state);
    hc_test_guard_free_all();
    return 0;
}

/* Loads YAML text placed against a guard page, so any over-read crashes. */
static int load(tconf_t *c, const char *yaml, hc_err_t *err)
{
    hc_err_clear(err);
    size_t len = strlen(yaml);
    return hc_conf_load_buf(opts, c, "router.yml", hc_test_guard(yaml, len), len, err);
}

static void test_defaults_without_file(void **state)
{
    tconf_t *c = *state;
    assert_int_equal(c->port, 8080);
    assert_int_equal(c->offset, -5);
    assert_int_equal(c->workers, 4);
    assert_false(c->tls);
    assert_string_equal(c->name, "router");
    assert_null(c->host);
    assert_int_equal(c->drain_ms, 20000);
    assert_int_equal(c->tick_ms, 250);
    assert_int_equal(c->body_max, 64 * 1024 * 1024);
    assert_int_equal(hc_conf_strlist_len(c->nats_urls), 1);
    assert_string_equal(c->nats_urls[0], "nats://127.0.0.1:4222");
    assert_int_equal(c->lb, LB_RR);
    assert_int_equal(c->log_level, HC_LOG_INFO);
}

static void test_load_every_type(void **state)
{
    tconf_t *c = *state;
    hc_err_t err;
    int r = load(c,
                 "# router\n"
                 "port: 9000\n"
                 "offset: -42\n"
                 "workers: 8\n"
                 "max_conns: 18446744073709551615\n"
                 "tls: yes\n"
                 "name: 'edge router'\n"
                 "host: example.com\n"
                 "drain_timeout: 5m\n"
                 "tick: 1500ms\n"
                 "body_max: 16M\n"
                 "nats:\n"
                 "  urls:\n"
                 "    - nats://10.0.0.1:4222\n"
                 "    - nats://10.0.0.2:4222\n"
                 "lb: least-conn\n"
                 "log:\n"
                 "  level: DEBUG\n"
                 "status: {auth: {user: root}}\n",
                 &err);
    assert_int_equal(r, 0);
    assert_int_equal(c->port, 9000);
    assert_int_equal(c->offset, -42);
    assert_int_equal(c->workers, 8);
    assert_true(c->max_conns == UINT64_MAX);
    assert_true(c->tls);
    assert_string_equal(c->name, "edge router");
    assert_string_equal(c->host, "example.com");
    assert_int_equal(c->drain_ms, 300000);
    assert_int_equal(c->tick_ms, 1500);
    assert_int_equal(c->body_max, 16 * 1024 * 1024);
    assert_int_equal(hc_conf_strlist_len(c->nats_urls), 2);
    assert_string_equal(c->nats_urls[1], "nats://10.0.0.2:4222");
    assert_int_equal(c->lb, LB_LEAST);
    assert_int_equal(c->log_level, HC_LOG_DEBUG);
    assert_string_equal(c->status_user, "root");
}

static void test_dotted_top_level_key_and_csv_list(void **state)
{
    tconf_t *c = *state;
    hc_err_t err;
    assert_int_equal(load(c, "nats.urls: nats://a:1, nats://b:2\nhost: ~\n", &err), 0);
    assert_int_equal(hc_conf_strlist_len(c->nats_urls), 2);
    assert_string_equal(c->nats_urls[0], "nats://a:1");
    assert_string_equal(c->nats_urls[1], "nats://b:2");
    assert_null(c->host);
}

static void test_empty_file_and_null_document_keep_defaults(void **state)
{
    tconf_t *c = *state;
    hc_err_t err;
    assert_int_equal(load(c, "", &err), 0);
    assert_int_equal(load(c, "# nothing\n---\n", &err), 0);
    assert_int_equal(load(c, "nats:\n", &err), 0);
    assert_int_equal(c->port, 8080);
}

static void test_out_of_range_names_file_line_key(void **state)
{
    tconf_t *c = *state;
    hc_err_t err;
    int r = load(c, "# a comment\n\nname: x\nport: 70000\n", &err);
    assert_int_equal(r, -EINVAL);
    assert_string_equal(err.msg, "router.yml:4: port: 70000 is out of range 1..65535");
    r = load(c, "port: 0\n", &err);
    assert_string_equal(err.msg, "router.yml:1: port: 0 is out of range 1..65535");
    r = load(c, "port: 99999999999999999999999\n", &err);
    assert_string_equal(err.msg,
                        "router.yml:1: port: 99999999999999999999999 is out of range 1..65535");
    r = load(c, "drain_timeout: 11m\n", &err);
    assert_string_equal(err.msg, "router.yml:1: drain_timeout: 11m is out of range 0..10m");
    r = load(c, "body_max: 2T\n", &err);
    assert_string_equal(err.msg, "router.yml:1: body_max: 2T is out of range 1K..1T");
}

static void test_unknown_key_reported_with_line(void **state)
{
    tconf_t *c = *state;
    hc_err_t err;
    assert_int_equal(load(c, "port: 80\nprot: 81\n", &err), -EINVAL);
    assert_string_equal(err.msg, "router.yml:2: prot: unknown key");
    assert_int_equal(load(c, "nats:\n  url: x\n", &err), -EINVAL);
    assert_string_equal(err.msg, "router.yml:2: nats.url: unknown key");
    assert_int_equal(load(c, "port:\n  deep: 1\n", &err), -EINVAL);
    assert_string_equal(err.msg, "router.yml:2: port: expected an integer, got a mapping");
}

static void test_wrong_types_reported(void **state)
{
    tconf_t *c = *state;
    hc_err_t err;
    assert_int_equal(load(c, "port: eighty\n", &err), -EINVAL);
    assert_string_equal(err.msg, "router.yml:1: port: expected an integer, got \"eighty\"");
    load(c, "workers: -1\n", &err);
    assert_string_equal(err.msg,
                        "router.yml:1: workers: expected a non-negative integer, got \"-1\"");
    load(c, "tls: maybe\n", &err);
    assert_string_equal(err.msg, "router.yml:1: tls: expected true or false, got \"maybe\"");
    load(c, "lb: random\n", &err);
    assert_string_equal(
        err.msg, "router.yml:1: lb: expected one of round-robin, least-conn, got \"random\"");
    load(c, "tick: 5 parsecs\n", &err);
    assert_string_equal(err.msg,
                        "router.yml:1: tick: expected a duration like 500ms, 20s, 5m, 1h, got \"5 "
                        "parsecs\"");
    load(c, "body_max: 1Q\n", &err);
    assert_string_equal(err.msg,
                        "router.yml:1: body_max: expected a size like 512, 64K, 16M, 1G, got "
                        "\"1Q\"");
    load(c, "port: [1, 2]\n", &err);
    assert_string_equal(err.msg, "router.yml:1: port: expected an integer, got a list");
    load(c, "port:\n", &err);
    assert_string_equal(err.msg, "router.yml:1: port: expected an integer, got null");
    load(c, "nats: 3\n", &err);
    assert_string_equal(err.msg, "router.yml:1: nats: expected a mapping, got a scalar");
    load(c, "nats:\n  urls:\n    - a\n    - {x: 1}\n", &err);
    assert_string_equal(err.msg, "router.yml:4: nats.urls: expected a string in the list, got a "
                                 "mapping");
    load(c, "- port\n", &err);
    assert_string_equal(err.msg, "router.yml:1: expected a mapping of keys at the top, got a list");
}

static void test_duplicate_key_and_second_document_refused(void **state)
{
    tconf_t *c = *state;
    hc_err_t err;
    assert_int_equal(load(c, "port: 1\nport: 2\n", &err), -EINVAL);
    assert_string_equal(err.msg, "router.yml:2: port: set twice");
    assert_int_equal(load(c, "nats.urls: a\nnats:\n  urls: b\n", &err), -EINVAL);
    assert_string_equal(err.msg, "router.yml:3: nats.urls: set twice");
    assert_int_equal(load(c, "port: 1\n---\nport: 2\n", &err), -EINVAL);
    assert_string_equal(err.msg, "router.yml:2: only one YAML document is allowed");
}

static void test_syntax_error_has_line(void **state)
{
    tconf_t *c = *state;
    hc_err_t err;
    assert_int_equal(load(c, "port: 1\nname: \"unterminated\n", &err), -EINVAL);
    assert_string_equal(err.msg, "router.yml:3: invalid YAML: found unexpected end of stream "
                                 "while scanning a quoted scalar");
    assert_int_equal(load(c, "port: 1\n- x\n", &err), -EINVAL);
    assert_string_equal(err.msg, "router.yml:2: invalid YAML: did not find expected key while "
                                 "parsing a block mapping");
}

static void test_hostile_input_refused(void **state)
{
    tconf_t *c = *state;
    hc_err_t err;
    /* Aliases are never expanded: the classic "billion laughs" stops at the first alias. */
    assert_int_equal(load(c,
                          "a: &a [x, x, x, x, x, x, x, x, x]\n"
                          "b: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n",
                          &err),
                     -EINVAL);
    assert_non_null(strstr(err.msg, "router.yml:1: a: unknown key"));
    assert_int_equal(load(c, "name: &n x\nhost: *n\n", &err), -EINVAL);
    assert_string_equal(err.msg, "router.yml:2: YAML aliases are not supported");

    /* Deep nesting is refused at its first level that matches no section. */
    hc_buf_t b;
    hc_buf_init(&b, 0);
    for (int i = 0; i < 10000; i++)
        hc_buf_append_str(&b, "[");
    assert_int_equal(load(c, b.data, &err), -EINVAL);
    hc_buf_reset(&b);
    for (int i = 0; i < 5000; i++)
        hc_buf_append_str(&b, "{a: ");
    assert_int_equal(load(c, b.data, &err), -EINVAL);
    assert_string_equal(err.msg, "router.yml:1: a: unknown key");

    /* Too big. */
    hc_buf_reset(&b);
    while (b.len <= HC_CONF_MAX_FILE)
        hc_buf_append_str(&b, "# padding padding padding padding padding padding padding\n");
    assert_int_equal(hc_conf_load_buf(opts, c, "big.yml", b.data, b.len, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "big.yml: too large"));
    hc_buf_release(&b);

    /* Control bytes in keys and values are escaped in messages. */
    assert_int_equal(load(c, "\"po\\ert\": 1\n", &err), -EINVAL);
    assert_string_equal(err.msg, "router.yml:1: \"po\\x1brt\": unknown key");
    assert_int_equal(load(c, "port: \"1\\n2\"\n", &err), -EINVAL);
    assert_string_equal(err.msg, "router.yml:1: port: expected an integer, got \"1\\x0a2\"");
    assert_int_equal(load(c, "name: \"a\\0b\"\n", &err), -EINVAL);
    assert_string_equal(err.msg, "router.yml:1: name: value contains a NUL byte");

    /* Long strings and lists are bounded. */
    hc_buf_init(&b, 0);
    hc_buf_append_str(&b, "name: ");
    for (int i = 0; i <= HC_CONF_MAX_STR; i++)
        hc_buf_append_byte(&b, 'x');
    assert_int_equal(load(c, b.data, &err), -EINVAL);
    assert_string_equal(err.msg, "router.yml:1: name: value is too long (4097 bytes, max 4096)");
    hc_buf_reset(&b);
    hc_buf_append_str(&b, "nats.urls: [");
    for (int i = 0; i <= HC_CONF_MAX_LIST; i++)
        hc_buf_append_str(&b, "u,");
    hc_buf_append_str(&b, "]");
    assert_int_equal(load(c, b.data, &err), -EINVAL);
    assert_string_equal(err.msg, "router.yml:1: nats.urls: too many items (max 256)");
    hc_buf_release(&b);
}

static void test_set_from_command_line(void **state)
{
    tconf_t *c = *state;
    hc_err_t err;
    hc_err_clear(&err);
    assert_int_equal(hc_conf_set(opts, c, "port", "9001", &err), 0);
    assert_int_equal(c->port, 9001);
    assert_int_equal(hc_conf_set(opts, c, "nats.urls", "nats://x:1,nats://y:2,", &err), 0);
    assert_int_equal(hc_conf_strlist_len(c->nats_urls), 2);
    assert_int_equal(hc_conf_set(opts, c, "port", "70000", &err), -EINVAL);
    assert_string_equal(err.msg, "port: 70000 is out of range 1..65535");
    assert_int_equal(c->port, 9001);
    assert_int_equal(hc_conf_set(opts, c, "nope", "1", &err), -EINVAL);
    assert_string_equal(err.msg, "nope: unknown option");
    assert_int_equal(hc_conf_set(opts, c, "host", "h", &err), 0);
    assert_string_equal(c->host, "h");
}

static void test_load_file_errors(void **state)
{
    tconf_t *c = *state;
    hc_err_t err;
    hc_err_clear(&err);
    assert_int_equal(hc_conf_load_file(opts, c, "/nonexistent/router.yml", &err), -ENOENT);
    assert_string_equal(err.msg, "/nonexistent/router.yml: No such file or directory");
    assert_int_equal(hc_conf_load_file(opts, c, "/tmp", &err), -EINVAL);
    assert_string_equal(err.msg, "/tmp: not a regular file");

    /* A file over the limit is refused before it is read into memory. */
    char big[] = "/tmp/hearth-conf-big-XXXXXX";
    int bfd = mkstemp(big);
    assert_true(bfd >= 0);
    assert_int_equal(ftruncate(bfd, (off_t)HC_CONF_MAX_FILE + 1), 0);
    close(bfd);
    assert_int_equal(hc_conf_load_file(opts, c, big, &err), -EINVAL);
    assert_non_null(strstr(err.msg, ": too large (1048577 bytes, max 1048576)"));
    unlink(big);

    char path[] = "/tmp/hearth-conf-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "port: 7000\ntick: 2s\n";
    assert_int_equal(write(fd, text, sizeof(text) - 1), sizeof(text) - 1);
    close(fd);
    assert_int_equal(hc_conf_load_file(opts, c, path, &err), 0);
    assert_int_equal(c->port, 7000);
    assert_int_equal(c->tick_ms, 2000);
    unlink(path);
}

static void test_format_round_trips(void **state)
{
    tconf_t *c = *state;
    hc_buf_t b;
    hc_buf_init(&b, 0);
    hc_conf_format(hc_conf_find(opts, "drain_timeout"), c, &b);
    assert_string_equal(b.data, "20s");
    hc_buf_reset(&b);
    hc_conf_format(hc_conf_find(opts, "body_max"), c, &b);
    assert_string_equal(b.data, "64M");
    hc_buf_reset(&b);
    hc_conf_format(hc_conf_find(opts, "lb"), c, &b);
    assert_string_equal(b.data, "round-robin");
    hc_buf_reset(&b);
    hc_conf_format(hc_conf_find(opts, "host"), c, &b);
    assert_string_equal(b.data, "~");
    hc_buf_release(&b);
}

static void test_help_lists_every_option(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    hc_conf_print_help(opts, f);
    fclose(f);
    for (const hc_conf_opt_t *o = opts; o->name; o++)
        assert_non_null(strstr(text, o->name));
    assert_non_null(strstr(text, "port                         int       8080                     "
                                 "HTTP port [1..65535]\n"));
    assert_non_null(strstr(text, "duration  20s"));
    assert_non_null(strstr(text, "[round-robin|least-conn]"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults_without_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_every_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dotted_top_level_key_and_csv_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_file_and_null_document_keep_defaults, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_out_of_range_names_file_line_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key_reported_with_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_types_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_key_and_second_document_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_syntax_error_has_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_input_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_from_command_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_file_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_round_trips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_help_lists_every_option, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
