/* ups.h - what create- and update-user-provided-service share: the request body from flags. */
#ifndef HEARTH_CLI_CMD_UPS_H
#define HEARTH_CLI_CMD_UPS_H

#include "cli.h"

extern const cli_opt_t cli_ups_opts[];

/*
 * Adds credentials (-p: a JSON object, or @FILE / a path to a file holding one), syslog_drain_url
 * (-l), route_service_url (-r) and tags (-t "a, b") to body. Returns 0, or CLI_USAGE after
 * printing what is wrong.
 */
int cli_ups_body(cli_t *cli, const cli_args_t *a, json_t *body);

#endif
