/*
 * libFuzzer target for the JSON helpers: bounded parse, every getter on every key of the
 * parsed object, the UTF-8-repairing string builder and dumping into a bounded buffer.
 */
#include <stdint.h>
#include <string.h>

#include "hc_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void poke(const json_t *obj, const char *key)
{
    hc_err_t err;
    const char *s;
    int64_t i;
    double d;
    bool b;
    json_t *j;
    hc_err_clear(&err);
    hc_json_get_str(obj, key, &s, &err);
    hc_json_get_str_len(obj, key, 1, 8, &s, &err);
    hc_json_get_int_range(obj, key, -5, 65535, &i, &err);
    hc_json_get_real(obj, key, &d, &err);
    hc_json_get_bool(obj, key, &b, &err);
    hc_json_get_obj(obj, key, &j, &err);
    hc_json_get_array(obj, key, &j, &err);
    hc_json_opt_int(obj, key, 1, 0, 10, &i, &err);
    hc_json_opt_str(obj, key, "d", &s, &err);
    hc_json_opt_bool(obj, key, false, &b, &err);
    hc_json_opt_real(obj, key, 0.5, &d, &err);
    hc_json_opt_obj(obj, key, &j, &err);
    hc_json_opt_array(obj, key, &j, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hc_err_t err;
    json_t *v = NULL;
    hc_err_clear(&err);
    if (hc_json_parse((const char *)data, size, 64 * 1024, &v, &err) == 0) {
        const char *key;
        json_t *value;
        if (json_is_object(v)) {
            json_object_foreach(v, key, value) poke(v, key);
        }
        poke(v, "missing");
        hc_buf_t b;
        hc_buf_init(&b, 4096);
        hc_json_dump(v, JSON_COMPACT | JSON_SORT_KEYS, &b);
        hc_buf_release(&b);
        json_decref(v);
    } else if (err.msg[0] == '\0') {
        __builtin_trap(); /* every error must carry a message */
    }
    /* Any bytes become a valid JSON string. */
    json_t *s = hc_json_strn((const char *)data, size);
    json_t *o = hc_json_obj();
    hc_json_set_new(o, "s", s);
    char *out = json_dumps(o, JSON_COMPACT);
    if (!out)
        __builtin_trap();
    free(out);
    json_decref(o);
    return 0;
}
