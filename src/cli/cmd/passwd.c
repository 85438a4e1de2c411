/* hearth passwd: change your password (PUT /users/EMAIL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "hc_json.h"

static const cli_opt_t opts[] = {
    {"password", 'p', true, "new password (else $HEARTH_PASSWORD, else asked twice)"},
    CLI_OPT_END,
};

static void wipe(char *s)
{
    if (s) {
        memset(s, 0, strlen(s));
        free(s);
    }
}

static int run(cli_t *cli, const cli_args_t *a)
{
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    if (!cli->email)
        return cli_fail(cli, "the saved login has no email: log in again with `hearth login`");
    const char *given = cli_args_get(opts, a, "password");
    char *pw = given ? hc_strdup(given) : cli_read_password("New password: ");
    int r = CLI_FAIL;
    hc_autofree char *esc = NULL;
    hc_autofree char *path = NULL;
    if (!pw || !pw[0]) {
        r = cli_fail(cli, "no password given");
        goto out;
    }
    if (!given && isatty(STDIN_FILENO) && !getenv("HEARTH_PASSWORD")) {
        char *again = cli_read_password("Again: ");
        bool same = again && strcmp(again, pw) == 0;
        wipe(again);
        if (!same) {
            r = cli_fail(cli, "the two passwords differ; nothing changed");
            goto out;
        }
    }
    json_t *b = hc_json_obj();
    hc_json_set_str(b, "password", pw);
    esc = cli_escape(cli->email);
    path = hc_asprintf("/users/%s", esc);
    int ar = cli_api(cli, "changing the password", "PUT", path, b, NULL);
    json_decref(b);
    if (ar == 0) {
        printf("Password of %s changed\n", cli->email);
        r = CLI_OK;
    }
out:
    wipe(pw);
    return r;
}

const cli_cmd_t cli_cmd_passwd = {
    .name = "passwd",
    .args = "",
    .summary = "change your password",
    .opts = opts,
    .min_pos = 0,
    .max_pos = 0,
    .run = run,
};
