/* Bounded JSON parsing with line/column errors, and dumping into an hc_buf_t (hc_json.h). */
#include <string.h>

#include "hc_json.h"

int hc_json_parse(const char *buf, size_t len, size_t max, json_t **ret, hc_err_t *err)
{
    if (len > max) {
        /* Set as -EINVAL so no strerror is appended, then give the real code. */
        hc_err_set(err, -EINVAL, "JSON too large (%zu bytes, max %zu)", len, max);
        if (err)
            err->code = HC_ETOOBIG;
        return HC_ETOOBIG;
    }
    json_error_t jerr;
    json_t *v = json_loadb(buf, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (!v) {
        /* jansson quotes the offending token; keep only printable ASCII so the message is
         * safe in a log line, a terminal and a JSON error body. */
        char reason[sizeof(jerr.text)];
        size_t n = 0;
        for (size_t i = 0; i < sizeof(jerr.text) && jerr.text[i]; i++) {
            unsigned char c = (unsigned char)jerr.text[i];
            reason[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
        }
        reason[n] = '\0';
        return hc_err_set(err, -EINVAL, "invalid JSON at line %d, column %d: %s", jerr.line,
                          jerr.column, reason);
    }
    *ret = v;
    return 0;
}

int hc_json_parse_obj(const char *buf, size_t len, size_t max, json_t **ret, hc_err_t *err)
{
    json_t *v = NULL;
    int r = hc_json_parse(buf, len, max, &v, err);
    if (r < 0)
        return r;
    if (!json_is_object(v)) {
        r = hc_err_set(err, -EINVAL, "expected a JSON object, got %s", hc_json_type_name(v));
        json_decref(v);
        return r;
    }
    *ret = v;
    return 0;
}

static int dump_cb(const char *p, size_t len, void *data)
{
    hc_buf_t *out = data;
    hc_buf_append(out, p, len);
    return out->overflow ? -1 : 0;
}

int hc_json_dump(const json_t *v, size_t flags, hc_buf_t *out)
{
    if (json_dump_callback(v, dump_cb, out, flags) < 0)
        return out->overflow ? HC_ETOOBIG : -EINVAL;
    return 0;
}
