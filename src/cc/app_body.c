/*
 * The create/update body of an app (cf-v1.md §1.6), validated and applied onto a record:
 * staging, uris, instances, resources, env, services, state, health check, debug. Unknown keys are
 * ignored, as v1 did. Loop thread (services are looked up in the database).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "app.h"
#include "db/db.h"
#include "hc_health.h"
#include "hc_json.h"

#define CC_MAX_INSTANCES 512
#define CC_MAX_MEMORY_MB (64 * 1024)
#define CC_MAX_STR_FIELD 255
#define CC_MAX_ENV_ENTRY 4096

static int fail(cc_app_err_t *e, int code, const char *fmt, ...) HC_PRINTF(3, 4);
static int fail(cc_app_err_t *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    e->code = code;
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static void set_str(char **field, const char *v)
{
    free(*field);
    *field = v ? hc_strdup(v) : NULL;
}

/* Lower-cases, strips a scheme and a trailing '/', checks host syntax. */
static int normalize_uri(const char *in, char *out, size_t size)
{
    if (strncasecmp(in, "http://", 7) == 0)
        in += 7;
    else if (strncasecmp(in, "https://", 8) == 0)
        in += 8;
    size_t n = strlen(in);
    while (n && in[n - 1] == '/')
        n--;
    if (n == 0 || n >= size || n > 253)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        char c = (char)tolower((unsigned char)in[i]);
        if (!isalnum((unsigned char)c) && c != '-' && c != '.')
            return -EINVAL;
        out[i] = c;
    }
    out[n] = '\0';
    if (out[0] == '.' || out[0] == '-' || out[n - 1] == '.' || strstr(out, ".."))
        return -EINVAL;
    return 0;
}

static int parse_staging(json_t *st, cc_app_t *app, cc_app_err_t *e)
{
    static const char *const keys[][2] = {
        {"framework", "model"}, {"runtime", "stack"}, {"command", NULL}};
    char **fields[] = {&app->framework, &app->runtime, &app->command};
    if (!json_is_object(st))
        return fail(e, CC_E_FRAMEWORK_INVALID, "Invalid framework description: 'staging'");
    for (size_t i = 0; i < HC_ARRAY_SIZE(keys); i++) {
        json_t *v = json_object_get(st, keys[i][0]);
        if (!v && keys[i][1])
            v = json_object_get(st, keys[i][1]);
        if (!v || json_is_null(v))
            continue;
        if (!json_is_string(v) || json_string_length(v) > CC_MAX_STR_FIELD)
            return fail(e, CC_E_FRAMEWORK_INVALID, "Invalid framework description: '%s'",
                        keys[i][0]);
        set_str(fields[i], json_string_value(v));
    }
    return 0;
}

static int parse_uris(const cc_ctx_t *cc, json_t *v, cc_app_t *app, cc_app_err_t *e)
{
    if (!json_is_array(v) || json_array_size(v) > CC_MAX_URIS)
        return fail(e, CC_E_APP_INVALID, "Invalid application description: uris");
    if ((int64_t)json_array_size(v) > cc->conf->quota_uris)
        return fail(e, CC_E_QUOTA_URIS, "Too many URIs: %zu, you're allowed: %lld",
                    json_array_size(v), (long long)cc->conf->quota_uris);
    json_t *uris = hc_json_arr(), *u;
    size_t i;
    json_array_foreach(v, i, u)
    {
        char norm[256];
        if (!json_is_string(u) || normalize_uri(json_string_value(u), norm, sizeof(norm)) < 0) {
            json_decref(uris);
            return fail(e, CC_E_URI_INVALID, "Invalid URI: \"%.200s\"",
                        json_is_string(u) ? json_string_value(u) : "?");
        }
        bool dup = false;
        json_t *x;
        size_t k;
        json_array_foreach(uris, k, x) dup |= strcmp(json_string_value(x), norm) == 0;
        if (!dup)
            hc_json_append_str(uris, norm);
    }
    json_decref(app->uris);
    app->uris = uris;
    return 0;
}

static int parse_env(json_t *v, cc_app_t *app, cc_app_err_t *e)
{
    if (!json_is_array(v) || json_array_size(v) > CC_MAX_ENV)
        return fail(e, CC_E_APP_INVALID, "Invalid application description: env");
    json_t *x;
    size_t i;
    json_array_foreach(v, i, x)
    {
        const char *s = json_string_value(x);
        const char *eq = s ? strchr(s, '=') : NULL;
        if (!s || !eq || eq == s || json_string_length(x) > CC_MAX_ENV_ENTRY ||
            strlen(s) != json_string_length(x))
            return fail(e, CC_E_APP_INVALID, "Invalid application description: env entry %zu", i);
        if (strncasecmp(s, "vcap_", 5) == 0 || strncasecmp(s, "vmc_", 4) == 0)
            return fail(e, CC_E_FORBIDDEN, "Operation not permitted: env %.*s is reserved",
                        (int)(eq - s), s);
    }
    json_decref(app->env);
    app->env = json_incref(v);
    return 0;
}

