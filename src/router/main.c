/* hearth-router: the HTTP router, its route table fed by the bus (DESIGN §2 "Serve"). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "hc_bus.h"
#include "hc_daemon.h"
#include "rtr.h"

static int rtr_spec_check(hc_daemon_t *d, hc_err_t *err)
{
    return rtr_conf_check(d->conf, err);
}

static int rtr_spec_start(hc_daemon_t *d, hc_err_t *err)
{
    return rtr_init(d->data, d->loop, d->conf, err);
}

static void rtr_spec_stop(hc_daemon_t *d)
{
    rtr_start_drain(d->data);
}

static const hc_daemon_spec_t spec = {
    .name = "hearth-router",
    .comp = "router",
    .summary = "HTTP router, its route table fed by the bus (gorouter's registration)",
    .conf_opts = rtr_conf_opts,
    .opts = rtr_daemon_opts,
    .check = rtr_spec_check,
    .start = rtr_spec_start,
    .stop = rtr_spec_stop,
};

static int run_one(hc_daemon_t *d)
{
    hc_err_t err;
    int rc = hc_daemon_run(d, &err);
    if (rc < 0)
        hc_log_error("cannot start", "err", err.msg, NULL);
    hc_bus_lib_close(2000);
    return rc < 0 ? 1 : d->exit_code;
}

/* Several processes share the ports with SO_REUSEPORT; each has its own table and bus link. */
static int run_workers(hc_daemon_t *d, unsigned n)
{
    pid_t pids[64];
    int status, rc = 0;
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, &old);
    unsigned started = 0;
    for (unsigned i = 0; i < n; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            sigprocmask(SIG_SETMASK, &old, NULL);
            _exit(run_one(d));
        }
        if (pids[i] > 0)
            started++;
        else
            rc = 1;
    }
    /* The parent forwards the stop signal and waits for every worker. */
    for (unsigned left = started; left > 0;) {
        int sig;
        pid_t p = waitpid(-1, &status, WNOHANG);
        if (p > 0) {
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                rc = 1;
            left--;
            continue;
        }
        struct timespec ts = {0, 200 * 1000 * 1000};
        sig = sigtimedwait(&set, NULL, &ts);
        if (sig > 0)
            for (unsigned i = 0; i < n; i++)
                if (pids[i] > 0)
                    kill(pids[i], sig);
    }
    return rc;
}

int main(int argc, char **argv)
{
    static rtr_conf_t conf;
    static rtr_t rtr;
    hc_daemon_t d;
    hc_err_t err;

    hc_daemon_init(&d, &spec, &conf, &rtr);
    int rc = hc_daemon_configure(&d, argc, argv, stdout, &err);
    if (rc == HC_DAEMON_DONE) {
        rc = 0;
    } else if (rc < 0) {
        fprintf(stderr, "hearth-router: %s\n", err.msg);
        rc = 2;
    } else {
        rc = conf.workers > 1 ? run_workers(&d, conf.workers) : run_one(&d);
    }
    free(conf.nats_url);
    hc_daemon_release(&d);
    return rc;
}
