/*
 * hc_json.h - helpers over jansson: typed getters that say which field is wrong, bounded
 * parsing with line/column errors, builders that never fail, and dumping into an hc_buf_t.
 *
 * Getter errors are -EINVAL with a message naming the field, ready to wrap with context
 * (hc_err_wrap(err, "app")) and to show to a client:
 *     host: missing
 *     port: expected integer, got string
 *     port: 70000 is out of range 1..65535
 *     name: length 300 is out of range 1..255
 * Type names in messages: object, array, string, integer, real, boolean, null.
 *
 * Ownership (STYLE R15): getters borrow; a returned const char * or json_t * points into obj
 * and stays valid while obj lives and the key is not replaced. Parse returns a new reference
 * the caller json_decref()s. Builders *_new take ownership of the value passed in.
 * Any thread, as long as a json_t is not shared between threads.
 */
#ifndef HEARTH_CORE_JSON_H
#define HEARTH_CORE_JSON_H

#include <jansson.h>

#include "hc_base.h"
#include "hc_buf.h"

/* Default limit for hc_json_parse callers that have no better one. */
#define HC_JSON_MAX_DEFAULT ((size_t)1024 * 1024)

/* "object", "array", "string", "integer", "real", "boolean", "null" ("missing" for NULL). */
const char *hc_json_type_name(const json_t *v);

/*
 * Parses len bytes (no NUL needed) as one JSON value of any type. Refuses len > max with
 * HC_ETOOBIG ("JSON too large (N bytes, max M)"), duplicate object keys, \u0000 in strings and
 * nesting over jansson's depth limit; a syntax error is -EINVAL with
 * "invalid JSON at line L, column C: <reason>" (reason stripped of non-printable bytes).
 * On success *ret is a new reference.
 */
int hc_json_parse(const char *buf, size_t len, size_t max, json_t **ret, hc_err_t *err);
/* Same, but the value must be an object ("expected a JSON object, got array"). */
int hc_json_parse_obj(const char *buf, size_t len, size_t max, json_t **ret, hc_err_t *err);

/*
 * Appends v serialized with jansson flags (0 for compact-ish defaults; JSON_COMPACT,
 * JSON_SORT_KEYS, JSON_INDENT(n) ...) to out. Returns 0, or HC_ETOOBIG when out reached its
 * max (out->overflow is set), or -EINVAL if jansson refused the value.
 */
int hc_json_dump(const json_t *v, size_t flags, hc_buf_t *out);

/*
 * Required fields. obj must be an object (else "expected object, got X" without a key).
 * Each returns 0 and writes *ret, or -EINVAL with "KEY: missing" / "KEY: expected T, got U".
 * hc_json_get_int accepts integers only; hc_json_get_real accepts integers and reals.
 */
int hc_json_get_str(const json_t *obj, const char *key, const char **ret, hc_err_t *err);
int hc_json_get_int(const json_t *obj, const char *key, int64_t *ret, hc_err_t *err);
int hc_json_get_real(const json_t *obj, const char *key, double *ret, hc_err_t *err);
int hc_json_get_bool(const json_t *obj, const char *key, bool *ret, hc_err_t *err);
int hc_json_get_obj(const json_t *obj, const char *key, json_t **ret, hc_err_t *err);
int hc_json_get_array(const json_t *obj, const char *key, json_t **ret, hc_err_t *err);
/* Integer within [min, max]: "KEY: 70000 is out of range 1..65535". */
int hc_json_get_int_range(const json_t *obj, const char *key, int64_t min, int64_t max,
                          int64_t *ret, hc_err_t *err);
/* String whose byte length is within [min, max]: "KEY: length 300 is out of range 1..255". */
int hc_json_get_str_len(const json_t *obj, const char *key, size_t min, size_t max,
                        const char **ret, hc_err_t *err);

/*
 * Optional fields: a missing key or a JSON null yields the default; a present value of the
 * wrong type or out of bounds is still an error. For obj/array the default is NULL.
 */
int hc_json_opt_str(const json_t *obj, const char *key, const char *def, const char **ret,
                    hc_err_t *err);
int hc_json_opt_str_len(const json_t *obj, const char *key, size_t min, size_t max, const char *def,
                        const char **ret, hc_err_t *err);
int hc_json_opt_int(const json_t *obj, const char *key, int64_t def, int64_t min, int64_t max,
                    int64_t *ret, hc_err_t *err);
int hc_json_opt_real(const json_t *obj, const char *key, double def, double *ret, hc_err_t *err);
int hc_json_opt_bool(const json_t *obj, const char *key, bool def, bool *ret, hc_err_t *err);
int hc_json_opt_obj(const json_t *obj, const char *key, json_t **ret, hc_err_t *err);
int hc_json_opt_array(const json_t *obj, const char *key, json_t **ret, hc_err_t *err);

/*
 * Builders. They abort on out-of-memory like hc_malloc, so they return nothing to check.
 * Strings may come from peers: bytes that are not valid UTF-8 are replaced with U+FFFD
 * (jansson would refuse the whole string). s NULL stores a JSON null.
 */
json_t *hc_json_strn(const char *s, size_t len); /* new reference, never NULL */
json_t *hc_json_obj(void);                       /* new empty object, never NULL */
json_t *hc_json_arr(void);                       /* new empty array, never NULL */
void hc_json_set_str(json_t *obj, const char *key, const char *s);
void hc_json_set_strn(json_t *obj, const char *key, const char *s, size_t len);
void hc_json_set_int(json_t *obj, const char *key, int64_t v);
void hc_json_set_real(json_t *obj, const char *key, double v);
void hc_json_set_bool(json_t *obj, const char *key, bool v);
/* Takes ownership of v (a NULL v stores null). */
void hc_json_set_new(json_t *obj, const char *key, json_t *v);
void hc_json_append_str(json_t *arr, const char *s);
/* Takes ownership of v. */
void hc_json_append_new(json_t *arr, json_t *v);

#endif
