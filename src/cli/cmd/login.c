/* hearth login EMAIL: trade a password for a token (POST /users/EMAIL/tokens) and keep it. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd/login.h"
#include "hc_json.h"

static const cli_opt_t opts[] = {
    {"password", 'p', true, "password (else $HEARTH_PASSWORD, else asked)"},
    CLI_OPT_END,
};

int cli_login_as(cli_t *cli, const char *email, const char *pw)
{
    hc_err_t err;
    json_t *body = hc_json_obj(), *res = NULL;
    int code = 0;
    hc_json_set_str(body, "password", pw);
    hc_autofree char *esc = cli_escape(email);
    hc_autofree char *path = hc_asprintf("/users/%s/tokens", esc);
    /* The old token must not be sent: an admin's would mint a token without the password. */
    char *old = cli->token;
    cli->token = NULL;
    int r = cli_api_try(cli, "login", "POST", path, body, &res, &code);
    cli->token = old;
    json_decref(body);
    if (r < 0)
        return -1;
    if (r > 0) {
        if (code == 200 || code == 201) {
            cli_fail(cli, "login as %s failed: wrong email or password", email);
            cli_hint("Check both, or create an account with `hearth register %s`.", email);
        } else {
            cli_fail(cli, "login as %s failed (error %d)", email, code);
        }
        return -1;
    }
    const char *tok = json_string_value(json_object_get(res, "token"));
    if (!tok) {
        json_decref(res);
        cli_fail(cli, "login: the cloud sent no token");
        return -1;
    }
    free(cli->token);
    free(cli->email);
    cli->token = hc_strdup(tok);
    cli->email = hc_strdup(email);
    json_decref(res);
    if (cli_config_save(cli, &err) < 0) {
        cli_fail(cli, "cannot save the token: %s", err.msg);
        return -1;
    }
    return 0;
}

static int run(cli_t *cli, const cli_args_t *a)
{
    if (cli_need_target(cli) < 0)
        return CLI_FAIL;
    const char *email = a->npos ? a->pos[0] : cli->email;
    if (!email) {
        cli_fail(cli, "which account? give the email: `hearth login EMAIL`");
        return CLI_USAGE;
    }
    const char *given = cli_args_get(opts, a, "password");
    char *pw = given ? hc_strdup(given) : cli_read_password("Password: ");
    if (!pw || !pw[0]) {
        free(pw);
        return cli_fail(cli, "no password given");
    }
    int r = cli_login_as(cli, email, pw);
    memset(pw, 0, strlen(pw));
    free(pw);
    if (r < 0)
        return CLI_FAIL;
    printf("Logged in to %s as %s\n", cli->target, email);
    return CLI_OK;
}

const cli_cmd_t cli_cmd_login = {
    .name = "login",
    .args = "[EMAIL]",
    .summary = "log in and remember the token",
    .opts = opts,
    .min_pos = 0,
    .max_pos = 1,
    .run = run,
};
