/* hearth scale APP -i N -m SIZE: change the instance count and memory (PUT /apps/NAME). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hc_json.h"

static const cli_opt_t opts[] = {
    {"instances", 'i', true, "number of instances"},
    {"memory", 'm', true, "memory per instance, e.g. 256M or 1G"},
    CLI_OPT_END,
};

static int run(cli_t *cli, const cli_args_t *a)
{
    const char *name = a->pos[0], *i = cli_args_get(opts, a, "instances"),
               *m = cli_args_get(opts, a, "memory");
    uint64_t n = 0;
    int64_t mb = 0;
    if (i && hc_parse_u64(i, strlen(i), 10000, &n) < 0) {
        cli_fail(cli, "-i: `%s` is not a whole number (0..10000)", i);
        return CLI_USAGE;
    }
    if (m && cli_parse_mb(m, &mb) < 0) {
        cli_fail(cli, "-m: `%s` is not a size such as 256M or 1G", m);
        return CLI_USAGE;
    }
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    if (!i && !m) {
        json_t *app = cli_app_get(cli, name);
        if (!app)
            return CLI_FAIL;
        printf("%s: %lld instances of %lldM\n", name,
               (long long)json_integer_value(json_object_get(app, "instances")),
               (long long)json_integer_value(
                   json_object_get(json_object_get(app, "resources"), "memory")));
        json_decref(app);
        return CLI_OK;
    }
    json_t *b = hc_json_obj();
    if (i)
        hc_json_set_int(b, "instances", (int64_t)n);
    if (m) {
        json_t *res = hc_json_obj();
        hc_json_set_int(res, "memory", mb);
        hc_json_set_new(b, "resources", res);
    }
    int r = cli_app_put(cli, name, b, "scaling");
    json_decref(b);
    if (r < 0)
        return CLI_FAIL;
    printf("Scaled %s:", name);
    if (i)
        printf(" %llu instances", (unsigned long long)n);
    if (m)
        printf(" %lldM each", (long long)mb);
    printf("\n");
    if (m)
        printf("A memory change applies to new instances: `hearth restart %s` to apply it now.\n",
               name);
    return CLI_OK;
}

const cli_cmd_t cli_cmd_scale = {
    .name = "scale",
    .args = "APP",
    .summary = "change an app's instance count or memory",
    .opts = opts,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
