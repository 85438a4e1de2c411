/*
 * hearth update-user-provided-service NAME [-p JSON] [-l URL] [-r URL] [-t TAGS] (alias uups):
 * replace the given fields; bound apps see them at their next restage or restart.
 */
#include <stdio.h>

#include "cmd/ups.h"
#include "hc_json.h"

static int run(cli_t *cli, const cli_args_t *a)
{
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    json_t *b = hc_json_obj(), *res = NULL;
    int r = cli_ups_body(cli, a, b);
    if (r == 0 && json_object_size(b) == 0) {
        cli_fail(cli, "nothing to update: give -p, -l, -r or -t");
        r = CLI_USAGE;
    }
    if (r == 0) {
        hc_autofree char *esc = cli_escape(a->pos[0]);
        hc_autofree char *path = hc_asprintf("/user_provided_services/%s", esc);
        r = cli_api(cli, "updating the user-provided service", "PUT", path, b, &res) < 0 ? CLI_FAIL
                                                                                         : CLI_OK;
    }
    if (r == CLI_OK) {
        printf("Updated %s\n", a->pos[0]);
        const char *bound = json_string_value(json_object_get(res, "bound"));
        if (bound)
            printf("It is bound to %s: restage to give them the new VCAP_SERVICES.\n", bound);
    }
    json_decref(res);
    json_decref(b);
    return r;
}

const cli_cmd_t cli_cmd_update_user_provided_service = {
    .name = "update-user-provided-service",
    .args = "NAME",
    .summary = "change a user-provided service's credentials or URLs (alias: uups)",
    .opts = cli_ups_opts,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};

const cli_cmd_t cli_cmd_uups = {
    .name = "uups",
    .args = "NAME",
    .summary = "alias of update-user-provided-service",
    .opts = cli_ups_opts,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
