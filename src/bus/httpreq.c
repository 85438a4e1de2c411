/* httpreq.c - see httpreq.h. */
#include <string.h>

#include "httpreq.h"

int bus_http_parse(const char *buf, size_t len, hc_str_t *ret_path, hc_str_t *ret_query)
{
    if (!memmem(buf, len, "\r\n\r\n", 4) && !memmem(buf, len, "\n\n", 2))
        return HC_AGAIN;
    const char *eol = memchr(buf, '\n', len);
    const char *sp1 = memchr(buf, ' ', (size_t)(eol - buf));
    if (!sp1)
        return 400;
    const char *target = sp1 + 1;
    const char *sp2 = memchr(target, ' ', (size_t)(eol - target));
    if (!sp2 || sp2 == target || target[0] != '/')
        return 400;
    if (sp1 - buf != 3 || memcmp(buf, "GET", 3) != 0)
        return 405;
    size_t tlen = (size_t)(sp2 - target);
    const char *qm = memchr(target, '?', tlen);
    size_t plen = qm ? (size_t)(qm - target) : tlen;
    *ret_path = hc_str(target, plen);
    *ret_query = qm ? hc_str(qm + 1, tlen - plen - 1) : hc_str(target + tlen, 0);
    return 0;
}

bool bus_http_query_get(hc_str_t q, const char *key, hc_str_t *ret)
{
    size_t klen = strlen(key), i = 0;
    while (i < q.len) {
        const char *amp = memchr(q.p + i, '&', q.len - i);
        size_t end = amp ? (size_t)(amp - q.p) : q.len;
        const char *eq = memchr(q.p + i, '=', end - i);
        size_t nlen = eq ? (size_t)(eq - (q.p + i)) : end - i;
        if (nlen == klen && memcmp(q.p + i, key, klen) == 0) {
            *ret = eq ? hc_str(eq + 1, (size_t)(q.p + end - (eq + 1))) : hc_str(q.p + end, 0);
            return true;
        }
        i = end + 1;
    }
    return false;
}
