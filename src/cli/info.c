/*
 * What the CLI learns from the CC's GET /info: the apps' domain and the router's port, so app
 * URLs print as http://HOST.DOMAIN:PORT (peers contract; a CC without them gets today's
 * behaviour: the domain from the target's host name and no port).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* GET /info once per run; NULL when the CC cannot be asked (errors are not printed here). */
static const json_t *cli_info(cli_t *cli)
{
    if (cli->info_fetched)
        return cli->info;
    cli->info_fetched = true;
    if (!cli->target)
        return NULL;
    cli_resp_t resp = {0};
    hc_err_t err;
    if (cli_http(cli, "GET", "/info", NULL, NULL, 0, NULL, false, &resp, &err) == 0 &&
        resp.status == 200 && json_is_object(resp.json))
        cli->info = json_incref(resp.json);
    cli_resp_release(&resp);
    return cli->info;
}

int cli_router_port(cli_t *cli)
{
    json_t *port = json_object_get(cli_info(cli), "router_port");
    json_int_t v = json_is_integer(port) ? json_integer_value(port) : 0;
    return v > 0 && v <= 65535 ? (int)v : 0;
}

bool cli_info_domain(cli_t *cli, char *out, size_t size)
{
    const char *d = json_string_value(json_object_get(cli_info(cli), "domain"));
    if (!d || !*d || strlen(d) >= size)
        return false;
    snprintf(out, size, "%s", d);
    return true;
}

char *cli_app_url(cli_t *cli, const char *uri)
{
    if (!uri)
        uri = "";
    int port = cli_router_port(cli);
    /* A route that names its port, or the router on 80, needs no port in the URL. */
    if (port == 0 || port == 80 || strchr(uri, ':'))
        return hc_asprintf("http://%s", uri);
    size_t n = strcspn(uri, "/");
    return hc_asprintf("http://%.*s:%d%s", (int)n, uri, port, uri + n);
}

void cli_app_urls(cli_t *cli, const json_t *uris, char *out, size_t size)
{
    size_t len = 0;
    json_t *v;
    size_t i;
    out[0] = '\0';
    json_array_foreach(uris, i, v)
    {
        const char *s = json_string_value(v);
        if (!s)
            continue;
        hc_autofree char *url = cli_app_url(cli, s);
        int n = snprintf(out + len, size - len, "%s%s", len ? ", " : "", url);
        if (n < 0 || (size_t)n >= size - len)
            break;
        len += (size_t)n;
    }
}
