/*
 * hc_proc.h - child processes on the daemon's libuv loop: spawn with argv/env/cwd, stdout and
 * stderr to a file or to a callback, an exit callback with status or signal, kill by the
 * pid we spawned (never by name), process-group kill, and a blocking "run and wait with a
 * timeout" for tests and tools.
 *
 * Every fd this module creates is close-on-exec (libuv's pipes are; the output file is
 * opened O_CLOEXEC and handed to the child's fds 1 and 2 only). The child's stdin is
 * /dev/null. All functions except hc_proc_run are loop-thread only; callbacks run on the
 * loop thread.
 */
#ifndef HEARTH_CORE_PROC_H
#define HEARTH_CORE_PROC_H

#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "hc_base.h"

typedef struct hc_proc_s hc_proc_t;

/* stream: 1 (stdout) or 2 (stderr). data is valid during the call only. */
typedef void (*hc_proc_output_cb)(hc_proc_t *p, int stream, const char *data, size_t len, void *ud);
/*
 * Called once, after the child exited and (when output goes to on_output) both pipes
 * reached end of file, so all output has been delivered first. If a grandchild keeps the
 * pipes open, the exit is reported 200 ms after the child exited and the pipes are closed.
 * exit_status is the exit code, or 0 when term_signal (the signal that killed it) is not 0. The
 * process object stays valid until hc_proc_free; hc_proc_free may be called inside the callback.
 */
typedef void (*hc_proc_exit_cb)(hc_proc_t *p, int64_t exit_status, int term_signal, void *ud);

typedef struct hc_proc_opts_s {
    const char *file;  /* program; looked up in PATH when it has no '/'. NULL: argv[0] */
    char *const *argv; /* NULL-terminated, argv[0] included (required) */
    char *const *env;  /* NULL-terminated "K=V" list; NULL inherits the daemon's environment */
    const char *cwd;   /* NULL: the daemon's working directory */
    /* Output: at most one of the two; neither means /dev/null. */
    const char *output_path;     /* stdout+stderr appended to this file (created 0640) */
    hc_proc_output_cb on_output; /* stdout and stderr through pipes to this callback */
    /* The child leads a new session and process group (setsid), so hc_proc_kill_group
     * reaches everything it starts. */
    bool new_process_group;
    hc_proc_exit_cb on_exit; /* may be NULL */
    void *ud;
} hc_proc_opts_t;

/*
 * Starts the child. Borrows opts (copied as needed). Writes *ret_proc and returns 0, or
 * -errno with err set ("spawn `prog`: No such file or directory"); on failure no callback
 * is ever called.
 */
int hc_proc_spawn(uv_loop_t *loop, const hc_proc_opts_t *opts, hc_proc_t **ret_proc, hc_err_t *err);
pid_t hc_proc_pid(const hc_proc_t *p);
/* True until the child has been reaped. */
bool hc_proc_running(const hc_proc_t *p);
/*
 * Sends signum to the child we spawned. Returns 0, or -ESRCH once it has been reaped (its
 * pid may belong to someone else by then, so we never signal it), or -errno.
 */
int hc_proc_kill(hc_proc_t *p, int signum);
/*
 * Sends signum to the child's whole process group (needs new_process_group). Also works
 * after the leader was reaped, while other members of the group live. Returns 0, -EINVAL
 * without new_process_group, -ESRCH when the group is empty, or -errno.
 */
int hc_proc_kill_group(hc_proc_t *p, int signum);
/*
 * Releases the process object. If the child still runs it gets SIGKILL (and its group,
 * with new_process_group) and is reaped in the background; no callback is called after
 * this. The loop must keep running for the handles to close. Accepts NULL.
 */
void hc_proc_free(hc_proc_t *p);

/* Outcome of hc_proc_run. */
typedef struct hc_proc_result_s {
    int64_t exit_status;
    int term_signal;
    bool timed_out; /* killed with SIGKILL after timeout_ms */
    char *output;   /* stdout+stderr as captured (malloc'd, NUL-terminated) or NULL */
    size_t output_len;
    bool output_truncated; /* more than capture_max bytes were written */
} hc_proc_result_t;

/*
 * Runs the child on a private loop and blocks until it exits (tests and tools only, never
 * on a daemon's loop). opts->on_exit, on_output and ud are ignored. With capture_max > 0,
 * stdout and stderr are captured into ret->output (up to capture_max bytes); otherwise
 * output_path or /dev/null is used. After timeout_ms (0: none) the child (and its group,
 * with new_process_group) gets SIGKILL and ret->timed_out is set. Returns 0 when it ran
 * (whatever its status), -ETIMEDOUT when it timed out, or a spawn error. The caller
 * releases ret with hc_proc_result_release.
 */
int hc_proc_run(const hc_proc_opts_t *opts, uint32_t timeout_ms, size_t capture_max,
                hc_proc_result_t *ret, hc_err_t *err);
void hc_proc_result_release(hc_proc_result_t *r);

#endif
