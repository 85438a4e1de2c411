/*
 * hearth push [APP]: create or update apps from manifest.yml or flags, upload only the files
 * the cloud lacks, then start them and show staging as it happens.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "hc_health.h"
#include "hc_json.h"
#include "push/manifest.h"
#include "push/upload.h"

static const cli_opt_t opts[] = {
    {"path", 'p', true, "app folder (default: the current one)"},
    {"instances", 'i', true, "number of instances"},
    {"memory", 'm', true, "memory per instance, e.g. 256M or 1G"},
    {"hostname", 'n', true, "host name of the route (default: the app name)"},
    {"domain", 'd', true, "domain of the route (default: the cloud's)"},
    {"no-route", 0, false, "do not map a route"},
    {"no-start", 0, false, "upload but do not start"},
    {"buildpack", 'b', true, "buildpack name or URL (default: detected)"},
    {"stack", 's', true, "stack to run on"},
    {"command", 'c', true, "start command (default: from the buildpack or Procfile)"},
    {"env", 'e', true, "environment variable K=V (repeatable)"},
    {"health-check-type", 'u', true, "when an instance runs: port (default), process or http"},
    {"endpoint", 0, true, "path the http health check GETs (default /)"},
    {"manifest", 'f', true, "manifest file (default: ./manifest.yml when present)"},
    {"timeout", 't', true, "seconds to wait for the start (default 300)"},
    CLI_OPT_END,
};

/* Flags that describe one app: they may not be combined with a manifest of several apps. */
static const char *const app_flags[] = {
    "path",  "instances", "memory", "hostname",          "domain",  "no-route", "buildpack",
    "stack", "command",   "env",    "health-check-type", "endpoint"};

static void set_str(char **f, const char *v)
{
    if (!v)
        return;
    free(*f);
    *f = hc_strdup(v);
}

/* Flags override the spec. Returns 0 or CLI_USAGE after printing. */
static int apply_flags(cli_t *cli, const cli_args_t *a, cli_app_spec_t *s)
{
    const char *v;
    set_str(&s->path, cli_args_get(opts, a, "path"));
    set_str(&s->host, cli_args_get(opts, a, "hostname"));
    set_str(&s->domain, cli_args_get(opts, a, "domain"));
    set_str(&s->buildpack, cli_args_get(opts, a, "buildpack"));
    set_str(&s->stack, cli_args_get(opts, a, "stack"));
    set_str(&s->command, cli_args_get(opts, a, "command"));
    if (cli_args_has(opts, a, "no-route"))
        s->no_route = true;
    if ((v = cli_args_get(opts, a, "health-check-type"))) {
        if (!hc_health_type(v)) {
            cli_fail(cli, "--health-check-type: `%s` is not " CLI_HEALTH_CHECK_TYPES, v);
            return CLI_USAGE;
        }
        set_str(&s->health_check_type, hc_health_type(v));
    }
    if ((v = cli_args_get(opts, a, "endpoint"))) {
        if (!hc_health_path_ok(v, strlen(v))) {
            cli_fail(cli, "--endpoint: `%s` is not a path such as /health", v);
            return CLI_USAGE;
        }
        set_str(&s->health_check_endpoint, v);
    }
    if ((v = cli_args_get(opts, a, "instances"))) {
        uint64_t n;
        if (hc_parse_u64(v, strlen(v), 10000, &n) < 0) {
            cli_fail(cli, "--instances: `%s` is not a whole number (0..10000)", v);
            return CLI_USAGE;
        }
        s->instances = (int64_t)n;
    }
    if ((v = cli_args_get(opts, a, "memory")) && cli_parse_mb(v, &s->memory_mb) < 0) {
        cli_fail(cli, "--memory: `%s` is not a size such as 256M or 1G", v);
        return CLI_USAGE;
    }
    for (size_t i = 0; i < a->nset; i++) {
        if (strcmp(opts[a->set[i].opt].name, "env") != 0)
            continue;
        const char *kv = a->set[i].val, *eq = strchr(kv, '=');
        if (!eq || eq == kv) {
            cli_fail(cli, "--env: `%s` is not NAME=VALUE", kv);
            return CLI_USAGE;
        }
        hc_autofree char *k = hc_strndup(kv, (size_t)(eq - kv));
        hc_json_set_str(s->env, k, eq + 1);
    }
    return 0;
}

