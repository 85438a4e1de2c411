/* hearth info: the cloud's description, and the user's limits and usage when logged in. */
#include "cli.h"
#include "hc_json.h"

static long long geti(json_t *o, const char *a, const char *b)
{
    return (long long)json_integer_value(json_object_get(json_object_get(o, a), b));
}

static int run(cli_t *cli, const cli_args_t *a)
{
    (void)a;
    json_t *info = NULL;
    if (cli_need_target(cli) < 0)
        return CLI_FAIL;
    if (cli_api(cli, "getting cloud info", "GET", "/info", NULL, &info) < 0)
        return CLI_FAIL;
    if (cli->json) {
        cli_print_json(info);
        json_decref(info);
        return CLI_OK;
    }
    printf("%s %s\n", json_string_value(json_object_get(info, "description")) ?: "hearth",
           json_string_value(json_object_get(info, "version")) ?: "");
    printf("target: %s\n", cli->target);
    const char *user = json_string_value(json_object_get(info, "user"));
    if (!user) {
        printf("user:   (not logged in)\n");
    } else {
        printf("user:   %s%s\n", user,
               json_is_true(json_object_get(info, "admin")) ? " (admin)" : "");
        printf("usage:  memory %lldM of %lldM, apps %lld of %lld, services %lld of %lld\n",
               geti(info, "usage", "memory"), geti(info, "limits", "memory"),
               geti(info, "usage", "apps"), geti(info, "limits", "apps"),
               geti(info, "usage", "services"), geti(info, "limits", "services"));
    }
    json_decref(info);
    return CLI_OK;
}

const cli_cmd_t cli_cmd_info = {
    .name = "info",
    .args = "",
    .summary = "show the cloud's version, your limits and usage",
    .min_pos = 0,
    .max_pos = 0,
    .run = run,
};
