/* manifest.yml parsing with libyaml's document API (see manifest.h). */
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "cli.h"
#include "hc_fs.h"
#include "hc_health.h"
#include "hc_json.h"
#include "push/manifest.h"

#define CLI_MANIFEST_MAX (1024 * 1024)
#define CLI_MANIFEST_MAX_APPS 64

typedef struct mctx_s {
    yaml_document_t *doc;
    const char *file, *base;
    hc_err_t *err;
} mctx_t;

static int bad(mctx_t *m, const yaml_node_t *n, const char *what)
{
    return hc_err_set(m->err, -EINVAL, "%s:%zu: %s", m->file, n ? n->start_mark.line + 1 : 0, what);
}

static yaml_node_t *node(mctx_t *m, int id)
{
    return yaml_document_get_node(m->doc, id);
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int get_str(mctx_t *m, yaml_node_t *v, const char *key, char **field)
{
    const char *s = scalar(v);
    if (!s) {
        char msg[96];
        snprintf(msg, sizeof(msg), "%s: expected a string", key);
        return bad(m, v, msg);
    }
    free(*field);
    *field = hc_strdup(s);
    return 0;
}

static int get_env(mctx_t *m, yaml_node_t *v, cli_app_spec_t *s)
{
    if (v->type != YAML_MAPPING_NODE)
        return bad(m, v, "env: expected a map of NAME: value");
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const char *k = scalar(node(m, p->key)), *val = scalar(node(m, p->value));
        if (!k || !k[0] || strchr(k, '='))
            return bad(m, node(m, p->key), "env: a name must be a non-empty string without `=`");
        if (!val)
            return bad(m, node(m, p->value), "env: a value must be a string or number");
        hc_json_set_str(s->env, k, val);
    }
    return 0;
}

static int get_list(mctx_t *m, yaml_node_t *v, const char *key, json_t **field, bool map_keys)
{
    json_t *arr = hc_json_arr();
    if (v->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
             it++) {
            yaml_node_t *item = node(m, *it);
            const char *str = scalar(item);
            if (!str && item->type == YAML_MAPPING_NODE) {
                /* routes: - route: host.domain */
                for (yaml_node_pair_t *p = item->data.mapping.pairs.start;
                     p < item->data.mapping.pairs.top; p++)
                    if (scalar(node(m, p->key)) && (strcmp(scalar(node(m, p->key)), "route") == 0 ||
                                                    strcmp(scalar(node(m, p->key)), "name") == 0))
                        str = scalar(node(m, p->value));
            }
            if (!str) {
                json_decref(arr);
                char msg[96];
                snprintf(msg, sizeof(msg), "%s: expected a list of strings", key);
                return bad(m, item, msg);
            }
            hc_json_append_str(arr, str);
        }
    } else if (map_keys && v->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++)
            if (scalar(node(m, p->key)))
                hc_json_append_str(arr, scalar(node(m, p->key)));
    } else {
        json_decref(arr);
        char msg[96];
        snprintf(msg, sizeof(msg), "%s: expected a list", key);
        return bad(m, v, msg);
    }
    json_decref(*field);
    *field = arr;
    return 0;
}

static int get_count(mctx_t *m, yaml_node_t *v, const char *key, int64_t *field)
{
    const char *s = scalar(v);
    uint64_t n;
    if (!s || hc_parse_u64(s, strlen(s), 10000, &n) < 0) {
        char msg[96];
        snprintf(msg, sizeof(msg), "%s: expected a whole number (0..10000)", key);
        return bad(m, v, msg);
    }
    *field = (int64_t)n;
    return 0;
}

static bool truthy(const char *s)
{
    return s && (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcmp(s, "1"));
}