static int parse_services(cc_db_t *db, json_t *v, cc_app_t *app, cc_app_err_t *e)
{
    if (!json_is_array(v) || json_array_size(v) > 64)
        return fail(e, CC_E_APP_INVALID, "Invalid application description: services");
    json_t *x;
    size_t i;
    json_array_foreach(v, i, x)
    {
        cc_db_res_t res = {0};
        hc_err_t err;
        if (!json_is_string(x))
            return fail(e, CC_E_APP_INVALID, "Invalid application description: services");
        if (cc_db_exec(db, "SELECT guid FROM service_instances WHERE owner = ? AND name = ?",
                       CC_P(app->owner, json_string_value(x)), &res, &err) < 0)
            return fail(e, CC_E_DATABASE, "Error talking with the database");
        size_t n = res.nrows;
        cc_db_res_release(&res);
        if (n == 0)
            return fail(e, CC_E_SERVICE_NOT_FOUND, "Service not found: %.100s",
                        json_string_value(x));
    }
    json_decref(app->services);
    app->services = json_incref(v);
    return 0;
}

int cc_app_apply_health_check(json_t *body, cc_app_t *app, cc_app_err_t *e)
{
    json_t *t = json_object_get(body, "health_check_type");
    json_t *p = json_object_get(body, "health_check_http_endpoint");
    if (t && !json_is_null(t)) {
        const char *s = hc_health_type(json_string_value(t));
        if (!s)
            return fail(e, CC_E_APP_INVALID,
                        "Invalid application description: health_check_type must be"
                        " \"port\", \"process\" or \"http\"");
        set_str(&app->health_check_type, s);
    }
    if (p && !json_is_null(p)) {
        const char *s = json_string_value(p);
        size_t n = json_string_length(p);
        if (!hc_health_path_ok(s, n) || strlen(s) != n)
            return fail(e, CC_E_APP_INVALID,
                        "Invalid application description: health_check_http_endpoint must be a"
                        " path starting with '/', at most %d printable ASCII bytes without spaces",
                        HC_HEALTH_MAX_PATH);
        set_str(&app->health_check_endpoint, s);
    }
    return 0;
}

/* Applies the create/update body onto app. Unknown keys are ignored, as v1 did. */
int cc_app_apply_body(const cc_ctx_t *cc, cc_db_t *db, json_t *body, cc_app_t *app, cc_app_err_t *e)
{
    json_t *v;
    hc_err_t err;
    int64_t n;

    if ((v = json_object_get(body, "staging")) && parse_staging(v, app, e) < 0)
        return -EINVAL;
    if ((v = json_object_get(body, "uris")) && parse_uris(cc, v, app, e) < 0)
        return -EINVAL;
    if (hc_json_opt_int(body, "instances", app->instances, 0, CC_MAX_INSTANCES, &n, &err) < 0)
        return fail(e, CC_E_APP_INVALID, "Invalid application description: %s", err.msg);
    app->instances = n;
    if ((v = json_object_get(body, "resources")) && !json_is_null(v)) {
        if (!json_is_object(v))
            return fail(e, CC_E_APP_INVALID, "Invalid application description: resources");
        if (hc_json_opt_int(v, "memory", app->memory, 1, CC_MAX_MEMORY_MB, &app->memory, &err) <
                0 ||
            hc_json_opt_int(v, "disk", app->disk, 1, 1024 * 1024, &app->disk, &err) < 0 ||
            hc_json_opt_int(v, "fds", app->fds, 16, 65536, &app->fds, &err) < 0)
            return fail(e, CC_E_APP_INVALID, "Invalid application description: resources.%s",
                        err.msg);
    }
    if ((v = json_object_get(body, "env")) && !json_is_null(v) && parse_env(v, app, e) < 0)
        return -EINVAL;
    if ((v = json_object_get(body, "services")) && !json_is_null(v) &&
        parse_services(db, v, app, e) < 0)
        return -EINVAL;
    if ((v = json_object_get(body, "state")) && !json_is_null(v)) {
        const char *s = json_string_value(v);
        if (!s || (strcmp(s, "STARTED") != 0 && strcmp(s, "STOPPED") != 0))
            return fail(e, CC_E_APP_INVALID, "Invalid application description: state");
        set_str(&app->state, s);
    }
    if (cc_app_apply_health_check(body, app, e) < 0)
        return -EINVAL;
    if ((v = json_object_get(body, "debug")) && !json_is_null(v))
        return fail(e, 309, "Cloud controller has disallowed debugging.");
    return 0;
}
