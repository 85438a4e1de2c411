/* The micro cloud's admin user: registered with the CC as soon as it answers. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "hc_http_client.h"
#include "hc_json.h"
#include "hd.h"

#define HD_ADMIN_RETRY_MS 500
#define HD_ADMIN_MAX_TRIES 120

static void admin_try(uv_timer_t *t);

static void admin_announce(hd_t *hd)
{
    hd->admin_done = true;
    printf("hearthd: ready. Admin: %s  password: %s  (kept in %s/secrets.json)\n"
           "  hearth target http://127.0.0.1:%d\n"
           "  hearth login %s\n"
           "  hearth push NAME   (then open http://NAME.%s:%d)\n",
           hd->secrets.admin_email, hd->secrets.admin_password, hd->conf->data_dir, hd->ports.cc,
           hd->secrets.admin_email, hd->conf->domain, hd->ports.router);
    fflush(stdout);
}

/* True when warden is not part of this cloud or its socket accepts connections. */
static bool warden_listening(const hd_t *hd)
{
    if (!hd_component_planned(hd, "warden"))
        return true;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/warden.sock", hd->conf->data_dir);
    if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
        return true; /* warden cannot listen there either; its own log says so */
    hc_autoclose int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    return fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

/*
 * "ready" is printed once the admin exists and warden accepts connections, so a push made
 * right after it finds every daemon it needs.
 */
static void admin_ready(uv_timer_t *t)
{
    hd_t *hd = HC_CONTAINER_OF(t, hd_t, admin_timer);
    if (hd->stopping)
        return;
    if (!warden_listening(hd) && ++hd->admin_tries < HD_ADMIN_MAX_TRIES) {
        uv_timer_start(&hd->admin_timer, admin_ready, HD_ADMIN_RETRY_MS / 5, 0);
        return;
    }
    admin_announce(hd);
}

static void on_register(const hc_http_client_result_t *res, void *data)
{
    hd_t *hd = data;
    if (hd->stopping)
        return;
    /* 200/201/204: registered now. 400 with "already exists": registered by an earlier run. */
    if ((res->status >= 200 && res->status < 300) ||
        (res->status == 400 && res->body && strstr(res->body, "already exists"))) {
        hd->admin_tries = 0;
        admin_ready(&hd->admin_timer);
        return;
    }
    if (++hd->admin_tries >= HD_ADMIN_MAX_TRIES) {
        hc_log_error("could not register the admin user", "status",
                     res->error ? res->error : "HTTP error", "body", res->body ? res->body : "");
        return;
    }
    uv_timer_start(&hd->admin_timer, admin_try, HD_ADMIN_RETRY_MS, 0);
}

static void admin_try(uv_timer_t *t)
{
    hd_t *hd = HC_CONTAINER_OF(t, hd_t, admin_timer);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/users", hd->ports.cc);
    json_t *body = hc_json_obj();
    hc_json_set_str(body, "email", hd->secrets.admin_email);
    hc_json_set_str(body, "password", hd->secrets.admin_password);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    hc_assert(text);
    static const char *const headers[] = {"Content-Type: application/json", NULL};
    hc_http_client_opts_t opts = {
        .method = "POST",
        .url = url,
        .headers = headers,
        .body = text,
        .body_len = strlen(text),
        .timeout_ms = 10000,
        .connect_timeout_ms = 1000,
    };
    hc_err_t err;
    if (hc_http_client_request(hd->http, &opts, on_register, hd, NULL, &err) < 0) {
        hc_log_error("admin registration request failed", "err", err.msg);
        uv_timer_start(&hd->admin_timer, admin_try, HD_ADMIN_RETRY_MS, 0);
    }
    free(text);
}

void hd_admin_start(hd_t *hd)
{
    hc_err_t err;
    uv_timer_init(hd->daemon->loop, &hd->admin_timer);
    hd->admin_started = true;
    hd->http = hc_http_client_new(hd->daemon->loop, &err);
    if (!hd->http) {
        hc_log_error("no HTTP client, admin user not registered", "err", err.msg);
        return;
    }
    uv_timer_start(&hd->admin_timer, admin_try, 0, 0);
}

static void on_timer_closed(uv_handle_t *h)
{
    (void)h;
}

void hd_admin_stop(hd_t *hd)
{
    if (!hd->admin_started)
        return;
    hd->admin_started = false;
    uv_close((uv_handle_t *)&hd->admin_timer, on_timer_closed);
    hc_http_client_free(hd->http);
    hd->http = NULL;
}