/* Applies one app mapping's keys onto s. Unknown keys are ignored, as other clients do. */
static int apply(mctx_t *m, yaml_node_t *map, cli_app_spec_t *s, bool top)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const char *k = scalar(node(m, p->key));
        yaml_node_t *v = node(m, p->value);
        int r = 0;
        if (!k || (top && (!strcmp(k, "applications") || !strcmp(k, "inherit") ||
                           !strcmp(k, "properties"))))
            continue;
        if (!strcmp(k, "name"))
            r = get_str(m, v, k, &s->name);
        else if (!strcmp(k, "path"))
            r = get_str(m, v, k, &s->path);
        else if (!strcmp(k, "host") || !strcmp(k, "hostname"))
            r = get_str(m, v, k, &s->host);
        else if (!strcmp(k, "domain"))
            r = get_str(m, v, k, &s->domain);
        else if (!strcmp(k, "buildpack"))
            r = get_str(m, v, k, &s->buildpack);
        else if (!strcmp(k, "stack") || !strcmp(k, "runtime"))
            r = get_str(m, v, k, &s->stack);
        else if (!strcmp(k, "command"))
            r = get_str(m, v, k, &s->command);
        else if (!strcmp(k, "instances"))
            r = get_count(m, v, k, &s->instances);
        else if (!strcmp(k, "health-check-type")) {
            const char *t = hc_health_type(scalar(v));
            if (!t)
                r = bad(m, v, "health-check-type: expected " CLI_HEALTH_CHECK_TYPES);
            else {
                free(s->health_check_type);
                s->health_check_type = hc_strdup(t);
            }
        } else if (!strcmp(k, "health-check-http-endpoint")) {
            if (!hc_health_path_ok(scalar(v), scalar(v) ? strlen(scalar(v)) : 0))
                r = bad(m, v,
                        "health-check-http-endpoint: expected a path such as /health (printable,"
                        " no spaces, at most 255 bytes)");
            else
                r = get_str(m, v, k, &s->health_check_endpoint);
        } else if (!strcmp(k, "memory") || !strcmp(k, "mem")) {
            if (!scalar(v) || cli_parse_mb(scalar(v), &s->memory_mb) < 0)
                r = bad(m, v, "memory: expected a size such as 256M or 1G");
        } else if (!strcmp(k, "no-route"))
            s->no_route = truthy(scalar(v));
        else if (!strcmp(k, "env"))
            r = get_env(m, v, s);
        else if (!strcmp(k, "routes"))
            r = get_list(m, v, k, &s->routes, false);
        else if (!strcmp(k, "services"))
            r = get_list(m, v, k, &s->services, true);
        if (r < 0)
            return r;
    }
    return 0;
}

static void spec_copy(const cli_app_spec_t *from, cli_app_spec_t *to)
{
    cli_app_spec_init(to);
#define DUP(f) to->f = from->f ? hc_strdup(from->f) : NULL
    DUP(name);
    DUP(path);
    DUP(host);
    DUP(domain);
    DUP(buildpack);
    DUP(stack);
    DUP(command);
    DUP(health_check_type);
    DUP(health_check_endpoint);
#undef DUP
    to->instances = from->instances;
    to->memory_mb = from->memory_mb;
    to->no_route = from->no_route;
    to->routes = from->routes ? json_deep_copy(from->routes) : NULL;
    json_decref(to->env);
    to->env = json_deep_copy(from->env);
    to->services = from->services ? json_deep_copy(from->services) : NULL;
}

/* Turns a relative path into base/path. */
static void resolve_path(mctx_t *m, cli_app_spec_t *s)
{
    if (!s->path) {
        s->path = hc_strdup(m->base);
        return;
    }
    if (s->path[0] == '/')
        return;
    char *p = hc_asprintf("%s/%s", m->base, s->path);
    free(s->path);
    s->path = p;
}

