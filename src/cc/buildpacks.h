/*
 * buildpacks.h - the built-in buildpacks the DEAs stage with, as GET /buildpacks lists them.
 */
#ifndef HEARTH_CC_BUILDPACKS_H
#define HEARTH_CC_BUILDPACKS_H

#include <jansson.h>

#include "hc_base.h"

#define CC_MAX_BUILDPACKS 64
#define CC_MAX_BUILDPACK_NAME 64

/*
 * Lists the buildpacks under dir: every subdirectory with an executable bin/detect, in
 * detection order (the ORDER="..." line of dir/stage, the staging driver; buildpacks it does
 * not name follow in name order). Returns 0 and a new array [{"name","position"}...] (1-based
 * positions), or negative with err set when dir cannot be read. Blocking (reads the disk):
 * call at start or on the thread pool.
 */
int cc_buildpacks_load(const char *dir, json_t **ret, hc_err_t *err);

#endif
