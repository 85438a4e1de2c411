/* hearth delete APP...: stop and delete apps (DELETE /apps/NAME). */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"

static const cli_opt_t opts[] = {
    {"force", 'f', false, "do not ask for confirmation"},
    CLI_OPT_END,
};

static int run(cli_t *cli, const cli_args_t *a)
{
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    int r = CLI_OK;
    for (size_t i = 0; i < a->npos; i++) {
        const char *name = a->pos[i];
        char q[300];
        snprintf(q, sizeof(q), "Really delete app %s?", name);
        if (!cli_args_has(opts, a, "force") && cli_confirm(q) == false && isatty(0)) {
            printf("Not deleted: %s\n", name);
            continue;
        }
        hc_autofree char *esc = cli_escape(name);
        hc_autofree char *path = hc_asprintf("/apps/%s", esc);
        hc_autofree char *what = hc_asprintf("deleting %s", name);
        if (cli_api(cli, what, "DELETE", path, NULL, NULL) < 0) {
            r = CLI_FAIL;
            continue;
        }
        printf("Deleted %s\n", name);
    }
    return r;
}

const cli_cmd_t cli_cmd_delete = {
    .name = "delete",
    .args = "APP...",
    .summary = "delete apps",
    .opts = opts,
    .min_pos = 1,
    .max_pos = -1,
    .run = run,
};
