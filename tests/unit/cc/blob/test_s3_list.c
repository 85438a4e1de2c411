/*
 * Unit tests for src/cc/blob/s3_list.c: ListObjectsV2 pages as S3 writes them are walked in
 * order with unescaped keys, sizes and times; truncation carries the continuation token; error
 * documents, broken entries and stray markup are refused; the callback can stop the walk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "blob/s3_list.h"
#include "guard.h"

typedef struct seen_s {
    char keys[4][64];
    uint64_t sizes[4];
    int64_t times[4];
    int n, stop_at;
} seen_t;

static int on_entry(const char *key, uint64_t size, int64_t mtime, void *ud)
{
    seen_t *s = ud;
    if (s->n == s->stop_at)
        return 7;
    if (s->n < 4) {
        snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", key);
        s->sizes[s->n] = size;
        s->times[s->n] = mtime;
    }
    s->n++;
    return 0;
}

static int parse(const char *xml, seen_t *s, cc_s3_page_t *page)
{
    hc_err_t err = {0};
    memset(s, 0, sizeof(*s));
    s->stop_at = -1;
    const char *g = hc_test_guard(xml, strlen(xml));
    return cc_s3_list_parse(g, strlen(xml), on_entry, s, page, &err);
}

static const char page1[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
    "<Prefix>pkg/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>"
    "<IsTruncated>true</IsTruncated>"
    "<Contents><Key>pkg/0123456789abcdef0123456789abcdef01234567</Key>"
    "<LastModified>2026-11-25T03:58:00.000Z</LastModified><ETag>&quot;e&quot;</ETag>"
    "<Size>434234</Size><StorageClass>STANDARD</StorageClass></Contents>"
    "<Contents><Key>pkg/a&amp;b</Key><LastModified>1970-01-01T00:00:01Z</LastModified>"
    "<Size>0</Size></Contents>"
    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
    "</ListBucketResult>";

static void test_page_walked_in_order(void **state)
{
    (void)state;
    seen_t s;
    cc_s3_page_t page;
    assert_int_equal(parse(page1, &s, &page), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.keys[0], "pkg/0123456789abcdef0123456789abcdef01234567");
    assert_int_equal(s.sizes[0], 434234);
    assert_int_equal(s.times[0], 1795579080);
    assert_string_equal(s.keys[1], "pkg/a&b");
    assert_int_equal(s.sizes[1], 0);
    assert_int_equal(s.times[1], 1);
    assert_true(page.truncated);
    assert_string_equal(page.next, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

static void test_last_and_empty_pages(void **state)
{
    (void)state;
    seen_t s;
    cc_s3_page_t page;
    assert_int_equal(parse("<ListBucketResult><IsTruncated>false</IsTruncated>"
                           "<Contents><Key>drop/x</Key><LastModified>2000-02-29T12:00:00.5Z"
                           "</LastModified><Size>3</Size></Contents></ListBucketResult>",
                           &s, &page),
                     0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.times[0], 951825600);
    assert_false(page.truncated);
    assert_string_equal(page.next, "");
    assert_int_equal(
        parse("<ListBucketResult><KeyCount>0</KeyCount></ListBucketResult>", &s, &page), 0);
    assert_int_equal(s.n, 0);
    assert_false(page.truncated);
}

static void test_callback_stops_the_walk(void **state)
{
    (void)state;
    seen_t s;
    cc_s3_page_t page;
    hc_err_t err = {0};
    memset(&s, 0, sizeof(s));
    s.stop_at = 1;
    assert_int_equal(cc_s3_list_parse(page1, strlen(page1), on_entry, &s, &page, &err), 7);
    assert_int_equal(s.n, 1);
}

static void test_bad_answers_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code></Error>",
        "",
        /* an entry without its size, time or key */
        "<ListBucketResult><Contents><Key>pkg/a</Key><LastModified>2026-11-25T03:58:00Z"
        "</LastModified></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>pkg/a</Key><Size>1</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><LastModified>2026-11-25T03:58:00Z</LastModified><Size>1"
        "</Size></Contents></ListBucketResult>",
        /* unterminated entry, markup in a key, an unknown entity, a NUL by entity */
        "<ListBucketResult><Contents><Key>pkg/a</Key>",
        "<ListBucketResult><Contents><Key>pkg/<b/></Key><LastModified>2026-11-25T03:58:00Z"
        "</LastModified><Size>1</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>pkg/&nbsp;</Key><LastModified>2026-11-25T03:58:00Z"
        "</LastModified><Size>1</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>pkg/&amp</Key><LastModified>2026-11-25T03:58:00Z"
        "</LastModified><Size>1</Size></Contents></ListBucketResult>",
        /* bad time, bad size */
        "<ListBucketResult><Contents><Key>k</Key><LastModified>2026-13-25T03:58:00Z"
        "</LastModified><Size>1</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>k</Key><LastModified>2026-11-25 03:58:00Z"
        "</LastModified><Size>1</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>k</Key><LastModified>2026-11-25T03:58:00.Z"
        "</LastModified><Size>1</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>k</Key><LastModified>2026-11-25T03:58:00Z"
        "</LastModified><Size>-1</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>k</Key><LastModified>2026-11-25T03:58:00Z"
        "</LastModified><Size>99999999999999999999999</Size></Contents></ListBucketResult>",
        /* truncated with no token to go on with */
        "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        seen_t s;
        cc_s3_page_t page;
        if (parse(bad[i], &s, &page) != -EPROTO)
            fail_msg("accepted: %s", bad[i]);
    }
    hc_test_guard_free_all();
}

static void test_key_bound(void **state)
{
    (void)state;
    static char xml[4096];
    char key[CC_S3_KEY_MAX + 2];
    memset(key, 'k', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    snprintf(xml, sizeof(xml),
             "<ListBucketResult><Contents><Key>%s</Key><LastModified>2026-11-25T03:58:00Z"
             "</LastModified><Size>1</Size></Contents></ListBucketResult>",
             key);
    seen_t s;
    cc_s3_page_t page;
    assert_int_equal(parse(xml, &s, &page), -EPROTO);
    key[CC_S3_KEY_MAX] = '\0';
    snprintf(xml, sizeof(xml),
             "<ListBucketResult><Contents><Key>%s</Key><LastModified>2026-11-25T03:58:00Z"
             "</LastModified><Size>1</Size></Contents></ListBucketResult>",
             key);
    assert_int_equal(parse(xml, &s, &page), 0);
    assert_int_equal(s.n, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_walked_in_order),
        cmocka_unit_test(test_last_and_empty_pages),
        cmocka_unit_test(test_callback_stops_the_walk),
        cmocka_unit_test(test_bad_answers_refused),
        cmocka_unit_test(test_key_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
