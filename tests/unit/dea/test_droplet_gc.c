/*
 * Unit tests for src/dea/droplet_lru.c: which cached droplets an eviction run removes (least
 * recently used first, never one in use, never one younger than min_age, down to max_size or
 * as low as those allow) and which files of the droplets directory are droplets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "droplet_gc.h"

#define NOW ((int64_t)1700000000000)
#define MIN ((int64_t)60 * 1000)

/* Entry i: SHA-1 "i" repeated, size in bytes, last used `ago` ms before NOW. */
static dea_gc_entry_t ent(char c, uint64_t size, int64_t ago)
{
    dea_gc_entry_t e = {.size = size, .mtime_ms = NOW - ago};
    memset(e.sha1, c, HC_SHA1_HEX);
    e.sha1[HC_SHA1_HEX] = '\0';
    return e;
}

/* Exactly the entries whose letter is in `gone` are marked. */
static void expect_evicted(const dea_gc_entry_t *e, size_t n, const char *gone)
{
    for (size_t i = 0; i < n; i++)
        if (e[i].evict != (strchr(gone, e[i].sha1[0]) != NULL))
            fail_msg("%c: evict is %d", e[i].sha1[0], e[i].evict);
}

static uint64_t kept(const dea_gc_entry_t *e, size_t n)
{
    uint64_t t = 0;
    for (size_t i = 0; i < n; i++)
        if (!e[i].evict)
            t += e[i].size;
    return t;
}

static void test_under_limit_nothing(void **state)
{
    (void)state;
    dea_gc_entry_t e[] = {ent('a', 100, 60 * MIN), ent('b', 100, 50 * MIN)};
    uint64_t bytes = 7;
    assert_int_equal(dea_gc_select(e, 2, NULL, 0, 200, 0, NOW, &bytes), 0);
    assert_int_equal(bytes, 0);
    assert_false(e[0].evict || e[1].evict);
    assert_int_equal(dea_gc_select(e, 0, NULL, 0, 0, 0, NOW, &bytes), 0);
}

static void test_lru_order(void **state)
{
    (void)state;
    /* given out of order: c is the oldest, then a, then d, then b */
    dea_gc_entry_t e[] = {ent('a', 100, 30 * MIN), ent('b', 100, 1 * MIN), ent('c', 100, 90 * MIN),
                          ent('d', 100, 20 * MIN)};
    uint64_t bytes;
    assert_int_equal(dea_gc_select(e, 4, NULL, 0, 250, 0, NOW, &bytes), 2);
    assert_int_equal(bytes, 200);
    expect_evicted(e, 4, "ca");
    assert_true(kept(e, 4) <= 250);
    /* one big old droplet is enough: the smaller, newer ones stay */
    dea_gc_entry_t f[] = {ent('a', 1000, 90 * MIN), ent('b', 10, 80 * MIN), ent('c', 10, 70 * MIN)};
    assert_int_equal(dea_gc_select(f, 3, NULL, 0, 500, 0, NOW, NULL), 1);
    expect_evicted(f, 3, "a");
    /* max_size 0: everything unprotected goes */
    assert_int_equal(dea_gc_select(f, 3, NULL, 0, 0, 0, NOW, NULL), 3);
    assert_int_equal(kept(f, 3), 0);
}

static void test_equal_mtimes_by_sha1(void **state)
{
    (void)state;
    dea_gc_entry_t e[] = {ent('c', 100, MIN), ent('a', 100, MIN), ent('b', 100, MIN)};
    assert_int_equal(dea_gc_select(e, 3, NULL, 0, 200, 0, NOW, NULL), 1);
    expect_evicted(e, 3, "a");
}

static void test_in_use_kept(void **state)
{
    (void)state;
    dea_gc_entry_t e[] = {ent('a', 100, 90 * MIN), ent('b', 100, 80 * MIN), ent('c', 100, 70 * MIN),
                          ent('d', 100, 60 * MIN)};
    dea_sha1_t in_use[2];
    memcpy(in_use[0].hex, e[0].sha1, sizeof(in_use[0].hex));
    memcpy(in_use[1].hex, e[2].sha1, sizeof(in_use[1].hex));
    uint64_t bytes;
    /* the oldest (a) runs: b goes, then c runs too: d goes */
    assert_int_equal(dea_gc_select(e, 4, in_use, 2, 200, 0, NOW, &bytes), 2);
    assert_int_equal(bytes, 200);
    expect_evicted(e, 4, "bd");
    assert_int_equal(kept(e, 4), 200);
    /* in use alone over the limit: every other one goes, the used ones stay */
    assert_int_equal(dea_gc_select(e, 4, in_use, 2, 50, 0, NOW, &bytes), 2);
    expect_evicted(e, 4, "bd");
    assert_int_equal(kept(e, 4), 200);
}

