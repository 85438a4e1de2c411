/* hearth env APP: the app's user environment variables (GET /apps/NAME/env). */
#include <stdio.h>

#include "cli.h"
#include "hc_json.h"

static int run(cli_t *cli, const cli_args_t *a)
{
    json_t *res = NULL;
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    hc_autofree char *esc = cli_escape(a->pos[0]);
    hc_autofree char *path = hc_asprintf("/apps/%s/env", esc);
    if (cli_api(cli, "reading the environment", "GET", path, NULL, &res) < 0)
        return CLI_FAIL;
    json_t *env = json_object_get(res, "env");
    if (cli->json) {
        cli_print_json(env ? env : json_array());
    } else if (json_array_size(env) == 0) {
        printf("No environment variables. Set one with `hearth set-env %s NAME VALUE`.\n",
               a->pos[0]);
    } else {
        json_t *e;
        size_t i;
        json_array_foreach(env, i, e) printf("%s\n", json_string_value(e));
    }
    json_decref(res);
    return CLI_OK;
}

const cli_cmd_t cli_cmd_env = {
    .name = "env",
    .args = "APP",
    .summary = "show an app's environment variables",
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
