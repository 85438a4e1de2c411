/*
 * orch.h - what the CC does on the bus when desired state changes (cf-v1.md §1.6, §2.3):
 * staging on a DEA, placement of instances (dea.UUID.start), dea.stop, dea.update and
 * droplet.updated, and the HM's START/STOP requests. The REST handlers call these after
 * their transaction committed, with apps whose vcap a worker read (app.h). Loop thread only.
 */
#ifndef HEARTH_CC_ORCH_H
#define HEARTH_CC_ORCH_H

#include "app.h"
#include "cc.h"

#define CC_DEA_PROFILE_TTL_MS 10000 /* advertisements older than this are ignored */
#define CC_MAX_DEAS 1024
#define CC_MAX_DEA_STACKS 16 /* stacks kept per advertisement */
#define CC_MAX_STACK_NAME 64
#define CC_STAGING_TIMEOUT_MS (15 * 60 * 1000)
#define CC_STAGING_TOKEN_TTL_S 3600
#define CC_TOKEN_MAX 128

/*
 * An app was created (before == NULL), updated or given new bits: compares the records and
 * publishes what the DEAs and the HM need. `after` is the committed record.
 */
void cc_orch_app_changed(cc_ctx_t *cc, const cc_app_t *before, const cc_app_t *after);
/* An app was deleted: stop every instance. */
void cc_orch_app_deleted(cc_ctx_t *cc, const cc_app_t *app);
/* A dea.advertise message (JSON). */
void cc_orch_advertise(cc_ctx_t *cc, const char *data, size_t len);
/* A cloudcontrollers.hm.requests message (JSON). */
void cc_orch_hm_request(cc_ctx_t *cc, const char *data, size_t len);
/* Forgets the DEA pool and pending staging tasks (at stop). */
void cc_orch_stop(cc_ctx_t *cc);
void cc_orch_free(cc_ctx_t *cc);
/*
 * The stacks fresh DEAs advertise, [{"name","deas": n}...] sorted by name (new reference);
 * the configured default stack (deas 0) when none does.
 */
json_t *cc_orch_stacks(cc_ctx_t *cc);
/* Number of DEAs with a fresh advertisement. */
size_t cc_orch_num_deas(cc_ctx_t *cc);

/*
 * Short-lived capability tokens for the DEA's staging URLs: "<expiry>.<hex HMAC-SHA256>" over
 * purpose, app guid and package SHA-1 with a per-process key.
 */
void cc_orch_token(cc_ctx_t *cc, const char *purpose, const char *guid, const char *sha1,
                   char out[CC_TOKEN_MAX]);
/* True when token is valid and unexpired for (purpose, guid, sha1). */
bool cc_orch_token_ok(cc_ctx_t *cc, const char *purpose, const char *guid, const char *sha1,
                      const char *token);
/*
 * True while the staging task of app guid's package is waiting for its reply: the droplet
 * may be stored already, but no instance of it has been sent to a DEA yet.
 */
bool cc_orch_staging_pending(cc_ctx_t *cc, const char *guid, const char *package);
/*
 * The staging log of app guid (live while a task runs, then its final log; *ret_len bytes,
 * NUL-terminated), or NULL when none is kept. Borrowed until control returns to the loop.
 */
const char *cc_orch_staging_log(cc_ctx_t *cc, const char *guid, size_t *ret_len);

#endif
