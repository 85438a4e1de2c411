/* Resource descriptor lists. */
#include <string.h>

#include "blob/archive.h"
#include "blob/blob.h"
#include "blob/resources.h"
#include "hc_json.h"

void cc_resources_free(cc_resource_t *rs, size_t n)
{
    for (size_t i = 0; rs && i < n; i++)
        free(rs[i].fn);
    free(rs);
}

int cc_resources_parse(const json_t *arr, bool need_fn, size_t max, cc_resource_t **ret,
                       size_t *ret_n, hc_err_t *err)
{
    if (!json_is_array(arr))
        return hc_err_set(err, -EINVAL, "resources: expected array, got %s",
                          hc_json_type_name(arr));
    size_t n = json_array_size(arr);
    if (n > max)
        return hc_err_set(err, -EINVAL, "resources: %zu entries, at most %zu", n, max);
    cc_resource_t *rs = hc_calloc(n + 1, sizeof(*rs));
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(arr, i), *mode;
        const char *sha1, *fn = NULL;
        int64_t size;
        if (!json_is_object(o)) {
            hc_err_set(err, -EINVAL, "expected object, got %s", hc_json_type_name(o));
            goto fail;
        }
        if (hc_json_get_str(o, "sha1", &sha1, err) < 0 ||
            hc_json_get_int_range(o, "size", 0, INT64_MAX, &size, err) < 0 ||
            hc_json_opt_str(o, "fn", NULL, &fn, err) < 0)
            goto fail;
        if (!cc_sha1_valid(sha1)) {
            hc_err_set(err, -EINVAL, "sha1: not 40 lowercase hex digits");
            goto fail;
        }
        if (need_fn && (!fn || strlen(fn) != json_string_length(json_object_get(o, "fn")) ||
                        cc_path_check(fn) < 0)) {
            hc_err_set(err, -EINVAL, "fn: missing or not a safe relative path");
            goto fail;
        }
        mode = json_object_get(o, "mode");
        int64_t m = json_is_integer(mode)  ? json_integer_value(mode)
                    : json_is_string(mode) ? strtol(json_string_value(mode), NULL, 8)
                                           : 0644;
        rs[i].mode = (m & 0100) ? 0755 : 0644;
        memcpy(rs[i].sha1, sha1, sizeof(rs[i].sha1));
        rs[i].size = (uint64_t)size;
        rs[i].fn = fn ? hc_strdup(fn) : NULL;
        continue;
    fail:
        hc_err_wrap(err, "resource %zu", i);
        cc_resources_free(rs, i);
        return -EINVAL;
    }
    *ret = rs;
    *ret_n = n;
    return 0;
}