static void test_min_age_kept(void **state)
{
    (void)state;
    /* min_age 10 min: b (5 min) and c (just now) are young, a is old */
    dea_gc_entry_t e[] = {ent('a', 100, 11 * MIN), ent('b', 100, 5 * MIN), ent('c', 100, 0)};
    uint64_t bytes;
    assert_int_equal(dea_gc_select(e, 3, NULL, 0, 0, (uint64_t)10 * MIN, NOW, &bytes), 1);
    assert_int_equal(bytes, 100);
    expect_evicted(e, 3, "a");
    /* exactly min_age old is old enough */
    dea_gc_entry_t f[] = {ent('a', 100, 10 * MIN)};
    assert_int_equal(dea_gc_select(f, 1, NULL, 0, 0, (uint64_t)10 * MIN, NOW, NULL), 1);
    /* a last use in the future (clock stepped back) counts as recent */
    dea_gc_entry_t g[] = {ent('a', 100, -5 * MIN), ent('b', 100, 20 * MIN)};
    assert_int_equal(dea_gc_select(g, 2, NULL, 0, 0, (uint64_t)10 * MIN, NOW, NULL), 1);
    expect_evicted(g, 2, "b");
    /* min_age 0: the one used just now may go too */
    assert_int_equal(dea_gc_select(e, 3, NULL, 0, 0, 0, NOW, NULL), 3);
}

static void test_all_protections(void **state)
{
    (void)state;
    /* a in use, d young: b and c go although the total stays over max_size */
    dea_gc_entry_t e[] = {ent('a', 300, 90 * MIN), ent('b', 100, 80 * MIN), ent('c', 100, 70 * MIN),
                          ent('d', 300, MIN)};
    dea_sha1_t in_use[1];
    memcpy(in_use[0].hex, e[0].sha1, sizeof(in_use[0].hex));
    uint64_t bytes;
    assert_int_equal(dea_gc_select(e, 4, in_use, 1, 400, (uint64_t)10 * MIN, NOW, &bytes), 2);
    assert_int_equal(bytes, 200);
    expect_evicted(e, 4, "bc");
    assert_int_equal(kept(e, 4), 600);
}

static void test_kind(void **state)
{
    (void)state;
    char sha1[HC_SHA1_HEX + 1];
    const char *hex = "0123456789abcdef0123456789abcdef01234567";
    char name[64];
    snprintf(name, sizeof(name), "%s.tgz", hex);
    assert_int_equal(dea_gc_kind(name, sha1), DEA_GC_DROPLET);
    assert_string_equal(sha1, hex);
    snprintf(name, sizeof(name), "%s.tgz.1234.pending", hex);
    assert_int_equal(dea_gc_kind(name, sha1), DEA_GC_TEMP);
    static const char *const other[] = {
        ".",
        "..",
        "x.tgz",
        "0123456789ABCDEF0123456789abcdef01234567.tgz", /* upper case */
        "0123456789abcdef0123456789abcdef0123456.tgz",  /* 39 digits */
        "0123456789abcdef0123456789abcdef012345678.tgz",
        "0123456789abcdef0123456789abcdef01234567.tar",
        "0123456789abcdef0123456789abcdef01234567.tgz~",
        "0123456789abcdeg0123456789abcdef01234567.tgz",
        ".pending",
    };
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
        assert_int_equal(dea_gc_kind(other[i], sha1), DEA_GC_OTHER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_under_limit_nothing),
        cmocka_unit_test(test_lru_order),
        cmocka_unit_test(test_equal_mtimes_by_sha1),
        cmocka_unit_test(test_in_use_kept),
        cmocka_unit_test(test_min_age_kept),
        cmocka_unit_test(test_all_protections),
        cmocka_unit_test(test_kind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
