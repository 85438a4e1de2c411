/* hearth bind-service APP NAME: give the app the service's credentials (VCAP_SERVICES). */
#include "cmd/bind.h"

static int run(cli_t *cli, const cli_args_t *a)
{
    return cli_bind_edit(cli, a->pos[0], a->pos[1], true);
}

const cli_cmd_t cli_cmd_bind_service = {
    .name = "bind-service",
    .args = "APP NAME",
    .summary = "bind a service instance to an app",
    .min_pos = 2,
    .max_pos = 2,
    .run = run,
};
