/* libFuzzer target: the CC's multipart/form-data parser (application uploads). The first
 * line of the input is the Content-Type header value, the rest the body. */
#include <stdint.h>
#include <string.h>

#include "blob/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    const char *nl = memchr(p, '\n', size);
    size_t ct_len = nl ? (size_t)(nl - p) : size;
    hc_str_t boundary;
    cc_mp_part_t parts[CC_MP_MAX_PARTS];
    size_t n = CC_MP_MAX_PARTS;

    if (cc_mp_boundary(hc_str(p, ct_len), &boundary) < 0)
        boundary = HC_STR_LIT("XX");
    const char *body = nl ? nl + 1 : p + size;
    size_t len = (size_t)(p + size - body);
    if (cc_mp_parse(body, len, boundary, parts, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            /* Every slice must lie inside the body. */
            if (parts[i].data.p < body || parts[i].data.p + parts[i].data.len > body + len)
                __builtin_trap();
            if (parts[i].name.p < body || parts[i].name.p + parts[i].name.len > body + len)
                __builtin_trap();
        }
    }
    return 0;
}
