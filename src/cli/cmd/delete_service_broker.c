/* hearth delete-service-broker NAME (admin): forget a broker; refused while its services
 * have instances. */
#include "cli.h"

static const cli_opt_t opts[] = {
    {"force", 'f', false, "do not ask for confirmation"},
    CLI_OPT_END,
};

static int run(cli_t *cli, const cli_args_t *a)
{
    return cli_delete_named(cli, "service_brokers", "service broker", a->pos[0], "",
                            cli_args_has(opts, a, "force"));
}

const cli_cmd_t cli_cmd_delete_service_broker = {
    .name = "delete-service-broker",
    .args = "NAME",
    .summary = "remove a service broker (admin; its services must have no instances)",
    .opts = opts,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
