/*
 * libFuzzer target: bound services' credentials (src/dea/svcnet.c). The input is parsed as a
 * start message (the bus delivers it); its services give the targets and are rewritten to a
 * gateway, and the raw bytes are also parsed as one URI. Checks the invariants: targets are
 * bounded and NUL-terminated with a port, a URI's host lies inside the input, and a second
 * rewrite changes nothing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dea.h"
#include "svcnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    dea_svc_uri_t u;
    if (dea_svcnet_parse_uri(s, size, &u) == 0) {
        if (u.host < s || u.host + u.host_len > s + size || u.span_off + u.span_len > size ||
            u.host_len == 0)
            abort();
        (void)dea_svcnet_is_loopback(u.host, u.host_len);
    }
    (void)dea_svcnet_is_loopback(s, size);

    dea_start_t st;
    hc_err_t err;
    if (dea_start_parse(s, size, &st, &err) == 0) {
        dea_svc_target_t t[8];
        size_t n = dea_svcnet_targets(st.services, t, 8);
        if (n > 8)
            abort();
        for (size_t i = 0; i < n; i++) {
            char net[32];
            if (t[i].port == 0 || memchr(t[i].host, '\0', sizeof(t[i].host)) == NULL)
                abort();
            (void)dea_svcnet_network(&t[i], net);
        }
        dea_svcnet_rewrite(st.services, "10.254.0.1");
        if (dea_svcnet_rewrite(st.services, "10.254.0.1") != 0)
            abort();
        json_decref(dea_vcap_services(st.services));
        dea_start_release(&st);
    }
    return 0;
}
