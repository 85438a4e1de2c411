/* Unit tests for src/core/net/ipv4.c: strict dotted quads and networks from bounded text. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hc_ipv4.h"

static bool cidr(const char *s, const char *want_addr, unsigned want_bits)
{
    struct in_addr a;
    unsigned bits = 99;
    if (!hc_cidr4_parse(s, strlen(s), &a, &bits))
        return false;
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a, text, sizeof(text));
    assert_string_equal(text, want_addr);
    assert_int_equal(bits, want_bits);
    return true;
}

static void test_ipv4(void **state)
{
    (void)state;
    struct in_addr a;
    assert_true(hc_ipv4_parse("10.0.0.1", 8, &a));
    assert_int_equal(ntohl(a.s_addr), 0x0a000001);
    assert_true(hc_ipv4_parse("10.0.0.1:53", 8, &a)); /* only the slice counts */
    static const char *const bad[] = {
        "",         "1.2.3",    "1.2.3.4.5", "01.2.3.4",  "256.1.1.1",
        " 1.2.3.4", "1.2.3.4 ", "a.b.c.d",   "1.2.3.4/8", "255.255.255.255.1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        assert_false(hc_ipv4_parse(bad[i], strlen(bad[i]), &a));
    assert_false(hc_ipv4_parse("1.2\0.3.4", 8, &a)); /* a NUL inside */
    assert_false(hc_ipv4_parse(NULL, 0, &a));
}

static void test_cidr4(void **state)
{
    (void)state;
    assert_true(cidr("10.0.0.0/8", "10.0.0.0", 8));
    assert_true(cidr("0.0.0.0/0", "0.0.0.0", 0));
    assert_true(cidr("192.168.1.7", "192.168.1.7", 32));
    assert_true(cidr("127.0.0.1/32", "127.0.0.1", 32));
    static const char *const bad[] = {"10.0.0.0/",    "10.0.0.0/33", "10.0.0.0/x",  "/8",
                                      "10.0.0.0/8/8", "10.0.0/8",    "10.0.0.0/-1", "10.0.0.0/ 8"};
    struct in_addr a;
    unsigned bits;
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        assert_false(hc_cidr4_parse(bad[i], strlen(bad[i]), &a, &bits));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4),
        cmocka_unit_test(test_cidr4),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
