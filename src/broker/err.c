/* Errors whose message already says what went wrong. */
#include <stdio.h>

#include "broker.h"

int brk_err_set(hc_err_t *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    err->code = code;
    return code;
}
