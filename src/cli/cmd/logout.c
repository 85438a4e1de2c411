/* hearth logout: forget the token (the target stays). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int run(cli_t *cli, const cli_args_t *a)
{
    (void)a;
    hc_err_t err;
    if (cli->token)
        memset(cli->token, 0, strlen(cli->token));
    free(cli->token);
    cli->token = NULL;
    if (cli_config_save(cli, &err) < 0)
        return cli_fail(cli, "cannot save the configuration: %s", err.msg);
    printf("Logged out\n");
    return CLI_OK;
}

const cli_cmd_t cli_cmd_logout = {
    .name = "logout",
    .args = "",
    .summary = "forget the login token",
    .min_pos = 0,
    .max_pos = 0,
    .run = run,
};
