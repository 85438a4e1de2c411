/* hearth restage APP: stage the current package again (PUT /apps/NAME/update). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hc_json.h"

static const cli_opt_t opts[] = {
    {"no-wait", 0, false, "return once the cloud accepted the restage"},
    {"timeout", 't', true, "seconds to wait (default 300)"},
    CLI_OPT_END,
};

static int run(cli_t *cli, const cli_args_t *a)
{
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    const char *name = a->pos[0];
    const char *t = cli_args_get(opts, a, "timeout");
    uint64_t timeout = 300;
    if (t && hc_parse_u64(t, strlen(t), 86400, &timeout) < 0) {
        cli_fail(cli, "--timeout: `%s` is not a number of seconds", t);
        return CLI_USAGE;
    }
    hc_autofree char *esc = cli_escape(name);
    hc_autofree char *path = hc_asprintf("/apps/%s/update", esc);
    json_t *empty = hc_json_obj();
    int r = cli_api(cli, "restaging", "PUT", path, empty, NULL);
    json_decref(empty);
    if (r < 0)
        return CLI_FAIL;
    printf("Restaging %s\n", name);
    json_t *app = cli_app_get(cli, name);
    if (!app)
        return CLI_FAIL;
    const char *state = json_string_value(json_object_get(app, "state"));
    bool started = state && strcmp(state, "STARTED") == 0;
    json_decref(app);
    if (started && !cli_args_has(opts, a, "no-wait") &&
        cli_app_wait_started(cli, name, (int)timeout) < 0)
        return CLI_FAIL;
    if (!started)
        printf("%s is stopped: it will be staged when started (`hearth start %s`).\n", name, name);
    return CLI_OK;
}

const cli_cmd_t cli_cmd_restage = {
    .name = "restage",
    .args = "APP",
    .summary = "stage an app's current files again and restart it",
    .opts = opts,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
