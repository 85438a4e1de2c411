/* hearth delete-service-broker NAME (admin): forget a broker; refused while its services
 * have instances. */
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
    char q[300];
    snprintf(q, sizeof(q), "Really delete service broker %s?", a->pos[0]);
    if (!cli_args_has(opts, a, "force") && isatty(0) && !cli_confirm(q)) {
        printf("Not deleted: %s\n", a->pos[0]);
        return CLI_OK;
    }
    hc_autofree char *esc = cli_escape(a->pos[0]);
    hc_autofree char *path = hc_asprintf("/service_brokers/%s", esc);
    if (cli_api(cli, "deleting the service broker", "DELETE", path, NULL, NULL) < 0)
        return CLI_FAIL;
    printf("Deleted service broker %s\n", a->pos[0]);
    return CLI_OK;
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
