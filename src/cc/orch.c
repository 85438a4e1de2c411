/* Bus side of desired-state changes. */
#include "orch.h"

void cc_orch_app_changed(cc_ctx_t *cc, const cc_app_t *before, const cc_app_t *after)
{
    (void)cc;
    (void)before;
    (void)after;
}

void cc_orch_app_deleted(cc_ctx_t *cc, const cc_app_t *app)
{
    (void)cc;
    (void)app;
}
