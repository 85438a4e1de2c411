/* hearth create-service SERVICE NAME [--plan PLAN]: provision an instance (POST /services). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hc_json.h"

static const cli_opt_t opts[] = {
    {"plan", 'p', true, "plan (default: the service's first)"},
    CLI_OPT_END,
};

/*
 * The first plan the marketplace lists for label (malloc'd), or NULL. The CLI names the plan
 * itself, so the CC records the plan the broker really provisioned.
 */
static char *first_plan(cli_t *cli, const char *label)
{
    json_t *res = NULL, *o;
    size_t i;
    char *plan = NULL;
    if (cli_api(cli, "reading the marketplace", "GET", "/services/v1/offerings", NULL, &res) < 0)
        return NULL;
    json_array_foreach(json_object_get(res, "offerings"), i, o)
    {
        const char *l = json_string_value(json_object_get(o, "label"));
        const char *p = json_string_value(json_array_get(json_object_get(o, "plans"), 0));
        if (l && p && strcmp(l, label) == 0) {
            plan = hc_strdup(p);
            break;
        }
    }
    json_decref(res);
    return plan;
}

static int run(cli_t *cli, const cli_args_t *a)
{
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    json_t *b = hc_json_obj();
    hc_json_set_str(b, "label", a->pos[0]);
    hc_json_set_str(b, "vendor", a->pos[0]);
    hc_json_set_str(b, "name", a->pos[1]);
    const char *plan = cli_args_get(opts, a, "plan");
    hc_autofree char *first = plan ? NULL : first_plan(cli, a->pos[0]);
    if (!plan)
        plan = first;
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
