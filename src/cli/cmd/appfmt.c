/* App rows for tables. */
#include <stdio.h>
#include <string.h>

#include "cmd/appfmt.h"

void cli_appfmt_join(const json_t *arr, char *out, size_t size)
{
    size_t len = 0;
    json_t *v;
    size_t i;
    out[0] = '\0';
    json_array_foreach(arr, i, v)
    {
        const char *s = json_string_value(v);
        if (!s)
            continue;
        int n = snprintf(out + len, size - len, "%s%s", len ? ", " : "", s);
        if (n < 0 || (size_t)n >= size - len)
            break;
        len += (size_t)n;
    }
}

void cli_appfmt_row(cli_table_t *t, const json_t *app)
{
    char inst[48], mem[32], urls[512];
    json_t *running = json_object_get(app, "runningInstances");
    long long n = (long long)json_integer_value(json_object_get(app, "instances"));
    if (json_is_integer(running))
        snprintf(inst, sizeof(inst), "%lld/%lld", (long long)json_integer_value(running), n);
    else
        snprintf(inst, sizeof(inst), "?/%lld", n);
    snprintf(mem, sizeof(mem), "%lldM",
             (long long)json_integer_value(
                 json_object_get(json_object_get(app, "resources"), "memory")));
    cli_appfmt_join(json_object_get(app, "uris"), urls, sizeof(urls));
    const char *state = json_string_value(json_object_get(app, "state"));
    const char *pkg = json_string_value(json_object_get(app, "package_state"));
    char st[48];
    snprintf(st, sizeof(st), "%s", state ? state : "?");
    if (pkg && strcmp(pkg, "FAILED") == 0)
        snprintf(st, sizeof(st), "%s (staging failed)", state ? state : "?");
    for (char *p = st; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    cli_table_add(t, json_string_value(json_object_get(app, "name")), st, inst, mem,
                  urls[0] ? urls : NULL);
}
