/* Supervision: start every child, restart one that dies with backoff, stop them all. */
#include <signal.h>
#include <stdio.h>

#include "hc_time.h"
#include "hd.h"

static void child_spawn(hd_child_t *c);
static void child_on_restart_timer(uv_timer_t *t);

static void on_closed(uv_handle_t *h)
{
    (void)h;
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
    if (hd->stopping) {
        hc_log_info("component stopped", "component", c->name, "status", code);
        if (hd->running == 0)
            uv_close((uv_handle_t *)&hd->kill_timer, on_closed);
        return;
    }
    /* A run long enough resets the backoff; a quick death doubles it. */
    uint64_t ran = hc_now_ms() - c->started_ms;
    if (ran >= HD_HEALTHY_RUN_MS || c->backoff_ms == 0)
        c->backoff_ms = HD_RESTART_MIN_MS;
    else
        c->backoff_ms = HC_MIN(c->backoff_ms * 2, (uint64_t)HD_RESTART_MAX_MS);
    char delay[32];
    snprintf(delay, sizeof(delay), "%llums", (unsigned long long)c->backoff_ms);
    hc_log_warn("component died, restarting", "component", c->name, "status", code, "signal",
                signame, "in", delay, "log", c->log_path);
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
    hc_proc_opts_t opts = {
        .file = c->bin,
        .argv = c->argv,
        .output_path = c->log_path,
        .new_process_group = true,
        .on_exit = child_on_exit,
        .ud = c,
    };
    hc_err_t err;
    c->started_ms = hc_now_ms();
    if (hc_proc_spawn(c->hd->daemon->loop, &opts, &c->proc, &err) < 0) {
        c->backoff_ms = HC_MIN(HC_MAX(c->backoff_ms * 2, (uint64_t)HD_RESTART_MIN_MS),
                               (uint64_t)HD_RESTART_MAX_MS);
        hc_log_error("component failed to start, retrying", "component", c->name, "err", err.msg);
        uv_timer_start(&c->restart_timer, child_on_restart_timer, c->backoff_ms, 0);
        return;
    }
    c->restarts++;
    c->hd->running++;
    char pid[32];
    snprintf(pid, sizeof(pid), "%d", (int)hc_proc_pid(c->proc));
    hc_log_info("component started", "component", c->name, "pid", pid, "log", c->log_path);
}

int hd_supervise_start(hd_t *hd, hc_err_t *err)
{
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

void hd_supervise_stop(hd_t *hd)
{
    if (hd->stopping)
        return;
    hd->stopping = true;
    /* Reverse start order: what acts on others stops before what it depends on. */
    for (size_t i = hd->nchildren; i-- > 0;) {
        hd_child_t *c = &hd->children[i];
        uv_timer_stop(&c->restart_timer);
        uv_close((uv_handle_t *)&c->restart_timer, on_closed);
        if (c->proc)
            hc_proc_kill(c->proc, SIGTERM);
    }
    if (hd->running > 0)
        uv_timer_start(&hd->kill_timer, on_kill_timer, HD_STOP_GRACE_MS, 0);
    else
        uv_close((uv_handle_t *)&hd->kill_timer, on_closed);
}
