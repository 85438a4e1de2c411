/*
 * Unit tests for src/dea/svcnet.c: hosts and ports of bound services from their credentials
 * (hostname/host + port, uri/url/jdbcUrl, uris/urls) and from URIs of every usual scheme,
 * loopback detection, net_out networks, the rewrite of loopback hosts to the gateway (all
 * else byte-identical), and hostile or odd input (no crash, no over-read, nothing opened).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "svcnet.h"

static int uri(const char *s, dea_svc_uri_t *u)
{
    return dea_svcnet_parse_uri(s, strlen(s), u);
}

static void assert_host(const dea_svc_uri_t *u, const char *host)
{
    assert_int_equal(u->host_len, strlen(host));
    assert_memory_equal(u->host, host, u->host_len);
}

static void test_parse_uri(void **state)
{
    (void)state;
    dea_svc_uri_t u;
    const char *s = "redis://user:pw@127.0.0.1:6379/0";
    assert_int_equal(uri(s, &u), 0);
    assert_host(&u, "127.0.0.1");
    assert_int_equal(u.port, 6379);
    assert_int_equal(u.span_off, strlen("redis://user:pw@"));
    assert_int_equal(u.span_len, strlen("127.0.0.1"));

    assert_int_equal(uri("postgres://u:p@localhost/db?sslmode=disable", &u), 0);
    assert_host(&u, "localhost");
    assert_int_equal(u.port, 5432); /* the scheme's default */
    assert_int_equal(uri("postgresql://db.example:6543", &u), 0);
    assert_host(&u, "db.example");
    assert_int_equal(u.port, 6543);
    assert_int_equal(uri("mysql://u:p@127.0.0.1/d", &u), 0);
    assert_int_equal(u.port, 3306);
    assert_int_equal(uri("amqp://u:p@127.0.0.1:5673/%2Fvhost", &u), 0);
    assert_int_equal(u.port, 5673);
    assert_int_equal(uri("amqp://127.0.0.1", &u), 0);
    assert_int_equal(u.port, 5672);
    assert_int_equal(uri("jdbc:postgresql://127.0.0.1:5433/db?user=a", &u), 0);
    assert_host(&u, "127.0.0.1");
    assert_int_equal(u.port, 5433);
    /* userinfo with '@' and ':' inside: the last '@' of the authority ends it */
    assert_int_equal(uri("redis://u:p@ss:w@rd@127.0.0.2:7000", &u), 0);
    assert_host(&u, "127.0.0.2");
    assert_int_equal(u.port, 7000);
    /* IPv6 in brackets: the span keeps the brackets, the host does not */
    s = "redis://:pw@[::1]:6380/1";
    assert_int_equal(uri(s, &u), 0);
    assert_host(&u, "::1");
    assert_int_equal(u.port, 6380);
    assert_int_equal(u.span_len, strlen("[::1]"));
    assert_int_equal(s[u.span_off], '[');
    /* unknown scheme, no port: 0 */
    assert_int_equal(uri("foo://127.0.0.1/x", &u), 0);
    assert_int_equal(u.port, 0);
    /* an empty port is the default */
    assert_int_equal(uri("redis://127.0.0.1:/0", &u), 0);
    assert_int_equal(u.port, 6379);
    /* query and fragment end the authority */
    assert_int_equal(uri("http://h?x=a@b", &u), 0);
    assert_host(&u, "h");
    assert_int_equal(uri("http://h#@evil", &u), 0);
    assert_host(&u, "h");
}

