/* wctl.c - the DEA's shared control connection to warden (stop, info, destroy). */
#include <errno.h>
#include <string.h>

#include "dea.h"
#include "hc_log.h"

#define WCTL_RETRY_MS 100
#define WCTL_MAX_HELD HC_WARDEN_MAX_QUEUE

typedef struct dea_wreq_s {
    struct dea_wreq_s *next;
    json_t *req;
    hc_warden_cb cb;
    void *data;
} dea_wreq_t;

static void wctl_connect(dea_t *dea);

static void send_held(dea_t *dea)
{
    while (dea->wctl_head && hc_warden_connected(dea->wctl)) {
        dea_wreq_t *r = dea->wctl_head;
        dea->wctl_head = r->next;
        if (!dea->wctl_head)
            dea->wctl_tail = NULL;
        dea->wctl_held--;
        if (hc_warden_request(dea->wctl, r->req, r->cb, r->data) < 0)
            r->cb(NULL, NULL, false, "warden refused the request", r->data);
        free(r);
    }
}

static void fail_held(dea_t *dea, const char *why)
{
    while (dea->wctl_head) {
        dea_wreq_t *r = dea->wctl_head;
        dea->wctl_head = r->next;
        dea->wctl_held--;
        json_decref(r->req);
        r->cb(NULL, NULL, false, why, r->data);
        free(r);
    }
    dea->wctl_tail = NULL;
}

static void on_retry(uv_timer_t *t)
{
    dea_t *dea = t->data;
    if (!dea->stopped)
        wctl_connect(dea);
}

static void on_connect(hc_warden_t *w, int status, void *data)
{
    dea_t *dea = data;
    if (w != dea->wctl)
        return; /* a connection given up on (the DEA is stopping) */
    dea->wctl_connecting = false;
    if (status < 0) {
        hc_log_debug("warden not reachable yet", "socket", dea->conf->warden_socket, "err",
                     uv_strerror(status));
        dea->wctl = NULL;
        hc_warden_free(w);
        if (!dea->stopped)
            uv_timer_start(&dea->wctl_timer, on_retry, WCTL_RETRY_MS, 0);
        return;
    }
    hc_log_info("warden connected", "socket", dea->conf->warden_socket);
    send_held(dea);
}

static void wctl_connect(dea_t *dea)
{
    if (dea->wctl_connecting || dea->stopped)
        return;
    if (dea->wctl) {
        if (hc_warden_connected(dea->wctl))
            return;
        hc_log_warn("warden connection lost; reconnecting", "socket", dea->conf->warden_socket);
        hc_warden_free(dea->wctl); /* broken: its pending requests already failed */
        dea->wctl = NULL;
    }
    dea->wctl = hc_warden_new(dea->loop, dea->conf->warden_socket);
    dea->wctl_connecting = true;
    if (hc_warden_connect(dea->wctl, on_connect, dea) < 0) {
        dea->wctl_connecting = false;
        hc_warden_free(dea->wctl);
        dea->wctl = NULL;
        uv_timer_start(&dea->wctl_timer, on_retry, WCTL_RETRY_MS, 0);
    }
}

void dea_wctl_start(dea_t *dea)
{
    uv_timer_init(dea->loop, &dea->wctl_timer);
    dea->wctl_timer.data = dea;
    wctl_connect(dea);
}

void dea_wctl_stop(dea_t *dea)
{
    if (dea->wctl_timer.type == UV_TIMER && !uv_is_closing((uv_handle_t *)&dea->wctl_timer))
        uv_close((uv_handle_t *)&dea->wctl_timer, NULL);
    fail_held(dea, "the DEA is stopping");
    hc_warden_free(dea->wctl);
    dea->wctl = NULL;
    dea->wctl_connecting = false;
}

void dea_wctl_request(dea_t *dea, json_t *req, hc_warden_cb cb, void *data)
{
    if (dea->stopped) {
        json_decref(req);
        cb(NULL, NULL, false, "the DEA is stopping", data);
        return;
    }
    if (hc_warden_connected(dea->wctl) && !dea->wctl_head) {
        int r = hc_warden_request(dea->wctl, req, cb, data);
        if (r == 0)
            return;
        if (r != -ENOTCONN) {
            cb(NULL, NULL, false, "warden request refused", data);
            return;
        }
        /* the request was consumed: nothing to hold */
        cb(NULL, NULL, false, "warden connection lost", data);
        wctl_connect(dea);
        return;
    }
    if (dea->wctl_held >= WCTL_MAX_HELD) {
        json_decref(req);
        cb(NULL, NULL, false, "too many requests waiting for warden", data);
        return;
    }
    dea_wreq_t *r = hc_calloc(1, sizeof(*r));
    r->req = req;
    r->cb = cb;
    r->data = data;
    if (dea->wctl_tail)
        dea->wctl_tail->next = r;
    else
        dea->wctl_head = r;
    dea->wctl_tail = r;
    dea->wctl_held++;
    wctl_connect(dea);
}

/* ---- per-task connections (an instance's stream, a staging task), retried for a while ---- */

typedef struct wconn_s {
    dea_t *dea;
    hc_warden_connect_cb cb;
    void *data;
    uint64_t deadline;
    uv_timer_t timer;
    int last;
} wconn_t;

static void wconn_closed(uv_handle_t *h)
{
    free(h->data);
}

static void wconn_end(wconn_t *j, hc_warden_t *w, int status)
{
    j->cb(w, status, j->data);
    uv_close((uv_handle_t *)&j->timer, wconn_closed);
}

static void wconn_attempt(wconn_t *j);

static void wconn_on_timer(uv_timer_t *t)
{
    wconn_attempt(t->data);
}

static void wconn_on_connect(hc_warden_t *w, int status, void *data)
{
    wconn_t *j = data;
    if (status == 0 && !j->dea->stopped) {
        wconn_end(j, w, 0);
        return;
    }
    hc_warden_free(w);
    j->last = status < 0 ? status : UV_ECANCELED;
    if (j->dea->stopped || uv_now(j->dea->loop) >= j->deadline) {
        wconn_end(j, NULL, j->last);
        return;
    }
    hc_log_debug("warden not reachable, retrying", "err", uv_strerror(j->last));
    uv_timer_start(&j->timer, wconn_on_timer, WCTL_RETRY_MS, 0);
}

static void wconn_attempt(wconn_t *j)
{
    if (j->dea->stopped) {
        wconn_end(j, NULL, UV_ECANCELED);
        return;
    }
    hc_warden_t *w = hc_warden_new(j->dea->loop, j->dea->conf->warden_socket);
    int r = hc_warden_connect(w, wconn_on_connect, j);
    if (r < 0)
        wconn_on_connect(w, r, j);
}

void dea_warden_connect(dea_t *dea, hc_warden_connect_cb cb, void *data)
{
    wconn_t *j = hc_calloc(1, sizeof(*j));
    j->dea = dea;
    j->cb = cb;
    j->data = data;
    j->deadline = uv_now(dea->loop) + dea->conf->warden_retry_ms;
    uv_timer_init(dea->loop, &j->timer);
    j->timer.data = j;
    wconn_attempt(j);
}
