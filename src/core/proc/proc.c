/*
 * Child processes on libuv. The exit callback waits for both output pipes to reach end of
 * file, so a caller sees all the output before the exit. A process object is freed only
 * when every handle it owns is closed, and its uv_process_t stays open until the child is
 * reaped, so freeing never leaves a zombie behind.
 */
#include <fcntl.h>
#include <signal.h>
#include <string.h>

#include "hc_proc.h"

#define HC_PROC_READ_BUF (64 * 1024)
/* After the child exits, how long its pipes may stay open (held by a grandchild that
 * inherited them) before we stop reading and report the exit anyway. */
#define HC_PROC_DRAIN_MS 200

struct hc_proc_s {
    uv_loop_t *loop;
    uv_process_t process;
    uv_pipe_t out[2]; /* the child's stdout, stderr */
    uv_timer_t drain; /* bounds the wait for EOF after the exit */
    bool out_used[2];
    int handles_open; /* initialised handles not yet closed */
    int pending;      /* exit + pipes not at EOF, before on_exit is called */
    pid_t pid;
    bool exited, reported, freed, group;
    int64_t status;
    int term_signal;
    hc_proc_exit_cb on_exit;
    hc_proc_output_cb on_output;
    void *ud;
    char rbuf[HC_PROC_READ_BUF];
};

static void on_handle_closed(uv_handle_t *h)
{
    hc_proc_t *p = h->data;
    if (--p->handles_open == 0 && p->freed)
        free(p);
}

static void close_handle(hc_proc_t *p, uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, on_handle_closed);
}

static void maybe_report(hc_proc_t *p)
{
    if (p->pending > 0 || p->reported)
        return;
    p->reported = true;
    close_handle(p, (uv_handle_t *)&p->drain);
    if (!p->freed && p->on_exit)
        p->on_exit(p, p->status, p->term_signal, p->ud);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    hc_proc_t *p = h->data;
    *buf = uv_buf_init(p->rbuf, sizeof(p->rbuf));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    hc_proc_t *p = s->data;
    int stream = (uv_pipe_t *)s == &p->out[0] ? 1 : 2;
    if (n > 0) {
        if (!p->freed && p->on_output)
            p->on_output(p, stream, buf->base, (size_t)n, p->ud);
        return;
    }
    if (n == 0)
        return;
    /* EOF or a read error: this stream is finished either way. */
    close_handle(p, (uv_handle_t *)s);
    p->pending--;
    maybe_report(p);
}

static void on_drain_timeout(uv_timer_t *t)
{
    hc_proc_t *p = t->data;
    for (int i = 0; i < 2; i++) {
        if (p->out_used[i] && !uv_is_closing((uv_handle_t *)&p->out[i])) {
            close_handle(p, (uv_handle_t *)&p->out[i]);
            p->pending--;
        }
    }
    maybe_report(p);
}

static void on_child_exit(uv_process_t *proc, int64_t status, int term_signal)
{
    hc_proc_t *p = proc->data;
    p->exited = true;
    p->status = status;
    p->term_signal = term_signal;
    if (p->freed)
        close_handle(p, (uv_handle_t *)&p->process);
    p->pending--;
    if (p->pending > 0 && !p->freed)
        uv_timer_start(&p->drain, on_drain_timeout, HC_PROC_DRAIN_MS, 0);
    maybe_report(p);
}

int hc_proc_spawn(uv_loop_t *loop, const hc_proc_opts_t *opts, hc_proc_t **ret_proc, hc_err_t *err)
{
    if (!opts || !opts->argv || !opts->argv[0])
        return hc_err_set(err, -EINVAL, "spawn: no argv");
    const char *file = opts->file ? opts->file : opts->argv[0];
    if (opts->output_path && opts->on_output)
        return hc_err_set(err, -EINVAL, "spawn `%s`: both an output file and a callback", file);

    int outfd = -1;
    if (opts->output_path) {
        outfd = open(opts->output_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
        if (outfd < 0)
            return hc_err_set(err, -errno, "spawn `%s`: open `%s`", file, opts->output_path);
    }

    hc_proc_t *p = hc_calloc(1, sizeof(*p));
    p->loop = loop;
    p->on_exit = opts->on_exit;
    p->on_output = opts->on_output;
    p->ud = opts->ud;
    p->group = opts->new_process_group;
    p->process.data = p;
    uv_timer_init(loop, &p->drain);
    p->drain.data = p;
    p->handles_open++;

    uv_stdio_container_t stdio[3];
    memset(stdio, 0, sizeof(stdio));
    stdio[0].flags = UV_IGNORE;
    for (int i = 0; i < 2; i++) {
        if (outfd >= 0) {
            stdio[i + 1].flags = UV_INHERIT_FD;
            stdio[i + 1].data.fd = outfd;
        } else if (opts->on_output) {
            uv_pipe_init(loop, &p->out[i], 0);
            p->out[i].data = p;
            p->out_used[i] = true;
            p->handles_open++;
            stdio[i + 1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
            stdio[i + 1].data.stream = (uv_stream_t *)&p->out[i];
        } else {
            stdio[i + 1].flags = UV_IGNORE;
        }
    }

    uv_process_options_t o = {
        .exit_cb = on_child_exit,
        .file = file,
        .args = (char **)opts->argv,
        .env = (char **)opts->env,
        .cwd = opts->cwd,
        .flags = opts->new_process_group ? UV_PROCESS_DETACHED : 0,
        .stdio_count = 3,
        .stdio = stdio,
    };
    int r = uv_spawn(loop, &p->process, &o);
    p->handles_open++; /* uv_spawn initialises the handle even when it fails */
    if (outfd >= 0)
        close(outfd);
    if (r < 0) {
        p->freed = true;
        close_handle(p, (uv_handle_t *)&p->drain);
        for (int i = 0; i < 2; i++)
            if (p->out_used[i])
                close_handle(p, (uv_handle_t *)&p->out[i]);
        close_handle(p, (uv_handle_t *)&p->process);
        return hc_err_set(err, r, "spawn `%s`", file);
    }
    p->pid = p->process.pid;
    p->pending = 1;
    for (int i = 0; i < 2; i++) {
        if (!p->out_used[i])
            continue;
        if (uv_read_start((uv_stream_t *)&p->out[i], on_alloc, on_read) == 0)
            p->pending++;
        else
            close_handle(p, (uv_handle_t *)&p->out[i]);
    }
    *ret_proc = p;
    return 0;
}

pid_t hc_proc_pid(const hc_proc_t *p)
{
    return p->pid;
}

bool hc_proc_running(const hc_proc_t *p)
{
    return !p->exited;
}

int hc_proc_kill(hc_proc_t *p, int signum)
{
    if (p->exited)
        return -ESRCH;
    return uv_process_kill(&p->process, signum);
}

int hc_proc_kill_group(hc_proc_t *p, int signum)
{
    if (!p->group)
        return -EINVAL;
    if (kill(-p->pid, signum) < 0)
        return -errno;
    return 0;
}

void hc_proc_free(hc_proc_t *p)
{
    if (!p || p->freed)
        return;
    p->freed = true;
    close_handle(p, (uv_handle_t *)&p->drain);
    if (!p->exited) {
        if (p->group)
            kill(-p->pid, SIGKILL);
        uv_process_kill(&p->process, SIGKILL);
    } else {
        close_handle(p, (uv_handle_t *)&p->process);
    }
    for (int i = 0; i < 2; i++)
        if (p->out_used[i])
            close_handle(p, (uv_handle_t *)&p->out[i]);
}
