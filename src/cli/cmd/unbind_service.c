/* hearth unbind-service APP NAME: take the service's credentials away from the app. */
#include "cmd/bind.h"

static int run(cli_t *cli, const cli_args_t *a)
{
    return cli_bind_edit(cli, a->pos[0], a->pos[1], false);
}

const cli_cmd_t cli_cmd_unbind_service = {
    .name = "unbind-service",
    .args = "APP NAME",
    .summary = "unbind a service instance from an app",
    .min_pos = 2,
    .max_pos = 2,
    .run = run,
};
