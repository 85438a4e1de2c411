/* run.c - a helper child with captured stdout/stderr (bounded) and an exit callback. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/wdn_helper.h"
#include "wdn_daemon.h"

#define RUN_MAX_CAPTURE (64 * 1024)

typedef struct wdn_runner_s {
    uv_process_t proc;
    uv_poll_t pidpoll; /* forked runners: the child's pidfd */
    int pidfd;
    pid_t pid;
    bool forked;
    uv_pipe_t pipes[3]; /* stdin, stdout, stderr */
    hc_buf_t out[2];
    int open_handles;
    int status;
    bool exited;
    char *stdin_text;
    uv_write_t w;
    wdn_run_cb cb;
    void *data;
} wdn_runner_t;

static void runner_maybe_done(wdn_runner_t *r);

static void runner_closed(uv_handle_t *h)
{
    wdn_runner_t *r = h->data;
    if (--r->open_handles > 0)
        return;
    if (r->forked && r->pidfd >= 0)
        close(r->pidfd);
    hc_buf_release(&r->out[0]);
    hc_buf_release(&r->out[1]);
    free(r->stdin_text);
    free(r);
}

static void runner_maybe_done(wdn_runner_t *r)
{
    if (!r->exited || !uv_is_closing((uv_handle_t *)&r->pipes[1]) ||
        !uv_is_closing((uv_handle_t *)&r->pipes[2]))
        return;
    r->cb(r->data, r->status, r->out[0].data, r->out[1].data);
    r->cb = NULL;
    uv_close(r->forked ? (uv_handle_t *)&r->pidpoll : (uv_handle_t *)&r->proc, runner_closed);
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

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
    wdn_runner_t *r = p->data;
    r->exited = true;
    r->status = sig ? 128 + sig : (int)status;
    runner_maybe_done(r);
}

static void on_stdin_written(uv_write_t *w, int status)
{
    (void)status;
    wdn_runner_t *r = w->data;
    uv_close((uv_handle_t *)&r->pipes[0], runner_closed);
}

int wdn_run(wdn_daemon_t *d, char *const argv[], const char *stdin_text, wdn_run_cb cb, void *data)
{
    wdn_runner_t *r = hc_calloc(1, sizeof(*r));
    r->cb = cb;
    r->data = data;
    hc_buf_init(&r->out[0], RUN_MAX_CAPTURE + 1);
    hc_buf_init(&r->out[1], RUN_MAX_CAPTURE + 1);
    for (int i = 0; i < 3; i++) {
        uv_pipe_init(d->loop, &r->pipes[i], 0);
        r->pipes[i].data = r;
    }
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_CREATE_PIPE | UV_READABLE_PIPE, .data.stream = (uv_stream_t *)&r->pipes[0]},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&r->pipes[1]},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&r->pipes[2]},
    };
    static char *const env[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                "LC_ALL=C", NULL};
    uv_process_options_t o = {
        .exit_cb = on_exit_cb,
        .file = argv[0],
        .args = (char **)argv,
        .env = (char **)env,
        .stdio_count = 3,
        .stdio = stdio,
    };
    r->proc.data = r;
    int e = uv_spawn(d->loop, &r->proc, &o);
    r->open_handles = 4;
    if (e < 0) {
        for (int i = 0; i < 3; i++)
            uv_close((uv_handle_t *)&r->pipes[i], runner_closed);
        uv_close((uv_handle_t *)&r->proc, runner_closed);
        r->cb = NULL;
        return e;
    }
    uv_read_start((uv_stream_t *)&r->pipes[1], on_alloc, on_read);
    uv_read_start((uv_stream_t *)&r->pipes[2], on_alloc, on_read);
    if (stdin_text && stdin_text[0]) {
        r->stdin_text = hc_strdup(stdin_text);
        r->w.data = r;
        uv_buf_t b = uv_buf_init(r->stdin_text, (unsigned)strlen(r->stdin_text));
        if (uv_write(&r->w, (uv_stream_t *)&r->pipes[0], &b, 1, on_stdin_written) < 0)
            uv_close((uv_handle_t *)&r->pipes[0], runner_closed);
    } else {
        uv_close((uv_handle_t *)&r->pipes[0], runner_closed);
    }
    return 0;
}

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
    r->forked = true;
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
