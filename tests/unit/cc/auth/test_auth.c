/* Unit tests for src/cc/auth: argon2id hashes, token digests, login rate limiting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth/auth.h"

static void test_hash_verifies_only_its_password(void **state)
{
    (void)state;
    char h[CC_PW_HASH_LEN], h2[CC_PW_HASH_LEN];
    assert_int_equal(cc_pw_hash("secret", 6, 64 * 1024, 1, h), 0);
    assert_true(strncmp(h, "$argon2id$", 10) == 0);
    assert_true(cc_pw_verify(h, "secret", 6));
    assert_false(cc_pw_verify(h, "secreT", 6));
    assert_false(cc_pw_verify(h, "secret", 5));
    assert_false(cc_pw_verify(h, "", 0));
    /* Salted: the same password hashes differently. */
    assert_int_equal(cc_pw_hash("secret", 6, 64 * 1024, 1, h2), 0);
    assert_string_not_equal(h, h2);
    assert_false(cc_pw_verify("not a hash", "secret", 6));
}

static void test_token_is_random_and_digest_stable(void **state)
{
    (void)state;
    char a[CC_TOKEN_HEX + 1], b[CC_TOKEN_HEX + 1], d1[CC_TOKEN_HEX + 1], d2[CC_TOKEN_HEX + 1];
    cc_token_new(a);
    cc_token_new(b);
    assert_int_equal(strlen(a), CC_TOKEN_HEX);
    assert_string_not_equal(a, b);
    cc_token_digest(a, strlen(a), d1);
    cc_token_digest(a, strlen(a), d2);
    assert_string_equal(d1, d2);
    assert_string_not_equal(d1, a);
    /* SHA-256("abc") */
    cc_token_digest("abc", 3, d1);
    assert_string_equal(d1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_true(cc_secret_eq("abc", "abc"));
    assert_false(cc_secret_eq("abc", "abd"));
    assert_false(cc_secret_eq("abc", "abcd"));
}

static void test_ratelimit_blocks_then_expires(void **state)
{
    (void)state;
    cc_ratelimit_t *rl = cc_ratelimit_new(3, 1000);
    uint64_t retry = 0;
    assert_false(cc_ratelimit_blocked(rl, "a@x", 100, NULL));
    cc_ratelimit_fail(rl, "a@x", 100);
    cc_ratelimit_fail(rl, "a@x", 200);
    assert_false(cc_ratelimit_blocked(rl, "a@x", 300, NULL));
    cc_ratelimit_fail(rl, "a@x", 300);
    assert_true(cc_ratelimit_blocked(rl, "a@x", 400, &retry));
    assert_int_equal(retry, 700);
    assert_false(cc_ratelimit_blocked(rl, "b@x", 400, NULL));
    /* The window ends 1000 ms after the first failure. */
    assert_false(cc_ratelimit_blocked(rl, "a@x", 1100, NULL));
    cc_ratelimit_fail(rl, "a@x", 1200);
    assert_false(cc_ratelimit_blocked(rl, "a@x", 1200, NULL));
    cc_ratelimit_clear(rl, "a@x");
    cc_ratelimit_free(rl);
}

static void test_ratelimit_table_stays_bounded(void **state)
{
    (void)state;
    cc_ratelimit_t *rl = cc_ratelimit_new(2, 60000);
    char key[32];
    cc_ratelimit_fail(rl, "victim", 1);
    cc_ratelimit_fail(rl, "victim", 2);
    assert_true(cc_ratelimit_blocked(rl, "victim", 3, NULL));
    /* 100,000 other keys: the table never grows; old counters may be forgotten. */
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        cc_ratelimit_fail(rl, key, 10 + (uint64_t)i);
    }
    /* A long key is truncated, not overflowed. */
    char longkey[1000];
    memset(longkey, 'x', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    cc_ratelimit_fail(rl, longkey, 5);
    cc_ratelimit_fail(rl, longkey, 6);
    assert_true(cc_ratelimit_blocked(rl, longkey, 7, NULL));
    cc_ratelimit_free(rl);
}

int main(void)
{
    assert_int_equal(cc_auth_init(), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_verifies_only_its_password),
        cmocka_unit_test(test_token_is_random_and_digest_stable),
        cmocka_unit_test(test_ratelimit_blocks_then_expires),
        cmocka_unit_test(test_ratelimit_table_stays_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
