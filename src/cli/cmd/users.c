/* hearth users: every account and its apps (GET /users, admins only). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hc_json.h"

static int run(cli_t *cli, const cli_args_t *a)
{
    (void)a;
    json_t *users = NULL;
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    if (cli_api(cli, "listing users (admins only)", "GET", "/users", NULL, &users) < 0)
        return CLI_FAIL;
    if (cli->json) {
        cli_print_json(users);
        json_decref(users);
        return CLI_OK;
    }
    cli_table_t t;
    cli_table_init(&t, 3, "email", "admin", "apps");
    json_t *u;
    size_t i;
    json_array_foreach(users, i, u)
    {
        char apps[512] = "";
        size_t len = 0;
        json_t *app;
        size_t k;
        json_array_foreach(json_object_get(u, "apps"), k, app)
        {
            int n = snprintf(apps + len, sizeof(apps) - len, "%s%s", len ? ", " : "",
                             json_string_value(json_object_get(app, "name")));
            if (n > 0 && (size_t)n < sizeof(apps) - len)
                len += (size_t)n;
        }
        cli_table_add(&t, json_string_value(json_object_get(u, "email")),
                      json_is_true(json_object_get(u, "admin")) ? "yes" : "no",
                      apps[0] ? apps : NULL);
    }
    cli_table_print(&t);
    cli_table_release(&t);
    json_decref(users);
    return CLI_OK;
}

const cli_cmd_t cli_cmd_users = {
    .name = "users",
    .args = "",
    .summary = "list all users and their apps (admins)",
    .min_pos = 0,
    .max_pos = 0,
    .run = run,
};
