/* JSON builders that never fail and never drop a peer's string for bad UTF-8 (hc_json.h). */
#include <math.h>
#include <string.h>

#include "hc_buf.h"
#include "hc_json.h"
#include "hc_utf8.h"

static json_t *oom_check(json_t *v)
{
    if (!v) {
        static const char msg[] = "out of memory (jansson)\n";
        (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
        abort();
    }
    return v;
}

json_t *hc_json_strn(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t n = hc_utf8_seq(p + i, len - i);
        if (n == 0 || p[i] == 0)
            break;
        i += n;
    }
    if (i == len)
        return oom_check(json_stringn(s, len));
    /* Rebuild with U+FFFD for each invalid byte (and NUL, which jansson refuses by default). */
    hc_buf_t b;
    hc_buf_init(&b, 0);
    hc_buf_append(&b, s, i);
    while (i < len) {
        size_t n = hc_utf8_seq(p + i, len - i);
        if (n == 0 || p[i] == 0) {
            hc_buf_append(&b, "\xef\xbf\xbd", 3);
            i++;
        } else {
            hc_buf_append(&b, s + i, n);
            i += n;
        }
    }
    json_t *v = oom_check(json_stringn(b.data, b.len));
    hc_buf_release(&b);
    return v;
}

json_t *hc_json_obj(void)
{
    return oom_check(json_object());
}

json_t *hc_json_arr(void)
{
    return oom_check(json_array());
}

void hc_json_set_new(json_t *obj, const char *key, json_t *v)
{
    if (!v)
        v = json_null();
    hc_assert(json_is_object(obj));
    if (json_object_set_new(obj, key, v) < 0)
        oom_check(NULL);
}

void hc_json_set_str(json_t *obj, const char *key, const char *s)
{
    hc_json_set_new(obj, key, s ? hc_json_strn(s, strlen(s)) : NULL);
}

void hc_json_set_strn(json_t *obj, const char *key, const char *s, size_t len)
{
    hc_json_set_new(obj, key, s ? hc_json_strn(s, len) : NULL);
}

void hc_json_set_int(json_t *obj, const char *key, int64_t v)
{
    hc_json_set_new(obj, key, oom_check(json_integer(v)));
}

void hc_json_set_real(json_t *obj, const char *key, double v)
{
    /* JSON has no NaN or infinity; jansson refuses them, we store null. */
    hc_json_set_new(obj, key, isfinite(v) ? oom_check(json_real(v)) : NULL);
}

void hc_json_set_bool(json_t *obj, const char *key, bool v)
{
    hc_json_set_new(obj, key, json_boolean(v));
}

void hc_json_append_new(json_t *arr, json_t *v)
{
    if (!v)
        v = json_null();
    hc_assert(json_is_array(arr));
    if (json_array_append_new(arr, v) < 0)
        oom_check(NULL);
}

void hc_json_append_str(json_t *arr, const char *s)
{
    hc_json_append_new(arr, s ? hc_json_strn(s, strlen(s)) : NULL);
}
