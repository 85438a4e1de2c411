/*
 * Desired state: every app of the CC, read page by page from GET /bulk/apps (HTTP Basic,
 * credentials from the config or from the bus request cloudcontroller.bulk.credentials).
 * A read is taken only when all its pages arrived; a failed read keeps the previous snapshot,
 * which then ages until the freshness guard stops decisions. One read at a time: a refresh
 * asked during a read (droplet.updated) runs again right after it.
 */
#include <stdio.h>
#include <string.h>

#include "hc_json.h"
#include "hc_log.h"
#include "hc_time.h"
#include "hm.h"

#define HM_BULK_BATCH 500
#define HM_CREDS_TIMEOUT_MS 2000

static void fetch_page(hm_t *hm, const char *after);

static void fetch_done(hm_t *hm, bool ok)
{
    hm->fetching = false;
    hm->xfer = NULL;
    if (ok) {
        /* Apps the CC changed a moment ago (by the wall clock): it is acting on them. */
        int64_t wall = hc_wall_ms();
        int64_t grace = (int64_t)hm->engine.policy.restart_timeout_ms;
        for (size_t i = 0; i < hm->fetch_apps.len; i++) {
            hm_app_t *a = &hm->fetch_apps.v[i];
            a->recent = a->updated_at > 0 && a->updated_at < INT64_MAX / 1000 &&
                        wall - a->updated_at * 1000 < grace;
        }
        hm_engine_set_desired(&hm->engine, hm->fetch_apps.v, hm->fetch_apps.len, hm->fetch_started);
        hm->counts.bulk_ok++;
    } else {
        hm->counts.bulk_failed++;
    }
    hm_apps_release(&hm->fetch_apps);
    if (hm->fetch_again && !hm->d->stopping) {
        hm->fetch_again = false;
        hm_desired_refresh(hm);
    }
}

static void on_page(const hc_http_client_result_t *res, void *data)
{
    hm_t *hm = data;
    char next[HM_ID_MAX + 1];
    hc_err_t err;
    hm->xfer = NULL;
    if (res->error || res->status != 200) {
        if (res->status == 401) { /* the CC restarted with new random credentials */
            free(hm->bulk_user);
            free(hm->bulk_password);
            hm->bulk_user = hm->bulk_password = NULL;
        }
        if (!res->error || strcmp(res->error, "cancelled") != 0)
            hc_log_warn("CC bulk read failed", "status", res->status == 0 ? "none" : "http", "err",
                        res->error ? res->error : res->body);
        fetch_done(hm, false);
        return;
    }
    if (hm_wire_bulk_page(res->body, res->body_len, &hm->fetch_apps, next, sizeof(next), &err) <
        0) {
        hc_log_warn("bad CC bulk page", "err", err.msg);
        fetch_done(hm, false);
        return;
    }
    if (!*next) {
        fetch_done(hm, true);
        return;
    }
    fetch_page(hm, next);
}

static void pct_encode(hc_buf_t *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~')
            hc_buf_append(b, s, 1);
        else
            hc_buf_appendf(b, "%%%02X", c);
    }
}

static void fetch_page(hm_t *hm, const char *after)
{
    hc_buf_t url;
    hc_err_t err;
    hc_buf_init(&url, 4096);
    hc_buf_appendf(&url, "%s/bulk/apps?batch_size=%d", hm->conf->cc_url, HM_BULK_BATCH);
    if (*after) {
        hc_autofree char *tok = hc_asprintf("{\"id\":\"%s\"}", after);
        hc_buf_appendf(&url, "&bulk_token=");
        pct_encode(&url, tok);
    }
    hc_http_client_opts_t o = {
        .url = url.data,
        .timeout_ms = hm->conf->cc_timeout_ms,
        .basic_user = hm->bulk_user,
        .basic_password = hm->bulk_password,
        .max_response = HM_WIRE_MAX_PAGE,
    };
    int r =
        url.overflow ? -E2BIG : hc_http_client_request(hm->http, &o, on_page, hm, &hm->xfer, &err);
    hc_buf_release(&url);
    if (r < 0) {
        hc_log_warn("CC bulk request failed", "err", url.overflow ? "url too long" : err.msg);
        fetch_done(hm, false);
    }
}

static void on_creds(hc_bus_t *bus, int status, const char *data, size_t len, void *ud)
{
    hm_t *hm = ud;
    json_t *o = NULL;
    const char *user, *pass;
    hc_err_t err;
    (void)bus;
    hm->asking_creds = false;
    if (status == HC_BUS_CANCELED)
        return;
    if (status != HC_BUS_OK || hc_json_parse_obj(data, len, 4096, &o, &err) < 0 ||
        hc_json_get_str(o, "user", &user, &err) < 0 ||
        hc_json_get_str(o, "password", &pass, &err) < 0) {
        hc_log_warn("no bulk API credentials from the CC", "err",
                    status != HC_BUS_OK ? strerror(-status) : err.msg);
        json_decref(o);
        fetch_done(hm, false);
        return;
    }
    hm->bulk_user = hc_strdup(user);
    hm->bulk_password = hc_strdup(pass);
    json_decref(o);
    fetch_page(hm, "");
}

void hm_desired_refresh(hm_t *hm)
{
    if (hm->d->stopping || !hm->http)
        return;
    if (hm->fetching) {
        hm->fetch_again = true;
        return;
    }
    hm->fetching = true;
    hm->fetch_started = uv_now(hm->loop);
    hm_apps_release(&hm->fetch_apps);
    if (!hm->bulk_user && hm->conf->cc_user) {
        hm->bulk_user = hc_strdup(hm->conf->cc_user);
        hm->bulk_password = hc_strdup(hm->conf->cc_password ? hm->conf->cc_password : "");
    }
    if (hm->bulk_user) {
        fetch_page(hm, "");
        return;
    }
    static const char empty[] = "{}";
    hm->asking_creds = true;
    if (hc_bus_request(hm->bus, "cloudcontroller.bulk.credentials", empty, sizeof(empty) - 1,
                       HM_CREDS_TIMEOUT_MS, on_creds, hm) < 0) {
        hm->asking_creds = false;
        fetch_done(hm, false);
    }
}

void hm_desired_cancel(hm_t *hm)
{
    hm->fetch_again = false;
    if (hm->xfer)
        hc_http_client_cancel(hm->xfer);
}
