/* hearth service-brokers (admin): the registered brokers and the services each offers. */
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
    if (cli_api(cli, "listing service brokers", "GET", "/service_brokers", NULL, &res) < 0)
        return CLI_FAIL;
    json_t *arr = json_object_get(res, "service_brokers"), *o;
    size_t i;
    if (cli->json) {
        cli_print_json(arr ? arr : res);
    } else if (json_array_size(arr) == 0) {
        printf("No service brokers registered. Add one with `hearth create-service-broker NAME "
               "URL USER PASSWORD`.\n");
    } else {
        cli_table_t t;
        cli_table_init(&t, 3, "name", "url", "services");
        json_array_foreach(arr, i, o)
        {
            char svcs[256];
            cli_appfmt_join(json_object_get(o, "services"), svcs, sizeof(svcs));
            cli_table_add(&t, json_string_value(json_object_get(o, "name")),
                          json_string_value(json_object_get(o, "url")), svcs[0] ? svcs : NULL);
        }
        cli_table_print(&t);
        cli_table_release(&t);
    }
    json_decref(res);
    return CLI_OK;
}

const cli_cmd_t cli_cmd_service_brokers = {
    .name = "service-brokers",
    .args = "",
    .summary = "list the registered service brokers (admin)",
    .min_pos = 0,
    .max_pos = 0,
    .run = run,
};
