/*
 * Tests for src/bus/sublist.c: wildcard matching, subject validity, queue groups merged across
 * nodes, cache invalidation on insert and remove, pruning, and 100k subscriptions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sublist.h"

static bus_sub_t *mk(const char *subj, const char *queue, const char *sid)
{
    return bus_sub_new(hc_str_c(subj), queue ? hc_str_c(queue) : HC_STR_NULL, hc_str_c(sid));
}

static uint32_t count(bus_sublist_t *sl, const char *subj, uint32_t *ret_groups)
{
    bus_result_t *r = bus_sublist_match(sl, subj, strlen(subj));
    uint32_t n = r->npsubs;
    if (ret_groups)
        *ret_groups = r->nqgroups;
    bus_result_unref(r);
    return n;
}

static void test_validity(void **state)
{
    static const char *const ok[] = {"foo",   "foo.bar", "*",    ">",  "foo.*",
                                     "foo.>", "*.*.>",   "foo*", "f.>"};
    static const char *const bad[] = {"", ".", "foo.", ".foo", "foo..bar", "foo.>.bar", ">.a"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        assert_true(bus_subject_valid(ok[i], strlen(ok[i])));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(bus_subject_valid(bad[i], strlen(bad[i])));
    assert_true(bus_subject_literal("foo*.bar", 8));
    assert_false(bus_subject_literal("foo.*", 5));
    assert_true(bus_subject_matches("a.b.c", 5, "a.>", 3));
    assert_true(bus_subject_matches("a.b", 3, "*.b", 3));
    assert_false(bus_subject_matches("a", 1, "a.>", 3));
    assert_false(bus_subject_matches("a.b.c", 5, "a.*", 3));
}

static void test_wildcards(void **state)
{
    bus_sublist_t *sl = bus_sublist_new();
    bus_sub_t *s[6] = {mk("foo.bar", NULL, "1"), mk("foo.*", NULL, "2"), mk("foo.>", NULL, "3"),
                       mk(">", NULL, "4"),       mk("*.bar", NULL, "5"), mk("foo*", NULL, "6")};
    for (int i = 0; i < 6; i++)
        assert_int_equal(bus_sublist_insert(sl, s[i]), 0);
    assert_int_equal(count(sl, "foo.bar", NULL), 5);
    assert_int_equal(count(sl, "foo.baz", NULL), 3);
    assert_int_equal(count(sl, "foo.bar.baz", NULL), 2);
    assert_int_equal(count(sl, "foo", NULL), 1);
    assert_int_equal(count(sl, "foo*", NULL), 2);
    assert_int_equal(count(sl, "fooX", NULL), 1);
    assert_int_equal(count(sl, "x.bar", NULL), 2);
    bus_sub_t *badsub = mk("foo..x", NULL, "7");
    assert_int_equal(bus_sublist_insert(sl, badsub), -EINVAL);
    free(badsub);
    for (int i = 0; i < 6; i++) {
        bus_sublist_remove(sl, s[i]);
        free(s[i]);
    }
    assert_int_equal(count(sl, "foo.bar", NULL), 0);
    bus_sublist_free(sl);
}

static void test_queue_groups_merge(void **state)
{
    bus_sublist_t *sl = bus_sublist_new();
    bus_sub_t *a = mk("q.a", "g", "1"), *b = mk("q.*", "g", "2"), *c = mk("q.>", "h", "3"),
              *d = mk("q.a", NULL, "4");
    bus_sublist_insert(sl, a);
    bus_sublist_insert(sl, b);
    bus_sublist_insert(sl, c);
    bus_sublist_insert(sl, d);
    bus_result_t *r = bus_sublist_match(sl, "q.a", 3);
    assert_int_equal(r->npsubs, 1);
    assert_int_equal(r->nqgroups, 2);
    uint32_t total = r->qgroups[0].n + r->qgroups[1].n;
    assert_int_equal(total, 3);
    assert_true((r->qgroups[0].n == 2 && r->qgroups[1].n == 1) ||
                (r->qgroups[0].n == 1 && r->qgroups[1].n == 2));
    bus_result_unref(r);
    bus_sublist_remove(sl, b);
    uint32_t groups;
    assert_int_equal(count(sl, "q.a", &groups), 1);
    assert_int_equal(groups, 2);
    bus_sublist_remove(sl, a);
    assert_int_equal(count(sl, "q.a", &groups), 1);
    assert_int_equal(groups, 1);
    bus_sublist_remove(sl, c);
    bus_sublist_remove(sl, d);
    assert_int_equal(count(sl, "q.a", &groups), 0);
    assert_int_equal(groups, 0);
    free(a);
    free(b);
    free(c);
    free(d);
    bus_sublist_free(sl);
}

/* A cached result never hides a later insert or remove, literal or wildcard. */
static void test_cache_invalidation(void **state)
{
    bus_sublist_t *sl = bus_sublist_new();
    assert_int_equal(count(sl, "a.b", NULL), 0); /* cached empty */
    uint64_t g0 = bus_sublist_gen(sl);
    bus_sub_t *lit = mk("a.b", NULL, "1");
    bus_sublist_insert(sl, lit);
    assert_true(bus_sublist_gen(sl) != g0);
    assert_int_equal(count(sl, "a.b", NULL), 1);
    bus_sub_t *wc = mk("a.*", NULL, "2");
    bus_sublist_insert(sl, wc);
    assert_int_equal(count(sl, "a.b", NULL), 2);
    assert_int_equal(count(sl, "a.c", NULL), 1);
    bus_sublist_remove(sl, wc);
    assert_int_equal(count(sl, "a.b", NULL), 1);
    assert_int_equal(count(sl, "a.c", NULL), 0);
    bus_sublist_remove(sl, lit);
    bus_sublist_remove(sl, lit); /* twice is harmless */
    assert_int_equal(count(sl, "a.b", NULL), 0);
    bus_sublist_stats_t st;
    bus_sublist_stats(sl, &st);
    assert_int_equal(st.count, 0);
    assert_int_equal(st.inserts, 2);
    assert_int_equal(st.removes, 2);
    assert_true(st.cache_hits <= st.matches);
    free(lit);
    free(wc);
    bus_sublist_free(sl);
}

