/*
 * libFuzzer target for hearth-broker's request parsing (src/broker/req.c): provision and bind
 * bodies, query strings, ids and the X-Broker-API-Version header, all bytes from the network.
 * The first input byte picks nothing: every parser sees every input.
 */
#include <stdint.h>
#include <string.h>

#include "broker.h"
#include "req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    hc_err_t err;
    brk_req_t r;

    for (int bind = 0; bind < 2; bind++) {
        hc_err_clear(&err);
        if (brk_req_parse(p, size, bind, &r, &err) == 0) {
            /* A successful parse yields the required fields and canonical parameters. */
            if (!r.service_id || !r.plan_id || !r.params || (!bind && (!r.org || !r.space)))
                __builtin_trap();
            brk_req_release(&r);
        } else if (r.service_id || r.params) {
            __builtin_trap(); /* nothing is left allocated on error */
        }
    }
    hc_str_t s = hc_str(p, size);
    char out[64];
    static const char *const keys[] = {"service_id", "plan_id", "accepts_incomplete", "a", ""};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        int n = brk_query_get(s, keys[i], out, sizeof(out));
        if (n == 1 && strlen(out) >= sizeof(out))
            __builtin_trap();
    }
    brk_query_get(s, "a", out, 1);
    brk_id_valid(s);
    brk_api_version_ok(s, "2.12");
    return 0;
}
