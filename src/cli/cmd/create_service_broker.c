/*
 * hearth create-service-broker NAME URL USER PASSWORD (admin): register an Open Service Broker
 * API broker; the cloud reads its catalog and its services join the marketplace. The Cloud
 * Foundry order (NAME USER PASSWORD URL) is accepted too.
 * hearth update-service-broker NAME URL USER PASSWORD: new address or credentials, and the
 * catalog read again.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hc_json.h"

static bool is_url(const char *s)
{
    return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

/* {"name","url","username","password"} from the four positional arguments, either order. */
static json_t *broker_body(cli_t *cli, const cli_args_t *a)
{
    const char *url = a->pos[1], *user = a->pos[2], *pw = a->pos[3];
    if (!is_url(url) && is_url(a->pos[3])) {
        user = a->pos[1];
        pw = a->pos[2];
        url = a->pos[3];
    }
    if (!is_url(url)) {
        cli_fail(cli, "`%s` is not a broker URL (http://HOST:PORT or https://...)", url);
        return NULL;
    }
    json_t *b = hc_json_obj();
    hc_json_set_str(b, "name", a->pos[0]);
    hc_json_set_str(b, "url", url);
    hc_json_set_str(b, "username", user);
    hc_json_set_str(b, "password", pw);
    return b;
}

static void print_services(const json_t *res)
{
    json_int_t n = json_integer_value(json_object_get(res, "services"));
    printf("%lld service%s added to the marketplace (`hearth marketplace`).\n", (long long)n,
           n == 1 ? "" : "s");
}

static int run_create(cli_t *cli, const cli_args_t *a)
{
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    json_t *b = broker_body(cli, a), *res = NULL;
    if (!b)
        return CLI_USAGE;
    printf("Registering service broker %s at %s\n", a->pos[0],
           json_string_value(json_object_get(b, "url")));
    fflush(stdout);
    int r = cli_api(cli, "registering the service broker", "POST", "/service_brokers", b, &res);
    json_decref(b);
    if (r < 0)
        return CLI_FAIL;
    print_services(res);
    json_decref(res);
    return CLI_OK;
}

static int run_update(cli_t *cli, const cli_args_t *a)
{
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    json_t *b = broker_body(cli, a), *res = NULL;
    if (!b)
        return CLI_USAGE;
    hc_autofree char *esc = cli_escape(a->pos[0]);
    hc_autofree char *path = hc_asprintf("/service_brokers/%s", esc);
    int r = cli_api(cli, "updating the service broker", "PUT", path, b, &res);
    json_decref(b);
    if (r < 0)
        return CLI_FAIL;
    printf("Updated service broker %s: ", a->pos[0]);
    print_services(res);
    json_decref(res);
    return CLI_OK;
}

const cli_cmd_t cli_cmd_create_service_broker = {
    .name = "create-service-broker",
    .args = "NAME URL USER PASSWORD",
    .summary = "register an Open Service Broker API broker (admin)",
    .min_pos = 4,
    .max_pos = 4,
    .run = run_create,
};

const cli_cmd_t cli_cmd_update_service_broker = {
    .name = "update-service-broker",
    .args = "NAME URL USER PASSWORD",
    .summary = "change a broker's URL or credentials and re-read its catalog (admin)",
    .min_pos = 4,
    .max_pos = 4,
    .run = run_update,
};
