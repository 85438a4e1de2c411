/* Unit tests for src/cc/staging_log.c: live staging logs per app. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "staging_log.h"

static const char app[] = "11111111-2222-4333-8444-555555555555";

static cc_slog_result_t chunk(cc_slogs_t *s, const char *task, long seq, const char *data)
{
    char m[512];
    snprintf(m, sizeof(m), "{\"task_id\":\"%s\",\"seq\":%ld,\"data\":\"%s\"}", task, seq, data);
    return cc_slogs_msg(s, app, task, m, strlen(m));
}

static const char *text(cc_slogs_t *s)
{
    size_t len = 0;
    const char *t = cc_slogs_get(s, app, &len);
    assert_non_null(t);
    assert_int_equal(strlen(t), len);
    return t;
}

static void test_chunks_in_order_then_final_log_replaces(void **state)
{
    (void)state;
    cc_slogs_t *s = cc_slogs_new();
    size_t len;
    assert_null(cc_slogs_get(s, app, &len));
    cc_slogs_begin(s, app, "t1");
    assert_string_equal(text(s), "");
    assert_int_equal(chunk(s, "t1", 0, "one\\n"), CC_SLOG_APPENDED);
    assert_int_equal(chunk(s, "t1", 1, "two\\n"), CC_SLOG_APPENDED);
    assert_string_equal(text(s), "one\ntwo\n");
    /* A duplicate, a gap, another task's chunk: all dropped. */
    assert_int_equal(chunk(s, "t1", 1, "two\\n"), CC_SLOG_DROPPED);
    assert_int_equal(chunk(s, "t1", 0, "one\\n"), CC_SLOG_DROPPED);
    assert_int_equal(chunk(s, "t1", 5, "five\\n"), CC_SLOG_DROPPED);
    assert_int_equal(chunk(s, "t0", 2, "old\\n"), CC_SLOG_DROPPED);
    assert_int_equal(chunk(s, "t1", 2, "three\\n"), CC_SLOG_APPENDED);
    assert_string_equal(text(s), "one\ntwo\nthree\n");
    const char done[] = "{\"task_id\":\"t1\",\"seq\":3,\"done\":true}";
    assert_int_equal(cc_slogs_msg(s, app, "t1", done, strlen(done)), CC_SLOG_DONE);
    cc_slogs_set(s, app, "t1", "final\n", 6);
    assert_string_equal(text(s), "final\n");
    assert_int_equal(cc_slogs_count(s), 1);
    assert_int_equal(cc_slogs_bytes(s), 6);
    cc_slogs_free(s);
}

static void test_newer_task_wins(void **state)
{
    (void)state;
    cc_slogs_t *s = cc_slogs_new();
    cc_slogs_begin(s, app, "old");
    assert_int_equal(chunk(s, "old", 0, "old\\n"), CC_SLOG_APPENDED);
    cc_slogs_begin(s, app, "new");
    assert_string_equal(text(s), "");
    assert_int_equal(chunk(s, "old", 1, "late\\n"), CC_SLOG_DROPPED);
    assert_int_equal(chunk(s, "new", 0, "new\\n"), CC_SLOG_APPENDED);
    /* The old task's final reply does not overwrite the running task's log. */
    cc_slogs_set(s, app, "old", "old final\n", 10);
    assert_string_equal(text(s), "new\n");
    cc_slogs_set(s, app, "new", "new final\n", 10);
    assert_string_equal(text(s), "new final\n");
    cc_slogs_free(s);
}

static void test_bad_messages(void **state)
{
    (void)state;
    cc_slogs_t *s = cc_slogs_new();
    cc_slogs_begin(s, app, "t");
    static const char *const bad[] = {
        "",
        "not json",
        "[]",
        "{\"seq\":0,\"data\":\"x\"}",
        "{\"task_id\":\"t\",\"data\":\"x\"}",
        "{\"task_id\":\"t\",\"seq\":-1,\"data\":\"x\"}",
        "{\"task_id\":\"t\",\"seq\":\"0\",\"data\":\"x\"}",
        "{\"task_id\":\"t\",\"seq\":0,\"data\":7}",
        "{\"task_id\":\"t\",\"seq\":0}",
        "{\"task_id\":\"other\",\"seq\":0,\"data\":\"x\"}",
        "{\"task_id\":\"t\",\"seq\":0,\"data\":\"\\ud800\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *g = hc_test_guard(bad[i], strlen(bad[i]));
        assert_int_equal(cc_slogs_msg(s, app, "t", g, strlen(bad[i])), CC_SLOG_BAD);
    }
    assert_string_equal(text(s), "");
    /* A message for an app with no log is dropped. */
    const char m[] = "{\"task_id\":\"t\",\"seq\":0,\"data\":\"x\"}";
    assert_int_equal(cc_slogs_msg(s, "other-app", "t", m, strlen(m)), CC_SLOG_DROPPED);
    cc_slogs_free(s);
    hc_test_guard_free_all();
}

