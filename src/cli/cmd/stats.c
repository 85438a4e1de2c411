/* hearth stats APP: cpu, memory, disk and uptime of each instance (GET /apps/NAME/stats). */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "hc_json.h"

static int by_index(const void *a, const void *b)
{
    return atoi(*(const char *const *)a) - atoi(*(const char *const *)b);
}

static int run(cli_t *cli, const cli_args_t *a)
{
    json_t *res = NULL;
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    hc_autofree char *esc = cli_escape(a->pos[0]);
    hc_autofree char *path = hc_asprintf("/apps/%s/stats", esc);
    if (cli_api(cli, "reading stats", "GET", path, NULL, &res) < 0)
        return CLI_FAIL;
    if (cli->json) {
        cli_print_json(res);
        json_decref(res);
        return CLI_OK;
    }
    size_t n = json_object_size(res), k = 0;
    if (n == 0) {
        printf("%s has no running instances. Start it with `hearth start %s`.\n", a->pos[0],
               a->pos[0]);
        json_decref(res);
        return CLI_OK;
    }
    const char **keys = hc_calloc(n, sizeof(*keys));
    const char *key;
    json_t *v;
    json_object_foreach(res, key, v) keys[k++] = key;
    qsort(keys, n, sizeof(*keys), by_index);
    cli_table_t t;
    cli_table_init(&t, 6, "instance", "state", "cpu", "memory", "disk", "uptime");
    for (k = 0; k < n; k++) {
        json_t *in = json_object_get(res, keys[k]), *st = json_object_get(in, "stats");
        json_t *u = json_object_get(st, "usage");
        char idx[24], cpu[24], mem[48], disk[48], up[24], q1[16], q2[16];
        snprintf(idx, sizeof(idx), "#%s", keys[k]);
        if (!st) {
            cli_table_add(&t, idx, json_string_value(json_object_get(in, "state")), NULL, NULL,
                          NULL, NULL);
            continue;
        }
        snprintf(cpu, sizeof(cpu), "%.1f%%", json_number_value(json_object_get(u, "cpu")));
        cli_human_size((uint64_t)(json_number_value(json_object_get(u, "mem")) * 1024), q1,
                       sizeof(q1));
        cli_human_size((uint64_t)json_number_value(json_object_get(st, "mem_quota")), q2,
                       sizeof(q2));
        snprintf(mem, sizeof(mem), "%s of %s", q1, q2);
        cli_human_size((uint64_t)json_number_value(json_object_get(u, "disk")), q1, sizeof(q1));
        cli_human_size((uint64_t)json_number_value(json_object_get(st, "disk_quota")), q2,
                       sizeof(q2));
        snprintf(disk, sizeof(disk), "%s of %s", q1, q2);
        cli_fmt_duration(json_number_value(json_object_get(st, "uptime")), up, sizeof(up));
        cli_table_add(&t, idx, json_string_value(json_object_get(in, "state")), cpu, mem, disk, up);
    }
    cli_table_print(&t);
    cli_table_release(&t);
    free(keys);
    json_decref(res);
    return CLI_OK;
}

const cli_cmd_t cli_cmd_stats = {
    .name = "stats",
    .args = "APP",
    .summary = "show cpu, memory, disk and uptime of each instance",
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
