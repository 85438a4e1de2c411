/* The micro cloud's admin user: registered with the CC as soon as it answers. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

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

static void on_register(int status, const char *body, size_t body_len, const char *error,
                        void *data)
{
    hd_t *hd = data;
    hd->admin_post = NULL;
    if (hd->stopping)
        return;
    /* 200/201/204: registered now. 400 with "already exists": registered by an earlier run. */
    hc_autofree char *text = body ? hc_strndup(body, body_len) : NULL;
    if ((status >= 200 && status < 300) ||
        (status == 400 && text && strstr(text, "already exists"))) {
        hd->admin_tries = 0;
        admin_ready(&hd->admin_timer);
        return;
    }
    if (++hd->admin_tries >= HD_ADMIN_MAX_TRIES) {
        char code[16];
        snprintf(code, sizeof(code), "%d", status);
        hc_log_error("could not register the admin user", "status", error ? error : code, "body",
                     text ? text : "");
        return;
    }
    uv_timer_start(&hd->admin_timer, admin_try, HD_ADMIN_RETRY_MS, 0);
}

static void admin_try(uv_timer_t *t)
{
    hd_t *hd = HC_CONTAINER_OF(t, hd_t, admin_timer);
    json_t *body = hc_json_obj();
    hc_json_set_str(body, "email", hd->secrets.admin_email);
    hc_json_set_str(body, "password", hd->secrets.admin_password);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    hc_assert(text);
    hc_err_t err;
    if (hd_post(hd->daemon->loop, hd->ports.cc, "/users", text, 10000, on_register, hd,
                &hd->admin_post, &err) < 0) {
        hc_log_error("admin registration request failed", "err", err.msg);
        uv_timer_start(&hd->admin_timer, admin_try, HD_ADMIN_RETRY_MS, 0);
    }
    free(text);
}

void hd_admin_start(hd_t *hd)
{
    uv_timer_init(hd->daemon->loop, &hd->admin_timer);
    hd->admin_started = true;
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
    hd_post_cancel(hd->admin_post);
    hd->admin_post = NULL;
}
