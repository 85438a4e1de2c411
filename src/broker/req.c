/* OSBAPI request parsing: bodies, query strings, the API version header. */
#include <string.h>

#include "broker.h"
#include "hc_json.h"
#include "req.h"

void brk_req_release(brk_req_t *r)
{
    free(r->service_id);
    free(r->plan_id);
    free(r->org);
    free(r->space);
    free(r->app_guid);
    free(r->params);
    *r = (brk_req_t){0};
}

static int dup_field(const json_t *obj, const char *key, bool required, char **ret, hc_err_t *err)
{
    const char *s = NULL;
    int r = required ? hc_json_get_str_len(obj, key, 1, 255, &s, err)
                     : hc_json_opt_str_len(obj, key, 1, 255, NULL, &s, err);
    if (r < 0)
        return r;
    *ret = s ? hc_strdup(s) : NULL;
    return 0;
}

int brk_req_parse(const char *body, size_t len, bool bind, brk_req_t *out, hc_err_t *err)
{
    json_t *root = NULL, *params = NULL, *res = NULL;
    int r;

    *out = (brk_req_t){0};
    if ((r = hc_json_parse_obj(body, len, BRK_MAX_BODY, &root, err)) < 0)
        return r;
    if ((r = dup_field(root, "service_id", true, &out->service_id, err)) < 0 ||
        (r = dup_field(root, "plan_id", true, &out->plan_id, err)) < 0)
        goto out;
    if (!bind) {
        if ((r = dup_field(root, "organization_guid", true, &out->org, err)) < 0 ||
            (r = dup_field(root, "space_guid", true, &out->space, err)) < 0)
            goto out;
    } else {
        if ((r = hc_json_opt_obj(root, "bind_resource", &res, err)) < 0)
            goto out;
        if (res && (r = dup_field(res, "app_guid", false, &out->app_guid, err)) < 0) {
            hc_err_wrap(err, "bind_resource");
            goto out;
        }
        if (!out->app_guid && (r = dup_field(root, "app_guid", false, &out->app_guid, err)) < 0)
            goto out;
    }
    if ((r = hc_json_opt_obj(root, "parameters", &params, err)) < 0)
        goto out;
    hc_buf_t buf;
    hc_buf_init(&buf, BRK_MAX_PARAMS);
    if (params)
        r = hc_json_dump(params, JSON_COMPACT | JSON_SORT_KEYS, &buf);
    else
        hc_buf_append_str(&buf, "{}");
    if (r < 0 || buf.overflow) {
        hc_buf_release(&buf);
        r = brk_err_set(err, HC_ETOOBIG, "parameters: larger than %d bytes", BRK_MAX_PARAMS);
        goto out;
    }
    out->params = hc_buf_detach(&buf, NULL);
    r = 0;
out:
    json_decref(root);
    if (r < 0)
        brk_req_release(out);
    return r;
}

bool brk_id_valid(hc_str_t id)
{
    if (id.len == 0 || id.len > BRK_MAX_ID)
        return false;
    for (size_t i = 0; i < id.len; i++) {
        char c = id.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int brk_query_get(hc_str_t query, const char *key, char *out, size_t size)
{
    size_t klen = strlen(key), i = 0;

    while (i < query.len) {
        size_t end = i;
        while (end < query.len && query.p[end] != '&')
            end++;
        const char *kv = query.p + i;
        size_t kvlen = end - i;
        if (kvlen >= klen && memcmp(kv, key, klen) == 0 && (kvlen == klen || kv[klen] == '=')) {
            size_t o = 0;
            for (size_t j = klen + (kvlen > klen); j < kvlen; j++) {
                char c = kv[j];
                if (c == '%') {
                    int h, l;
                    if (j + 2 >= kvlen)
                        return -EINVAL;
                    if ((h = hexval(kv[j + 1])) < 0 || (l = hexval(kv[j + 2])) < 0)
                        return -EINVAL;
                    c = (char)(h * 16 + l);
                    j += 2;
                } else if (c == '+') {
                    c = ' ';
                }
                if (c == '\0' || o + 1 >= size)
                    return -EINVAL;
                out[o++] = c;
            }
            if (size == 0)
                return -EINVAL;
            out[o] = '\0';
            return 1;
        }
        i = end + 1;
    }
    return 0;
}

static bool parse_version(const char *p, size_t len, uint64_t *major, uint64_t *minor)
{
    const char *dot = memchr(p, '.', len);
    if (!dot)
        return false;
    return hc_parse_u64(p, (size_t)(dot - p), 1000, major) == 0 &&
           hc_parse_u64(dot + 1, len - (size_t)(dot - p) - 1, 1000, minor) == 0;
}

bool brk_api_version_ok(hc_str_t header, const char *min)
{
    uint64_t maj, mnr, want_maj, want_mnr;
    if (!header.p || !parse_version(header.p, header.len, &maj, &mnr))
        return false;
    if (!parse_version(min, strlen(min), &want_maj, &want_mnr))
        return false;
    return maj == want_maj && mnr >= want_mnr;
}
