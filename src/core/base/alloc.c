/* Allocation wrappers: stop on out-of-memory, refuse absurd sizes (STYLE R14). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hc_base.h"

static void __attribute__((noreturn)) hc__oom(size_t size)
{
    char msg[96];
    int n = snprintf(msg, sizeof(msg), "hearth: out of memory (%zu bytes)\n", size);
    if (n > 0)
        (void)!write(STDERR_FILENO, msg, (size_t)n);
    abort();
}

void *hc_malloc(size_t size)
{
    if (size >= SIZE_MAX / 2)
        hc__oom(size);
    void *p = malloc(size ? size : 1);
    if (!p)
        hc__oom(size);
    return p;
}

void *hc_calloc(size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total) || total >= SIZE_MAX / 2)
        hc__oom(SIZE_MAX);
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        hc__oom(total);
    return p;
}

void *hc_realloc(void *p, size_t size)
{
    if (size >= SIZE_MAX / 2)
        hc__oom(size);
    void *q = realloc(p, size ? size : 1);
    if (!q)
        hc__oom(size);
    return q;
}

void *hc_reallocarray(void *p, size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total))
        hc__oom(SIZE_MAX);
    return hc_realloc(p, total);
}

char *hc_strdup(const char *s)
{
    return hc_memdup(s, strlen(s) + 1);
}

char *hc_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = hc_malloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void *hc_memdup(const void *p, size_t n)
{
    void *q = hc_malloc(n);
    if (n)
        memcpy(q, p, n);
    return q;
}

char *hc_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        hc__oom(0);
    char *s = hc_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void hc__assert_fail(const char *expr, const char *file, int line)
{
    char msg[512];
    int n = snprintf(msg, sizeof(msg), "hearth: assertion failed: %s (%s:%d)\n", expr, file, line);
    if (n > 0)
        (void)!write(STDERR_FILENO, msg, HC_MIN((size_t)n, sizeof(msg) - 1));
    abort();
}
