/*
 * hearth create-user-provided-service NAME [-p JSON] [-l URL] [-r URL] [-t TAGS] (alias cups):
 * a service instance whose credentials you give, bound like any other and found in the app's
 * VCAP_SERVICES under "user-provided".
 */
#include <stdio.h>

#include "cmd/ups.h"
#include "hc_json.h"

static int run(cli_t *cli, const cli_args_t *a)
{
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    json_t *b = hc_json_obj();
    hc_json_set_str(b, "name", a->pos[0]);
    int r = cli_ups_body(cli, a, b);
    if (r == 0) {
        printf("Creating user-provided service %s\n", a->pos[0]);
        fflush(stdout);
        r = cli_api(cli, "creating the user-provided service", "POST", "/user_provided_services", b,
                    NULL) < 0
                ? CLI_FAIL
                : CLI_OK;
        if (r == CLI_OK)
            printf("Created %s. Bind it with `hearth bind-service APP %s`.\n", a->pos[0],
                   a->pos[0]);
    }
    json_decref(b);
    return r;
}

const cli_cmd_t cli_cmd_create_user_provided_service = {
    .name = "create-user-provided-service",
    .args = "NAME",
    .summary = "make a service instance from credentials you give (alias: cups)",
    .opts = cli_ups_opts,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};

const cli_cmd_t cli_cmd_cups = {
    .name = "cups",
    .args = "NAME",
    .summary = "alias of create-user-provided-service",
    .opts = cli_ups_opts,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
