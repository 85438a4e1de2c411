/*
 * Supervision: start every child (a backing service's first-start step before it), restart
 * one that dies with backoff, stop them all: hearth's daemons first, then the services they
 * use.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>

#include "hc_fs.h"
#include "hc_time.h"
#include "hd.h"

static void child_spawn(hd_child_t *c);
static void child_on_restart_timer(uv_timer_t *t);
static void services_stop(hd_t *hd);
static size_t hd_running_last(const hd_t *hd);
static void stop_kind(hd_t *hd, bool services, bool last);

static void on_closed(uv_handle_t *h)
{
    (void)h;
}

static void child_backoff(hd_child_t *c)
{
    /* A run long enough resets the backoff; a quick death doubles it. */
    uint64_t ran = hc_now_ms() - c->started_ms;
    if (ran >= HD_HEALTHY_RUN_MS || c->backoff_ms == 0)
        c->backoff_ms = HD_RESTART_MIN_MS;
    else
        c->backoff_ms = HC_MIN(c->backoff_ms * 2, (uint64_t)HD_RESTART_MAX_MS);
}

static void child_on_exit(hc_proc_t *p, int64_t status, int sig, void *ud)
{
    hd_child_t *c = ud;
    hd_t *hd = c->hd;
    char code[32], signame[32];
    snprintf(code, sizeof(code), "%lld", (long long)status);
    snprintf(signame, sizeof(signame), "%d", sig);
    hc_proc_free(p);
    c->proc = NULL;
    hd->running--;
    if (!c->service)
        hd->running_daemons--;
    bool was_init = c->in_init;
    c->in_init = false;
    if (hd->stopping) {
        hc_log_info("component stopped", "component", c->name, "status", code);
        if (hd->running_daemons == 0)
            services_stop(hd);
        if (hd->services_stopping && hd->running > 0 && hd->running == hd_running_last(hd))
            stop_kind(hd, true, true);
        if (hd->running == 0)
            uv_close((uv_handle_t *)&hd->kill_timer, on_closed);
        return;
    }
    if (was_init && status == 0 && sig == 0) {
        /* The first-start step is complete only once its result has its real name. */
        hc_err_t err;
        if (hc_renameat(AT_FDCWD, c->init_tmp, AT_FDCWD, c->init_done) == 0) {
            hc_log_info("service initialised", "component", c->name, "data", c->init_done);
            child_spawn(c);
            return;
        }
        hc_err_set(&err, -errno, "rename `%s`", c->init_tmp);
        hc_log_error("service init could not be completed", "component", c->name, "err", err.msg);
    }
    child_backoff(c);
    char delay[32];
    snprintf(delay, sizeof(delay), "%llums", (unsigned long long)c->backoff_ms);
    hc_log_warn(was_init ? "service init failed, retrying" : "component died, restarting",
                "component", c->name, "status", code, "signal", signame, "in", delay, "log",
                c->log_path);
    uv_timer_start(&c->restart_timer, child_on_restart_timer, c->backoff_ms, 0);
}

static void child_on_restart_timer(uv_timer_t *t)
{
    hd_child_t *c = HC_CONTAINER_OF(t, hd_child_t, restart_timer);
    if (!c->hd->stopping)
        child_spawn(c);
}

static void child_spawn(hd_child_t *c)
{
    struct stat st;
    /* A service whose data dir does not exist yet runs its first-start step (initdb ...). */
    c->in_init = c->init_done && stat(c->init_done, &st) != 0;
    if (c->in_init)
        hd_services_clear_init(c);
    hc_proc_opts_t opts = {
        .file = c->in_init ? c->init_argv[0] : c->bin,
        .argv = c->in_init ? c->init_argv : c->argv,
        .env = c->env,
        .output_path = c->log_path,
        .new_process_group = true,
        .on_exit = child_on_exit,
        .ud = c,
    };
    hc_err_t err;
    c->started_ms = hc_now_ms();
    if (hc_proc_spawn(c->hd->daemon->loop, &opts, &c->proc, &err) < 0) {
        c->in_init = false;
        c->backoff_ms = HC_MIN(HC_MAX(c->backoff_ms * 2, (uint64_t)HD_RESTART_MIN_MS),
                               (uint64_t)HD_RESTART_MAX_MS);
        hc_log_error("component failed to start, retrying", "component", c->name, "err", err.msg);
        uv_timer_start(&c->restart_timer, child_on_restart_timer, c->backoff_ms, 0);
        return;
    }
    c->restarts++;
    c->hd->running++;
    if (!c->service)
        c->hd->running_daemons++;
    char pid[32];
    snprintf(pid, sizeof(pid), "%d", (int)hc_proc_pid(c->proc));
    hc_log_info(c->in_init ? "service initialising" : "component started", "component", c->name,
                "pid", pid, "log", c->log_path);
}

int hd_supervise_start(hd_t *hd, hc_err_t *err)
{
    (void)err;
    uv_timer_init(hd->daemon->loop, &hd->kill_timer);
    for (size_t i = 0; i < hd->nchildren; i++) {
        hd_child_t *c = &hd->children[i];
        uv_timer_init(hd->daemon->loop, &c->restart_timer);
        child_spawn(c);
    }
    return 0;
}

static void on_kill_timer(uv_timer_t *t)
{
    hd_t *hd = HC_CONTAINER_OF(t, hd_t, kill_timer);
    for (size_t i = 0; i < hd->nchildren; i++) {
        hd_child_t *c = &hd->children[i];
        if (c->proc) {
            hc_log_warn("component did not stop in time, killing", "component", c->name);
            hc_proc_kill_group(c->proc, SIGKILL);
        }
    }
}

/*
 * Signals the children of one kind (daemons, services, or the services that stop last), in
 * reverse start order.
 */
static void stop_kind(hd_t *hd, bool services, bool last)
{
    for (size_t i = hd->nchildren; i-- > 0;) {
        hd_child_t *c = &hd->children[i];
        if (c->service != services || c->stop_last != last ||
            uv_is_closing((uv_handle_t *)&c->restart_timer))
            continue; /* not this kind, or signalled already */
        uv_timer_stop(&c->restart_timer);
        uv_close((uv_handle_t *)&c->restart_timer, on_closed);
        if (c->proc)
            hc_proc_kill(c->proc, c->stop_signal ? c->stop_signal : SIGTERM);
    }
}

/* Running children that stop last. */
static size_t hd_running_last(const hd_t *hd)
{
    size_t n = 0;
    for (size_t i = 0; i < hd->nchildren; i++)
        n += hd->children[i].stop_last && hd->children[i].proc;
    return n;
}

/* Once no hearth daemon runs: the broker's redis-servers, then the services themselves. */
static void services_stop(hd_t *hd)
{
    if (hd->services_stopping)
        return;
    hd->services_stopping = true;
    hd_services_stop_redis(hd);
    stop_kind(hd, true, false);
    if (hd->running == hd_running_last(hd))
        stop_kind(hd, true, true);
}

void hd_supervise_stop(hd_t *hd)
{
    if (hd->stopping)
        return;
    hd->stopping = true;
    /* Reverse start order: what acts on others stops before what it depends on. */
    stop_kind(hd, false, false);
    if (hd->running_daemons == 0)
        services_stop(hd);
    if (hd->running > 0)
        uv_timer_start(&hd->kill_timer, on_kill_timer, HD_STOP_GRACE_MS, 0);
    else
        uv_close((uv_handle_t *)&hd->kill_timer, on_closed);
}
