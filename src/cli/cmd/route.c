/* Route edits: the app's `uris` list, rewritten with PUT /apps/NAME. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cmd/route.h"
#include "hc_json.h"

int cli_route_edit(cli_t *cli, const cli_opt_t *opts, const cli_args_t *a, bool add)
{
    const char *app = a->pos[0], *host = cli_args_get(opts, a, "hostname");
    char uri[300];
    snprintf(uri, sizeof(uri), "%s%s%s", host ? host : "", host ? "." : "", a->pos[1]);
    for (char *p = uri; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    json_t *cur = cli_app_get(cli, app);
    if (!cur)
        return CLI_FAIL;
    json_t *uris = hc_json_arr(), *u;
    size_t i;
    bool found = false;
    json_array_foreach(json_object_get(cur, "uris"), i, u)
    {
        if (json_string_value(u) && strcmp(json_string_value(u), uri) == 0)
            found = true;
        else
            json_array_append(uris, u);
    }
    int r = CLI_OK;
    if (add)
        hc_json_append_str(uris, uri);
    if (!add && !found) {
        printf("%s has no route %s\n", app, uri);
        json_decref(uris);
    } else {
        json_t *b = hc_json_obj();
        hc_json_set_new(b, "uris", uris);
        if (cli_app_put(cli, app, b, add ? "mapping the route" : "unmapping the route") < 0)
            r = CLI_FAIL;
        else
            printf(add ? "Mapped %s to %s\n" : "Unmapped %s from %s\n", uri, app);
        json_decref(b);
    }
    json_decref(cur);
    return r;
}
