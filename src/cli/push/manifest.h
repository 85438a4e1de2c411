/*
 * manifest.h - manifest.yml: today's form (`applications:` a list of apps) and vmc's
 * (`applications:` a map of path -> app, or one app at the top level). Keys of an app: name,
 * path, instances, memory (mem), disk_quota, host (hostname), domain, routes (list of
 * {route: HOST.DOMAIN} or strings), no-route, buildpack, stack (runtime), command, env (map),
 * services (list, or vmc's map of alias -> {type}), health-check-type (port, process, http;
 * CF's older none is process), health-check-http-endpoint. Top-level keys other than
 * `applications` are defaults for every app.
 */
#ifndef HEARTH_CLI_PUSH_MANIFEST_H
#define HEARTH_CLI_PUSH_MANIFEST_H

#include <stdint.h>

#include <jansson.h>

#include "hc_base.h"

typedef struct cli_app_spec_s {
    char *name, *path, *host, *domain, *buildpack, *stack, *command;
    char *health_check_type, *health_check_endpoint; /* NULL: not given */
    int64_t instances;                               /* -1: not given */
    int64_t memory_mb;                               /* -1: not given */
    bool no_route;
    json_t *routes;   /* array of "host.domain" strings, or NULL */
    json_t *env;      /* object K -> string V, never NULL */
    json_t *services; /* array of names, or NULL */
} cli_app_spec_t;

typedef struct cli_manifest_s {
    cli_app_spec_t *apps;
    size_t n;
} cli_manifest_t;

#define CLI_HEALTH_CHECK_TYPES "port, process or http"

void cli_app_spec_init(cli_app_spec_t *s);
void cli_app_spec_release(cli_app_spec_t *s);

/*
 * Parses manifest text (file named `file` for messages; paths resolve against base_dir).
 * Returns 0, or -EINVAL with err "FILE:LINE: what is wrong".
 */
int cli_manifest_parse(const char *text, size_t len, const char *file, const char *base_dir,
                       cli_manifest_t *ret, hc_err_t *err);
/* Reads and parses a file. -ENOENT when it does not exist. */
int cli_manifest_load(const char *path, cli_manifest_t *ret, hc_err_t *err);
void cli_manifest_release(cli_manifest_t *m);

#endif
