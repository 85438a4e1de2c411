/*
 * hc_buf.h - the owning growable buffer and the non-owning string view (STYLE R18).
 *
 * hc_buf_t invariants: data is never NULL after hc_buf_init (it points to a static ""
 * until the first append), data[len] == '\0', embedded NULs are allowed, and the buffer
 * never grows past max. An append that would pass max appends nothing and sets the
 * sticky `overflow` flag, which the owner checks once when it uses the buffer.
 */
#ifndef HEARTH_CORE_BUF_H
#define HEARTH_CORE_BUF_H

#include <stdarg.h>
#include <string.h>

#include "hc_base.h"

#define HC_BUF_DEFAULT_MAX ((size_t)64 * 1024 * 1024)

typedef struct hc_buf_s {
    char *data;
    size_t len, cap, max; /* max: hard ceiling, 0 means HC_BUF_DEFAULT_MAX */
    bool overflow;        /* sticky: an append would have passed max */
} hc_buf_t;

/* Non-owning view: pointer + length, not NUL-terminated. */
typedef struct hc_str_s {
    const char *p;
    size_t len;
} hc_str_t;

#define HC_STR_LIT(s) ((hc_str_t){(s), sizeof(s) - 1})
#define HC_STR_NULL ((hc_str_t){NULL, 0})

static inline hc_str_t hc_str(const char *p, size_t len)
{
    return (hc_str_t){p, len};
}
static inline hc_str_t hc_str_c(const char *s)
{
    return (hc_str_t){s, s ? strlen(s) : 0};
}
static inline bool hc_str_eq(hc_str_t a, hc_str_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}
/* ASCII case-insensitive comparison. */
bool hc_str_eq_nocase(hc_str_t a, hc_str_t b);
/* Returns a malloc'd NUL-terminated copy the caller frees. */
char *hc_str_dup(hc_str_t s);

/* Sets up an empty buffer that may grow to max bytes (0: HC_BUF_DEFAULT_MAX). */
void hc_buf_init(hc_buf_t *b, size_t max);
/* Frees the memory; the buffer is unusable until hc_buf_init. */
void hc_buf_release(hc_buf_t *b);
/* Empties the buffer for reuse, keeping its allocation; clears overflow. */
void hc_buf_reset(hc_buf_t *b);
/*
 * Makes room for `extra` more bytes past len. Returns 0, or HC_ETOOBIG (and sets
 * overflow) when len + extra would pass max.
 */
int hc_buf_reserve(hc_buf_t *b, size_t extra);
void hc_buf_append(hc_buf_t *b, const void *p, size_t len);
void hc_buf_append_str(hc_buf_t *b, const char *s);
void hc_buf_append_byte(hc_buf_t *b, char c);
void hc_buf_appendf(hc_buf_t *b, const char *fmt, ...) HC_PRINTF(2, 3);
void hc_buf_vappendf(hc_buf_t *b, const char *fmt, va_list ap) HC_PRINTF(2, 0);
/* Drops the first n bytes (n > len drops all). */
void hc_buf_consume(hc_buf_t *b, size_t n);
/* Gives the memory to the caller: a malloc'd NUL-terminated string; the buffer is left empty. */
char *hc_buf_detach(hc_buf_t *b, size_t *ret_len);

#endif
