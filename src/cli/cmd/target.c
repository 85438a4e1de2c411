/* hearth target [URL]: show or set the cloud this CLI talks to (checked with GET /info). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hc_json.h"

static char *normalize(const char *url)
{
    char *u = strstr(url, "://") ? hc_strdup(url) : hc_asprintf("http://%s", url);
    size_t n = strlen(u);
    while (n > 0 && u[n - 1] == '/')
        u[--n] = '\0';
    return u;
}

static int show(cli_t *cli)
{
    if (cli->json) {
        json_t *o = hc_json_obj();
        hc_json_set_new(o, "target", cli->target ? json_string(cli->target) : json_null());
        hc_json_set_new(o, "user",
                        cli->email && cli->token ? json_string(cli->email) : json_null());
        cli_print_json(o);
        json_decref(o);
        return CLI_OK;
    }
    if (!cli->target) {
        printf("No target set. Set one with `hearth target URL`.\n");
        return CLI_OK;
    }
    printf("target: %s\n", cli->target);
    printf("user:   %s\n", cli->email && cli->token ? cli->email : "(not logged in)");
    return CLI_OK;
}

static int run(cli_t *cli, const cli_args_t *a)
{
    hc_err_t err;
    json_t *info = NULL;

    if (a->npos == 0)
        return show(cli);
    char *url = normalize(a->pos[0]);
    char *old = cli->target;
    cli->target = url;
    if (cli_api(cli, "checking the target", "GET", "/info", NULL, &info) < 0 ||
        !json_is_object(info) || !json_object_get(info, "name")) {
        json_decref(info);
        if (info)
            cli_fail(cli, "%s answered, but it is not a hearth API (no `name` in /info)", url);
        cli_hint("The API URL is printed by hearthd at start, e.g. http://api.localhost:8080.");
        cli->target = old;
        free(url);
        return CLI_FAIL;
    }
    json_decref(info);
    if (!old || strcmp(old, url) != 0) {
        free(cli->token);
        free(cli->email);
        cli->token = cli->email = NULL;
    }
    free(old);
    if (cli_config_save(cli, &err) < 0)
        return cli_fail(cli, "cannot save the configuration: %s", err.msg);
    printf("Target set to %s\n", url);
    return CLI_OK;
}

const cli_cmd_t cli_cmd_target = {
    .name = "target",
    .args = "[URL]",
    .summary = "show or set the API endpoint of the cloud",
    .opts = NULL,
    .min_pos = 0,
    .max_pos = 1,
    .run = run,
};
