/* hearth stop APP: set STOPPED; the cloud stops every instance. */
#include <stdio.h>

#include "cli.h"

static int run(cli_t *cli, const cli_args_t *a)
{
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    for (size_t i = 0; i < a->npos; i++) {
        if (cli_app_set_state(cli, a->pos[i], "STOPPED") < 0)
            return CLI_FAIL;
        printf("Stopped %s\n", a->pos[i]);
    }
    return CLI_OK;
}

const cli_cmd_t cli_cmd_stop = {
    .name = "stop",
    .args = "APP...",
    .summary = "stop apps",
    .min_pos = 1,
    .max_pos = -1,
    .run = run,
};