static void test_size_bound_cuts_at_utf8_boundary(void **state)
{
    (void)state;
    cc_slogs_t *s = cc_slogs_new();
    cc_slogs_begin(s, app, "t");
    /* 8 KiB chunks of two-byte characters (é) until well past the limit. */
    size_t nchars = 4096, seq = 0;
    char *m = malloc(nchars * 2 + 128);
    size_t total = 0;
    while (total < CC_MAX_STAGING_LOG + 100000) {
        int h = sprintf(m, "{\"task_id\":\"t\",\"seq\":%zu,\"data\":\"", seq);
        /* Start odd once so the cut would land inside a character. */
        size_t p = (size_t)h;
        if (seq == 0)
            m[p++] = 'a';
        for (size_t i = 0; i < nchars; i++) {
            m[p++] = (char)0xC3;
            m[p++] = (char)0xA9;
        }
        p += (size_t)sprintf(m + p, "\"}");
        assert_int_equal(cc_slogs_msg(s, app, "t", m, p), CC_SLOG_APPENDED);
        total += nchars * 2;
        seq++;
    }
    size_t len;
    const char *t = cc_slogs_get(s, app, &len);
    assert_true(len <= CC_MAX_STAGING_LOG);
    const char *mark = CC_STAGING_LOG_TRUNCATED;
    size_t ml = strlen(mark);
    assert_true(len > ml);
    assert_memory_equal(t + len - ml, mark, ml);
    /* The text before the mark ends with a whole é. */
    assert_int_equal((unsigned char)t[len - ml - 1], 0xA9);
    assert_int_equal((unsigned char)t[len - ml - 2], 0xC3);
    assert_int_equal(cc_slogs_bytes(s), len);
    /* The final log is bounded the same way. */
    char *big = malloc(CC_MAX_STAGING_LOG * 2);
    memset(big, 'x', CC_MAX_STAGING_LOG * 2);
    cc_slogs_set(s, app, "t", big, CC_MAX_STAGING_LOG * 2);
    t = cc_slogs_get(s, app, &len);
    assert_true(len <= CC_MAX_STAGING_LOG);
    assert_memory_equal(t + len - ml, mark, ml);
    free(big);
    free(m);
    cc_slogs_free(s);
}

static void test_number_of_logs_is_bounded(void **state)
{
    (void)state;
    cc_slogs_t *s = cc_slogs_new();
    char guid[64];
    for (int i = 0; i < CC_MAX_STAGING_LOGS + 50; i++) {
        snprintf(guid, sizeof(guid), "app-%d", i);
        cc_slogs_set(s, guid, NULL, "log\n", 4);
    }
    assert_int_equal(cc_slogs_count(s), CC_MAX_STAGING_LOGS);
    assert_int_equal(cc_slogs_bytes(s), 4 * CC_MAX_STAGING_LOGS);
    size_t len;
    /* The oldest went first. */
    assert_null(cc_slogs_get(s, "app-0", &len));
    assert_null(cc_slogs_get(s, "app-49", &len));
    snprintf(guid, sizeof(guid), "app-%d", CC_MAX_STAGING_LOGS + 49);
    assert_non_null(cc_slogs_get(s, guid, &len));
    cc_slogs_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunks_in_order_then_final_log_replaces),
        cmocka_unit_test(test_newer_task_wins),
        cmocka_unit_test(test_bad_messages),
        cmocka_unit_test(test_size_bound_cuts_at_utf8_boundary),
        cmocka_unit_test(test_number_of_logs_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
