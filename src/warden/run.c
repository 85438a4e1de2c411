/*
 * run.c - helper children with captured stdout/stderr (bounded) and an exit callback:
 * programs through hc_proc.h (wdn_run), and the daemon's own code in a raw fork with no exec
 * (wdn_run_fork: hc_proc has no equivalent, it always execs).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hc_proc.h"
#include "lib/wdn_helper.h"
#include "wdn_daemon.h"

#define RUN_MAX_CAPTURE (64 * 1024)

typedef struct wdn_runner_s {
    uv_poll_t pidpoll; /* the child's pidfd */
    int pidfd;
    pid_t pid;
    uv_pipe_t pipes[3]; /* [1] stdout, [2] stderr */
    hc_buf_t out[2];
    int open_handles;
    int status;
    bool exited;
    wdn_run_cb cb;
    void *data;
} wdn_runner_t;

static void runner_maybe_done(wdn_runner_t *r);

static void runner_closed(uv_handle_t *h)
{
    wdn_runner_t *r = h->data;
    if (--r->open_handles > 0)
        return;
    if (r->pidfd >= 0)
        close(r->pidfd);
    hc_buf_release(&r->out[0]);
    hc_buf_release(&r->out[1]);
    free(r);
}

static void runner_maybe_done(wdn_runner_t *r)
{
    if (!r->exited || !uv_is_closing((uv_handle_t *)&r->pipes[1]) ||
        !uv_is_closing((uv_handle_t *)&r->pipes[2]))
        return;
    r->cb(r->data, r->status, r->out[0].data, r->out[1].data);
    r->cb = NULL;
    uv_close((uv_handle_t *)&r->pidpoll, runner_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    static char scratch[16384];
    *buf = uv_buf_init(scratch, sizeof(scratch));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    wdn_runner_t *r = s->data;
    int idx = (uv_pipe_t *)s == &r->pipes[1] ? 0 : 1;
    if (n > 0) {
        size_t room = RUN_MAX_CAPTURE - r->out[idx].len;
        hc_buf_append(&r->out[idx], buf->base, HC_MIN((size_t)n, room));
        return;
    }
    if (n < 0) {
        uv_close((uv_handle_t *)s, runner_closed);
        runner_maybe_done(r);
    }
}

/* ---- wdn_run: a program through hc_proc.h ---- */

typedef struct wdn_prog_s {
    hc_buf_t out[2];
    wdn_run_cb cb;
    void *data;
} wdn_prog_t;

static void prog_output(hc_proc_t *p, int stream, const char *data, size_t len, void *ud)
{
    (void)p;
    wdn_prog_t *g = ud;
    hc_buf_t *b = &g->out[stream == 2];
    hc_buf_append(b, data, HC_MIN(len, RUN_MAX_CAPTURE - b->len));
}

static void prog_exit(hc_proc_t *p, int64_t exit_status, int term_signal, void *ud)
{
    wdn_prog_t *g = ud;
    int status = term_signal ? 128 + term_signal : (int)exit_status;
    g->cb(g->data, status, g->out[0].data, g->out[1].data);
    hc_proc_free(p);
    hc_buf_release(&g->out[0]);
    hc_buf_release(&g->out[1]);
    free(g);
}

int wdn_run(wdn_daemon_t *d, char *const argv[], wdn_run_cb cb, void *data)
{
    static char *const env[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                "LC_ALL=C", NULL};
    wdn_prog_t *g = hc_calloc(1, sizeof(*g));
    g->cb = cb;
    g->data = data;
    hc_buf_init(&g->out[0], RUN_MAX_CAPTURE + 1);
    hc_buf_init(&g->out[1], RUN_MAX_CAPTURE + 1);
    hc_proc_opts_t o = {
        .argv = argv,
        .env = env,
        .on_output = prog_output,
        .on_exit = prog_exit,
        .ud = g,
    };
    hc_proc_t *p = NULL;
    hc_err_t err = {0};
    int r = hc_proc_spawn(d->loop, &o, &p, &err);
    if (r < 0) {
        hc_buf_release(&g->out[0]);
        hc_buf_release(&g->out[1]);
        free(g);
    }
    return r;
}

/* ---- wdn_run_fork: the daemon's own code in a raw fork ---- */

static void on_pidfd(uv_poll_t *p, int status, int events)
{
    wdn_runner_t *r = p->data;
    (void)status;
    (void)events;
    int st = 0;
    pid_t w;
    while ((w = waitpid(r->pid, &st, WNOHANG)) < 0 && errno == EINTR)
        ;
    if (w == 0)
        return;
    uv_poll_stop(p);
    r->exited = true;
    r->status = w < 0 ? 255 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    runner_maybe_done(r);
}

int wdn_run_fork(wdn_daemon_t *d, int (*fn)(const char *arg), const char *arg, wdn_run_cb cb,
                 void *data)
{
    int out[2], errp[2];
    if (pipe2(out, O_CLOEXEC) < 0)
        return -errno;
    if (pipe2(errp, O_CLOEXEC) < 0) {
        int e = -errno;
        close(out[0]);
        close(out[1]);
        return e;
    }
    pid_t pid = wdn_raw_fork();
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        for (int sig = 1; sig < 32; sig++)
            if (sig != SIGKILL && sig != SIGSTOP)
                signal(sig, SIG_DFL);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
        dup2(nul, 0);
        dup2(out[1], 1);
        dup2(errp[1], 2);
        closefrom(3);
        int code = fn(arg);
        fflush(stdout);
        fflush(stderr);
        syscall(SYS_exit_group, code);
    }
    close(out[1]);
    close(errp[1]);
    int pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
    if (pidfd < 0) {
        int e = pid < 0 ? -errno : -EIO;
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
        close(out[0]);
        close(errp[0]);
        return e;
    }
    wdn_runner_t *r = hc_calloc(1, sizeof(*r));
    r->cb = cb;
    r->data = data;
    r->pid = pid;
    r->pidfd = pidfd;
    hc_buf_init(&r->out[0], RUN_MAX_CAPTURE + 1);
    hc_buf_init(&r->out[1], RUN_MAX_CAPTURE + 1);
    for (int i = 1; i < 3; i++) {
        uv_pipe_init(d->loop, &r->pipes[i], 0);
        r->pipes[i].data = r;
    }
    uv_pipe_open(&r->pipes[1], out[0]);
    uv_pipe_open(&r->pipes[2], errp[0]);
    uv_poll_init(d->loop, &r->pidpoll, pidfd);
    r->pidpoll.data = r;
    r->open_handles = 3;
    uv_read_start((uv_stream_t *)&r->pipes[1], on_alloc, on_read);
    uv_read_start((uv_stream_t *)&r->pipes[2], on_alloc, on_read);
    uv_poll_start(&r->pidpoll, UV_READABLE, on_pidfd);
    return 0;
}
