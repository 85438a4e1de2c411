/*
 * drain.c - removal of a destroyed container's cgroups off the request path. Killed
 * processes leave a cgroup only once reaped (by the host's init, for a container's init), so
 * the rmdir that follows the kill usually fails with EBUSY for a millisecond or so. Instead of
 * sleeping on the loop, destroy answers at once and a timer retries with backoff.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hc_log.h"
#include "wdn_daemon.h"

#define DRAIN_FIRST_MS 1
#define DRAIN_MAX_MS 200
#define DRAIN_GIVE_UP_MS (30 * 1000)

struct wdn_drain_s {
    wdn_drain_t *next;
    wdn_daemon_t *d;
    uv_timer_t timer;
    uint64_t delay, waited;
    char handle[WDN_MAX_HANDLE + 8];
};

static void drain_closed(uv_handle_t *h)
{
    free(HC_CONTAINER_OF((uv_timer_t *)h, wdn_drain_t, timer));
}

static void drain_forget(wdn_drain_t *dr)
{
    wdn_daemon_t *d = dr->d;
    for (wdn_drain_t **pp = &d->drains; *pp; pp = &(*pp)->next) {
        if (*pp == dr) {
            *pp = dr->next;
            break;
        }
    }
    uv_timer_stop(&dr->timer);
    uv_close((uv_handle_t *)&dr->timer, drain_closed);
}

static void on_drain(uv_timer_t *t)
{
    wdn_drain_t *dr = HC_CONTAINER_OF(t, wdn_drain_t, timer);
    hc_err_t err = {0};
    int r = wdn_cg_remove_once(&dr->d->cg, dr->handle, &err);
    dr->waited += dr->delay;
    if (r == -EBUSY && dr->waited < DRAIN_GIVE_UP_MS) {
        dr->delay = HC_MIN(dr->delay * 2, DRAIN_MAX_MS);
        uv_timer_start(&dr->timer, on_drain, dr->delay, 0);
        return;
    }
    if (r < 0)
        hc_log_warn("cgroup cleanup failed, ignoring", "handle", dr->handle, "err", err.msg);
    drain_forget(dr);
}

void wdn_drain_cgroup(wdn_daemon_t *d, const char *handle)
{
    hc_err_t err = {0};
    int r = wdn_cg_remove_once(&d->cg, handle, &err);
    if (r == 0)
        return;
    if (r != -EBUSY || d->stopping) {
        hc_log_warn("cgroup cleanup failed, ignoring", "handle", handle, "err", err.msg);
        return;
    }
    wdn_drain_t *dr = hc_calloc(1, sizeof(*dr));
    dr->d = d;
    snprintf(dr->handle, sizeof(dr->handle), "%s", handle);
    dr->delay = DRAIN_FIRST_MS;
    uv_timer_init(d->loop, &dr->timer);
    uv_timer_start(&dr->timer, on_drain, dr->delay, 0);
    dr->next = d->drains;
    d->drains = dr;
}

int wdn_drain_finish(wdn_daemon_t *d, const char *handle, hc_err_t *err)
{
    for (wdn_drain_t *dr = d->drains; dr; dr = dr->next) {
        if (strcmp(dr->handle, handle) != 0)
            continue;
        drain_forget(dr);
        return wdn_cg_destroy(&d->cg, handle, err);
    }
    return 0;
}

void wdn_drain_stop(wdn_daemon_t *d)
{
    while (d->drains)
        drain_forget(d->drains);
}