static int add_app(mctx_t *m, cli_manifest_t *out, const cli_app_spec_t *defaults, yaml_node_t *map,
                   const char *path_key)
{
    if (out->n >= CLI_MANIFEST_MAX_APPS)
        return bad(m, map, "too many applications");
    if (map->type != YAML_MAPPING_NODE)
        return bad(m, map, "an application must be a map of keys");
    cli_app_spec_t s;
    spec_copy(defaults, &s);
    if (path_key) {
        free(s.path);
        s.path = hc_strdup(path_key);
    }
    int r = apply(m, map, &s, false);
    if (r == 0 && (!s.name || !s.name[0]))
        r = bad(m, map, "an application has no `name`");
    if (r < 0) {
        cli_app_spec_release(&s);
        return r;
    }
    resolve_path(m, &s);
    out->apps = hc_reallocarray(out->apps, out->n + 1, sizeof(*out->apps));
    out->apps[out->n++] = s;
    return 0;
}

int cli_manifest_parse(const char *text, size_t len, const char *file, const char *base_dir,
                       cli_manifest_t *ret, hc_err_t *err)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    cli_manifest_t out = {0};
    cli_app_spec_t defaults;
    mctx_t m = {&doc, file, base_dir, err};
    int r = 0;

    cli_app_spec_init(&defaults);
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        r = hc_err_set(err, -EINVAL, "%s:%zu: %s", file, parser.problem_mark.line + 1,
                       parser.problem ? parser.problem : "not valid YAML");
        yaml_parser_delete(&parser);
        cli_app_spec_release(&defaults);
        return r;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root || root->type != YAML_MAPPING_NODE) {
        r = bad(&m, root, "expected a map with `applications`");
        goto out;
    }
    yaml_node_t *apps = NULL;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++)
        if (scalar(node(&m, p->key)) && !strcmp(scalar(node(&m, p->key)), "applications"))
            apps = node(&m, p->value);
    r = apply(&m, root, &defaults, true);
    if (r < 0)
        goto out;
    if (!apps) {
        r = add_app(&m, &out, &defaults, root, NULL);
    } else if (apps->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = apps->data.sequence.items.start;
             r == 0 && it < apps->data.sequence.items.top; it++)
            r = add_app(&m, &out, &defaults, node(&m, *it), NULL);
    } else if (apps->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = apps->data.mapping.pairs.start;
             r == 0 && p < apps->data.mapping.pairs.top; p++)
            r = add_app(&m, &out, &defaults, node(&m, p->value), scalar(node(&m, p->key)));
    } else {
        r = bad(&m, apps, "applications: expected a list of apps");
    }
    if (r == 0 && out.n == 0)
        r = bad(&m, apps, "applications: the list is empty");
out:
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    cli_app_spec_release(&defaults);
    if (r < 0)
        cli_manifest_release(&out);
    else
        *ret = out;
    return r;
}

int cli_manifest_load(const char *path, cli_manifest_t *ret, hc_err_t *err)
{
    char *data = NULL;
    size_t len = 0;
    int r = hc_read_file(AT_FDCWD, path, CLI_MANIFEST_MAX, &data, &len, err);
    if (r < 0)
        return r;
    hc_autofree char *copy = hc_strdup(path);
    r = cli_manifest_parse(data, len, path, dirname(copy), ret, err);
    free(data);
    return r;
}

void cli_app_spec_init(cli_app_spec_t *s)
{
    memset(s, 0, sizeof(*s));
    s->instances = -1;
    s->memory_mb = -1;
    s->env = hc_json_obj();
}

void cli_app_spec_release(cli_app_spec_t *s)
{
    free(s->name);
    free(s->path);
    free(s->host);
    free(s->domain);
    free(s->buildpack);
    free(s->stack);
    free(s->command);
    free(s->health_check_type);
    free(s->health_check_endpoint);
    json_decref(s->routes);
    json_decref(s->env);
    json_decref(s->services);
    memset(s, 0, sizeof(*s));
}

void cli_manifest_release(cli_manifest_t *m)
{
    for (size_t i = 0; i < m->n; i++)
        cli_app_spec_release(&m->apps[i]);
    free(m->apps);
    memset(m, 0, sizeof(*m));
}
