/* libFuzzer target: JSON request bodies of the CC's resource matching and uploads (the
 * resource descriptor list with its path checks). */
#include <stdint.h>

#include "blob/archive.h"
#include "blob/resources.h"
#include "hc_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *v = NULL;
    hc_err_t err;
    if (hc_json_parse((const char *)data, size, 1 << 20, &v, &err) < 0)
        return 0;
    cc_resource_t *rs = NULL;
    size_t n = 0;
    for (int need_fn = 0; need_fn < 2; need_fn++) {
        if (cc_resources_parse(v, need_fn, 20000, &rs, &n, &err) == 0) {
            for (size_t i = 0; i < n; i++)
                if (rs[i].fn && cc_path_check(rs[i].fn) < 0 && need_fn)
                    __builtin_trap();
            cc_resources_free(rs, n);
        }
    }
    json_decref(v);
    return 0;
}
