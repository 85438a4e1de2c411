/* libFuzzer target: router.register / router.unregister JSON, then the table it feeds. */
#include <stdint.h>
#include <string.h>

#include "rtr_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rtr_reg_t reg;
    hc_err_t err;
    if (rtr_reg_parse((const char *)data, size, &reg, &err) < 0)
        return 0;
    rtr_table_t *t = rtr_table_new(120000);
    rtr_table_register(t, &reg, 1000);
    for (size_t i = 0; i < reg.nuris; i++) {
        const char *u = reg.uris[i];
        const char *slash = strchr(u, '/');
        hc_str_t host = hc_str(u, slash ? (size_t)(slash - u) : strlen(u));
        hc_str_t path = slash ? hc_str_c(slash) : HC_STR_LIT("/");
        rtr_table_lookup(t, host, path);
        rtr_table_lookup(t, host, HC_STR_LIT("/x/y"));
    }
    hc_buf_t out;
    hc_buf_init(&out, 0);
    rtr_table_dump_json(t, &out);
    hc_buf_release(&out);
    if (size & 1) {
        rtr_table_unregister(t, &reg, 2000);
        rtr_table_lookup(t, HC_STR_LIT("a.com"), HC_STR_LIT("/"));
        rtr_table_prune(t, 2000 + (size & 2 ? 1000000 : 0));
    } else {
        rtr_table_prune(t, 1000000);
        rtr_table_prune(t, 3000000);
    }
    rtr_table_free(t);
    rtr_reg_release(&reg);
    return 0;
}
