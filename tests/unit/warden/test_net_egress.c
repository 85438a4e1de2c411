/*
 * Unit tests for src/warden/net_egress.c: which net_out networks are "wide" (cover the whole
 * container pool), the guard that keeps a wide rule off the other containers and the host's
 * own addresses, the forwarding switch a non-loopback rule turns on (never off), and none of
 * it for loopback rules or narrow networks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net_egress.h"
#include "wdn_daemon.h"

static wdn_daemon_t *daemon_new(void)
{
    wdn_daemon_t *d = calloc(1, sizeof(*d));
    d->conf.net_pool = "10.254.0.0";
    d->conf.iface_prefix = "hw";
    d->conf.nft_table = "hearth_t";
    d->conf.max_containers = 16; /* 64 addresses: 10.254.0.0/26 */
    return d;
}

static char *out_script(wdn_daemon_t *d, wdn_ctr_t *c, const char *net, uint32_t port,
                        const char *proto)
{
    wdn_req_t req = {.type = WDN_REQ_NET_OUT, .network = net, .port = port, .protocol = proto};
    hc_err_t err = {0};
    return wdn_net_out_script(d, c, &req, &err);
}

static void test_is_wide(void **state)
{
    (void)state;
    wdn_daemon_t *d = daemon_new();
    assert_true(wdn_netx_is_wide(d, NULL));
    assert_true(wdn_netx_is_wide(d, "0.0.0.0/0"));
    assert_true(wdn_netx_is_wide(d, "10.0.0.0/8"));
    assert_true(wdn_netx_is_wide(d, "10.254.0.0/26"));
    assert_true(wdn_netx_is_wide(d, "10.254.0.0/16"));
    assert_false(wdn_netx_is_wide(d, "10.254.0.0/27")); /* part of the pool: names containers */
    assert_false(wdn_netx_is_wide(d, "10.254.0.6/32"));
    assert_false(wdn_netx_is_wide(d, "192.168.0.0/16"));
    assert_false(wdn_netx_is_wide(d, "11.0.0.0/8"));
    assert_false(wdn_netx_is_wide(d, "10.255.255.53/32"));
    assert_false(wdn_netx_is_wide(d, "10.255.255.53"));
    assert_false(wdn_netx_is_wide(d, "127.0.0.0/8"));
    assert_false(wdn_netx_is_wide(d, "junk"));
    assert_false(wdn_netx_is_wide(d, "0.0.0.0/x"));
    free(d);
}

static void test_rules(void **state)
{
    (void)state;
    wdn_daemon_t *d = daemon_new();
    wdn_ctr_t c = {.d = d, .slot = 2, .network = true};
    /* the outside world: forwarding first, the pool and the host's addresses kept out */
    char *s = out_script(d, &c, "0.0.0.0/0", 443, "tcp");
    assert_non_null(s);
    assert_non_null(strstr(s, "echo 1 > /proc/sys/net/ipv4/ip_forward"));
    assert_null(strstr(s, "echo 0")); /* never turned off */
    assert_non_null(strstr(s, "nft add rule ip hearth_t c2 ip daddr 0.0.0.0/0 ip daddr != "
                              "10.254.0.0/26 fib daddr type != local tcp dport 443 accept\n"));
    assert_true(strstr(s, "ip_forward") < strstr(s, "nft add rule"));
    free(s);
    s = out_script(d, &c, NULL, 80, NULL);
    assert_non_null(strstr(s, "c2 ip daddr != 10.254.0.0/26 fib daddr type != local tcp dport "
                              "80 accept\n"));
    free(s);
    /* a named resolver: forwarding, no guard */
    s = out_script(d, &c, "10.255.255.53/32", 53, "udp");
    assert_non_null(strstr(s, "ip_forward"));
    assert_non_null(strstr(s, "c2 ip daddr 10.255.255.53/32 udp dport 53 accept\n"));
    assert_null(strstr(s, "fib"));
    free(s);
    /* another container, named explicitly: allowed as before */
    s = out_script(d, &c, "10.254.0.6/32", 8080, NULL);
    assert_non_null(strstr(s, "c2 ip daddr 10.254.0.6/32 tcp dport 8080 accept\n"));
    free(s);
    /* one of the host's own addresses: nothing to route */
    s = out_script(d, &c, "127.0.0.1", 0, "icmp");
    assert_null(strstr(s, "ip_forward"));
    free(s);
    /* the host's loopback: translated, not forwarded */
    c.net_out = json_array();
    s = out_script(d, &c, "127.0.0.53/32", 53, "udp");
    assert_null(strstr(s, "ip_forward"));
    assert_non_null(strstr(s, "dnat to 127.0.0.53:53"));
    free(s);
    json_decref(c.net_out);
    assert_null(wdn_netx_out(d, &(wdn_req_t){.network = "0.0.0.0/0"}, NULL));
    free(d);
}

static void test_guard(void **state)
{
    (void)state;
    wdn_daemon_t *d = daemon_new();
    char g[96];
    wdn_netx_guard(d, "1.2.3.4/32", g, sizeof(g));
    assert_string_equal(g, "");
    wdn_netx_guard(d, "0.0.0.0/0", g, sizeof(g));
    assert_string_equal(g, "ip daddr != 10.254.0.0/26 fib daddr type != local ");
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_wide),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_guard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
