/* libFuzzer target: manifest.yml parsing (src/cli/push/manifest.c) must never crash or leak. */
#include <stddef.h>
#include <stdint.h>

#include "push/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cli_manifest_t m;
    hc_err_t err;
    if (cli_manifest_parse((const char *)data, size, "manifest.yml", ".", &m, &err) == 0)
        cli_manifest_release(&m);
    return 0;
}
