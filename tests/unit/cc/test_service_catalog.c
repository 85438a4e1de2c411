/* The checks the CC applies to a broker's GET /v2/catalog and to broker URLs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "api/service_brokers.h"

static const char *good =
    "{\"services\":[{\"id\":\"s1\",\"name\":\"mongodb\",\"description\":\"MongoDB\","
    "\"bindable\":true,\"tags\":[\"mongo\",\"document\"],"
    "\"plans\":[{\"id\":\"p1\",\"name\":\"small\",\"description\":\"1 GB\",\"free\":true},"
    "{\"id\":\"p2\",\"name\":\"large\",\"description\":\"8 GB\"}]},"
    "{\"id\":\"s2\",\"name\":\"neo4j\",\"description\":\"graphs\","
    "\"plans\":[{\"id\":\"p3\",\"name\":\"small\",\"description\":\"d\"}]}]}";

/* Checks text; returns the error message ("" when accepted). */
static const char *check(const char *text)
{
    static hc_err_t err;
    json_error_t je;
    json_t *c = json_loads(text, 0, &je);
    assert_non_null(c);
    memset(&err, 0, sizeof(err));
    int r = cc_catalog_check(c, &err);
    json_decref(c);
    if (r == 0)
        return "";
    assert_int_equal(r, -EINVAL);
    assert_true(err.msg[0] != '\0');
    return err.msg;
}

static void test_good_catalog(void **state)
{
    (void)state;
    assert_string_equal(check(good), "");
}

static void test_bad_catalogs(void **state)
{
    (void)state;
    assert_string_equal(check("[]"), "not a JSON object");
    assert_string_equal(check("{}"), "services: missing");
    assert_string_equal(check("{\"services\":{}}"), "services: not an array");
    assert_string_equal(check("{\"services\":[]}"), "services: empty, the broker offers nothing");
    assert_string_equal(check("{\"services\":[1]}"), "services[0]: not an object");
    assert_string_equal(check("{\"services\":[{\"name\":\"x\"}]}"), "services[0].id: missing");
    assert_string_equal(check("{\"services\":[{\"id\":7,\"name\":\"x\",\"description\":\"d\"}]}"),
                        "services[0].id: not a string");
    assert_string_equal(
        check("{\"services\":[{\"id\":\"a\",\"name\":\"x\",\"description\":\"d\"}]}"),
        "services[0].plans: missing");
    assert_string_equal(check("{\"services\":[{\"id\":\"a\",\"name\":\"x\",\"description\":\"d\","
                              "\"plans\":[]}]}"),
                        "services[0].plans: not a non-empty array");
    assert_string_equal(check("{\"services\":[{\"id\":\"a\",\"name\":\"x\",\"description\":\"d\","
                              "\"plans\":[{\"id\":\"p\",\"name\":\"n\"}]}]}"),
                        "services[0].plans[0].description: missing");
    assert_string_equal(check("{\"services\":[{\"id\":\"a\",\"name\":\"a b\",\"description\":"
                              "\"d\",\"plans\":[{\"id\":\"p\",\"name\":\"n\",\"description\":"
                              "\"d\"}]}]}"),
                        "services[0].name: `a b` is not of A-Z a-z 0-9 . _ -");
    assert_string_equal(check("{\"services\":[{\"id\":\"a\",\"name\":\"user-provided\","
                              "\"description\":\"d\",\"plans\":[{\"id\":\"p\",\"name\":\"n\","
                              "\"description\":\"d\"}]}]}"),
                        "services[0].name: `user-provided` is reserved");
    assert_string_equal(check("{\"services\":[{\"id\":\"a\",\"name\":\"x\",\"description\":\"d\","
                              "\"bindable\":\"yes\",\"plans\":[]}]}"),
                        "services[0].bindable: not a boolean");
    assert_string_equal(check("{\"services\":[{\"id\":\"a\",\"name\":\"x\",\"description\":\"d\","
                              "\"tags\":[1],\"plans\":[]}]}"),
                        "services[0].tags[0]: not a string");
}

static void test_duplicates(void **state)
{
    (void)state;
    const char *plan = "\"plans\":[{\"id\":\"p\",\"name\":\"n\",\"description\":\"d\"}]";
    char buf[1024];
    snprintf(buf, sizeof(buf),
             "{\"services\":[{\"id\":\"a\",\"name\":\"x\",\"description\":\"d\",%s},"
             "{\"id\":\"b\",\"name\":\"x\",\"description\":\"d\",%s}]}",
             plan, plan);
    assert_string_equal(check(buf), "services[1]: name `x` or id `b` twice in the catalog");
    snprintf(buf, sizeof(buf),
             "{\"services\":[{\"id\":\"a\",\"name\":\"x\",\"description\":\"d\",%s},"
             "{\"id\":\"b\",\"name\":\"y\",\"description\":\"d\",%s}]}",
             plan, plan);
    assert_string_equal(check(buf), "services[1].plans[0].id: `p` twice in the catalog");
    assert_string_equal(check("{\"services\":[{\"id\":\"a\",\"name\":\"x\",\"description\":\"d\","
                              "\"plans\":[{\"id\":\"p\",\"name\":\"n\",\"description\":\"d\"},"
                              "{\"id\":\"q\",\"name\":\"n\",\"description\":\"d\"}]}]}"),
                        "services[0].plans[1].name: `n` twice in the service");
}

static void test_long_id(void **state)
{
    (void)state;
    char id[200], buf[1024];
    memset(id, 'i', sizeof(id) - 1);
    id[sizeof(id) - 1] = '\0';
    snprintf(buf, sizeof(buf),
             "{\"services\":[{\"id\":\"%s\",\"name\":\"x\",\"description\":\"d\",\"plans\":[]}]}",
             id);
    assert_string_equal(check(buf), "services[0].id: length 199 is out of range 1..127");
}

static void test_urls(void **state)
{
    (void)state;
    assert_true(cc_broker_url_valid("http://127.0.0.1:9025"));
    assert_true(cc_broker_url_valid("https://broker.example.com/osb"));
    assert_false(cc_broker_url_valid("ftp://x"));
    assert_false(cc_broker_url_valid("http://"));
    assert_false(cc_broker_url_valid("http:///path"));
    assert_false(cc_broker_url_valid("http://a b"));
    assert_false(cc_broker_url_valid("http://a\n"));
    assert_false(cc_broker_url_valid(NULL));
    char big[CC_BROKER_MAX_URL + 16] = "http://";
    memset(big + 7, 'a', sizeof(big) - 8);
    big[sizeof(big) - 1] = '\0';
    assert_false(cc_broker_url_valid(big));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_catalog), cmocka_unit_test(test_bad_catalogs),
        cmocka_unit_test(test_duplicates),   cmocka_unit_test(test_long_id),
        cmocka_unit_test(test_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
