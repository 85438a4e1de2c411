/* hearth create-service SERVICE NAME [--plan PLAN]: provision an instance (POST /services). */
#include <stdio.h>

#include "cli.h"
#include "hc_json.h"

static const cli_opt_t opts[] = {
    {"plan", 'p', true, "plan (default: the service's first)"},
    CLI_OPT_END,
};

static int run(cli_t *cli, const cli_args_t *a)
{
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    json_t *b = hc_json_obj();
    hc_json_set_str(b, "label", a->pos[0]);
    hc_json_set_str(b, "vendor", a->pos[0]);
    hc_json_set_str(b, "name", a->pos[1]);
    const char *plan = cli_args_get(opts, a, "plan");
    if (plan) {
        hc_json_set_str(b, "plan", plan);
        hc_json_set_str(b, "tier", plan);
    }
    printf("Creating service %s (%s)\n", a->pos[1], a->pos[0]);
    fflush(stdout);
    int r = cli_api(cli, "creating the service", "POST", "/services", b, NULL);
    json_decref(b);
    if (r < 0)
        return CLI_FAIL;
    printf("Created %s. Bind it with `hearth bind-service APP %s`.\n", a->pos[1], a->pos[1]);
    return CLI_OK;
}

const cli_cmd_t cli_cmd_create_service = {
    .name = "create-service",
    .args = "SERVICE NAME",
    .summary = "create a service instance (a database, a cache...)",
    .opts = opts,
    .min_pos = 2,
    .max_pos = 2,
    .run = run,
};