/* The app body for POST/PUT /apps from a spec, merged with the current app when updating. */
static json_t *app_body(cli_t *cli, const cli_app_spec_t *s, const json_t *current)
{
    json_t *b = hc_json_obj();
    if (!current)
        hc_json_set_str(b, "name", s->name);
    if (s->instances >= 0 || !current)
        hc_json_set_int(b, "instances", s->instances >= 0 ? s->instances : 1);
    if (s->memory_mb > 0 || !current) {
        json_t *res = hc_json_obj();
        hc_json_set_int(res, "memory", s->memory_mb > 0 ? s->memory_mb : 256);
        hc_json_set_new(b, "resources", res);
    }
    if (s->buildpack || s->stack || s->command || !current) {
        json_t *st = hc_json_obj();
        if (s->buildpack)
            hc_json_set_str(st, "framework", s->buildpack);
        if (s->stack)
            hc_json_set_str(st, "runtime", s->stack);
        if (s->command)
            hc_json_set_str(st, "command", s->command);
        hc_json_set_new(b, "staging", st);
    }
    if (s->health_check_type)
        hc_json_set_str(b, "health_check_type", s->health_check_type);
    if (s->health_check_endpoint)
        hc_json_set_str(b, "health_check_http_endpoint", s->health_check_endpoint);
    json_t *uris = hc_json_arr();
    if (s->routes) {
        json_decref(uris);
        uris = json_deep_copy(s->routes);
    } else if (!s->no_route) {
        char dom[256];
        cli_default_domain(cli, dom, sizeof(dom));
        hc_autofree char *uri =
            hc_asprintf("%s.%s", s->host ? s->host : s->name, s->domain ? s->domain : dom);
        hc_json_append_str(uris, uri);
    }
    /* An existing app keeps routes mapped by hand; the manifest's or flags' are added. */
    if (current && !s->no_route) {
        json_t *u;
        size_t i;
        json_array_foreach(json_object_get(current, "uris"), i, u)
        {
            bool dup = false;
            json_t *x;
            size_t k;
            json_array_foreach(uris, k, x) dup |= json_equal(x, u);
            if (!dup)
                json_array_append(uris, u);
        }
    }
    hc_json_set_new(b, "uris", uris);
    if (json_object_size(s->env) > 0 || !current) {
        json_t *env = hc_json_arr(), *e;
        size_t i;
        /* Variables set before (set-env) stay unless the push sets them again. */
        json_array_foreach(json_object_get(current, "env"), i, e)
        {
            const char *kv = json_string_value(e), *eq = kv ? strchr(kv, '=') : NULL;
            if (!eq)
                continue;
            hc_autofree char *k = hc_strndup(kv, (size_t)(eq - kv));
            if (!json_object_get(s->env, k))
                json_array_append(env, e);
        }
        const char *k;
        json_t *v;
        json_object_foreach(s->env, k, v)
        {
            hc_autofree char *kv = hc_asprintf("%s=%s", k, json_string_value(v));
            hc_json_append_str(env, kv);
        }
        hc_json_set_new(b, "env", env);
    }
    if (s->services)
        hc_json_set_new(b, "services", json_deep_copy(s->services));
    return b;
}

