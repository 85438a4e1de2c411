/* libFuzzer target: dea.UUID.start bodies and staging_info.yml texts (src/dea/msg.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dea.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dea_start_t s;
    hc_err_t err;
    if (dea_start_parse((const char *)data, size, &s, &err) == 0) {
        dea_conf_t conf = {.local_ip = "127.0.0.1", .stack = "s", .max_memory_mb = 100};
        dea_t dea = {.conf = &conf};
        dea_inst_t in = {.dea = &dea, .s = s, .state = DEA_RUNNING};
        json_decref(dea_env(&in, "127.0.0.1"));
        json_decref(dea_register_msg(&dea, &in, true));
        json_decref(dea_exited_msg(&in, 0));
        dea.insts = &in;
        json_decref(dea_advertise_msg(&dea));
        dea_start_release(&in.s);
    }
    free(dea_staging_info_cmd((const char *)data, size));
    return 0;
}
