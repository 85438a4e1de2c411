/*
 * Unit tests for src/warden/net_loopback.c: which net_out networks are the host's loopback,
 * the commands a loopback net_out adds (DNAT of the gateway for that container's interface,
 * route_localnet there only, loopback source), none for other networks, and the teardown
 * that removes them only for containers that had such a rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net_loopback.h"
#include "wdn_daemon.h"

static wdn_daemon_t *daemon_new(void)
{
    wdn_daemon_t *d = calloc(1, sizeof(*d));
    d->conf.net_pool = "10.254.0.0";
    d->conf.iface_prefix = "hw";
    d->conf.nft_table = "hearth_t";
    d->conf.max_containers = 16;
    return d;
}

static wdn_ctr_t *ctr_new(wdn_daemon_t *d, unsigned slot)
{
    wdn_ctr_t *c = calloc(1, sizeof(*c));
    c->d = d;
    c->slot = slot;
    c->network = true;
    c->net_out = json_array();
    return c;
}

static void ctr_free(wdn_ctr_t *c)
{
    json_decref(c->net_out);
    free(c);
}

static char *out_script(wdn_daemon_t *d, wdn_ctr_t *c, const char *net, uint32_t port,
                        const char *proto)
{
    wdn_req_t req = {.type = WDN_REQ_NET_OUT, .network = net, .port = port, .protocol = proto};
    hc_err_t err = {0};
    return wdn_net_out_script(d, c, &req, &err);
}

static void test_is_loopback(void **state)
{
    (void)state;
    assert_true(wdn_netlo_is_loopback("127.0.0.1"));
    assert_true(wdn_netlo_is_loopback("127.0.0.1/32"));
    assert_true(wdn_netlo_is_loopback("127.0.0.0/8"));
    assert_true(wdn_netlo_is_loopback("127.3.0.0/16"));
    assert_false(wdn_netlo_is_loopback("0.0.0.0/0")); /* includes loopback, is not it */
    assert_false(wdn_netlo_is_loopback("126.0.0.0/7"));
    assert_false(wdn_netlo_is_loopback("10.0.0.1/32"));
    assert_false(wdn_netlo_is_loopback("127.0.0.1/33"));
    assert_false(wdn_netlo_is_loopback("127.0.0.1/"));
    assert_false(wdn_netlo_is_loopback("127.0.0.1/8x"));
    assert_false(wdn_netlo_is_loopback("localhost"));
    assert_false(wdn_netlo_is_loopback(""));
    assert_false(wdn_netlo_is_loopback(NULL));
}

static void test_out_loopback(void **state)
{
    (void)state;
    wdn_daemon_t *d = daemon_new();
    wdn_ctr_t *c = ctr_new(d, 3);
    char *s = out_script(d, c, "127.0.0.1/32", 5432, NULL);
    assert_non_null(s);
    /* the filter rule, then the translation for slot 3 (gateway 10.254.0.13) only */
    assert_non_null(
        strstr(s, "nft add rule ip hearth_t c3 ip daddr 127.0.0.1/32 tcp dport 5432 accept"));
    assert_non_null(strstr(s, "echo 1 > /proc/sys/net/ipv4/conf/hw3-0/route_localnet"));
    assert_null(strstr(s, "conf/all/"));
    assert_null(strstr(s, "conf/default/"));
    assert_non_null(strstr(s, "add element ip hearth_t lomap { \"hw3-0\" : jump lo3 }"));
    assert_non_null(strstr(
        s, "add rule ip hearth_t lo3 ip daddr 10.254.0.13 tcp dport 5432 dnat to 127.0.0.1:5432"));
    assert_non_null(strstr(s, "snat to 127.0.0.1"));
    assert_true(strncmp(s, "set -e\n", 7) == 0);
    free(s);

    /* a wider loopback network goes to 127.0.0.1; a single other address to itself */
    s = out_script(d, c, "127.0.0.0/8", 6379, "tcp");
    assert_non_null(strstr(s, "tcp dport 6379 dnat to 127.0.0.1:6379"));
    free(s);
    s = out_script(d, c, "127.0.0.5", 6379, NULL);
    assert_non_null(strstr(s, "dnat to 127.0.0.5:6379"));
    free(s);
    s = out_script(d, c, "127.0.0.1/32", 53, "udp");
    assert_non_null(strstr(s, "udp dport 53 dnat to 127.0.0.1:53"));
    free(s);
    s = out_script(d, c, "127.0.0.1/32", 0, "all");
    assert_non_null(strstr(s, "ip daddr 10.254.0.13 dnat to 127.0.0.1\n"));
    free(s);
    /* icmp: the gateway answers itself, nothing translated */
    s = out_script(d, c, "127.0.0.1/32", 0, "icmp");
    assert_null(strstr(s, "dnat"));
    free(s);
    ctr_free(c);
    free(d);
}

static void test_out_other(void **state)
{
    (void)state;
    wdn_daemon_t *d = daemon_new();
    wdn_ctr_t *c = ctr_new(d, 0);
    /* no translation (the outside world: net_egress.c adds forwarding, tested there) */
    char *s = out_script(d, c, "10.1.0.0/16", 80, NULL);
    assert_non_null(
        strstr(s, "\nnft add rule ip hearth_t c0 ip daddr 10.1.0.0/16 tcp dport 80 accept\n"));
    assert_null(strstr(s, "dnat"));
    assert_null(strstr(s, "route_localnet"));
    free(s);
    s = out_script(d, c, "192.168.0.0/16", 80, NULL);
    assert_null(strstr(s, "dnat"));
    free(s);
    /* a bad network is still refused before any of this */
    assert_null(out_script(d, c, "127.0.0.1/32; reboot", 80, NULL));
    assert_null(out_script(d, c, "127.0.0.1/99", 80, NULL));
    assert_null(wdn_netlo_out(d, c, NULL, NULL) /* NULL in, NULL out */);
    ctr_free(c);
    free(d);
}

static void test_teardown(void **state)
{
    (void)state;
    wdn_daemon_t *d = daemon_new();
    wdn_ctr_t *c = ctr_new(d, 5);
    json_array_append_new(c->net_out, json_pack("{s:s, s:i}", "network", "10.1.0.0/16", "port", 1));
    char *base = strdup("BASE\n");
    char *s = wdn_netlo_teardown(d, c, base);
    assert_string_equal(s, "BASE\n"); /* no loopback rule: untouched, no nft run added */
    free(s);
    json_array_append_new(c->net_out,
                          json_pack("{s:s, s:i}", "network", "127.0.0.1/32", "port", 5432));
    s = wdn_netlo_teardown(d, c, strdup("BASE\n"));
    assert_non_null(strstr(s, "nft delete element ip hearth_t lomap '{ \"hw5-0\" }'"));
    assert_non_null(strstr(s, "nft delete chain ip hearth_t lo5"));
    size_t n = strlen(s);
    assert_true(n > 5 && strcmp(s + n - 5, "BASE\n") == 0); /* before the base script's exit */
    free(s);
    /* the full teardown script carries it */
    s = wdn_net_teardown_script(d, c);
    assert_non_null(strstr(s, "lomap"));
    free(s);
    assert_null(wdn_netlo_teardown(d, c, NULL));
    ctr_free(c);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_loopback),
        cmocka_unit_test(test_out_loopback),
        cmocka_unit_test(test_out_other),
        cmocka_unit_test(test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
