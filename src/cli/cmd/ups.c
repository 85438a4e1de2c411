/* The flags of create- and update-user-provided-service, turned into a request body. */
#include <stdio.h>
#include <string.h>

#include "cmd/ups.h"
#include "hc_json.h"

const cli_opt_t cli_ups_opts[] = {
    {"params", 'p', true, "credentials: a JSON object, or a file holding one"},
    {"syslog-drain-url", 'l', true, "where the app's logs should be drained to"},
    {"route-service-url", 'r', true, "an https:// route service for the app's routes"},
    {"tags", 't', true, "tags, comma-separated (\"db, legacy\")"},
    CLI_OPT_END,
};

/* -p VALUE: inline JSON when it starts with '{', else a file (a leading '@' is dropped). */
static json_t *load_params(cli_t *cli, const char *v)
{
    json_error_t je;
    json_t *o;
    const char *p = v;
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    if (*p == '{') {
        o = json_loads(v, 0, &je);
    } else {
        const char *path = v[0] == '@' ? v + 1 : v;
        o = json_load_file(path, 0, &je);
        if (!o && je.line <= 0) {
            cli_fail(cli, "-p: `%s` is neither a JSON object nor a readable file", v);
            return NULL;
        }
    }
    if (!o) {
        cli_fail(cli, "-p: not valid JSON: %s (line %d, column %d)", je.text, je.line, je.column);
        cli_hint("Quote it for the shell: -p '{\"uri\":\"postgres://u:p@db:5432/x\"}'");
        return NULL;
    }
    if (!json_is_object(o)) {
        cli_fail(cli, "-p: the credentials must be a JSON object like {\"key\":\"value\"}");
        json_decref(o);
        return NULL;
    }
    return o;
}

int cli_ups_body(cli_t *cli, const cli_args_t *a, json_t *body)
{
    const char *p = cli_args_get(cli_ups_opts, a, "params");
    const char *l = cli_args_get(cli_ups_opts, a, "syslog-drain-url");
    const char *r = cli_args_get(cli_ups_opts, a, "route-service-url");
    const char *t = cli_args_get(cli_ups_opts, a, "tags");
    if (p) {
        json_t *cred = load_params(cli, p);
        if (!cred)
            return CLI_USAGE;
        hc_json_set_new(body, "credentials", cred);
    }
    if (l)
        hc_json_set_str(body, "syslog_drain_url", l);
    if (r)
        hc_json_set_str(body, "route_service_url", r);
    if (t) {
        json_t *tags = hc_json_arr();
        hc_autofree char *copy = hc_strdup(t);
        char *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            while (*tok == ' ')
                tok++;
            size_t n = strlen(tok);
            while (n && tok[n - 1] == ' ')
                tok[--n] = '\0';
            if (n)
                hc_json_append_str(tags, tok);
        }
        hc_json_set_new(body, "tags", tags);
    }
    return 0;
}
