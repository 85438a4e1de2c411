/* libFuzzer target: the status of a health check's response head (src/dea/hcheck.c). */
#include <stddef.h>
#include <stdint.h>

#include "hc_base.h"
#include "hcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int st = dea_hcheck_status((const char *)data, size);
    if (st != HC_AGAIN && st != HC_EPROTO && (st < 100 || st > 999))
        __builtin_trap();
    return 0;
}
