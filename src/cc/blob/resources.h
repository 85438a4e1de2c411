/*
 * resources.h - the v1 resource descriptors a client sends to PUT /resources and with an
 * upload: [{"sha1": "<40 hex>", "size": N, "fn": "relative/path", "mode": "755"}...].
 */
#ifndef HEARTH_CC_RESOURCES_H
#define HEARTH_CC_RESOURCES_H

#include <jansson.h>

#include "hc_base.h"

typedef struct cc_resource_s {
    char sha1[41];
    char *fn; /* NULL when absent (allowed in PUT /resources) */
    uint64_t size;
    int mode; /* 0644 or 0755, from the optional "mode" ("755" or 493) */
} cc_resource_t;

/*
 * Validates and copies the list: an array of at most max objects with a valid sha1, a size
 * >= 0, and (need_fn) an fn that passes cc_path_check. Returns 0 with a malloc'd array the
 * caller frees with cc_resources_free, or -EINVAL with "resource N: ..." in err.
 */
int cc_resources_parse(const json_t *arr, bool need_fn, size_t max, cc_resource_t **ret,
                       size_t *ret_n, hc_err_t *err);
void cc_resources_free(cc_resource_t *rs, size_t n);

#endif
