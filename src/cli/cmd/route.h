/* Shared by map-route and unmap-route. */
#ifndef HEARTH_CLI_CMD_ROUTE_H
#define HEARTH_CLI_CMD_ROUTE_H

#include "cli.h"

/* Adds (add = true) or removes the route of args (APP URL | APP DOMAIN --hostname H). */
int cli_route_edit(cli_t *cli, const cli_opt_t *opts, const cli_args_t *a, bool add);

#endif
