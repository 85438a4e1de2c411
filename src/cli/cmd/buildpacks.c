/*
 * hearth buildpacks: the buildpacks the cloud stages with. v1 has no buildpack list; the
 * runtimes list (GET /info/runtimes) names hearth's built-in buildpacks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hc_json.h"

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int run(cli_t *cli, const cli_args_t *a)
{
    (void)a;
    json_t *res = NULL;
    if (cli_need_target(cli) < 0)
        return CLI_FAIL;
    if (cli_api(cli, "listing buildpacks", "GET", "/info/runtimes", NULL, &res) < 0)
        return CLI_FAIL;
    if (cli->json) {
        json_t *arr = hc_json_arr();
        const char *k;
        json_t *v;
        json_object_foreach(res, k, v)
        {
            json_t *o = hc_json_obj();
            hc_json_set_str(o, "name", k);
            hc_json_set_new(o, "version", json_incref(json_object_get(v, "version")));
            hc_json_append_new(arr, o);
        }
        cli_print_json(arr);
        json_decref(arr);
        json_decref(res);
        return CLI_OK;
    }
    size_t n = json_object_size(res), i = 0;
    const char **names = hc_calloc(n + 1, sizeof(*names));
    const char *k;
    json_t *v;
    json_object_foreach(res, k, v) names[i++] = k;
    qsort(names, n, sizeof(*names), by_name);
    cli_table_t t;
    cli_table_init(&t, 2, "buildpack", "version");
    for (i = 0; i < n; i++)
        cli_table_add(
            &t, names[i],
            json_string_value(json_object_get(json_object_get(res, names[i]), "version")));
    cli_table_print(&t);
    cli_table_release(&t);
    printf("Without --buildpack, push detects the right one.\n");
    free(names);
    json_decref(res);
    return CLI_OK;
}

const cli_cmd_t cli_cmd_buildpacks = {
    .name = "buildpacks",
    .args = "",
    .summary = "list the buildpacks apps are staged with",
    .min_pos = 0,
    .max_pos = 0,
    .run = run,
};
