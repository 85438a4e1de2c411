/* Unit tests for src/dea/logdrain.c's pure parts: drain URLs (syslog, syslog-tls), message
 * framing, addresses. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "logdrain.h"

static void test_parse_url(void **state)
{
    (void)state;
    char host[64];
    int port = 0;
    bool tls = true;
    assert_int_equal(
        dea_logdrain_parse_url("syslog://logs.example.com:514", host, sizeof(host), &port, &tls),
        0);
    assert_string_equal(host, "logs.example.com");
    assert_int_equal(port, 514);
    assert_false(tls);
    assert_int_equal(
        dea_logdrain_parse_url("syslog://10.0.0.7:6514/", host, sizeof(host), &port, &tls), 0);
    assert_string_equal(host, "10.0.0.7");
    assert_int_equal(
        dea_logdrain_parse_url("syslog://[fd00::1]:601", host, sizeof(host), &port, &tls), 0);
    assert_string_equal(host, "fd00::1");
    assert_int_equal(port, 601);
    static const char *const bad[] = {
        NULL,
        "",
        "syslog://",
        "syslog://host",
        "syslog://host:",
        "syslog://:514",
        "syslog://host:0",
        "syslog://host:65536",
        "syslog://host:12x",
        "https://host:514",
        "syslog://ho st:514",
        "syslog://[fd00::1:514",
        "syslog://host:514?x",
        "syslog://a@b:514",
        "syslog://[fd00::zz]:514",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        assert_int_equal(dea_logdrain_parse_url(bad[i], host, sizeof(host), &port, &tls), -EINVAL);
    char tiny[4];
    assert_int_equal(
        dea_logdrain_parse_url("syslog://long.host:514", tiny, sizeof(tiny), &port, &tls), -EINVAL);
}

/* syslog-tls://HOST:PORT: the same host and port rules, and the scheme says TLS. */
static void test_parse_url_tls(void **state)
{
    (void)state;
    char host[64];
    int port = 0;
    bool tls = false;
    assert_int_equal(dea_logdrain_parse_url("syslog-tls://logs.papertrailapp.com:6514", host,
                                            sizeof(host), &port, &tls),
                     0);
    assert_string_equal(host, "logs.papertrailapp.com");
    assert_int_equal(port, 6514);
    assert_true(tls);
    tls = false;
    assert_int_equal(
        dea_logdrain_parse_url("syslog-tls://192.0.2.9:6514/", host, sizeof(host), &port, &tls), 0);
    assert_string_equal(host, "192.0.2.9");
    assert_true(tls);
    tls = false;
    assert_int_equal(
        dea_logdrain_parse_url("syslog-tls://[2001:db8::5]:6514", host, sizeof(host), &port, &tls),
        0);
    assert_string_equal(host, "2001:db8::5");
    assert_true(tls);
    static const char *const bad[] = {
        "syslog-tls://",
        "syslog-tls://host",
        "syslog-tls://host:",
        "syslog-tls://:6514",
        "syslog-tls://host:0",
        "syslog-tls://host:99999",
        "syslog-tls://ho_st:6514",
        "syslog-tls://ho st:6514",
        "syslog-tls://u@host:6514",
        "syslog-tls://[fd00::1:6514",
        "syslog-tls://[fd00::g]:6514",
        "syslog-tls://host:6514#x",
        "syslog+tls://host:6514",
        "syslog-tcp://host:6514",
        "syslogtls://host:6514",
        "SYSLOG-TLS://host:6514",
        "https://host:6514",
        "tls://host:6514",
    };
    port = 7;
    tls = false;
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        assert_int_equal(dea_logdrain_parse_url(bad[i], host, sizeof(host), &port, &tls), -EINVAL);
    assert_int_equal(port, 7); /* nothing written on a refusal */
    assert_false(tls);
}

static void test_frame(void **state)
{
    (void)state;
    hc_buf_t b;
    hc_buf_init(&b, 4096);
    struct timespec ts = {.tv_sec = 1795567938, .tv_nsec = 123456789};
    dea_logdrain_frame(&b, false, &ts, "myapp", "guid-1", "[APP/0]", "hello", 5);
    const char *msg = "<14>1 2026-11-25T00:52:18.123456Z myapp guid-1 [APP/0] - - hello";
    char want[256];
    snprintf(want, sizeof(want), "%zu %s", strlen(msg), msg);
    assert_string_equal(b.data, want);
    hc_buf_reset(&b);
    dea_logdrain_frame(&b, true, &ts, "a", "g", "[APP/3]", "", 0);
    assert_non_null(strstr(b.data, " <11>1 "));
    assert_non_null(strstr(b.data, "[APP/3] - - "));
    hc_buf_release(&b);
}

static bool refused(const char *ip, bool allow_loopback)
{
    struct sockaddr_storage ss = {0};
    if (strchr(ip, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, ip, &a->sin6_addr), 1);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, ip, &a->sin_addr), 1);
    }
    return dea_logdrain_addr_refused((struct sockaddr *)&ss, allow_loopback);
}

static void test_addresses(void **state)
{
    (void)state;
    assert_true(refused("127.0.0.1", false));
    assert_false(refused("127.0.0.1", true));
    assert_true(refused("127.9.9.9", false));
    assert_true(refused("169.254.169.254", true)); /* cloud metadata, always */
    assert_true(refused("0.0.0.0", true));
    assert_true(refused("::1", false));
    assert_false(refused("::1", true));
    assert_true(refused("::", true));
    assert_true(refused("fe80::1", true));
    assert_true(refused("::ffff:127.0.0.1", false));
    assert_true(refused("::ffff:169.254.1.1", true));
    assert_false(refused("10.1.2.3", false));
    assert_false(refused("192.168.1.1", false));
    assert_false(refused("203.0.113.5", false));
    assert_false(refused("2001:db8::1", false));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_url),
        cmocka_unit_test(test_parse_url_tls),
        cmocka_unit_test(test_frame),
        cmocka_unit_test(test_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
