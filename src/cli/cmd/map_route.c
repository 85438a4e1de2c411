/* hearth map-route APP HOST.DOMAIN (or APP DOMAIN --hostname HOST). */
#include "cmd/route.h"

static const cli_opt_t opts[] = {
    {"hostname", 'n', true, "host name; the second argument is then the domain"},
    CLI_OPT_END,
};

static int run(cli_t *cli, const cli_args_t *a)
{
    return cli_route_edit(cli, opts, a, true);
}

const cli_cmd_t cli_cmd_map_route = {
    .name = "map-route",
    .args = "APP HOST.DOMAIN",
    .summary = "add a route to an app",
    .opts = opts,
    .min_pos = 2,
    .max_pos = 2,
    .run = run,
};
