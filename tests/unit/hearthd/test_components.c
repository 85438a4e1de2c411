/* Unit tests for src/hearthd/components.c: ports from --port-base, child arguments and env. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hd.h"

static const int *port_list(const hd_ports_t *p, size_t *n)
{
    static int v[17];
    const int all[] = {
        p->router, p->router_tls, p->router_status, p->bus,           p->bus_monitor, p->cc,
        p->dea,    p->hm,         p->broker,        p->broker_status, p->dea_status,  p->pg,
        p->mysql,  p->amqp,       p->amqp_mgmt,     p->epmd,          p->amqp_dist};
    memcpy(v, all, sizeof(v));
    *n = HC_ARRAY_SIZE(all);
    return v;
}

static void test_default_ports_are_the_documented_ones(void **state)
{
    (void)state;
    hd_ports_t p;
    hd_ports_init(&p, 0);
    assert_int_equal(p.router, 8080);
    assert_int_equal(p.bus, 4222);
    assert_int_equal(p.cc, 9022);
    assert_int_equal(p.broker, 9025);
    /* backing services off the well-known ports a Debian install may hold */
    assert_int_equal(p.pg, 9028);
    assert_int_equal(p.mysql, 9029);
    assert_int_equal(p.amqp, 9030);
    assert_int_equal(p.epmd, 9032);
    assert_int_not_equal(p.pg, 5432);
}

static void test_port_base_gives_seventeen_distinct_ports_from_n(void **state)
{
    (void)state;
    hd_ports_t p;
    hd_ports_init(&p, 20000);
    size_t n;
    const int *v = port_list(&p, &n);
    assert_int_equal(n, 17);
    for (size_t i = 0; i < n; i++) {
        assert_in_range(v[i], 20000, 20016);
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(v[i], v[j]);
    }
    assert_int_equal(p.router, 20000);
    assert_int_equal(p.cc, 20005);
    assert_int_equal(p.pg, 20011);
    assert_int_equal(p.amqp, 20013);
}

static void test_child_args_and_env(void **state)
{
    (void)state;
    hd_t hd = {0};
    hd.logs_dir = "/tmp/logs";
    hd.children = hc_calloc(HD_MAX_CHILDREN, sizeof(*hd.children));
    hd_child_t *c = hd_child_add(&hd, "x", hc_strdup("/bin/true"));
    assert_string_equal(c->log_path, "/tmp/logs/x.log");
    hd_child_arg(c, false, "--port=%d", 7);
    hd_child_arg(c, true, "init-%s", "a");
    assert_int_equal(c->argc, 1);
    assert_string_equal(c->argv[0], "--port=7");
    assert_null(c->argv[1]);
    assert_int_equal(c->init_argc, 1);
    assert_string_equal(c->init_argv[0], "init-a");

    setenv("HD_TEST_KEY", "old", 1);
    hd_child_setenv(c, "HD_TEST_KEY", "new");
    hd_child_setenv(c, "HD_TEST_OTHER", "1");
    hd_child_setenv(c, "HD_TEST_OTHER", "2");
    size_t found_key = 0, found_other = 0, n = 0;
    for (char **e = c->env; *e; e++, n++) {
        found_key += strncmp(*e, "HD_TEST_KEY=", 12) == 0;
        found_other += strncmp(*e, "HD_TEST_OTHER=", 14) == 0;
        if (strncmp(*e, "HD_TEST_KEY=", 12) == 0)
            assert_string_equal(*e, "HD_TEST_KEY=new");
        if (strncmp(*e, "HD_TEST_OTHER=", 14) == 0)
            assert_string_equal(*e, "HD_TEST_OTHER=2");
    }
    assert_int_equal(found_key, 1); /* replaced, not doubled */
    assert_int_equal(found_other, 1);
    assert_true(n >= 2);
    hd_components_release(&hd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_ports_are_the_documented_ones),
        cmocka_unit_test(test_port_base_gives_seventeen_distinct_ports_from_n),
        cmocka_unit_test(test_child_args_and_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
