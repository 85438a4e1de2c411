/* hearth app APP: one app's settings and the state of each instance. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd/appfmt.h"
#include "hc_json.h"

static void show_instances(cli_t *cli, const char *name)
{
    json_t *res = NULL;
    int code = 0;
    hc_autofree char *esc = cli_escape(name);
    hc_autofree char *path = hc_asprintf("/apps/%s/instances", esc);
    if (cli_api_try(cli, "instances", "GET", path, NULL, &res, &code) != 0)
        return;
    json_t *arr = json_object_get(res, "instances");
    if (json_array_size(arr) > 0) {
        cli_table_t t;
        cli_table_init(&t, 3, "instance", "state", "since");
        json_t *in;
        size_t i;
        json_array_foreach(arr, i, in)
        {
            char idx[24], since[32];
            snprintf(idx, sizeof(idx), "#%lld",
                     (long long)json_integer_value(json_object_get(in, "index")));
            cli_fmt_time(json_integer_value(json_object_get(in, "since")), since, sizeof(since));
            const char *st = json_string_value(json_object_get(in, "state"));
            cli_table_add(&t, idx, st, since);
        }
        printf("\n");
        cli_table_print(&t);
        cli_table_release(&t);
    }
    json_decref(res);
}

static int run(cli_t *cli, const cli_args_t *a)
{
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    json_t *app = cli_app_get(cli, a->pos[0]);
    if (!app)
        return CLI_FAIL;
    if (cli->json) {
        cli_print_json(app);
        json_decref(app);
        return CLI_OK;
    }
    char urls[512], svcs[512], created[32];
    json_t *running = json_object_get(app, "runningInstances");
    json_t *st = json_object_get(app, "staging");
    cli_app_urls(cli, json_object_get(app, "uris"), urls, sizeof(urls));
    cli_appfmt_join(json_object_get(app, "services"), svcs, sizeof(svcs));
    cli_fmt_time(json_integer_value(json_object_get(json_object_get(app, "meta"), "created")),
                 created, sizeof(created));
    printf("name:       %s\n", json_string_value(json_object_get(app, "name")));
    printf("state:      %s\n", json_string_value(json_object_get(app, "state")));
    if (json_is_integer(running))
        printf("instances:  %lld of %lld running\n", (long long)json_integer_value(running),
               (long long)json_integer_value(json_object_get(app, "instances")));
    else
        printf("instances:  %lld\n",
               (long long)json_integer_value(json_object_get(app, "instances")));
    printf("memory:     %lldM\n", (long long)json_integer_value(json_object_get(
                                      json_object_get(app, "resources"), "memory")));
    printf("urls:       %s\n", urls[0] ? urls : "-");
    printf("services:   %s\n", svcs[0] ? svcs : "-");
    printf("buildpack:  %s\n", json_string_value(json_object_get(st, "model")) ?: "(detected)");
    if (json_string_value(json_object_get(st, "command")))
        printf("command:    %s\n", json_string_value(json_object_get(st, "command")));
    const char *hc = json_string_value(json_object_get(app, "health_check_type"));
    const char *hc_path = json_string_value(json_object_get(app, "health_check_http_endpoint"));
    if (hc && strcmp(hc, "http") == 0)
        printf("health:     http GET %s\n", hc_path ? hc_path : "/");
    else
        printf("health:     %s\n", hc ? hc : "port");
    printf("package:    %s\n", json_string_value(json_object_get(app, "package_state")) ?: "-");
    printf("version:    %s\n", json_string_value(json_object_get(app, "version")) ?: "-");
    printf("created:    %s\n", created);
    const char *state = json_string_value(json_object_get(app, "state"));
    if (state && strcmp(state, "STARTED") == 0)
        show_instances(cli, a->pos[0]);
    json_decref(app);
    return CLI_OK;
}

const cli_cmd_t cli_cmd_app = {
    .name = "app",
    .args = "APP",
    .summary = "show one app and its instances",
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
