/* libFuzzer target: syslog drain URLs from start messages and the framing (src/dea/logdrain.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logdrain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    char host[256];
    int port = 0;
    if (dea_logdrain_parse_url(s, host, sizeof(host), &port) == 0 && (port < 1 || port > 65535))
        abort();
    hc_buf_t b;
    hc_buf_init(&b, DEA_LOGDRAIN_MAX_LINE + 512);
    struct timespec ts = {.tv_sec = (time_t)size * 7919, .tv_nsec = (long)(size % 1000000000)};
    dea_logdrain_frame(&b, size & 1, &ts, "app", "guid", "[APP/0]", s, size);
    hc_buf_release(&b);
    free(s);
    return 0;
}
