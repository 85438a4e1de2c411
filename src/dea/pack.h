/* pack.h - archive re-packing for staging (see pack.c). */
#ifndef HEARTH_DEA_PACK_H
#define HEARTH_DEA_PACK_H

#include <stdbool.h>
#include <stdint.h>

#include "hc_base.h"

typedef struct dea_pack_limits_s {
    uint64_t max_bytes;
    uint64_t max_entries;
} dea_pack_limits_t;

/*
 * True when a symlink at `name` (a safe relative path in the archive) pointing to `target`
 * stays inside the archive's root: relative, and its `..` never climb above the root from
 * the link's own directory (npm's node_modules/.bin/x -> ../x/cli.js passes).
 */
bool dea_link_inside(const char *name, const char *target);

/*
 * Copies the archive at in_path (zip, tar, tgz) to a tar (tgz when gzip) at out_path. Entries
 * outside `strip` (a prefix such as "out/", or NULL) are dropped and the prefix removed; `add`
 * (or NULL) is prepended. Unsafe paths or symlinks leading out of the root fail the whole copy;
 * devices, fifos and hard links are dropped; owners are reset and modes normalised (0644/0755).
 * Returns 0 or negative with err set.
 */
int dea_repack(const char *in_path, const char *out_path, const char *strip, const char *add,
               bool gzip, const dea_pack_limits_t *lim, hc_err_t *err);

#endif
