/* hc_buf_t and hc_str_t (STYLE R18): bounded, sticky overflow, always NUL-terminated. */
#include <stdio.h>

#include "hc_buf.h"

static char hc__empty[1] = "";

bool hc_str_eq_nocase(hc_str_t a, hc_str_t b)
{
    if (a.len != b.len)
        return false;
    for (size_t i = 0; i < a.len; i++) {
        unsigned char x = (unsigned char)a.p[i], y = (unsigned char)b.p[i];
        if ((unsigned)(x - 'A') < 26u)
            x |= 0x20;
        if ((unsigned)(y - 'A') < 26u)
            y |= 0x20;
        if (x != y)
            return false;
    }
    return true;
}

char *hc_str_dup(hc_str_t s)
{
    char *p = hc_malloc(s.len + 1);
    if (s.len)
        memcpy(p, s.p, s.len);
    p[s.len] = '\0';
    return p;
}

void hc_buf_init(hc_buf_t *b, size_t max)
{
    b->data = hc__empty;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : HC_BUF_DEFAULT_MAX;
    b->overflow = false;
}

void hc_buf_release(hc_buf_t *b)
{
    if (b->data != hc__empty)
        free(b->data);
    b->data = hc__empty;
    b->len = b->cap = 0;
}

void hc_buf_reset(hc_buf_t *b)
{
    b->len = 0;
    b->overflow = false;
    if (b->data != hc__empty)
        b->data[0] = '\0';
}

int hc_buf_reserve(hc_buf_t *b, size_t extra)
{
    size_t need;
    if (__builtin_add_overflow(b->len, extra, &need) || need > b->max) {
        b->overflow = true;
        return HC_ETOOBIG;
    }
    if (need + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need + 1)
        cap = cap < SIZE_MAX / 4 ? cap * 2 : need + 1;
    if (cap > b->max + 1)
        cap = b->max + 1;
    if (b->data == hc__empty) {
        b->data = hc_malloc(cap);
        b->data[0] = '\0';
    } else {
        b->data = hc_realloc(b->data, cap);
    }
    b->cap = cap;
    return 0;
}

void hc_buf_append(hc_buf_t *b, const void *p, size_t len)
{
    if (len == 0 || hc_buf_reserve(b, len) < 0)
        return;
    memcpy(b->data + b->len, p, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void hc_buf_append_str(hc_buf_t *b, const char *s)
{
    hc_buf_append(b, s, strlen(s));
}

void hc_buf_append_byte(hc_buf_t *b, char c)
{
    hc_buf_append(b, &c, 1);
}

void hc_buf_vappendf(hc_buf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n <= 0 || hc_buf_reserve(b, (size_t)n) < 0)
        return;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void hc_buf_appendf(hc_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hc_buf_vappendf(b, fmt, ap);
    va_end(ap);
}

void hc_buf_consume(hc_buf_t *b, size_t n)
{
    if (n >= b->len) {
        hc_buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

char *hc_buf_detach(hc_buf_t *b, size_t *ret_len)
{
    char *p = b->data == hc__empty ? hc_strdup("") : b->data;
    if (ret_len)
        *ret_len = b->len;
    b->data = hc__empty;
    b->len = b->cap = 0;
    b->overflow = false;
    return p;
}