static int push_one(cli_t *cli, const cli_args_t *a, cli_app_spec_t *s)
{
    json_t *current = NULL, *body = NULL;
    int code = 0, r = CLI_FAIL;
    struct stat st;
    const char *dir = s->path ? s->path : ".";

    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        cli_fail(cli, "%s: the app folder `%s` does not exist", s->name, dir);
        cli_hint("Give the folder with --path, or run push inside it.");
        return CLI_FAIL;
    }
    hc_autofree char *esc = cli_escape(s->name);
    hc_autofree char *path = hc_asprintf("/apps/%s", esc);
    int g = cli_api_try(cli, "getting the app", "GET", path, NULL, &current, &code);
    if (g < 0)
        goto out;
    if (g > 0 && code != 301) {
        cli_fail(cli, "reading app %s failed (error %d)", s->name, code);
        goto out;
    }
    body = app_body(cli, s, g == 0 ? current : NULL);
    /* --no-start leaves the app stopped, even one that was running. */
    const char *was = json_string_value(json_object_get(current, "state"));
    if (g == 0 && cli_args_has(opts, a, "no-start") && was && strcmp(was, "STARTED") == 0)
        hc_json_set_str(body, "state", "STOPPED");
    if (g > 0) {
        printf("Creating app %s\n", s->name);
        if (cli_api(cli, "creating the app", "POST", "/apps", body, NULL) < 0)
            goto out;
    } else {
        printf("Updating app %s\n", s->name);
        if (cli_app_put(cli, s->name, body, "updating the app") < 0)
            goto out;
    }
    if (cli_upload(cli, s->name, dir, NULL) < 0)
        goto out;
    if (cli_args_has(opts, a, "no-start")) {
        printf("%s is pushed and not started. Start it with `hearth start %s`.\n", s->name,
               s->name);
        r = CLI_OK;
        goto out;
    }
    const char *state = json_string_value(json_object_get(current, "state"));
    if (!state || strcmp(state, "STARTED") != 0) {
        json_t *b = hc_json_obj();
        hc_json_set_str(b, "state", "STARTED");
        int pr = cli_app_put(cli, s->name, b, "starting the app");
        json_decref(b);
        if (pr < 0)
            goto out;
    }
    printf("Starting %s\n", s->name);
    const char *t = cli_args_get(opts, a, "timeout");
    uint64_t timeout = 300;
    if (t && hc_parse_u64(t, strlen(t), 86400, &timeout) < 0)
        timeout = 300;
    if (cli_app_wait_started(cli, s->name, (int)timeout) < 0)
        goto out;
    json_t *uris = json_object_get(body, "uris");
    if (json_array_size(uris) > 0) {
        hc_autofree char *url = cli_app_url(cli, json_string_value(json_array_get(uris, 0)));
        printf("%s is at %s\n", s->name, url);
    }
    r = CLI_OK;
out:
    json_decref(current);
    json_decref(body);
    return r;
}

static bool any_app_flag(const cli_args_t *a)
{
    for (size_t i = 0; i < HC_ARRAY_SIZE(app_flags); i++)
        if (cli_args_has(opts, a, app_flags[i]))
            return true;
    return false;
}

static int run(cli_t *cli, const cli_args_t *a)
{
    cli_manifest_t m = {0};
    hc_err_t err;
    int r = CLI_OK;

    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    const char *mf = cli_args_get(opts, a, "manifest");
    int lr = cli_manifest_load(mf ? mf : "manifest.yml", &m, &err);
    if (lr == -ENOENT && !mf) {
        if (a->npos == 0) {
            cli_fail(cli, "which app? give its name, or write a manifest.yml");
            fprintf(stderr, "  Usage: hearth push APP [--path DIR] [options]\n");
            return CLI_USAGE;
        }
        m.apps = hc_calloc(1, sizeof(*m.apps));
        cli_app_spec_init(&m.apps[0]);
        m.apps[0].name = hc_strdup(a->pos[0]);
        m.n = 1;
    } else if (lr < 0) {
        cli_fail(cli, "%s", err.msg);
        cli_hint(lr == -EINVAL ? "Fix the manifest, see docs/cli.md for its keys."
                               : "Check the --manifest path.");
        return CLI_FAIL;
    }
    /* With a name, push only that app of the manifest (a one-app manifest is renamed). */
    size_t from = 0, to = m.n;
    if (a->npos == 1 && lr == 0) {
        size_t i;
        for (i = 0; i < m.n && strcmp(m.apps[i].name, a->pos[0]) != 0; i++)
            ;
        if (i == m.n && m.n == 1) {
            free(m.apps[0].name);
            m.apps[0].name = hc_strdup(a->pos[0]);
            i = 0;
        } else if (i == m.n) {
            cli_fail(cli, "there is no app named %s in the manifest", a->pos[0]);
            r = CLI_USAGE;
            goto out;
        }
        from = i;
        to = i + 1;
    }
    if (to - from > 1 && any_app_flag(a)) {
        cli_fail(cli, "app flags apply to one app, and the manifest has %zu", to - from);
        cli_hint("Name the app to push: `hearth push APP ...`.");
        r = CLI_USAGE;
        goto out;
    }
    for (size_t i = from; i < to; i++) {
        if ((r = apply_flags(cli, a, &m.apps[i])) != 0)
            goto out;
    }
    for (size_t i = from; i < to && r == CLI_OK; i++)
        r = push_one(cli, a, &m.apps[i]);
out:
    cli_manifest_release(&m);
    return r;
}

const cli_cmd_t cli_cmd_push = {
    .name = "push",
    .args = "[APP]",
    .summary = "create or update apps, upload their files and start them",
    .opts = opts,
    .min_pos = 0,
    .max_pos = 1,
    .run = run,
};
