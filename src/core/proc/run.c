/* Spawn and wait on a private loop, with a timeout: for tests and command-line tools. */
#include <signal.h>
#include <string.h>

#include "hc_buf.h"
#include "hc_proc.h"

typedef struct run_s {
    hc_proc_result_t *ret;
    hc_buf_t out;
    size_t max;
    bool done;
    hc_proc_t *proc;
    bool group;
} run_t;

static void run_output(hc_proc_t *p, int stream, const char *data, size_t len, void *ud)
{
    run_t *r = ud;
    size_t room = r->max - r->out.len;
    if (len > room) {
        r->ret->output_truncated = true;
        len = room;
    }
    hc_buf_append(&r->out, data, len);
}

static void run_exit(hc_proc_t *p, int64_t status, int term_signal, void *ud)
{
    run_t *r = ud;
    r->ret->exit_status = status;
    r->ret->term_signal = term_signal;
    r->done = true;
}

static void run_timeout(uv_timer_t *t)
{
    run_t *r = t->data;
    r->ret->timed_out = true;
    if (r->group)
        hc_proc_kill_group(r->proc, SIGKILL);
    hc_proc_kill(r->proc, SIGKILL);
}

int hc_proc_run(const hc_proc_opts_t *opts, uint32_t timeout_ms, size_t capture_max,
                hc_proc_result_t *ret, hc_err_t *err)
{
    memset(ret, 0, sizeof(*ret));
    uv_loop_t loop;
    int rc = uv_loop_init(&loop);
    if (rc < 0)
        return hc_err_set(err, rc, "run: event loop");

    run_t r = {.ret = ret, .max = capture_max, .group = opts->new_process_group};
    hc_buf_init(&r.out, capture_max + 1);
    hc_proc_opts_t o = *opts;
    o.on_exit = run_exit;
    o.on_output = capture_max > 0 ? run_output : NULL;
    if (capture_max > 0)
        o.output_path = NULL;
    o.ud = &r;

    uv_timer_t timer;
    uv_timer_init(&loop, &timer);
    timer.data = &r;
    rc = hc_proc_spawn(&loop, &o, &r.proc, err);
    if (rc == 0) {
        if (timeout_ms)
            uv_timer_start(&timer, run_timeout, timeout_ms, 0);
        while (!r.done)
            uv_run(&loop, UV_RUN_ONCE);
        hc_proc_free(r.proc);
    }
    uv_close((uv_handle_t *)&timer, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);

    if (rc == 0 && capture_max > 0)
        ret->output = hc_buf_detach(&r.out, &ret->output_len);
    hc_buf_release(&r.out);
    if (rc == 0 && ret->timed_out)
        rc = -ETIMEDOUT;
    return rc;
}

void hc_proc_result_release(hc_proc_result_t *r)
{
    free(r->output);
    r->output = NULL;
    r->output_len = 0;
}
