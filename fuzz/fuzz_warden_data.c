/*
 * libFuzzer target: the data lines of a streamed copy_in (wdn_data_parse in
 * src/warden/proto.c), which carry base64 tar bytes from any client of the socket.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wdn_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned char buf[WDN_COPY_MAX_CHUNK];
    wdn_data_t d;
    hc_err_t err = {0};
    /* A caller buffer smaller than the maximum must never be overrun either. */
    size_t cap = size > 0 && (data[0] & 1) ? 64 : sizeof(buf);
    if (wdn_data_parse((const char *)data, size, buf, cap, &d, &err) == 0) {
        if (d.len > cap || (d.eof && d.len))
            __builtin_trap();
    } else if (err.msg[0] == '\0') {
        __builtin_trap(); /* every refusal carries a message */
    }
    return 0;
}
