/*
 * http_internal.h - helpers shared by the files of src/core/http/: byte classes of the
 * HTTP grammar, vector scans for the bytes that end a target or a field value, and the
 * header-field loop common to requests and responses. The vector paths use SSE2 (baseline
 * on x86-64); define HC_HTTP_NO_SIMD to build and test the portable byte loops alone.
 */
#ifndef HEARTH_CORE_HTTP_INTERNAL_H
#define HEARTH_CORE_HTTP_INTERNAL_H

#include <string.h>

#include "hc_http.h"

#if defined(__SSE2__) && !defined(HC_HTTP_NO_SIMD)
#include <emmintrin.h>
#endif

/* tchar (RFC 9110 §5.6.2): 1 for the bytes allowed in a token (method, field name). */
extern const uint8_t hc__http_tchar[256];
/* Bytes allowed in a field value besides HTAB: VCHAR, SP, obs-text (RFC 9110 §5.5). */
extern const uint8_t hc__http_vchar[256];
/* Bytes allowed in a request-target: VCHAR and obs-text, no SP, no CTL, no DEL. */
extern const uint8_t hc__http_uchar[256];
/* Bytes allowed in a Host value (RFC 3986 reg-name, IP literal, port). */
extern const uint8_t hc__http_hostchar[256];

/*
 * Returns the first byte in [p, end) that may not appear in a field value (a CTL other
 * than HTAB, or DEL), or end. The line's CR is such a byte, so this finds the line end of
 * a well-formed field in one pass.
 */
static inline const char *hc__http_find_value_end(const char *p, const char *end)
{
#if defined(__SSE2__) && !defined(HC_HTTP_NO_SIMD)
    const __m128i c1f = _mm_set1_epi8(0x1f), tab = _mm_set1_epi8(0x09), del = _mm_set1_epi8(0x7f);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        /* Unsigned v <= 0x1f, except HTAB, or DEL: obs-text (>= 0x80) stays allowed. */
        __m128i bad = _mm_cmpeq_epi8(_mm_min_epu8(v, c1f), v);
        bad = _mm_andnot_si128(_mm_cmpeq_epi8(v, tab), bad);
        bad = _mm_or_si128(bad, _mm_cmpeq_epi8(v, del));
        int m = _mm_movemask_epi8(bad);
        if (m)
            return p + __builtin_ctz((unsigned)m);
        p += 16;
    }
#endif
    while (p < end && (hc__http_vchar[(unsigned char)*p] || *p == '\t'))
        p++;
    return p;
}

/*
 * Returns the first byte in [p, end) that is not a token character, or end. Field names
 * are short and vary, so a vector loop does not pay; looking up four bytes per branch
 * does (fewer, better predicted branches, independent loads).
 */
static inline const char *hc__http_find_token_end(const char *p, const char *end)
{
    const uint8_t *t = hc__http_tchar;
    while (end - p >= 4 && (t[(unsigned char)p[0]] & t[(unsigned char)p[1]] &
                            t[(unsigned char)p[2]] & t[(unsigned char)p[3]]))
        p += 4;
    while (p < end && t[(unsigned char)*p])
        p++;
    return p;
}

/* Returns the first byte in [p, end) that may not appear in a request-target, or end. */
static inline const char *hc__http_find_target_end(const char *p, const char *end)
{
#if defined(__SSE2__) && !defined(HC_HTTP_NO_SIMD)
    const __m128i c20 = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i bad = _mm_cmpeq_epi8(_mm_min_epu8(v, c20), v); /* v <= 0x20 */
        bad = _mm_or_si128(bad, _mm_cmpeq_epi8(v, del));
        int m = _mm_movemask_epi8(bad);
        if (m)
            return p + __builtin_ctz((unsigned)m);
        p += 16;
    }
#endif
    while (p < end && hc__http_uchar[(unsigned char)*p])
        p++;
    return p;
}

static inline unsigned char hc__http_lower(unsigned char c)
{
    return (unsigned)(c - 'A') < 26u ? (unsigned char)(c | 0x20) : c;
}

/* ASCII case-insensitive comparison of s (len bytes) with a lowercase literal `lit`. */
static inline bool hc__http_eq_lower(const char *s, size_t len, const char *lit, size_t lit_len)
{
    if (len != lit_len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (hc__http_lower((unsigned char)s[i]) != (unsigned char)lit[i])
            return false;
    return true;
}
#define HC__HTTP_EQ(s, len, lit) hc__http_eq_lower((s), (len), (lit), sizeof(lit) - 1)

/* What the header loop learned from the fields that decide framing and connection reuse. */
typedef struct hc__http_fields_s {
    hc_http_header_t *headers;
    size_t cap, n;
    bool request; /* Host and Expect only mean something in a request */
    hc_str_t host;
    unsigned host_count;
    bool has_cl;
    uint64_t cl;
    bool has_te;
    bool te_chunked_last; /* the last coding seen is "chunked" */
    bool te_chunked_twice;
    bool te_other;         /* a coding other than chunked appears */
    bool te_malformed;     /* empty list, bad token, parameters */
    bool te_after_chunked; /* a coding follows chunked */
    bool conn_close, conn_keep_alive, conn_upgrade;
    bool has_upgrade;
    bool expect_continue;
} hc__http_fields_t;

/*
 * Parses header fields from *pp up to and including the empty line that ends the head.
 * On success returns 0 and sets *pp past that line. Returns HC_AGAIN when [*pp, end)
 * ends first, HC_EPROTO on a malformed field, HC_ETOOBIG when there are more fields than
 * f->cap.
 */
int hc__http_parse_fields(const char **pp, const char *end, hc__http_fields_t *f);

/*
 * True when "\r\n\r\n" ends somewhere in [last_len, len) of buf, that is when the bytes
 * added since a call that returned HC_AGAIN may complete the head.
 */
bool hc__http_head_may_end(const char *buf, size_t len, size_t last_len);

#endif
