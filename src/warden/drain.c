/*
 * drain.c - what is left of a destroyed container once its processes are killed, removed off
 * the loop: its mounts (disk tmpfs, state tmpfs) and directory, and its cgroups. Each of these
 * steps can wait on the kernel for milliseconds (unmounting, and removing a memory cgroup,
 * wait for RCU grace periods), so they run on libuv's thread pool; destroy answers at once.
 * Killed processes leave a cgroup only once reaped (by the host's init, for a container's
 * init), so the cgroup step is retried by a timer with backoff while it reports EBUSY.
 *
 * It goes in two steps. First every process of the cgroups is killed until none is listed
 * (dead and reaped): only then is the destroy request answered, so nothing of a destroyed
 * container runs or answers on its ports after the reply. Then the mounts, directory and
 * cgroups are removed, which the reply does not wait for.
 *
 * The work function allocates nothing (see job.c: the daemon's raw forks rely on that). A
 * create that reuses the handle of a container still draining waits until the drain is over.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "hc_log.h"
#include "lib/wdn_util.h"
#include "wdn_daemon.h"

#define DRAIN_FIRST_MS 1
#define DRAIN_MAX_MS 200
#define DRAIN_GIVE_UP_MS (30 * 1000)

struct wdn_drain_s {
    wdn_drain_t *next;
    wdn_daemon_t *d;
    uv_work_t work;
    uv_timer_t timer;
    bool working;
    uint64_t delay, waited;
    char handle[WDN_MAX_HANDLE + 8];
    char cdir[PATH_MAX]; /* "" once the directory is dealt with */
    int fs_result, cg_result;
    hc_err_t err;
    bool dead;              /* step 1 over: no process left */
    int left;               /* processes still listed after the last kill pass */
    wdn_call_t *waiters[8]; /* creates of the same handle, served when done */
    size_t nwaiters;
    wdn_call_t *destroys[8]; /* destroy requests, answered once dead */
    size_t ndestroys;
};

static void answer_destroys(wdn_drain_t *dr)
{
    for (size_t i = 0; i < dr->ndestroys; i++)
        wdn_call_done(dr->destroys[i], json_object()); /* no connection: dropped */
    dr->ndestroys = 0;
}

static void drain_work(uv_work_t *w)
{
    wdn_drain_t *dr = HC_CONTAINER_OF(w, wdn_drain_t, work);
    if (!dr->dead) {
        dr->left = wdn_cg_kill_all(&dr->d->cg, dr->handle);
        return;
    }
    if (dr->cdir[0]) {
        char p[PATH_MAX];
        if (wdn_path(p, sizeof(p), "%s/disk", dr->cdir) == 0)
            (void)umount2(p, MNT_DETACH);
        if (wdn_path(p, sizeof(p), "%s/rootfs", dr->cdir) == 0)
            (void)umount2(p, MNT_DETACH);
        (void)umount2(dr->cdir, MNT_DETACH);
        dr->fs_result = rmdir(dr->cdir) == 0 || errno == ENOENT ? 0 : -errno;
    }
    dr->cg_result = wdn_cg_remove_once(&dr->d->cg, dr->handle, &dr->err);
}

static void drain_closed(uv_handle_t *h)
{
    free(HC_CONTAINER_OF((uv_timer_t *)h, wdn_drain_t, timer));
}

static void drain_end(wdn_drain_t *dr)
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
    answer_destroys(dr);
    /* Creates that waited for this handle go ahead now. */
    for (size_t i = 0; i < dr->nwaiters; i++) {
        wdn_call_t *call = dr->waiters[i];
        if (call->conn)
            wdn_handle(call);
        else
            wdn_call_fail(call, -ECANCELED, "connection closed"); /* frees it */
    }
}

static void on_retry(uv_timer_t *t);
static void drain_queue(wdn_drain_t *dr);

