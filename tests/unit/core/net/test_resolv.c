/*
 * Unit tests for src/core/net/resolv.c: nameservers from resolv.conf text (IPv4 only, at
 * most three, no duplicates, comments and junk skipped), reading a file, and the resolv.conf
 * a container gets (a loopback resolver replaced by the gateway, search/options kept).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "guard.h"
#include "hc_resolv.h"

static size_t parse(const char *s, hc_resolv_t *r)
{
    return hc_resolv_parse(s, strlen(s), r);
}

static void test_plain(void **state)
{
    (void)state;
    hc_resolv_t r;
    assert_int_equal(parse("nameserver 10.255.255.53\n", &r), 1);
    assert_string_equal(r.ns[0], "10.255.255.53");
    assert_int_equal(parse("# generated\nsearch example.org\nnameserver 1.1.1.1\n"
                           "nameserver\t8.8.8.8  # second\r\noptions edns0\n",
                           &r),
                     2);
    assert_string_equal(r.ns[0], "1.1.1.1");
    assert_string_equal(r.ns[1], "8.8.8.8");
    /* no final newline, leading blanks */
    assert_int_equal(parse("  nameserver 127.0.0.53", &r), 1);
    assert_string_equal(r.ns[0], "127.0.0.53");
}

static void test_skipped(void **state)
{
    (void)state;
    hc_resolv_t r;
    assert_int_equal(parse("", &r), 0);
    assert_int_equal(hc_resolv_parse(NULL, 0, &r), 0);
    assert_int_equal(parse("# nameserver 1.2.3.4\n; nameserver 1.2.3.5\n", &r), 0);
    assert_int_equal(parse("nameserver ::1\nnameserver fe80::1%eth0\n", &r), 0);
    assert_int_equal(parse("nameserver 1.2.3\nnameserver 1.2.3.4.5\nnameserver 256.1.1.1\n", &r),
                     0);
    assert_int_equal(parse("nameserverx 1.2.3.4\nNAMESERVER 1.2.3.4\nnameserver\n", &r), 0);
    assert_int_equal(parse("nameserver 1.2.3.4x\nnameserver 01.2.3.4\n", &r), 0);
    /* a duplicate counts once; a fourth is ignored, as by the C library */
    assert_int_equal(parse("nameserver 1.1.1.1\nnameserver 1.1.1.1\nnameserver 2.2.2.2\n"
                           "nameserver 3.3.3.3\nnameserver 4.4.4.4\n",
                           &r),
                     3);
    assert_string_equal(r.ns[2], "3.3.3.3");
    /* a NUL inside a line does not extend an address */
    const char nul[] = "nameserver 9.9.9.9\0\nnameserver 1.0.0.1\n";
    assert_int_equal(hc_resolv_parse(nul, sizeof(nul) - 1, &r), 1);
    assert_string_equal(r.ns[0], "1.0.0.1");
}

static void test_guarded(void **state)
{
    (void)state;
    hc_resolv_t r;
    const char *cases[] = {"nameserver 1.2.3.4",        "nameserver ", "nameserver", "n", "  ",
                           "nameserver 255.255.255.255"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = strlen(cases[i]);
        const char *g = hc_test_guard(cases[i], n);
        hc_resolv_parse(g, n, &r);
        free(hc_resolv_for_container(g, n, "10.254.0.1"));
    }
    assert_int_equal(hc_resolv_parse(hc_test_guard("nameserver 1.2.3.4", 18), 18, &r), 1);
}

static void test_read(void **state)
{
    (void)state;
    char path[] = "/tmp/hearth-resolv-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *t = "nameserver 192.0.2.53\n";
    assert_int_equal(write(fd, t, strlen(t)), (ssize_t)strlen(t));
    close(fd);
    hc_resolv_t r;
    hc_err_t err = {0};
    assert_int_equal(hc_resolv_read(path, &r, &err), 1);
    assert_string_equal(r.ns[0], "192.0.2.53");
    unlink(path);
    assert_true(hc_resolv_read(path, &r, &err) < 0);
    assert_int_equal(r.n, 0);
    assert_true(err.msg[0] != '\0');
}

static void test_loopback(void **state)
{
    (void)state;
    assert_true(hc_resolv_is_loopback("127.0.0.53"));
    assert_true(hc_resolv_is_loopback("127.255.0.1"));
    assert_false(hc_resolv_is_loopback("128.0.0.1"));
    assert_false(hc_resolv_is_loopback("10.0.0.1"));
    assert_false(hc_resolv_is_loopback("localhost"));
    assert_false(hc_resolv_is_loopback(NULL));
}

static void test_for_container(void **state)
{
    (void)state;
    const char *host = "# stub\nnameserver 127.0.0.53\nnameserver 10.0.0.2\n"
                       "nameserver 127.0.0.1\noptions edns0 trust-ad\nsearch lan corp\n"
                       "sortlist 10.0.0.0\n";
    char *c = hc_resolv_for_container(host, strlen(host), "10.254.0.1");
    hc_resolv_t r;
    assert_int_equal(parse(c, &r), 2); /* both loopback resolvers become the gateway, once */
    assert_string_equal(r.ns[0], "10.254.0.1");
    assert_string_equal(r.ns[1], "10.0.0.2");
    assert_non_null(strstr(c, "\noptions edns0 trust-ad\n"));
    assert_non_null(strstr(c, "\nsearch lan corp\n"));
    assert_null(strstr(c, "sortlist"));
    assert_null(strstr(c, "127.0.0"));
    free(c);
    c = hc_resolv_for_container("", 0, "10.254.0.1");
    assert_int_equal(parse(c, &r), 0);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),    cmocka_unit_test(test_skipped),
        cmocka_unit_test(test_guarded),  cmocka_unit_test(test_read),
        cmocka_unit_test(test_loopback), cmocka_unit_test(test_for_container),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
