/*
 * hearth stacks: the root filesystems apps run on. Read from GET /info ("stacks": [{"name",
 * "description"}]); a cloud that lists none runs every app on its one default stack.
 */
#include <stdio.h>

#include "cli.h"
#include "hc_json.h"

static int run(cli_t *cli, const cli_args_t *a)
{
    (void)a;
    json_t *info = NULL;
    if (cli_need_target(cli) < 0)
        return CLI_FAIL;
    if (cli_api(cli, "listing stacks", "GET", "/info", NULL, &info) < 0)
        return CLI_FAIL;
    json_t *stacks = json_object_get(info, "stacks");
    json_t *arr = json_is_array(stacks) ? json_incref(stacks) : hc_json_arr();
    if (json_array_size(arr) == 0) {
        json_t *o = hc_json_obj();
        hc_json_set_str(o, "name", "default");
        hc_json_set_str(o, "description", "the host's base system (the cloud lists no stacks)");
        hc_json_append_new(arr, o);
    }
    if (cli->json) {
        cli_print_json(arr);
    } else {
        cli_table_t t;
        cli_table_init(&t, 2, "stack", "description");
        json_t *s;
        size_t i;
        json_array_foreach(arr, i, s)
            cli_table_add(&t, json_string_value(json_object_get(s, "name")),
                          json_string_value(json_object_get(s, "description")));
        cli_table_print(&t);
        cli_table_release(&t);
    }
    json_decref(arr);
    json_decref(info);
    return CLI_OK;
}

const cli_cmd_t cli_cmd_stacks = {
    .name = "stacks",
    .args = "",
    .summary = "list the stacks apps can run on",
    .min_pos = 0,
    .max_pos = 0,
    .run = run,
};
