/* App helpers shared by verbs: load, update, wait for a start while showing staging. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "hc_json.h"

json_t *cli_app_get(cli_t *cli, const char *name)
{
    json_t *app = NULL;
    hc_autofree char *esc = cli_escape(name);
    hc_autofree char *path = hc_asprintf("/apps/%s", esc);
    hc_autofree char *what = hc_asprintf("getting app %s", name);
    if (cli_api(cli, what, "GET", path, NULL, &app) < 0)
        return NULL;
    return app;
}

int cli_app_put(cli_t *cli, const char *name, const json_t *body, const char *what)
{
    hc_autofree char *esc = cli_escape(name);
    hc_autofree char *path = hc_asprintf("/apps/%s", esc);
    return cli_api(cli, what, "PUT", path, body, NULL);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Prints the part of the staging log not printed yet. */
static void show_staging(cli_t *cli, const char *path, size_t *printed)
{
    cli_resp_t resp;
    hc_err_t err;
    if (cli_http(cli, "GET", path, NULL, NULL, 0, NULL, false, &resp, &err) < 0)
        return;
    if (resp.status == 200) {
        if (resp.body.len < *printed)
            *printed = 0; /* a new staging began */
        fwrite(resp.body.data + *printed, 1, resp.body.len - *printed, stdout);
        fflush(stdout);
        *printed = resp.body.len;
    }
    cli_resp_release(&resp);
}

/* RUNNING instances from GET /apps/NAME/instances (used when runningInstances is null). */
static json_int_t count_running(cli_t *cli, const char *name)
{
    json_t *res = NULL, *in;
    int code = 0;
    size_t i;
    json_int_t n = 0;
    hc_autofree char *esc = cli_escape(name);
    hc_autofree char *path = hc_asprintf("/apps/%s/instances", esc);
    if (cli_api_try(cli, "instances", "GET", path, NULL, &res, &code) != 0)
        return 0;
    json_array_foreach(json_object_get(res, "instances"), i, in)
    {
        const char *st = json_string_value(json_object_get(in, "state"));
        n += st && strcmp(st, "RUNNING") == 0;
    }
    json_decref(res);
    return n;
}

int cli_app_wait_started(cli_t *cli, const char *name, int timeout_s)
{
    hc_autofree char *esc = cli_escape(name);
    hc_autofree char *log_path = hc_asprintf("/apps/%s/staging_log", esc);
    size_t printed = 0;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        show_staging(cli, log_path, &printed);
        json_t *app = cli_app_get(cli, name);
        if (!app)
            return -1;
        const char *pkg = json_string_value(json_object_get(app, "package_state"));
        json_int_t want = json_integer_value(json_object_get(app, "instances"));
        json_t *rv = json_object_get(app, "runningInstances");
        bool staged = pkg && strcmp(pkg, "STAGED") == 0;
        json_int_t running = json_is_integer(rv) ? json_integer_value(rv)
                             : staged            ? count_running(cli, name)
                                                 : 0;
        if (pkg && strcmp(pkg, "FAILED") == 0) {
            json_decref(app);
            show_staging(cli, log_path, &printed);
            cli_fail(cli, "staging %s failed", name);
            cli_hint("Read the output above, or `hearth logs %s --recent`; fix the app and push "
                     "again.",
                     name);
            return -1;
        }
        json_decref(app);
        if (staged && running >= want && want > 0) {
            show_staging(cli, log_path, &printed);
            printf("%s is running: %lld of %lld instances\n", name, (long long)running,
                   (long long)want);
            return 0;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec >= timeout_s) {
            cli_fail(cli, "%s did not start within %d s (%lld of %lld instances running)", name,
                     timeout_s, (long long)running, (long long)want);
            cli_hint("See `hearth app %s`, `hearth crashes %s` and `hearth logs %s --recent`.",
                     name, name, name);
            return -1;
        }
        /* Quick polls at first, when a small app is usually up within a second (each poll
         * is two or three small GETs; a 100 ms period made a push look 50 ms slower on
         * average), then gentler ones. */
        long waited = now.tv_sec - t0.tv_sec;
        sleep_ms(waited < 3 ? 25 : waited < 10 ? 100 : 500);
    }
}

void cli_default_domain(cli_t *cli, char *out, size_t size)
{
    if (cli_info_domain(cli, out, size))
        return;
    const char *host = cli->target ? strstr(cli->target, "://") : NULL;
    snprintf(out, size, "localhost");
    if (!host)
        return;
    host += 3;
    char h[256];
    size_t n = strcspn(host, ":/");
    if (n == 0 || n >= sizeof(h))
        return;
    memcpy(h, host, n);
    h[n] = '\0';
    struct in_addr a4;
    if (inet_pton(AF_INET, h, &a4) == 1 || strchr(h, '[') || !strchr(h, '.'))
        return;
    snprintf(out, size, "%s", strchr(h, '.') + 1);
}

int cli_app_set_state(cli_t *cli, const char *name, const char *state)
{
    json_t *b = hc_json_obj();
    hc_json_set_str(b, "state", state);
    hc_autofree char *what =
        hc_asprintf("%s %s", strcmp(state, "STARTED") == 0 ? "starting" : "stopping", name);
    int r = cli_app_put(cli, name, b, what);
    json_decref(b);
    return r;
}

int cli_app_start(cli_t *cli, const char *name, bool wait, int timeout_s)
{
    if (cli_app_set_state(cli, name, "STARTED") < 0)
        return -1;
    printf("Starting %s\n", name);
    fflush(stdout);
    return wait ? cli_app_wait_started(cli, name, timeout_s) : 0;
}
