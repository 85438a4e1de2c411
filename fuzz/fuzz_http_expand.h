/*
 * fuzz_http_expand.h - lets small fuzz inputs reach the parsers' 8 KiB and 64 KiB limits.
 * An input PREFIX 0xff UNIT 0xff SUFFIX becomes PREFIX, UNIT repeated until the whole passes
 * 66 KiB, SUFFIX. Included by the HTTP fuzz targets only.
 */
#ifndef HEARTH_FUZZ_HTTP_EXPAND_H
#define HEARTH_FUZZ_HTTP_EXPAND_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_EXPAND_TO (66 * 1024)

/* Returns a malloc'd buffer and its length, or NULL when the input has no such shape. */
static char *fuzz_expand(const uint8_t *d, size_t n, size_t *ret_len)
{
    const uint8_t *a = memchr(d, 0xff, n);
    if (!a)
        return NULL;
    const uint8_t *b = memchr(a + 1, 0xff, (size_t)(d + n - a - 1));
    if (!b || b == a + 1)
        return NULL;
    size_t pre = (size_t)(a - d), unit = (size_t)(b - a - 1), suf = (size_t)(d + n - b - 1);
    size_t reps = FUZZ_EXPAND_TO / unit + 1;
    size_t len = pre + reps * unit + suf;
    char *buf = malloc(len);
    memcpy(buf, d, pre);
    for (size_t i = 0; i < reps; i++)
        memcpy(buf + pre + i * unit, a + 1, unit);
    memcpy(buf + pre + reps * unit, b + 1, suf);
    *ret_len = len;
    return buf;
}

#endif
