/* hearth delete-service NAME: deprovision a service instance (DELETE /services/NAME). */
#include "cli.h"

static const cli_opt_t opts[] = {
    {"force", 'f', false, "do not ask for confirmation"},
    CLI_OPT_END,
};

static int run(cli_t *cli, const cli_args_t *a)
{
    return cli_delete_named(cli, "services", "service", a->pos[0], " and its data",
                            cli_args_has(opts, a, "force"));
}

const cli_cmd_t cli_cmd_delete_service = {
    .name = "delete-service",
    .args = "NAME",
    .summary = "delete a service instance and its data",
    .opts = opts,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