static void test_parse_uri_bad(void **state)
{
    (void)state;
    dea_svc_uri_t u;
    static const char *const bad[] = {
        "",
        "redis",
        "redis:/127.0.0.1",
        "://127.0.0.1:1",
        "1redis://127.0.0.1",
        "re dis://127.0.0.1",
        "redis://",
        "redis://u:p@",
        "redis://u:p@:6379",
        "redis://127.0.0.1:0",
        "redis://127.0.0.1:65536",
        "redis://127.0.0.1:99999999999999999999",
        "redis://127.0.0.1:12a",
        "redis://127.0.0.1:-1",
        "redis://[::1",
        "redis://[::1]x",
        "redis://[]:1",
        "redis://127.0.0.1: 1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (uri(bad[i], &u) == 0)
            fail_msg("accepted `%s`", bad[i]);
    }
    /* a NUL inside is refused */
    assert_int_equal(dea_svcnet_parse_uri("redis://127.0.0.1\0:1", 20, &u), -EINVAL);
    /* a host longer than DEA_SVCNET_MAX_HOST */
    char big[400] = "redis://";
    memset(big + 8, 'a', 300);
    big[308] = '\0';
    assert_int_equal(uri(big, &u), -EINVAL);
    /* inputs ending right before a PROT_NONE page are read within bounds */
    static const char *const edge[] = {"redis://127.0.0.1:6379", "redis://[::1", "redis:/",
                                       "redis://u@", "r"};
    for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
        const char *g = hc_test_guard_str(edge[i]);
        (void)dea_svcnet_parse_uri(g, strlen(edge[i]), &u);
    }
    const char *g = hc_test_guard("redis://127.0.0.1:6379", 22);
    assert_int_equal(dea_svcnet_parse_uri(g, 22, &u), 0);
    assert_int_equal(u.port, 6379);
    hc_test_guard_free_all();
}

static void test_loopback(void **state)
{
    (void)state;
#define LB(s) dea_svcnet_is_loopback(s, strlen(s))
    assert_true(LB("127.0.0.1"));
    assert_true(LB("127.1.2.3"));
    assert_true(LB("127.255.255.255"));
    assert_true(LB("localhost"));
    assert_true(LB("LocalHost"));
    assert_true(LB("::1"));
    assert_true(LB("[::1]"));
    assert_false(LB("128.0.0.1"));
    assert_false(LB("10.0.0.1"));
    assert_false(LB("127.0.0.1.example"));
    assert_false(LB("127.0.0"));
    assert_false(LB("127.0.0.256"));
    assert_false(LB("localhost.evil"));
    assert_false(LB("::2"));
    assert_false(LB(""));
    assert_false(LB("["));
    assert_false(dea_svcnet_is_loopback(NULL, 0));
    assert_false(dea_svcnet_is_loopback("127.0.0.1\0x", 11));
#undef LB
}

static json_t *load(const char *s)
{
    json_error_t e;
    json_t *v = json_loads(s, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!v)
        fail_msg("bad test JSON: %s", e.text);
    return v;
}

static void test_targets(void **state)
{
    (void)state;
    json_t *s = load("[{\"name\":\"cache\",\"label\":\"redis\",\"credentials\":{"
                     "\"hostname\":\"127.0.0.1\",\"host\":\"127.0.0.1\",\"port\":6390,"
                     "\"uri\":\"redis://u:p@127.0.0.1:6390/0\"}},"
                     "{\"label\":\"postgresql\",\"credentials\":{\"host\":\"10.1.2.3\","
                     "\"port\":\"5432\",\"uri\":\"postgres://u:p@10.1.2.3:5432/d\"}},"
                     "{\"label\":\"rabbitmq\",\"credentials\":{"
                     "\"url\":\"amqp://u:p@localhost:5673/v\","
                     "\"uris\":[\"amqp://u:p@127.0.0.1:5674/v\",7,\"junk\"]}},"
                     "{\"label\":\"user-provided\",\"credentials\":{\"greeting\":\"hi\"}},"
                     "{\"label\":\"mongo\",\"credentials\":{\"hostname\":\"db.example\","
                     "\"port\":27017}},"
                     "{\"label\":\"x\"}, 5, \"str\", null]");
    dea_svc_target_t t[16];
    size_t n = dea_svcnet_targets(s, t, 16);
    assert_int_equal(n, 5);
    assert_string_equal(t[0].host, "127.0.0.1"); /* three mentions, one target */
    assert_int_equal(t[0].port, 6390);
    assert_string_equal(t[1].host, "10.1.2.3");
    assert_int_equal(t[1].port, 5432);
    assert_string_equal(t[2].host, "localhost");
    assert_int_equal(t[2].port, 5673);
    assert_string_equal(t[3].host, "127.0.0.1");
    assert_int_equal(t[3].port, 5674);
    assert_string_equal(t[4].host, "db.example");
    assert_int_equal(t[4].port, 27017);

    char net[32];
    assert_true(dea_svcnet_network(&t[0], net));
    assert_string_equal(net, "127.0.0.1/32");
    assert_true(dea_svcnet_network(&t[1], net));
    assert_string_equal(net, "10.1.2.3/32");
    assert_true(dea_svcnet_network(&t[2], net));
    assert_string_equal(net, "127.0.0.1/32");     /* localhost */
    assert_false(dea_svcnet_network(&t[4], net)); /* a name is not resolved here */
    dea_svc_target_t v6 = {.host = "::1", .port = 1};
    assert_true(dea_svcnet_network(&v6, net));
    assert_string_equal(net, "127.0.0.1/32");
    dea_svc_target_t v6b = {.host = "fe80::1", .port = 1};
    assert_false(dea_svcnet_network(&v6b, net));

    /* the bound: at most max */
    assert_int_equal(dea_svcnet_targets(s, t, 2), 2);
    json_decref(s);

    /* VCAP_SERVICES' shape {label: [...]} gives the same */
    s = load("{\"redis\":[{\"credentials\":{\"host\":\"127.0.0.1\",\"port\":1}}],"
             "\"bad\":{\"credentials\":{\"host\":\"127.0.0.1\",\"port\":2}}}");
    n = dea_svcnet_targets(s, t, 16);
    assert_int_equal(n, 1);
    assert_int_equal(t[0].port, 1);
    json_decref(s);
}

