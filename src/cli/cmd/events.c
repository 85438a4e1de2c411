/* hearth events APP: who did what to the app, and when (GET /apps/NAME/events). */
#include <stdio.h>

#include "cli.h"
#include "hc_json.h"

static int run(cli_t *cli, const cli_args_t *a)
{
    json_t *res = NULL;
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    hc_autofree char *esc = cli_escape(a->pos[0]);
    hc_autofree char *path = hc_asprintf("/apps/%s/events", esc);
    if (cli_api(cli, "reading events", "GET", path, NULL, &res) < 0)
        return CLI_FAIL;
    json_t *arr = json_object_get(res, "events");
    if (cli->json) {
        cli_print_json(arr ? arr : res);
    } else {
        cli_table_t t;
        cli_table_init(&t, 4, "time", "user", "action", "detail");
        json_t *e;
        size_t i;
        json_array_foreach(arr, i, e)
        {
            char ts[32], detail[81];
            cli_fmt_time(json_integer_value(json_object_get(e, "ts")), ts, sizeof(ts));
            const char *d = json_string_value(json_object_get(e, "detail"));
            snprintf(detail, sizeof(detail), "%s", d ? d : "");
            cli_table_add(&t, ts, json_string_value(json_object_get(e, "user")),
                          json_string_value(json_object_get(e, "action")),
                          detail[0] ? detail : NULL);
        }
        cli_table_print(&t);
        cli_table_release(&t);
    }
    json_decref(res);
    return CLI_OK;
}

const cli_cmd_t cli_cmd_events = {
    .name = "events",
    .args = "APP",
    .summary = "list an app's recent events (who changed what)",
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