static void drain_done(uv_work_t *w, int status)
{
    wdn_drain_t *dr = HC_CONTAINER_OF(w, wdn_drain_t, work);
    dr->working = false;
    if (!dr->dead) {
        if (status == 0 && dr->left > 0 && dr->waited < DRAIN_GIVE_UP_MS && !dr->d->stopping) {
            dr->waited += dr->delay;
            uv_timer_start(&dr->timer, on_retry, dr->delay, 0);
            dr->delay = HC_MIN(dr->delay * 2, DRAIN_MAX_MS);
            return;
        }
        if (dr->left > 0)
            hc_log_warn("processes survive their container's destroy", "handle", dr->handle);
        dr->dead = true;
        dr->delay = DRAIN_FIRST_MS;
        dr->waited = 0;
        answer_destroys(dr);
        drain_queue(dr);
        return;
    }
    if (dr->cdir[0]) {
        if (dr->fs_result == -ENOTEMPTY || dr->fs_result == -EEXIST) {
            /* A directory of an older layout, with files on the data dir's disk. */
            int r = wdn_rm_rf(dr->cdir);
            if (r < 0)
                hc_log_warn("cannot remove container dir, ignoring", "path", dr->cdir, "err",
                            strerror(-r));
        } else if (dr->fs_result < 0) {
            hc_log_warn("cannot remove container dir, ignoring", "path", dr->cdir, "err",
                        strerror(-dr->fs_result));
        }
        dr->cdir[0] = '\0';
    }
    if (status == 0 && dr->cg_result == -EBUSY && dr->waited < DRAIN_GIVE_UP_MS &&
        !dr->d->stopping) {
        dr->waited += dr->delay;
        uv_timer_start(&dr->timer, on_retry, dr->delay, 0);
        dr->delay = HC_MIN(dr->delay * 2, DRAIN_MAX_MS);
        return;
    }
    if (dr->cg_result < 0 && !dr->d->stopping)
        hc_log_warn("cgroup cleanup failed, ignoring", "handle", dr->handle, "err", dr->err.msg);
    drain_end(dr);
}

static void drain_queue(wdn_drain_t *dr)
{
    dr->working = true;
    if (uv_queue_work(dr->d->loop, &dr->work, drain_work, drain_done) < 0) {
        drain_work(&dr->work);
        drain_done(&dr->work, 0);
    }
}

static void on_retry(uv_timer_t *t)
{
    drain_queue(HC_CONTAINER_OF(t, wdn_drain_t, timer));
}

void wdn_drain_start(wdn_daemon_t *d, const char *handle, const char *cdir)
{
    wdn_drain_t *dr = hc_calloc(1, sizeof(*dr));
    dr->d = d;
    snprintf(dr->handle, sizeof(dr->handle), "%s", handle);
    snprintf(dr->cdir, sizeof(dr->cdir), "%s", cdir ? cdir : "");
    dr->delay = DRAIN_FIRST_MS;
    uv_timer_init(d->loop, &dr->timer);
    dr->next = d->drains;
    d->drains = dr;
    drain_queue(dr);
}

bool wdn_drain_wait(wdn_daemon_t *d, wdn_call_t *call, const char *handle)
{
    for (wdn_drain_t *dr = d->drains; dr; dr = dr->next) {
        if (strcmp(dr->handle, handle) != 0)
            continue;
        if (dr->nwaiters == HC_ARRAY_SIZE(dr->waiters))
            return false; /* the caller answers "busy" */
        dr->waiters[dr->nwaiters++] = call;
        return true;
    }
    return false;
}

bool wdn_drain_when_dead(wdn_daemon_t *d, const char *handle, wdn_call_t *call)
{
    for (wdn_drain_t *dr = d->drains; dr; dr = dr->next) {
        if (strcmp(dr->handle, handle) != 0 || dr->dead)
            continue;
        if (dr->ndestroys == HC_ARRAY_SIZE(dr->destroys))
            return false;
        dr->destroys[dr->ndestroys++] = call;
        return true;
    }
    return false;
}

bool wdn_drain_pending(wdn_daemon_t *d, const char *handle)
{
    for (wdn_drain_t *dr = d->drains; dr; dr = dr->next)
        if (strcmp(dr->handle, handle) == 0)
            return true;
    return false;
}

void wdn_drain_stop(wdn_daemon_t *d)
{
    /* Timers waiting for a retry end now; work in flight ends in drain_done. What is left is
     * cleaned on the next start (orphaned cgroups, dead containers). */
    wdn_drain_t *next;
    for (wdn_drain_t *dr = d->drains; dr; dr = next) {
        next = dr->next;
        if (!dr->working)
            drain_end(dr);
    }
}
