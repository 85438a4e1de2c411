/*
 * release.h - an app's release history: each deploy of a new droplet, each change of the
 * environment of an app that has a droplet, and each rollback records the droplet, package,
 * environment and command it made current, numbered 1, 2, 3... per app. The newest release is
 * the current one. Rows are written inside the transaction of the change that makes them.
 * Any thread, with its own connection.
 */
#ifndef HEARTH_CC_RELEASE_H
#define HEARTH_CC_RELEASE_H

#include <jansson.h>

#include "app.h"
#include "db/db.h"

/* GET /apps/NAME/releases answers at most this many, newest first. */
#define CC_RELEASES_LIST_MAX 50

/*
 * Records app's droplet_hash, package_hash, env and command as its next release, by email,
 * with description (cut to at most 255 bytes of whole UTF-8 sequences). Sets *ret_version when not
 * NULL. Returns 0 or -EIO.
 */
int cc_release_add(cc_db_t *db, const cc_app_t *app, const char *email, const char *description,
                   int64_t *ret_version, hc_err_t *err);

/* The newest version of the app (0: no release yet) in *ret. Returns 0 or -EIO. */
int cc_release_latest(cc_db_t *db, const char *app_guid, int64_t *ret, hc_err_t *err);

/*
 * What changed between two env arrays ("K=V" strings), as a release description:
 * "Set A, B", "Remove C" or "Set A; Remove C" (names in order, cut to fit size).
 * Returns false (out "") when no name changed.
 */
bool cc_release_env_desc(const json_t *before, const json_t *after, char *out, size_t size);

#endif
