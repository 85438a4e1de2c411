/* hearth apps: the user's apps as a table (GET /apps). */
#include <stdio.h>

#include "cli.h"
#include "cmd/appfmt.h"

static int run(cli_t *cli, const cli_args_t *a)
{
    (void)a;
    json_t *apps = NULL;
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    if (cli_api(cli, "listing apps", "GET", "/apps", NULL, &apps) < 0)
        return CLI_FAIL;
    if (cli->json) {
        cli_print_json(apps);
    } else if (json_array_size(apps) == 0) {
        printf("No apps. Push one with `hearth push NAME` in its folder.\n");
    } else {
        cli_table_t t;
        cli_table_init(&t, 5, "name", "state", "instances", "memory", "urls");
        json_t *app;
        size_t i;
        json_array_foreach(apps, i, app) cli_appfmt_row(&t, app);
        cli_table_print(&t);
        cli_table_release(&t);
    }
    json_decref(apps);
    return CLI_OK;
}

const cli_cmd_t cli_cmd_apps = {
    .name = "apps",
    .args = "",
    .summary = "list your apps",
    .min_pos = 0,
    .max_pos = 0,
    .run = run,
};
