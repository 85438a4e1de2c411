/*
 * hearth rollback APP [VERSION]: the app goes back to an earlier release's droplet and
 * environment (POST /apps/NAME/rollback); VERSION is vN or N, by default the release before
 * the current one.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hc_json.h"

static int run(cli_t *cli, const cli_args_t *a)
{
    const char *name = a->pos[0], *v = a->npos > 1 ? a->pos[1] : NULL;
    uint64_t version = 0;
    if (v) {
        const char *digits = v[0] == 'v' || v[0] == 'V' ? v + 1 : v;
        if (hc_parse_u64(digits, strlen(digits), INT32_MAX, &version) < 0 || version == 0) {
            cli_fail(cli, "`%s` is not a release: give vN or N (see `hearth releases %s`)", v,
                     name);
            return CLI_USAGE;
        }
    }
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    hc_autofree char *esc = cli_escape(name);
    hc_autofree char *path = hc_asprintf("/apps/%s/rollback", esc);
    json_t *body = hc_json_obj(), *res = NULL;
    if (version)
        hc_json_set_int(body, "version", (int64_t)version);
    int r = cli_api(cli, "rolling back", "POST", path, body, &res);
    json_decref(body);
    if (r < 0)
        return CLI_FAIL;
    long long to = (long long)json_integer_value(json_object_get(res, "rolled_back_to"));
    long long made = (long long)json_integer_value(json_object_get(res, "version"));
    if (cli->json) {
        cli_print_json(res);
    } else {
        printf("Rolled back %s to v%lld (now release v%lld).\n", name, to, made);
        if (json_is_true(json_object_get(res, "replaced")))
            printf("Its instances are being replaced by v%lld's, with no downtime.\n", to);
        else
            printf("%s is stopped: v%lld's droplet runs when it starts (`hearth start %s`).\n",
                   name, to, name);
    }
    json_decref(res);
    return CLI_OK;
}

const cli_cmd_t cli_cmd_rollback = {
    .name = "rollback",
    .args = "APP [VERSION]",
    .summary = "go back to an earlier release (default: the one before the current)",
    .min_pos = 1,
    .max_pos = 2,
    .run = run,
};
