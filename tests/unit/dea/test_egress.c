/*
 * Unit tests for src/dea/egress.c: allow-list entries (PROTO:NETWORK[:PORT]) accepted and
 * refused, and the rules of a staging container (DNS to each resolver, then the allow-list).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "egress.h"

static void test_parse_ok(void **state)
{
    (void)state;
    dea_egress_rule_t r;
    hc_err_t err = {0};
    assert_int_equal(dea_egress_parse("tcp:0.0.0.0/0:443", &r, &err), 0);
    assert_string_equal(r.protocol, "tcp");
    assert_string_equal(r.network, "0.0.0.0/0");
    assert_int_equal(r.port, 443);
    assert_int_equal(dea_egress_parse("udp:10.0.0.2:123", &r, &err), 0);
    assert_string_equal(r.network, "10.0.0.2/32");
    assert_int_equal(r.port, 123);
    assert_int_equal(dea_egress_parse("all:192.168.0.0/16", &r, &err), 0);
    assert_string_equal(r.protocol, "all");
    assert_int_equal(r.port, 0);
    assert_int_equal(dea_egress_parse("icmp:0.0.0.0/0", &r, &err), 0);
    assert_int_equal(dea_egress_parse("tcp:255.255.255.255/32:65535", &r, &err), 0);
    assert_string_equal(r.network, "255.255.255.255/32");
}

static void test_parse_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "tcp",
        "tcp:",
        "TCP:0.0.0.0/0:443",
        "sctp:0.0.0.0/0:1",
        "tcp:0.0.0.0/33:1",
        "tcp:0.0.0.0/:1",
        "tcp:0.0.0.0/0:",
        "tcp:0.0.0.0/0:0",
        "tcp:0.0.0.0/0:65536",
        "tcp:0.0.0.0/0:443:1",
        "tcp:example.org:443",
        "tcp:::1:443",
        "tcp:1.2.3.4 :443",
        "tcp:1.2.3.4/8; reboot",
        "icmp:0.0.0.0/0:8",
        "tcp:1111.2.3.4/8:1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        dea_egress_rule_t r;
        hc_err_t err = {0};
        assert_int_equal(dea_egress_parse(bad[i], &r, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "PROTO:NETWORK"));
        assert_string_equal(r.network, "");
    }
    dea_egress_rule_t r;
    hc_err_t err = {0};
    assert_int_equal(dea_egress_parse(NULL, &r, &err), -EINVAL);
}

static void test_rules(void **state)
{
    (void)state;
    hc_resolv_t dns;
    const char *conf = "nameserver 10.255.255.53\nnameserver 127.0.0.53\n";
    hc_resolv_parse(conf, strlen(conf), &dns);
    char *allow[] = {"tcp:0.0.0.0/0:80", "bogus", "tcp:0.0.0.0/0:443", NULL};
    dea_egress_rule_t out[DEA_EGRESS_MAX_RULES];
    size_t n = dea_egress_rules(allow, &dns, out, DEA_EGRESS_MAX_RULES);
    assert_int_equal(n, 6);
    assert_string_equal(out[0].protocol, "udp");
    assert_string_equal(out[0].network, "10.255.255.53/32");
    assert_int_equal(out[0].port, 53);
    assert_string_equal(out[1].protocol, "tcp");
    assert_int_equal(out[1].port, 53);
    assert_string_equal(out[2].network, "127.0.0.53/32"); /* warden translates it */
    assert_string_equal(out[4].network, "0.0.0.0/0");
    assert_int_equal(out[4].port, 80);
    assert_int_equal(out[5].port, 443);
    /* bounded, and nothing at all is fine */
    assert_int_equal(dea_egress_rules(allow, &dns, out, 3), 3);
    assert_int_equal(dea_egress_rules(NULL, NULL, out, DEA_EGRESS_MAX_RULES), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
