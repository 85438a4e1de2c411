/* hearth-router: the HTTP router, its route table fed by the bus (DESIGN §2 "Serve"). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "hc_bus.h"
#include "hc_log.h"
#include "rtr.h"

static int run_one(const rtr_conf_t *conf)
{
    uv_loop_t loop;
    rtr_t *r = hc_calloc(1, sizeof(*r));
    hc_err_t err;
    int rc;

    uv_loop_init(&loop);
    rc = rtr_init(r, &loop, conf, &err);
    if (rc < 0) {
        hc_log_error("cannot start", "err", err.msg, NULL);
        rtr_close(r);
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
        free(r);
        return 1;
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    hc_log_info("stopped", NULL);
    uv_loop_close(&loop);
    free(r);
    hc_bus_lib_close(2000);
    return 0;
}

static volatile sig_atomic_t got_signal;

static void on_parent_signal(int sig)
{
    got_signal = sig;
}

/* Several processes share the ports with SO_REUSEPORT; each has its own table and bus link. */
static int run_workers(const rtr_conf_t *conf)
{
    pid_t pids[64];
    int n = conf->workers, status, rc = 0;
    for (int i = 0; i < n; i++) {
        pids[i] = fork();
        if (pids[i] < 0)
            return hc_log_errno(-errno, "fork failed", NULL) < 0;
        if (pids[i] == 0)
            _exit(run_one(conf));
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_parent_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    for (int left = n; left > 0;) {
        pid_t p = waitpid(-1, &status, 0);
        if (p < 0 && errno == EINTR) {
            for (int i = 0; i < n; i++)
                if (pids[i] > 0)
                    kill(pids[i], SIGTERM);
            continue;
        }
        if (p < 0)
            break;
        for (int i = 0; i < n; i++)
            if (pids[i] == p)
                pids[i] = -1;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            rc = 1;
        left--;
    }
    return rc;
}

int main(int argc, char **argv)
{
    rtr_conf_t conf;
    hc_err_t err;

    signal(SIGPIPE, SIG_IGN);
    hc_log_open("router", NULL);
    rtr_conf_defaults(&conf);
    int rc = rtr_conf_args(&conf, argc, argv, &err);
    if (rc > 0)
        return 0;
    if (rc < 0) {
        fprintf(stderr, "hearth-router: %s\n", err.msg);
        return 2;
    }
    return conf.workers > 1 ? run_workers(&conf) : run_one(&conf);
}
