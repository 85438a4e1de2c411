/* hearth releases APP: the app's release history, newest first (GET /apps/NAME/releases). */
#include <stdio.h>

#include "cli.h"
#include "hc_json.h"

static int run(cli_t *cli, const cli_args_t *a)
{
    json_t *res = NULL;
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    hc_autofree char *esc = cli_escape(a->pos[0]);
    hc_autofree char *path = hc_asprintf("/apps/%s/releases", esc);
    if (cli_api(cli, "reading releases", "GET", path, NULL, &res) < 0)
        return CLI_FAIL;
    if (cli->json) {
        cli_print_json(res);
    } else if (json_array_size(res) == 0) {
        printf("%s has no release yet: its first staged push makes v1.\n", a->pos[0]);
    } else {
        cli_table_t t;
        cli_table_init(&t, 4, "version", "when", "who", "description");
        json_t *r;
        size_t i;
        json_array_foreach(res, i, r)
        {
            char version[48], ts[32];
            snprintf(version, sizeof(version), "v%lld%s",
                     (long long)json_integer_value(json_object_get(r, "version")),
                     json_is_true(json_object_get(r, "current")) ? " (current)" : "");
            cli_fmt_time(json_integer_value(json_object_get(r, "created")), ts, sizeof(ts));
            cli_table_add(&t, version, ts, json_string_value(json_object_get(r, "user")),
                          json_string_value(json_object_get(r, "description")));
        }
        cli_table_print(&t);
        cli_table_release(&t);
    }
    json_decref(res);
    return CLI_OK;
}

const cli_cmd_t cli_cmd_releases = {
    .name = "releases",
    .args = "APP",
    .summary = "list an app's releases (deploys, env changes, rollbacks)",
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
