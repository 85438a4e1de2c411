/* Unit tests for src/cli/push/manifest.c, every input against a guard page (STYLE R28). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "push/manifest.h"

static int parse(const char *text, cli_manifest_t *m, hc_err_t *err)
{
    return cli_manifest_parse(hc_test_guard_str(text), strlen(text), "manifest.yml", "/base", m,
                              err);
}

static void test_today_form_with_several_apps(void **state)
{
    (void)state;
    cli_manifest_t m;
    hc_err_t err;
    static const char y[] = "---\n"
                            "memory: 128M\n"
                            "domain: example.org\n"
                            "applications:\n"
                            "- name: web\n"
                            "  path: ./site\n"
                            "  instances: 3\n"
                            "  host: www\n"
                            "  buildpack: python\n"
                            "  command: gunicorn app:app\n"
                            "  env:\n"
                            "    DEBUG: 'false'\n"
                            "    PORT_HINT: 8080\n"
                            "  services: [db, cache]\n"
                            "- name: worker\n"
                            "  path: /abs/worker\n"
                            "  memory: 1G\n"
                            "  no-route: true\n"
                            "  routes:\n"
                            "  - route: w.example.org\n"
                            "  stack: default\n";
    assert_int_equal(parse(y, &m, &err), 0);
    assert_int_equal(m.n, 2);
    cli_app_spec_t *a = &m.apps[0], *b = &m.apps[1];
    assert_string_equal(a->name, "web");
    assert_string_equal(a->path, "/base/./site");
    assert_int_equal(a->instances, 3);
    assert_int_equal(a->memory_mb, 128); /* top-level default */
    assert_string_equal(a->domain, "example.org");
    assert_string_equal(a->host, "www");
    assert_string_equal(a->buildpack, "python");
    assert_string_equal(a->command, "gunicorn app:app");
    assert_string_equal(json_string_value(json_object_get(a->env, "DEBUG")), "false");
    assert_string_equal(json_string_value(json_object_get(a->env, "PORT_HINT")), "8080");
    assert_int_equal(json_array_size(a->services), 2);
    assert_string_equal(json_string_value(json_array_get(a->services, 1)), "cache");
    assert_false(a->no_route);
    assert_string_equal(b->name, "worker");
    assert_string_equal(b->path, "/abs/worker");
    assert_int_equal(b->memory_mb, 1024);
    assert_int_equal(b->instances, -1);
    assert_true(b->no_route);
    assert_string_equal(json_string_value(json_array_get(b->routes, 0)), "w.example.org");
    assert_string_equal(b->stack, "default");
    assert_int_equal(json_object_size(b->env), 0);
    cli_manifest_release(&m);
}

static void test_single_app_and_vmc_forms(void **state)
{
    (void)state;
    cli_manifest_t m;
    hc_err_t err;
    assert_int_equal(parse("name: solo\nmem: 64M\n", &m, &err), 0);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.apps[0].name, "solo");
    assert_string_equal(m.apps[0].path, "/base");
    assert_int_equal(m.apps[0].memory_mb, 64);
    cli_manifest_release(&m);

    static const char vmc[] = "applications:\n"
                              "  .:\n"
                              "    name: front\n"
                              "    runtime: node\n"
                              "    services:\n"
                              "      mysql-front:\n"
                              "        type: mysql\n"
                              "  ../api:\n"
                              "    name: api\n";
    assert_int_equal(parse(vmc, &m, &err), 0);
    assert_int_equal(m.n, 2);
    assert_string_equal(m.apps[0].path, "/base/.");
    assert_string_equal(m.apps[0].stack, "node");
    assert_string_equal(json_string_value(json_array_get(m.apps[0].services, 0)), "mysql-front");
    assert_string_equal(m.apps[1].path, "/base/../api");
    cli_manifest_release(&m);
}

static void expect_error(const char *y, const char *line_and_what)
{
    cli_manifest_t m;
    hc_err_t err;
    assert_int_equal(parse(y, &m, &err), -EINVAL);
    if (!strstr(err.msg, line_and_what))
        fail_msg("error `%s` lacks `%s`", err.msg, line_and_what);
}

