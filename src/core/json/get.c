/* Typed getters over jansson objects that name the field at fault (hc_json.h). */
#include <inttypes.h>
#include <string.h>

#include "hc_json.h"

const char *hc_json_type_name(const json_t *v)
{
    if (!v)
        return "missing";
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "real";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_NULL:
        return "null";
    }
    return "unknown";
}

/*
 * Looks key up. Returns 1 with *ret set when present, 0 when missing (or null, if
 * null_is_missing), -EINVAL when obj is not an object.
 */
static int lookup(const json_t *obj, const char *key, bool null_is_missing, json_t **ret,
                  hc_err_t *err)
{
    if (!json_is_object(obj))
        return hc_err_set(err, -EINVAL, "expected object, got %s", hc_json_type_name(obj));
    json_t *v = json_object_get(obj, key);
    if (!v || (null_is_missing && json_is_null(v)))
        return 0;
    *ret = v;
    return 1;
}

static int require(const json_t *obj, const char *key, json_t **ret, hc_err_t *err)
{
    int r = lookup(obj, key, false, ret, err);
    if (r == 0)
        return hc_err_set(err, -EINVAL, "%s: missing", key);
    return r < 0 ? r : 0;
}

static int wrong_type(const char *key, const char *want, const json_t *v, hc_err_t *err)
{
    return hc_err_set(err, -EINVAL, "%s: expected %s, got %s", key, want, hc_json_type_name(v));
}

static int check_int(const char *key, const json_t *v, int64_t min, int64_t max, int64_t *ret,
                     hc_err_t *err)
{
    if (!json_is_integer(v))
        return wrong_type(key, "integer", v, err);
    json_int_t i = json_integer_value(v);
    if (i < min || i > max)
        return hc_err_set(err, -EINVAL, "%s: %" PRId64 " is out of range %" PRId64 "..%" PRId64,
                          key, (int64_t)i, min, max);
    *ret = i;
    return 0;
}

static int check_str(const char *key, const json_t *v, size_t min, size_t max, const char **ret,
                     hc_err_t *err)
{
    if (!json_is_string(v))
        return wrong_type(key, "string", v, err);
    size_t len = json_string_length(v);
    if (len < min || len > max)
        return hc_err_set(err, -EINVAL, "%s: length %zu is out of range %zu..%zu", key, len, min,
                          max);
    *ret = json_string_value(v);
    return 0;
}

static int check_real(const char *key, const json_t *v, double *ret, hc_err_t *err)
{
    if (!json_is_number(v))
        return wrong_type(key, "number", v, err);
    *ret = json_number_value(v);
    return 0;
}

static int check_bool(const char *key, const json_t *v, bool *ret, hc_err_t *err)
{
    if (!json_is_boolean(v))
        return wrong_type(key, "boolean", v, err);
    *ret = json_is_true(v);
    return 0;
}

int hc_json_get_str(const json_t *obj, const char *key, const char **ret, hc_err_t *err)
{
    return hc_json_get_str_len(obj, key, 0, SIZE_MAX, ret, err);
}

int hc_json_get_str_len(const json_t *obj, const char *key, size_t min, size_t max,
                        const char **ret, hc_err_t *err)
{
    json_t *v = NULL;
    int r = require(obj, key, &v, err);
    return r < 0 ? r : check_str(key, v, min, max, ret, err);
}

int hc_json_get_int(const json_t *obj, const char *key, int64_t *ret, hc_err_t *err)
{
    return hc_json_get_int_range(obj, key, INT64_MIN, INT64_MAX, ret, err);
}

int hc_json_get_int_range(const json_t *obj, const char *key, int64_t min, int64_t max,
                          int64_t *ret, hc_err_t *err)
{
    json_t *v = NULL;
    int r = require(obj, key, &v, err);
    return r < 0 ? r : check_int(key, v, min, max, ret, err);
}

int hc_json_get_real(const json_t *obj, const char *key, double *ret, hc_err_t *err)
{
    json_t *v = NULL;
    int r = require(obj, key, &v, err);
    return r < 0 ? r : check_real(key, v, ret, err);
}

int hc_json_get_bool(const json_t *obj, const char *key, bool *ret, hc_err_t *err)
{
    json_t *v = NULL;
    int r = require(obj, key, &v, err);
    return r < 0 ? r : check_bool(key, v, ret, err);
}

/* An object or array under key: required, or optional (then missing/null gives NULL). */
static int get_container(const json_t *obj, const char *key, bool optional, json_type type,
                         json_t **ret, hc_err_t *err)
{
    json_t *v = NULL;
    int r = optional ? lookup(obj, key, true, &v, err) : require(obj, key, &v, err);
    if (r < 0)
        return r;
    if (optional && r == 0) {
        *ret = NULL;
        return 0;
    }
    if (json_typeof(v) != type)
        return wrong_type(key, type == JSON_OBJECT ? "object" : "array", v, err);
    *ret = v;
    return 0;
}

int hc_json_get_obj(const json_t *obj, const char *key, json_t **ret, hc_err_t *err)
{
    return get_container(obj, key, false, JSON_OBJECT, ret, err);
}

int hc_json_get_array(const json_t *obj, const char *key, json_t **ret, hc_err_t *err)
{
    return get_container(obj, key, false, JSON_ARRAY, ret, err);
}

int hc_json_opt_str(const json_t *obj, const char *key, const char *def, const char **ret,
                    hc_err_t *err)
{
    return hc_json_opt_str_len(obj, key, 0, SIZE_MAX, def, ret, err);
}

int hc_json_opt_str_len(const json_t *obj, const char *key, size_t min, size_t max, const char *def,
                        const char **ret, hc_err_t *err)
{
    json_t *v = NULL;
    int r = lookup(obj, key, true, &v, err);
    if (r < 0)
        return r;
    if (r == 0) {
        *ret = def;
        return 0;
    }
    return check_str(key, v, min, max, ret, err);
}

int hc_json_opt_int(const json_t *obj, const char *key, int64_t def, int64_t min, int64_t max,
                    int64_t *ret, hc_err_t *err)
{
    json_t *v = NULL;
    int r = lookup(obj, key, true, &v, err);
    if (r < 0)
        return r;
    if (r == 0) {
        *ret = def;
        return 0;
    }
    return check_int(key, v, min, max, ret, err);
}

int hc_json_opt_real(const json_t *obj, const char *key, double def, double *ret, hc_err_t *err)
{
    json_t *v = NULL;
    int r = lookup(obj, key, true, &v, err);
    if (r < 0)
        return r;
    if (r == 0) {
        *ret = def;
        return 0;
    }
    return check_real(key, v, ret, err);
}

int hc_json_opt_bool(const json_t *obj, const char *key, bool def, bool *ret, hc_err_t *err)
{
    json_t *v = NULL;
    int r = lookup(obj, key, true, &v, err);
    if (r < 0)
        return r;
    if (r == 0) {
        *ret = def;
        return 0;
    }
    return check_bool(key, v, ret, err);
}

int hc_json_opt_obj(const json_t *obj, const char *key, json_t **ret, hc_err_t *err)
{
    return get_container(obj, key, true, JSON_OBJECT, ret, err);
}

int hc_json_opt_array(const json_t *obj, const char *key, json_t **ret, hc_err_t *err)
{
    return get_container(obj, key, true, JSON_ARRAY, ret, err);
}
