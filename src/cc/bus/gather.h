/*
 * gather.h - a bus request that collects several replies (dea.find.droplet answers once per
 * matching instance): publishes with a private inbox as reply subject and calls back with
 * every reply once `expected` arrived or the timeout passed, whichever comes first.
 * Loop thread only.
 */
#ifndef HEARTH_CC_GATHER_H
#define HEARTH_CC_GATHER_H

#include <jansson.h>

#include "cc.h"

#define CC_GATHER_MAX_REPLIES 1024

/*
 * replies: a JSON array of the parsed reply objects (borrowed, valid during the call; bad
 * JSON is skipped). status 0, or -ENOTCONN when there is no bus (replies is then empty).
 */
typedef void (*cc_gather_cb)(cc_ctx_t *cc, int status, json_t *replies, void *ud);

/* Publishes msg (borrowed) on subject and gathers up to expected replies within timeout_ms.
 * cb is always called exactly once (possibly before this returns, when there is no bus). */
void cc_gather(cc_ctx_t *cc, const char *subject, const json_t *msg, size_t expected,
               uint64_t timeout_ms, cc_gather_cb cb, void *ud);

/* Finishes every pending gather with what it has (before the bus closes). */
void cc_gather_cancel_all(cc_ctx_t *cc);

#endif
