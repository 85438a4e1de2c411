/* Parsing of router.register / router.unregister messages (see rtr_reg.h). */
#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "hc_buf.h"
#include "rtr_reg.h"

static int rtr_reg_copy_str(json_t *v, const char *key, char *out, size_t size, hc_err_t *err)
{
    if (!v || json_is_null(v)) {
        out[0] = '\0';
        return 0;
    }
    if (!json_is_string(v))
        return hc_err_set(err, -EINVAL, "%s: not a string", key);
    size_t len = json_string_length(v);
    if (len >= size)
        return hc_err_set(err, -EINVAL, "%s: longer than %zu bytes", key, size - 1);
    const char *s = json_string_value(v);
    if (memchr(s, '\0', len))
        return hc_err_set(err, -EINVAL, "%s: contains a NUL byte", key);
    memcpy(out, s, len + 1);
    return 0;
}

/* A URI is host[/path]: printable ASCII without spaces, a non-empty host part. */
static bool rtr_reg_uri_ok(const char *s, size_t len)
{
    if (len == 0 || len > RTR_REG_MAX_URI || s[0] == '/')
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f)
            return false;
    }
    return true;
}

static int rtr_reg_parse_uris(json_t *v, rtr_reg_t *reg, hc_err_t *err)
{
    if (!json_is_array(v))
        return hc_err_set(err, -EINVAL, "uris: missing or not an array");
    size_t n = json_array_size(v);
    if (n == 0)
        return hc_err_set(err, -EINVAL, "uris: empty");
    if (n > RTR_REG_MAX_URIS)
        return hc_err_set(err, -EINVAL, "uris: more than %d entries", RTR_REG_MAX_URIS);
    reg->uris = hc_calloc(n, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        json_t *u = json_array_get(v, i);
        if (!json_is_string(u))
            return hc_err_set(err, -EINVAL, "uris[%zu]: not a string", i);
        const char *s = json_string_value(u);
        size_t len = json_string_length(u);
        if (!rtr_reg_uri_ok(s, len))
            return hc_err_set(err, -EINVAL, "uris[%zu]: not a host[/path]", i);
        reg->uris[reg->nuris++] = hc_strndup(s, len);
    }
    return 0;
}

static int rtr_reg_parse_index(json_t *v, rtr_reg_t *reg, hc_err_t *err)
{
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0 || i > 1000000)
            return hc_err_set(err, -EINVAL, "private_instance_index: out of range");
        snprintf(reg->index, sizeof(reg->index), "%lld", (long long)i);
        return 0;
    }
    int r = rtr_reg_copy_str(v, "private_instance_index", reg->index, sizeof(reg->index), err);
    if (r < 0)
        return r;
    uint64_t dummy;
    if (reg->index[0] && hc_parse_u64(reg->index, strlen(reg->index), 1000000, &dummy) < 0)
        return hc_err_set(err, -EINVAL, "private_instance_index: not a number");
    return 0;
}

int rtr_reg_parse(const char *json, size_t len, rtr_reg_t *reg, hc_err_t *err)
{
    json_error_t jerr;
    json_t *root = NULL;
    int r;

    memset(reg, 0, sizeof(*reg));
    if (len > RTR_REG_MAX_JSON)
        return hc_err_set(err, HC_ETOOBIG, "registration: %zu bytes, limit %d", len,
                          RTR_REG_MAX_JSON);
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return hc_err_set(err, -EINVAL, "registration: bad JSON: %s", jerr.text);
    if (!json_is_object(root)) {
        r = hc_err_set(err, -EINVAL, "registration: not a JSON object");
        goto out;
    }

    r = rtr_reg_copy_str(json_object_get(root, "host"), "host", reg->host, sizeof(reg->host), err);
    if (r < 0)
        goto out;
    unsigned char addr[16];
    if (!reg->host[0] ||
        (inet_pton(AF_INET, reg->host, addr) != 1 && inet_pton(AF_INET6, reg->host, addr) != 1)) {
        r = hc_err_set(err, -EINVAL, "host: missing or not an IP address");
        goto out;
    }

    json_t *port = json_object_get(root, "port");
    if (!json_is_integer(port) || json_integer_value(port) < 1 ||
        json_integer_value(port) > 65535) {
        r = hc_err_set(err, -EINVAL, "port: missing or not in 1..65535");
        goto out;
    }
    reg->port = (uint16_t)json_integer_value(port);

    r = rtr_reg_parse_uris(json_object_get(root, "uris"), reg, err);
    if (r < 0)
        goto out;
    r = rtr_reg_copy_str(json_object_get(root, "app"), "app", reg->app, sizeof(reg->app), err);
    if (r < 0)
        goto out;
    r = rtr_reg_copy_str(json_object_get(root, "private_instance_id"), "private_instance_id",
                         reg->instance_id, sizeof(reg->instance_id), err);
    if (r < 0)
        goto out;
    r = rtr_reg_parse_index(json_object_get(root, "private_instance_index"), reg, err);
    if (r < 0)
        goto out;

    json_t *tags = json_object_get(root, "tags");
    if (tags && !json_is_null(tags) && !json_is_object(tags)) {
        r = hc_err_set(err, -EINVAL, "tags: not an object");
        goto out;
    }

    json_t *ttl = json_object_get(root, "stale_threshold_in_seconds");
    if (ttl && !json_is_null(ttl)) {
        if (!json_is_integer(ttl) || json_integer_value(ttl) < 0 ||
            json_integer_value(ttl) > RTR_REG_MAX_TTL_S) {
            r = hc_err_set(err, -EINVAL, "stale_threshold_in_seconds: not in 0..%d",
                           RTR_REG_MAX_TTL_S);
            goto out;
        }
        reg->stale_threshold_s = (uint32_t)json_integer_value(ttl);
    }
    r = 0;
out:
    json_decref(root);
    if (r < 0)
        rtr_reg_release(reg);
    return r;
}

void rtr_reg_release(rtr_reg_t *reg)
{
    for (size_t i = 0; i < reg->nuris; i++)
        free(reg->uris[i]);
    free(reg->uris);
    reg->uris = NULL;
    reg->nuris = 0;
}
