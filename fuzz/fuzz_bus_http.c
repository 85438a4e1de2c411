/*
 * fuzz_bus_http - the monitoring port's request reader (src/bus/httpreq.c) and its query-string
 * lookup on arbitrary bytes; exact-size heap copies so ASan sees any stray read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hc_base.h"
#include "httpreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const keys[] = {"subs", "state", "cid", "offset", "limit", "test", "auth"};
    char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    hc_str_t path, query, v;
    if (bus_http_parse(buf, size, &path, &query) == 0) {
        hc_assert(path.p >= buf && path.p + path.len <= buf + size);
        hc_assert(query.p >= buf && query.p + query.len <= buf + size);
        for (size_t i = 0; i < HC_ARRAY_SIZE(keys); i++) {
            if (bus_http_query_get(query, keys[i], &v)) {
                hc_assert(v.p >= query.p && v.p + v.len <= query.p + query.len);
            }
        }
    }
    free(buf);
    return 0;
}