static void test_targets_odd(void **state)
{
    (void)state;
    dea_svc_target_t t[4];
    static const char *const odd[] = {
        "null",
        "[]",
        "{}",
        "[{\"credentials\":[]}]",
        "[{\"credentials\":{\"host\":\"127.0.0.1\"}}]",                 /* no port */
        "[{\"credentials\":{\"host\":\"127.0.0.1\",\"port\":0}}]",      /* bad ports */
        "[{\"credentials\":{\"host\":\"127.0.0.1\",\"port\":70000}}]",  /* */
        "[{\"credentials\":{\"host\":\"127.0.0.1\",\"port\":-5}}]",     /* */
        "[{\"credentials\":{\"host\":\"127.0.0.1\",\"port\":1.5}}]",    /* */
        "[{\"credentials\":{\"host\":\"127.0.0.1\",\"port\":\"x1\"}}]", /* */
        "[{\"credentials\":{\"host\":\"127.0.0.1\",\"port\":true}}]",   /* */
        "[{\"credentials\":{\"host\":\"\",\"port\":5}}]",               /* empty host */
        "[{\"credentials\":{\"host\":\"a\\u0000b\",\"port\":5}}]",      /* NUL in host */
        "[{\"credentials\":{\"host\":5,\"port\":5}}]",
        "[{\"credentials\":{\"uri\":\"foo://127.0.0.1/x\"}}]", /* no port known */
        "[{\"credentials\":{\"uri\":5,\"uris\":\"x\"}}]",
    };
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        json_t *s = load(odd[i]);
        size_t n = dea_svcnet_targets(s, t, 4);
        if (n != 0)
            fail_msg("`%s` gave %zu targets", odd[i], n);
        /* the rewrite leaves them alone too, except a loopback host without port */
        json_decref(s);
    }
    /* a host of 300 bytes is skipped, not truncated */
    char big[400];
    memset(big, 'a', 300);
    big[300] = '\0';
    json_t *s = json_pack("[{s:{s:s, s:i}}]", "credentials", "host", big, "port", 5);
    assert_int_equal(dea_svcnet_targets(s, t, 4), 0);
    json_decref(s);
}

