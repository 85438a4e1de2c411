/* hearth set-env APP NAME VALUE / unset-env APP NAME: edit the env list (PUT /apps/NAME). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hc_json.h"

/* Rewrites the env array without NAME, then with NAME=VALUE when value is not NULL. */
static int edit(cli_t *cli, const char *app, const char *name, const char *value)
{
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    if (!name[0] || strchr(name, '=')) {
        cli_fail(cli, "`%s` is not a variable name", name);
        return CLI_USAGE;
    }
    json_t *cur = cli_app_get(cli, app);
    if (!cur)
        return CLI_FAIL;
    json_t *env = hc_json_arr(), *e;
    size_t i, n = strlen(name);
    bool found = false;
    json_array_foreach(json_object_get(cur, "env"), i, e)
    {
        const char *kv = json_string_value(e);
        if (kv && strncmp(kv, name, n) == 0 && kv[n] == '=')
            found = true;
        else
            json_array_append(env, e);
    }
    if (value) {
        hc_autofree char *kv = hc_asprintf("%s=%s", name, value);
        hc_json_append_str(env, kv);
    }
    json_t *body = hc_json_obj();
    hc_json_set_new(body, "env", env);
    json_t *meta = json_object_get(cur, "meta");
    if (json_is_object(meta)) {
        json_t *m = hc_json_obj();
        hc_json_set_new(m, "version", json_incref(json_object_get(meta, "version")));
        hc_json_set_new(body, "meta", m);
    }
    const char *state = json_string_value(json_object_get(cur, "state"));
    int r = CLI_OK;
    if (!value && !found) {
        printf("%s has no variable %s\n", app, name);
    } else if (cli_app_put(cli, app, body,
                           value ? "setting the variable" : "removing the variable") < 0) {
        r = CLI_FAIL;
    } else {
        printf(value ? "Set %s on %s\n" : "Removed %s from %s\n", name, app);
        if (state && strcmp(state, "STARTED") == 0)
            printf("%s's instances are replaced by ones with the new environment, one version"
                   " next to the other (no downtime)\n",
                   app);
    }
    json_decref(body);
    json_decref(cur);
    return r;
}

static int run_set(cli_t *cli, const cli_args_t *a)
{
    return edit(cli, a->pos[0], a->pos[1], a->pos[2]);
}

static int run_unset(cli_t *cli, const cli_args_t *a)
{
    return edit(cli, a->pos[0], a->pos[1], NULL);
}

const cli_cmd_t cli_cmd_set_env = {
    .name = "set-env",
    .args = "APP NAME VALUE",
    .summary = "set an environment variable of an app",
    .min_pos = 3,
    .max_pos = 3,
    .run = run_set,
};

const cli_cmd_t cli_cmd_unset_env = {
    .name = "unset-env",
    .args = "APP NAME",
    .summary = "remove an environment variable of an app",
    .min_pos = 2,
    .max_pos = 2,
    .run = run_unset,
};
