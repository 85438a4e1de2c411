/* hearth files APP [PATH]: list a directory or print a file of an instance. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const cli_opt_t opts[] = {
    {"instance", 'i', true, "instance index (default 0)"},
    CLI_OPT_END,
};

static int run(cli_t *cli, const cli_args_t *a)
{
    const char *inst = cli_args_get(opts, a, "instance");
    uint64_t idx = 0;
    if (inst && hc_parse_u64(inst, strlen(inst), 100000, &idx) < 0) {
        cli_fail(cli, "-i: `%s` is not an instance index", inst);
        return CLI_USAGE;
    }
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    const char *p = a->npos > 1 ? a->pos[1] : "";
    while (*p == '/')
        p++;
    hc_autofree char *esc = cli_escape(a->pos[0]);
    hc_autofree char *path = hc_asprintf("/apps/%s/instances/%llu/files%s%s", esc,
                                         (unsigned long long)idx, p[0] ? "/" : "", p);
    cli_resp_t resp;
    hc_err_t err;
    if (cli_http(cli, "GET", path, NULL, NULL, 0, NULL, false, &resp, &err) < 0) {
        cli_fail(cli, "cannot reach %s: %s", cli->target, err.msg);
        return CLI_FAIL;
    }
    int r = CLI_OK;
    if (resp.status >= 400) {
        const char *d = json_string_value(json_object_get(resp.json, "description"));
        r = cli_fail(cli, "reading `%s` of %s #%llu failed: %s", p[0] ? p : "/", a->pos[0],
                     (unsigned long long)idx, d ? d : "no such file");
        cli_hint("List the instance's files with `hearth files %s`; the app must be started.",
                 a->pos[0]);
    } else {
        fwrite(resp.body.data, 1, resp.body.len, stdout);
    }
    cli_resp_release(&resp);
    return r;
}

const cli_cmd_t cli_cmd_files = {
    .name = "files",
    .args = "APP [PATH]",
    .summary = "list or print files of an app instance",
    .opts = opts,
    .min_pos = 1,
    .max_pos = 2,
    .run = run,
};