static void test_rewrite(void **state)
{
    (void)state;
    const char *in =
        "[{\"name\":\"cache\",\"label\":\"redis\",\"plan\":\"small\",\"tags\":[\"redis\"],"
        "\"credentials\":{\"hostname\":\"127.0.0.1\",\"host\":\"localhost\",\"port\":6390,"
        "\"username\":\"u1\",\"password\":\"p@127.0.0.1\",\"name\":\"127.0.0.1\","
        "\"uri\":\"redis://u1:p%40x@127.0.0.1:6390/0?name=127.0.0.1#127.0.0.1\","
        "\"url\":\"amqp://[::1]:5672/v\",\"jdbcUrl\":\"jdbc:mysql://127.0.0.5/d\","
        "\"uris\":[\"redis://127.0.0.1:6390\",\"redis://10.0.0.1:6390\",3],"
        "\"urls\":[\"http://LOCALHOST:80/\"],\"other\":{\"host\":\"127.0.0.1\"}}},"
        "{\"label\":\"pg\",\"credentials\":{\"host\":\"10.1.2.3\",\"port\":5432,"
        "\"uri\":\"postgres://u:p@10.1.2.3:5432/d\"}}]";
    const char *want =
        "[{\"name\":\"cache\",\"label\":\"redis\",\"plan\":\"small\",\"tags\":[\"redis\"],"
        "\"credentials\":{\"hostname\":\"10.9.0.1\",\"host\":\"10.9.0.1\",\"port\":6390,"
        "\"username\":\"u1\",\"password\":\"p@127.0.0.1\",\"name\":\"127.0.0.1\","
        "\"uri\":\"redis://u1:p%40x@10.9.0.1:6390/0?name=127.0.0.1#127.0.0.1\","
        "\"url\":\"amqp://10.9.0.1:5672/v\",\"jdbcUrl\":\"jdbc:mysql://10.9.0.1/d\","
        "\"uris\":[\"redis://10.9.0.1:6390\",\"redis://10.0.0.1:6390\",3],"
        "\"urls\":[\"http://10.9.0.1:80/\"],\"other\":{\"host\":\"127.0.0.1\"}}},"
        "{\"label\":\"pg\",\"credentials\":{\"host\":\"10.1.2.3\",\"port\":5432,"
        "\"uri\":\"postgres://u:p@10.1.2.3:5432/d\"}}]";
    json_t *s = load(in);
    assert_int_equal(dea_svcnet_rewrite(s, "10.9.0.1"), 7);
    char *got = json_dumps(s, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_t *w = load(want);
    char *exp = json_dumps(w, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(got, exp);
    free(got);
    free(exp);
    /* a second pass finds nothing more */
    assert_int_equal(dea_svcnet_rewrite(s, "10.9.0.1"), 0);
    json_decref(s);
    json_decref(w);

    /* VCAP_SERVICES' shape, and shapes that are not services: untouched, no crash */
    s = load("{\"redis\":[{\"credentials\":{\"host\":\"127.0.0.1\"}}],\"x\":5,"
             "\"y\":[1,{\"credentials\":\"127.0.0.1\"}]}");
    assert_int_equal(dea_svcnet_rewrite(s, "10.9.0.1"), 1);
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_array_get(json_object_get(s, "redis"), 0), "credentials"),
            "host")),
        "10.9.0.1");
    json_decref(s);
    s = json_string("127.0.0.1");
    assert_int_equal(dea_svcnet_rewrite(s, "10.9.0.1"), 0);
    json_decref(s);
    assert_int_equal(dea_svcnet_rewrite(NULL, "10.9.0.1"), 0);
}

/* A rewritten start message still gives the app the same VCAP_SERVICES, hosts aside. */
static void test_rewrite_env(void **state)
{
    (void)state;
    json_t *s = load("[{\"name\":\"c\",\"label\":\"redis\",\"credentials\":{\"hostname\":"
                     "\"127.0.0.1\",\"port\":1,\"uri\":\"redis://:\\u00e9@127.0.0.1:1\"}}]");
    dea_svcnet_rewrite(s, "10.0.0.1");
    json_t *vs = dea_vcap_services(s);
    char *got = json_dumps(vs, JSON_COMPACT);
    assert_string_equal(got, "{\"redis\":[{\"name\":\"c\",\"label\":\"redis\",\"credentials\":"
                             "{\"hostname\":\"10.0.0.1\",\"port\":1,\"uri\":"
                             "\"redis://:\xc3\xa9@10.0.0.1:1\"}}]}");
    free(got);
    json_decref(vs);
    json_decref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_uri),   cmocka_unit_test(test_parse_uri_bad),
        cmocka_unit_test(test_loopback),    cmocka_unit_test(test_targets),
        cmocka_unit_test(test_targets_odd), cmocka_unit_test(test_rewrite),
        cmocka_unit_test(test_rewrite_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
