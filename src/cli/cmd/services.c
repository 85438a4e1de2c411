/* hearth services: your service instances and the apps bound to them. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hc_json.h"

/* "a, b": the apps whose services list names svc. */
static void bound_apps(const json_t *apps, const char *svc, char *out, size_t size)
{
    size_t len = 0;
    json_t *app, *s;
    size_t i, k;
    out[0] = '\0';
    json_array_foreach(apps, i, app)
    {
        json_array_foreach(json_object_get(app, "services"), k, s)
        {
            if (!json_string_value(s) || strcmp(json_string_value(s), svc) != 0)
                continue;
            int n = snprintf(out + len, size - len, "%s%s", len ? ", " : "",
                             json_string_value(json_object_get(app, "name")));
            if (n > 0 && (size_t)n < size - len)
                len += (size_t)n;
        }
    }
}

static int run(cli_t *cli, const cli_args_t *a)
{
    (void)a;
    json_t *svcs = NULL, *apps = NULL;
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    if (cli_api(cli, "listing services", "GET", "/services", NULL, &svcs) < 0)
        return CLI_FAIL;
    if (cli->json) {
        cli_print_json(svcs);
    } else if (json_array_size(svcs) == 0) {
        printf("No services. See what you can create with `hearth marketplace`.\n");
    } else {
        cli_api(cli, "listing apps", "GET", "/apps", NULL, &apps);
        cli_table_t t;
        cli_table_init(&t, 4, "name", "service", "plan", "bound apps");
        json_t *s;
        size_t i;
        json_array_foreach(svcs, i, s)
        {
            const char *name = json_string_value(json_object_get(s, "name"));
            char bound[512];
            bound_apps(apps, name ? name : "", bound, sizeof(bound));
            cli_table_add(&t, name, json_string_value(json_object_get(s, "vendor")),
                          json_string_value(json_object_get(s, "tier")), bound[0] ? bound : NULL);
        }
        cli_table_print(&t);
        cli_table_release(&t);
    }
    json_decref(svcs);
    json_decref(apps);
    return CLI_OK;
}

const cli_cmd_t cli_cmd_services = {
    .name = "services",
    .args = "",
    .summary = "list your service instances",
    .min_pos = 0,
    .max_pos = 0,
    .run = run,
};
