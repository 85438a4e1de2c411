/* Shared by login and register. */
#ifndef HEARTH_CLI_CMD_LOGIN_H
#define HEARTH_CLI_CMD_LOGIN_H

#include "cli.h"

/* Logs in as email with pw and saves the token. Returns 0 or -1 after printing. */
int cli_login_as(cli_t *cli, const char *email, const char *pw);

#endif
