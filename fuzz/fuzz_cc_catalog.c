/* libFuzzer target: a service broker's GET /v2/catalog answer as the CC checks it before
 * registering the broker (api/service_brokers.c), plus broker URLs. */
#include <stdint.h>
#include <string.h>

#include "api/service_brokers.h"
#include "hc_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *v = NULL;
    hc_err_t err;
    if (size < 4096) {
        char url[4096];
        memcpy(url, data, size);
        url[size] = '\0';
        (void)cc_broker_url_valid(url);
    }
    if (hc_json_parse_obj((const char *)data, size, CC_BROKER_MAX_RESPONSE, &v, &err) < 0)
        return 0;
    if (cc_catalog_check(v, &err) == 0) {
        /* What the CC relies on once a catalog is accepted. */
        json_t *s;
        size_t i;
        json_array_foreach(json_object_get(v, "services"), i, s)
        {
            const char *name = json_string_value(json_object_get(s, "name"));
            if (!name || strlen(name) > CC_CATALOG_MAX_NAME ||
                json_array_size(json_object_get(s, "plans")) == 0)
                __builtin_trap();
        }
    } else if (!err.msg[0]) {
        __builtin_trap(); /* a refusal always says why */
    }
    json_decref(v);
    return 0;
}
