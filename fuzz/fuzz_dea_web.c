/*
 * libFuzzer target: what the DEA's HTTP port takes from a request besides core's head parser
 * (src/dea/web.c): percent-decoding of the path, path confinement, query numbers, and the
 * UTF-8 cutting/sanitizing of slog.c (log bytes from an app).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dea.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hc_str_t s = hc_str((const char *)data, size);
    char *p = dea_web_decode(s);
    if (p) {
        (void)dea_web_path_ok(p);
        free(p);
    }
    uint64_t v;
    (void)dea_web_query(s, "offset", UINT64_MAX >> 1, &v);
    (void)dea_web_query(s, "tail", 1, &v);
    char *copy = hc_memdup(data, size);
    dea_utf8_sanitize(copy, size);
    size_t off = 0;
    while (off < size) {
        size_t k = dea_utf8_cut(copy + off, size - off, 7);
        if (k == 0)
            abort(); /* sanitized input always makes progress */
        off += k;
    }
    free(copy);
    return 0;
}
