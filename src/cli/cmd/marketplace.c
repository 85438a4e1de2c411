/* hearth marketplace: the services this cloud offers (GET /services/v1/offerings). */
#include <stdio.h>

#include "cli.h"
#include "cmd/appfmt.h"
#include "hc_json.h"

static int run(cli_t *cli, const cli_args_t *a)
{
    (void)a;
    json_t *res = NULL;
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    if (cli_api(cli, "reading the marketplace", "GET", "/services/v1/offerings", NULL, &res) < 0)
        return CLI_FAIL;
    json_t *arr = json_object_get(res, "offerings");
    if (cli->json) {
        cli_print_json(arr ? arr : res);
    } else if (json_array_size(arr) == 0) {
        printf("No services offered. An operator adds them by running hearth-broker.\n");
    } else {
        cli_table_t t;
        cli_table_init(&t, 3, "service", "plans", "description");
        json_t *o;
        size_t i;
        json_array_foreach(arr, i, o)
        {
            char plans[256];
            cli_appfmt_join(json_object_get(o, "plans"), plans, sizeof(plans));
            cli_table_add(&t, json_string_value(json_object_get(o, "label")),
                          plans[0] ? plans : NULL,
                          json_string_value(json_object_get(o, "description")));
        }
        cli_table_print(&t);
        cli_table_release(&t);
        printf("Create one with `hearth create-service SERVICE NAME [--plan PLAN]`.\n");
    }
    json_decref(res);
    return CLI_OK;
}

const cli_cmd_t cli_cmd_marketplace = {
    .name = "marketplace",
    .args = "",
    .summary = "list the services you can create",
    .min_pos = 0,
    .max_pos = 0,
    .run = run,
};
