/* Binding is the app's `services` list (v1): read it, edit it, write it back. */
#include <stdio.h>
#include <string.h>

#include "cmd/bind.h"
#include "hc_json.h"

/*
 * The app's version can move between the read and the write without anyone editing its
 * services (a droplet staged meanwhile bumps it): a 102 (optimistic locking) is retried with a
 * fresh read, at most this many writes in all.
 */
#define CLI_BIND_TRIES 3
#define CLI_E_LOCKING 102

int cli_bind_edit(cli_t *cli, const char *app, const char *svc, bool bind)
{
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    const char *what = bind ? "binding the service" : "unbinding the service";
    for (int attempt = 1;; attempt++) {
        json_t *cur = cli_app_get(cli, app);
        if (!cur)
            return CLI_FAIL;
        json_t *list = hc_json_arr(), *s;
        size_t i;
        bool found = false;
        json_array_foreach(json_object_get(cur, "services"), i, s)
        {
            if (json_string_value(s) && strcmp(json_string_value(s), svc) == 0)
                found = true;
            else
                json_array_append(list, s);
        }
        if (bind == found) {
            printf(bind ? "%s is already bound to %s\n" : "%s is not bound to %s\n", svc, app);
            json_decref(list);
            json_decref(cur);
            return CLI_OK;
        }
        if (bind)
            hc_json_append_str(list, svc);
        json_t *b = hc_json_obj();
        hc_json_set_new(b, "services", list);
        json_t *m = hc_json_obj();
        hc_json_set_new(m, "version",
                        json_incref(json_object_get(json_object_get(cur, "meta"), "version")));
        hc_json_set_new(b, "meta", m);
        int r = 1, code = 0;
        if (attempt < CLI_BIND_TRIES) {
            hc_autofree char *esc = cli_escape(app);
            hc_autofree char *path = hc_asprintf("/apps/%s", esc);
            r = cli_api_try(cli, what, "PUT", path, b, NULL, &code);
            if (r == 1 && code == CLI_E_LOCKING) {
                json_decref(b);
                json_decref(cur);
                continue;
            }
        }
        /* The last try, or another refusal (nothing changed): sent again so it is printed. */
        if (r == 1)
            r = cli_app_put(cli, app, b, what);
        int rc = CLI_OK;
        if (r < 0) {
            rc = CLI_FAIL;
        } else {
            printf(bind ? "Bound %s to %s\n" : "Unbound %s from %s\n", svc, app);
            const char *state = json_string_value(json_object_get(cur, "state"));
            if (state && strcmp(state, "STARTED") == 0)
                printf("%s is restaged with the new VCAP_SERVICES and its instances replaced, with"
                       " no downtime\n",
                       app);
        }
        json_decref(b);
        json_decref(cur);
        return rc;
    }
}
