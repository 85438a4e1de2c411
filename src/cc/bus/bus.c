/* Bus placeholder until the shared bus glue lands. */
#include "bus/bus.h"

int cc_bus_start(cc_ctx_t *cc, hc_err_t *err)
{
    (void)cc;
    (void)err;
    return 0;
}

void cc_bus_stop(cc_ctx_t *cc)
{
    (void)cc;
}

void cc_bus_free(cc_ctx_t *cc)
{
    (void)cc;
}

void cc_bus_publish(cc_ctx_t *cc, const char *subject, const json_t *msg)
{
    (void)cc;
    (void)subject;
    (void)msg;
}
