/*
 * rollout.h - the cut-over of a push. While a new package stages, the app's old instances keep
 * serving; once the new droplet is staged its instances start next to them, and when as many
 * new instances run as the app wants (or after cutover_timeout) every instance of another
 * version is stopped by id (dea.stop): the DEA takes its route away first and stops it a moment
 * later, so no request is lost. A failed staging leaves the old instances as they are. The HM
 * waits the same way (its intervals.rollout) before it calls an old version extra.
 * Loop thread only.
 */
#ifndef HEARTH_CC_ROLLOUT_H
#define HEARTH_CC_ROLLOUT_H

#include "app.h"
#include "cc.h"

/*
 * app's instances of its current version were just sent to the DEAs: stop the others once
 * these run. Replaces a rollout of the same app still in progress.
 */
void cc_rollout_begin(cc_ctx_t *cc, const cc_app_t *app);
/* The app was stopped or deleted: its rollout ends without stopping anything more. */
void cc_rollout_cancel(cc_ctx_t *cc, const char *guid);
/* Ends every rollout (the CC stops). */
void cc_rollout_stop_all(cc_ctx_t *cc);

#endif
