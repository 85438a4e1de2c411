/*
 * The app's v1 JSON, written by hand into a buffer. GET /apps answers with every app of the
 * user; building a jansson tree per app and dumping it cost most of that request's time
 * (allocations for each value and key, then the dump), so the shape is written directly here
 * and cc_app_to_json parses it back for the callers that want a tree.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "hc_json.h"
#include "hc_utf8.h"

void cc_json_put_str(hc_buf_t *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (!s) {
        hc_buf_append(out, "null", 4);
        return;
    }
    size_t len = strlen(s), run = 0, i = 0;
    hc_buf_append_byte(out, '"');
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            i++;
            run++;
            continue;
        }
        hc_buf_append(out, s + i - run, run);
        run = 0;
        if (c >= 0x80) {
            size_t n = hc_utf8_seq(s + i, len - i);
            if (n == 0) {
                hc_buf_append(out, "\xef\xbf\xbd", 3); /* U+FFFD for a byte that is not UTF-8 */
                i++;
            } else {
                hc_buf_append(out, s + i, n);
                i += n;
            }
            continue;
        }
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        switch (c) {
        case '"':
            hc_buf_append(out, "\\\"", 2);
            break;
        case '\\':
            hc_buf_append(out, "\\\\", 2);
            break;
        case '\n':
            hc_buf_append(out, "\\n", 2);
            break;
        case '\r':
            hc_buf_append(out, "\\r", 2);
            break;
        case '\t':
            hc_buf_append(out, "\\t", 2);
            break;
        default:
            hc_buf_append(out, esc, sizeof(esc));
            break;
        }
        i++;
    }
    hc_buf_append(out, s + i - run, run);
    hc_buf_append_byte(out, '"');
}

/* An array of strings (the app's uris, env, services); other values are dumped by jansson. */
static void put_array(hc_buf_t *out, const json_t *arr)
{
    json_t *v;
    size_t i;
    hc_buf_append_byte(out, '[');
    json_array_foreach(arr, i, v)
    {
        if (i)
            hc_buf_append_byte(out, ',');
        if (json_is_string(v)) {
            cc_json_put_str(out, json_string_value(v));
        } else {
            char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            hc_buf_append_str(out, s ? s : "null");
            free(s);
        }
    }
    hc_buf_append_byte(out, ']');
}

static void put_key(hc_buf_t *out, const char *key, bool first)
{
    if (!first)
        hc_buf_append_byte(out, ',');
    hc_buf_append_byte(out, '"');
    hc_buf_append_str(out, key); /* keys are ours: plain ASCII */
    hc_buf_append(out, "\":", 2);
}

/* Decimal v, without printf's machinery (a thousand apps have many numbers). */
static void put_num(hc_buf_t *out, int64_t v)
{
    char buf[24], *p = buf + sizeof(buf);
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    hc_buf_append(out, p, (size_t)(buf + sizeof(buf) - p));
}

static void put_int(hc_buf_t *out, const char *key, int64_t v)
{
    put_key(out, key, false);
    put_num(out, v);
}

void cc_app_write_json(const cc_app_t *app, int64_t running, hc_buf_t *out)
{
    char version[128];
    hc_buf_append_byte(out, '{');
    put_key(out, "name", true);
    cc_json_put_str(out, app->name);
    put_key(out, "staging", false);
    hc_buf_append_str(out, "{\"model\":");
    cc_json_put_str(out, app->framework);
    put_key(out, "stack", false);
    cc_json_put_str(out, app->runtime);
    if (app->command) {
        put_key(out, "command", false);
        cc_json_put_str(out, app->command);
    }
    hc_buf_append_byte(out, '}');
    put_key(out, "uris", false);
    put_array(out, app->uris);
    put_int(out, "instances", app->instances);
    put_key(out, "runningInstances", false);
    if (!app->state || strcmp(app->state, "STARTED") != 0)
        hc_buf_append_byte(out, '0');
    else if (running < 0)
        hc_buf_append(out, "null", 4);
    else
        put_num(out, running);
    put_key(out, "resources", false);
    hc_buf_append_str(out, "{\"memory\":");
    put_num(out, app->memory);
    put_int(out, "disk", app->disk);
    put_int(out, "fds", app->fds);
    hc_buf_append_byte(out, '}');
    put_key(out, "state", false);
    cc_json_put_str(out, app->state);
    put_key(out, "services", false);
    put_array(out, app->services);
    cc_app_version(app, version, sizeof(version));
    put_key(out, "version", false);
    cc_json_put_str(out, version);
    put_key(out, "env", false);
    put_array(out, app->env);
    put_key(out, "guid", false);
    cc_json_put_str(out, app->guid);
    put_key(out, "package_state", false);
    cc_json_put_str(out, app->package_state);
    put_key(out, "health_check_type", false);
    cc_json_put_str(out, cc_app_hc_type(app));
    put_key(out, "health_check_http_endpoint", false);
    cc_json_put_str(out, cc_app_hc_endpoint(app));
    put_key(out, "meta", false);
    hc_buf_append_str(out, "{\"debug\":null,\"console\":null,\"version\":");
    put_num(out, app->lock_version);
    put_int(out, "created", app->created);
    hc_buf_append(out, "}}", 2);
}

json_t *cc_app_to_json(const cc_app_t *app, int64_t running)
{
    hc_buf_t b;
    json_t *v = NULL;
    hc_err_t err;
    hc_buf_init(&b, 0);
    cc_app_write_json(app, running, &b);
    /* Our own output: it only fails to parse if the buffer overflowed (64 MiB for one app). */
    if (b.overflow || hc_json_parse_obj(b.data, b.len, b.len + 1, &v, &err) < 0)
        v = hc_json_obj();
    hc_buf_release(&b);
    return v;
}
