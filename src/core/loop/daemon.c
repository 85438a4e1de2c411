/*
 * The daemon skeleton: one libuv loop, signals turned into loop events (STYLE R21), a
 * graceful stop with a deadline, and a loop that always ends with every handle closed.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "hc_daemon.h"
#include "hc_log.h"

void hc_daemon_init(hc_daemon_t *d, const hc_daemon_spec_t *spec, void *conf, void *data)
{
    memset(d, 0, sizeof(*d));
    d->spec = spec;
    d->conf = conf;
    d->data = data;
    hc_conf_defaults(spec->conf_opts, conf);
}

void hc_daemon_release(hc_daemon_t *d)
{
    hc_conf_free(d->spec->conf_opts, d->conf);
}

static void close_walk_cb(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

int hc_daemon_close_loop(uv_loop_t *loop)
{
    uv_walk(loop, close_walk_cb, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    return uv_loop_close(loop);
}

static void on_stop_timeout(uv_timer_t *t)
{
    hc_daemon_t *d = t->data;
    hc_log_warn("graceful stop timed out, closing what is left");
    if (d->exit_code == 0)
        d->exit_code = 1;
    uv_stop(d->loop);
}

void hc_daemon_stop(hc_daemon_t *d)
{
    if (d->stopping || !d->loop)
        return;
    d->stopping = true;
    /* Our own handles must not keep the loop alive: it ends when the daemon's are closed.
     * The signal handles stay active so a second signal still forces the exit. */
    uv_unref((uv_handle_t *)&d->_sigterm);
    uv_unref((uv_handle_t *)&d->_sigint);
    uv_unref((uv_handle_t *)&d->_sighup);
    uint64_t timeout =
        d->spec->stop_timeout_ms ? d->spec->stop_timeout_ms : HC_DAEMON_STOP_TIMEOUT_MS;
    uv_timer_start(&d->_stop_timer, on_stop_timeout, timeout, 0);
    uv_unref((uv_handle_t *)&d->_stop_timer);
    if (d->spec->stop)
        d->spec->stop(d);
    else
        uv_stop(d->loop);
}

static void on_stop_signal(uv_signal_t *h, int signum)
{
    hc_daemon_t *d = h->data;
    const char *name = signum == SIGINT ? "SIGINT" : "SIGTERM";
    if (signum == SIGTERM && d->spec->term && !d->terminating && !d->stopping) {
        d->terminating = true;
        hc_log_info("terminating", "signal", name);
        d->spec->term(d);
        return;
    }
    if (d->stopping) {
        hc_log_warn("second stop signal, exiting now", "signal", name);
        _exit(1);
    }
    hc_log_info("stopping", "signal", name);
    hc_daemon_stop(d);
}

static void on_sighup(uv_signal_t *h, int signum)
{
    (void)signum;
    hc_daemon_t *d = h->data;
    int r = hc_log_reopen();
    if (r < 0)
        hc_log_errno(r, "cannot reopen the log file, keeping the old one", NULL);
    else
        hc_log_info("log reopened", "signal", "SIGHUP");
    if (d->spec->reload)
        d->spec->reload(d);
}

/* Applies log.level and log.file when the daemon's table has them. */
static int apply_log(hc_daemon_t *d, hc_err_t *err)
{
    const hc_conf_opt_t *opts = d->spec->conf_opts;
    const hc_conf_opt_t *level = hc_conf_find(opts, HC_DAEMON_KEY_LOG_LEVEL);
    const hc_conf_opt_t *file = hc_conf_find(opts, HC_DAEMON_KEY_LOG_FILE);
    const char *path = NULL;
    if (level) {
        hc_assert(level->type == HC_CONF_T_ENUM);
        memcpy(&hc_log_level, hc_conf_field(level, d->conf), sizeof(int));
    }
    if (file) {
        hc_assert(file->type == HC_CONF_T_STR);
        path = *(char **)hc_conf_field(file, d->conf);
    }
    int r = hc_log_open(d->spec->comp, path);
    if (r < 0)
        return hc_err_set(err, r, "log.file: cannot open %s", path);
    return 0;
}

static int install_signals(hc_daemon_t *d)
{
    struct sigaction sa = {.sa_handler = SIG_IGN};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, NULL);
    struct {
        uv_signal_t *h;
        uv_signal_cb cb;
        int signum;
    } sigs[] = {
        {&d->_sigterm, on_stop_signal, SIGTERM},
        {&d->_sigint, on_stop_signal, SIGINT},
        {&d->_sighup, on_sighup, SIGHUP},
    };
    for (size_t i = 0; i < HC_ARRAY_SIZE(sigs); i++) {
        int r = uv_signal_init(d->loop, sigs[i].h);
        if (r < 0)
            return r;
        sigs[i].h->data = d;
        r = uv_signal_start(sigs[i].h, sigs[i].cb, sigs[i].signum);
        if (r < 0)
            return r;
    }
    int r = uv_timer_init(d->loop, &d->_stop_timer);
    d->_stop_timer.data = d;
    return r;
}

int hc_daemon_run(hc_daemon_t *d, hc_err_t *err)
{
    int r = apply_log(d, err);
    if (r < 0)
        return r;
    r = uv_loop_init(&d->_loop);
    if (r < 0)
        return hc_err_set(err, r, "create the event loop");
    d->loop = &d->_loop;
    d->loop->data = d;
    d->stopping = false;
    r = install_signals(d);
    if (r < 0) {
        hc_err_set(err, r, "install signal handlers");
        goto out;
    }
    if (d->spec->start) {
        r = d->spec->start(d, err);
        if (r < 0)
            goto out;
    }
    hc_log_info("started", "version", HEARTH_VERSION, "config",
                d->conf_path ? d->conf_path : "(built-in defaults)");
    uv_run(d->loop, UV_RUN_DEFAULT);
    hc_log_info("stopped");
    r = 0;
out:
    if (hc_daemon_close_loop(d->loop) < 0)
        hc_log_warn("event loop closed with requests pending, ignoring");
    d->loop = NULL;
    return r;
}

int hc_daemon_main(const hc_daemon_spec_t *spec, void *conf, void *data, int argc, char **argv)
{
    hc_daemon_t d;
    hc_err_t err;
    hc_err_clear(&err);
    hc_daemon_init(&d, spec, conf, data);
    int code;
    int r = hc_daemon_configure(&d, argc, argv, stdout, &err);
    if (r == HC_DAEMON_DONE) {
        code = 0;
    } else if (r < 0) {
        fprintf(stderr, "%s: %s\nTry '%s --help'.\n", spec->name, err.msg, spec->name);
        code = 2;
    } else {
        r = hc_daemon_run(&d, &err);
        if (r < 0) {
            hc_log_error("cannot start", "err", err.msg);
            code = 1;
        } else {
            code = d.exit_code;
        }
    }
    hc_daemon_release(&d);
    hc_log_close();
    return code;
}
