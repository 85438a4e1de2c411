/* Reading a ListObjectsV2 page (see s3_list.h). */
#include "blob/s3_list.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct span_s {
    const char *p, *end;
} span_t;

/*
 * The text of the first <name>...</name> in s, or found == false. A text holding markup is
 * refused (-EPROTO), as nothing read here nests.
 */
static int elem(span_t s, const char *name, span_t *text, bool *found)
{
    char open[40], close[40];
    int on = snprintf(open, sizeof(open), "<%s>", name);
    int cn = snprintf(close, sizeof(close), "</%s>", name);
    *found = false;
    const char *a = memmem(s.p, (size_t)(s.end - s.p), open, (size_t)on);
    if (!a)
        return 0;
    a += on;
    const char *b = memmem(a, (size_t)(s.end - a), close, (size_t)cn);
    if (!b || memchr(a, '<', (size_t)(b - a)))
        return -EPROTO;
    *text = (span_t){a, b};
    *found = true;
    return 0;
}

/* Copies t into out (size bytes with its NUL), resolving the five predefined entities. */
static int unescape(span_t t, char *out, size_t size)
{
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    size_t n = 0;
    for (const char *p = t.p; p < t.end;) {
        char c = *p;
        size_t used = 1;
        if (c == '&') {
            size_t k = 0;
            for (; k < HC_ARRAY_SIZE(ents); k++) {
                size_t el = strlen(ents[k].ent);
                if ((size_t)(t.end - p) >= el && memcmp(p, ents[k].ent, el) == 0) {
                    c = ents[k].c;
                    used = el;
                    break;
                }
            }
            if (k == HC_ARRAY_SIZE(ents))
                return -EPROTO;
        }
        if (c == '\0' || n + 1 >= size)
            return -EPROTO;
        out[n++] = c;
        p += used;
    }
    out[n] = '\0';
    return 0;
}

static int two(const char *s)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return -1;
    return (s[0] - '0') * 10 + (s[1] - '0');
}

int64_t cc_s3_time_parse(const char *s, size_t len)
{
    /* YYYY-MM-DDTHH:MM:SS[.fff...]Z */
    if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        s[len - 1] != 'Z')
        return -1;
    int hi = two(s), lo = two(s + 2);
    int mon = two(s + 5), day = two(s + 8), h = two(s + 11), min = two(s + 14), sec = two(s + 17);
    if (hi < 0 || lo < 0 || mon < 1 || mon > 12 || day < 1 || day > 31 || h < 0 || h > 23 ||
        min < 0 || min > 59 || sec < 0 || sec > 60)
        return -1;
    if (len > 20) {
        if (s[19] != '.' || len == 21)
            return -1;
        for (size_t i = 20; i < len - 1; i++)
            if (s[i] < '0' || s[i] > '9')
                return -1;
    }
    struct tm tm = {.tm_year = hi * 100 + lo - 1900,
                    .tm_mon = mon - 1,
                    .tm_mday = day,
                    .tm_hour = h,
                    .tm_min = min,
                    .tm_sec = sec};
    return (int64_t)timegm(&tm);
}

/* One Contents entry: its key, size and time, then the callback. */
static int entry(span_t c, cc_s3_entry_cb cb, void *ud, hc_err_t *err)
{
    span_t k, m, z;
    bool fk, fm, fz;
    char key[CC_S3_KEY_MAX + 1];
    if (elem(c, "Key", &k, &fk) < 0 || elem(c, "LastModified", &m, &fm) < 0 ||
        elem(c, "Size", &z, &fz) < 0 || !fk || !fm || !fz)
        return hc_err_set(err, -EPROTO, "s3 listing: an entry without Key, LastModified or Size");
    if (unescape(k, key, sizeof(key)) < 0)
        return hc_err_set(err, -EPROTO, "s3 listing: a malformed key");
    int64_t t = cc_s3_time_parse(m.p, (size_t)(m.end - m.p));
    uint64_t size;
    if (t < 0 || hc_parse_u64(z.p, (size_t)(z.end - z.p), UINT64_MAX, &size) < 0)
        return hc_err_set(err, -EPROTO, "s3 listing: a malformed LastModified or Size for `%s`",
                          key);
    return cb(key, size, t, ud);
}

int cc_s3_list_parse(const char *xml, size_t len, cc_s3_entry_cb cb, void *ud, cc_s3_page_t *page,
                     hc_err_t *err)
{
    static const char root[] = "<ListBucketResult", open[] = "<Contents>", close[] = "</Contents>";
    span_t doc = {xml, xml + len};
    page->truncated = false;
    page->next[0] = '\0';
    if (!memmem(xml, len, root, sizeof(root) - 1))
        return hc_err_set(err, -EPROTO, "s3 listing: not a ListBucketResult");
    for (const char *p = xml;;) {
        const char *a = memmem(p, (size_t)(doc.end - p), open, sizeof(open) - 1);
        if (!a)
            break;
        a += sizeof(open) - 1;
        const char *b = memmem(a, (size_t)(doc.end - a), close, sizeof(close) - 1);
        if (!b)
            return hc_err_set(err, -EPROTO, "s3 listing: an unterminated Contents");
        int r = entry((span_t){a, b}, cb, ud, err);
        if (r != 0)
            return r;
        p = b + sizeof(close) - 1;
    }
    span_t t;
    bool found;
    if (elem(doc, "IsTruncated", &t, &found) < 0)
        return hc_err_set(err, -EPROTO, "s3 listing: a malformed IsTruncated");
    page->truncated = found && t.end - t.p == 4 && memcmp(t.p, "true", 4) == 0;
    if (elem(doc, "NextContinuationToken", &t, &found) < 0 ||
        (found && unescape(t, page->next, sizeof(page->next)) < 0))
        return hc_err_set(err, -EPROTO, "s3 listing: a malformed NextContinuationToken");
    if (page->truncated && !page->next[0])
        return hc_err_set(err, -EPROTO, "s3 listing: truncated without a continuation token");
    return 0;
}
