/* hearth crashes APP: recent crashes of the app's instances (GET /apps/NAME/crashes). */
#include <stdio.h>

#include "cli.h"
#include "hc_json.h"

static int run(cli_t *cli, const cli_args_t *a)
{
    json_t *res = NULL;
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    hc_autofree char *esc = cli_escape(a->pos[0]);
    hc_autofree char *path = hc_asprintf("/apps/%s/crashes", esc);
    if (cli_api(cli, "reading crashes", "GET", path, NULL, &res) < 0)
        return CLI_FAIL;
    json_t *arr = json_object_get(res, "crashes");
    if (cli->json) {
        cli_print_json(arr ? arr : res);
    } else if (json_array_size(arr) == 0) {
        printf("No recent crashes of %s.\n", a->pos[0]);
    } else {
        cli_table_t t;
        cli_table_init(&t, 2, "instance", "crashed at");
        json_t *c;
        size_t i;
        json_array_foreach(arr, i, c)
        {
            char since[32];
            cli_fmt_time(json_integer_value(json_object_get(c, "since")), since, sizeof(since));
            cli_table_add(&t, json_string_value(json_object_get(c, "instance")), since);
        }
        cli_table_print(&t);
        cli_table_release(&t);
        printf("Read their output with `hearth logs %s --recent`.\n", a->pos[0]);
    }
    json_decref(res);
    return CLI_OK;
}

const cli_cmd_t cli_cmd_crashes = {
    .name = "crashes",
    .args = "APP",
    .summary = "list recent crashes of an app",
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
