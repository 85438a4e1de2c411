/* hearth register EMAIL: create an account (POST /users), then log in as it. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd/login.h"
#include "hc_json.h"

static const cli_opt_t opts[] = {
    {"password", 'p', true, "password (else $HEARTH_PASSWORD, else asked)"},
    {"no-login", 0, false, "do not log in as the new user (admins creating accounts)"},
    CLI_OPT_END,
};

static int run(cli_t *cli, const cli_args_t *a)
{
    if (cli_need_target(cli) < 0)
        return CLI_FAIL;
    const char *email = a->pos[0];
    const char *given = cli_args_get(opts, a, "password");
    char *pw = given ? hc_strdup(given) : cli_read_password("Choose a password: ");
    int r = CLI_FAIL;
    if (!pw || !pw[0]) {
        r = cli_fail(cli, "no password given");
        goto out;
    }
    if (!given && isatty(STDIN_FILENO) && !getenv("HEARTH_PASSWORD")) {
        char *again = cli_read_password("Again: ");
        bool same = again && strcmp(again, pw) == 0;
        if (again) {
            memset(again, 0, strlen(again));
            free(again);
        }
        if (!same) {
            r = cli_fail(cli, "the two passwords differ; no account created");
            goto out;
        }
    }
    json_t *body = hc_json_obj();
    hc_json_set_str(body, "email", email);
    hc_json_set_str(body, "password", pw);
    int ar = cli_api(cli, "registering", "POST", "/users", body, NULL);
    json_decref(body);
    if (ar < 0)
        goto out;
    printf("Registered %s\n", email);
    if (!cli_args_has(opts, a, "no-login")) {
        if (cli_login_as(cli, email, pw) < 0)
            goto out;
        printf("Logged in as %s\n", email);
    }
    r = CLI_OK;
out:
    if (pw) {
        memset(pw, 0, strlen(pw));
        free(pw);
    }
    return r;
}

const cli_cmd_t cli_cmd_register = {
    .name = "register",
    .args = "EMAIL",
    .summary = "create an account on the cloud and log in",
    .opts = opts,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
