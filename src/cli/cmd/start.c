/* hearth start APP: set STARTED, show staging when it happens, wait for the instances. */
#include <string.h>

#include "cli.h"

static const cli_opt_t opts[] = {
    {"no-wait", 0, false, "return once the cloud accepted the start"},
    {"timeout", 't', true, "seconds to wait for the instances (default 300)"},
    CLI_OPT_END,
};

static int run(cli_t *cli, const cli_args_t *a)
{
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    const char *t = cli_args_get(opts, a, "timeout");
    uint64_t timeout = 300;
    if (t && hc_parse_u64(t, strlen(t), 86400, &timeout) < 0) {
        cli_fail(cli, "--timeout: `%s` is not a number of seconds", t);
        return CLI_USAGE;
    }
    for (size_t i = 0; i < a->npos; i++)
        if (cli_app_start(cli, a->pos[i], !cli_args_has(opts, a, "no-wait"), (int)timeout) < 0)
            return CLI_FAIL;
    return CLI_OK;
}

const cli_cmd_t cli_cmd_start = {
    .name = "start",
    .args = "APP...",
    .summary = "start apps",
    .opts = opts,
    .min_pos = 1,
    .max_pos = -1,
    .run = run,
};
