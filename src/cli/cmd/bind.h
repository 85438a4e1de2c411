/* Shared by bind-service and unbind-service. */
#ifndef HEARTH_CLI_CMD_BIND_H
#define HEARTH_CLI_CMD_BIND_H

#include "cli.h"

/* Adds or removes svc in the app's services list (PUT /apps/NAME with meta.version). */
int cli_bind_edit(cli_t *cli, const char *app, const char *svc, bool bind);

#endif
