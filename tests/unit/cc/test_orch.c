/* Unit tests for src/cc/orch.c: staging URL tokens and the DEA pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "orch.h"

static const char guid[] = "11111111-2222-4333-8444-555555555555";
static const char sha[] = "0123456789abcdef0123456789abcdef01234567";

static void test_tokens_bind_purpose_app_and_package(void **state)
{
    (void)state;
    cc_ctx_t cc = {0};
    char key[] = "0123456789abcdef0123456789abcdef", tok[CC_TOKEN_MAX];
    cc.signing_key = key;
    cc_orch_token(&cc, "pkg", guid, sha, tok);
    assert_true(cc_orch_token_ok(&cc, "pkg", guid, sha, tok));
    assert_false(cc_orch_token_ok(&cc, "drop", guid, sha, tok));
    assert_false(cc_orch_token_ok(&cc, "pkg", "11111111-2222-4333-8444-000000000000", sha, tok));
    assert_false(
        cc_orch_token_ok(&cc, "pkg", guid, "1123456789abcdef0123456789abcdef01234567", tok));
    /* Tampered MAC, tampered expiry, garbage. */
    char bad[CC_TOKEN_MAX + 8];
    snprintf(bad, sizeof(bad), "%s", tok);
    bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0';
    assert_false(cc_orch_token_ok(&cc, "pkg", guid, sha, bad));
    snprintf(bad, sizeof(bad), "9%s", tok);
    assert_false(cc_orch_token_ok(&cc, "pkg", guid, sha, bad));
    assert_false(cc_orch_token_ok(&cc, "pkg", guid, sha, ""));
    assert_false(cc_orch_token_ok(&cc, "pkg", guid, sha, "123.zz"));
    assert_false(cc_orch_token_ok(&cc, "pkg", guid, sha, "1.00"));
    /* Another process (another key) cannot verify it. */
    char key2[] = "fedcba9876543210fedcba9876543210";
    cc.signing_key = key2;
    assert_false(cc_orch_token_ok(&cc, "pkg", guid, sha, tok));
    /* An expired token: a correct MAC over a past expiry. */
    cc.signing_key = key;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char hex[2 * sizeof(mac) + 1], msg[256];
    snprintf(msg, sizeof(msg), "pkg|%s|%s|%lld", guid, sha, 1000LL);
    crypto_auth_hmacsha256(mac, (const unsigned char *)msg, strlen(msg),
                           (const unsigned char *)key);
    sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
    snprintf(bad, sizeof(bad), "1000.%s", hex);
    assert_false(cc_orch_token_ok(&cc, "pkg", guid, sha, bad));
}

static void test_dea_pool_from_advertisements(void **state)
{
    (void)state;
    uv_loop_t loop;
    cc_ctx_t cc = {0};
    uv_loop_init(&loop);
    cc.loop = &loop;
    assert_int_equal(cc_orch_num_deas(&cc), 0);
    static const char *const msgs[] = {
        "{\"id\":\"a\",\"available_memory\":1024,\"stacks\":[\"s1\",7,\"\"]}",
        "{\"id\":\"b\",\"available_memory\":2048,\"app_id_to_count\":{\"x\":1},"
        "\"stacks\":[\"s1\",\"s2\"]}",
        "{\"id\":\"a\",\"available_memory\":512}", /* an update, not a new DEA */
        "not json",
        "{\"available_memory\":1}",
        "{\"id\":\"c\",\"available_memory\":\"lots\"}",
        "[]",
    };
    for (size_t i = 0; i < HC_ARRAY_SIZE(msgs); i++)
        cc_orch_advertise(&cc, msgs[i], strlen(msgs[i]));
    assert_int_equal(cc_orch_num_deas(&cc), 2);
    /* DEA a's update carried no stacks: only b's count. */
    json_t *st = cc_orch_stacks(&cc);
    char *s = json_dumps(st, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(s, "[{\"deas\":1,\"name\":\"s1\"},{\"deas\":1,\"name\":\"s2\"}]");
    free(s);
    json_decref(st);
    /* A flood of distinct ids stays bounded. */
    char m[128];
    for (int i = 0; i < CC_MAX_DEAS + 100; i++) {
        int n = snprintf(m, sizeof(m), "{\"id\":\"d%d\",\"available_memory\":1}", i);
        cc_orch_advertise(&cc, m, (size_t)n);
    }
    assert_int_equal(cc_orch_num_deas(&cc), CC_MAX_DEAS);
    cc_orch_free(&cc);
    uv_loop_close(&loop);
}

int main(void)
{
    assert_true(sodium_init() >= 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens_bind_purpose_app_and_package),
        cmocka_unit_test(test_dea_pool_from_advertisements),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
