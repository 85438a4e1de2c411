/*
 * orch.h - what the CC does on the bus when desired state changes: staging, placement of
 * instances on DEAs (dea.UUID.start), dea.stop, dea.update and droplet.updated. The REST
 * handlers call these after their transaction committed. Loop thread only.
 */
#ifndef HEARTH_CC_ORCH_H
#define HEARTH_CC_ORCH_H

#include "app.h"
#include "cc.h"

/*
 * An app was created (before == NULL) or updated: compares states and instance counts and
 * publishes what the DEAs and the HM need. `after` is the committed record.
 */
void cc_orch_app_changed(cc_ctx_t *cc, const cc_app_t *before, const cc_app_t *after);
/* An app was deleted: stop every instance. */
void cc_orch_app_deleted(cc_ctx_t *cc, const cc_app_t *app);

#endif
