/* libFuzzer target: the warden request parser (src/warden/proto.c) on arbitrary lines. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wdn_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wdn_req_t req;
    hc_err_t err = {0};
    if (wdn_req_parse((const char *)data, size, &req, &err) == 0) {
        /* Touch what a handler would read, so a dangling pointer shows up under ASan. */
        if (req.handle)
            (void)strlen(req.handle);
        if (req.path)
            (void)strlen(req.path);
        (void)wdn_req_type_name(req.type);
        wdn_req_release(&req);
    } else if (err.msg[0] == '\0') {
        __builtin_trap(); /* every refusal carries a message */
    }
    return 0;
}
