/* The human-readable error object (STYLE R10) and strict number parsing. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hc_base.h"

void hc_err_clear(hc_err_t *err)
{
    if (!err)
        return;
    err->code = 0;
    err->msg[0] = '\0';
}

int hc_err_set(hc_err_t *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    if (n < 0) {
        err->msg[0] = '\0';
        n = 0;
    }
    size_t used = HC_MIN((size_t)n, sizeof(err->msg) - 1);
    if (code < 0 && code != -EINVAL && code != -EPROTO && used < sizeof(err->msg) - 1)
        snprintf(err->msg + used, sizeof(err->msg) - used, ": %s", strerror(-code));
    err->code = code;
    return code;
}

int hc_err_wrap(hc_err_t *err, const char *fmt, ...)
{
    if (!err)
        return -EIO;
    char prefix[sizeof(err->msg)];
    char old[sizeof(err->msg)];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    if (n < 0)
        prefix[0] = '\0';
    memcpy(old, err->msg, sizeof(old));
    /* Both parts are cut as needed so the message always fits; truncation is acceptable. */
    size_t plen = strnlen(prefix, sizeof(err->msg) - 3);
    memcpy(err->msg, prefix, plen);
    memcpy(err->msg + plen, ": ", 2);
    size_t room = sizeof(err->msg) - plen - 3;
    size_t olen = strnlen(old, room);
    memcpy(err->msg + plen + 2, old, olen);
    err->msg[plen + 2 + olen] = '\0';
    if (err->code == 0)
        err->code = -EIO;
    return err->code;
}

int hc_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *ret_value)
{
    if (len == 0 || len > 20)
        return len == 0 ? -EINVAL : -ERANGE;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9)
            return -EINVAL;
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, d, &v))
            return -ERANGE;
    }
    if (v > max)
        return -ERANGE;
    *ret_value = v;
    return 0;
}