/* A result held by a caller stays valid after the cache drops it. */
static void test_result_outlives_cache(void **state)
{
    bus_sublist_t *sl = bus_sublist_new();
    bus_sub_t *a = mk("x", NULL, "1");
    bus_sublist_insert(sl, a);
    bus_result_t *r = bus_sublist_match(sl, "x", 1);
    bus_sublist_remove(sl, a);
    assert_int_equal(r->npsubs, 1);
    assert_ptr_equal(r->psubs[0], a);
    bus_result_unref(r);
    free(a);
    bus_sublist_free(sl);
}

static void test_100k_subscriptions(void **state)
{
    enum { N = 100000 };
    bus_sublist_t *sl = bus_sublist_new();
    bus_sub_t **subs = calloc(N, sizeof(*subs));
    char subj[64], sid[16];
    for (int i = 0; i < N; i++) {
        snprintf(subj, sizeof(subj), i % 10 ? "app.%d.status" : "app.%d.*", i);
        snprintf(sid, sizeof(sid), "%d", i);
        subs[i] = mk(subj, NULL, sid);
        assert_int_equal(bus_sublist_insert(sl, subs[i]), 0);
    }
    bus_sub_t *all = mk("app.>", NULL, "all");
    bus_sublist_insert(sl, all);
    for (int i = 0; i < N; i += 997) {
        snprintf(subj, sizeof(subj), "app.%d.status", i);
        assert_int_equal(count(sl, subj, NULL), 2);
    }
    assert_int_equal(count(sl, "app.10.other", NULL), 2);
    assert_int_equal(count(sl, "app.11.other", NULL), 1);
    for (int i = 0; i < N; i++) {
        bus_sublist_remove(sl, subs[i]);
        free(subs[i]);
    }
    assert_int_equal(count(sl, "app.5.status", NULL), 1);
    bus_sublist_remove(sl, all);
    free(all);
    bus_sublist_stats_t st;
    bus_sublist_stats(sl, &st);
    assert_int_equal(st.count, 0);
    free(subs);
    bus_sublist_free(sl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validity),
        cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_queue_groups_merge),
        cmocka_unit_test(test_cache_invalidation),
        cmocka_unit_test(test_result_outlives_cache),
        cmocka_unit_test(test_100k_subscriptions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