static void test_errors_name_line_and_key(void **state)
{
    (void)state;
    expect_error("applications:\n- name: a\n  instances: lots\n", "manifest.yml:3: instances");
    expect_error("applications:\n- name: a\n  memory: 12Q\n", "manifest.yml:3: memory");
    expect_error("applications:\n- path: x\n", "has no `name`");
    expect_error("applications:\n- name: a\n  env: [1, 2]\n", "env: expected a map");
    expect_error("applications:\n- name: a\n  env:\n    A=B: c\n", "without `=`");
    expect_error("applications:\n- name: a\n  services: 3\n", "services: expected a list");
    expect_error("applications:\n- name: [x]\n", "name: expected a string");
    expect_error("applications: []\n", "empty");
    expect_error("applications: 3\n", "expected a list of apps");
    expect_error("- a\n- b\n", "expected a map");
    expect_error("", "expected a map");
    expect_error("applications:\n- name: a\n  path: 'unterminated\n", "manifest.yml:");
    expect_error("a: [\n", "manifest.yml:");
}

/* health-check-type (CF's none stored as process) and its endpoint, inherited from the top. */
static void test_health_check(void **state)
{
    (void)state;
    cli_manifest_t m;
    hc_err_t err;
    static const char y[] = "health-check-type: http\napplications:\n"
                            "- {name: a, health-check-http-endpoint: /healthz?deep=1}\n"
                            "- {name: b, health-check-type: none}\n"
                            "- {name: c, health-check-type: port}\n";
    assert_int_equal(parse(y, &m, &err), 0);
    static const char *const want[][2] = {
        {"http", "/healthz?deep=1"}, {"process", NULL}, {"port", NULL}};
    assert_int_equal(m.n, HC_ARRAY_SIZE(want));
    for (size_t i = 0; i < HC_ARRAY_SIZE(want); i++) {
        assert_string_equal(m.apps[i].health_check_type, want[i][0]);
        if (want[i][1])
            assert_string_equal(m.apps[i].health_check_endpoint, want[i][1]);
        else
            assert_null(m.apps[i].health_check_endpoint);
    }
    cli_manifest_release(&m);
    assert_int_equal(parse("name: a\n", &m, &err), 0);
    assert_null(m.apps[0].health_check_type);
    assert_null(m.apps[0].health_check_endpoint);
    cli_manifest_release(&m);

    expect_error("applications:\n- name: a\n  health-check-type: tcp\n",
                 "manifest.yml:3: health-check-type: expected port, process or http");
    expect_error("applications:\n- name: a\n  health-check-type: [http]\n",
                 "manifest.yml:3: health-check-type");
    expect_error("applications:\n- name: a\n\n  health-check-http-endpoint: health\n",
                 "manifest.yml:4: health-check-http-endpoint: expected a path");
    expect_error("applications:\n- name: a\n  health-check-http-endpoint: /a b\n",
                 "manifest.yml:3: health-check-http-endpoint");
    expect_error("applications:\n- name: a\n  health-check-http-endpoint: {}\n",
                 "manifest.yml:3: health-check-http-endpoint");
}

static void test_hostile_inputs_do_not_crash(void **state)
{
    (void)state;
    static const char *const inputs[] = {
        "\x00\x01\x02",
        "&a [*a]",
        "applications: &x\n- *x\n",
        "{{{{{{{{",
        "? [a]\n: b\n",
        "applications:\n- ? [k]\n  : v\n  name: n\n",
        "%YAML 9.9\n---\na: b\n",
        "\xff\xfe",
    };
    for (size_t i = 0; i < HC_ARRAY_SIZE(inputs); i++) {
        cli_manifest_t m = {0};
        hc_err_t err;
        size_t len = i == 0 ? 3 : strlen(inputs[i]);
        int r = cli_manifest_parse(hc_test_guard(inputs[i], len), len, "m.yml", ".", &m, &err);
        if (r == 0)
            cli_manifest_release(&m);
    }
}

static int teardown(void **state)
{
    (void)state;
    hc_test_guard_free_all();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_today_form_with_several_apps),
        cmocka_unit_test(test_single_app_and_vmc_forms),
        cmocka_unit_test(test_errors_name_line_and_key),
        cmocka_unit_test(test_health_check),
        cmocka_unit_test(test_hostile_inputs_do_not_crash),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
