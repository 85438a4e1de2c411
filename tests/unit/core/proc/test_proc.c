/* Tests for src/core/proc: spawn, output, exit status, kill, group kill, run with timeout. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "hc_buf.h"
#include "hc_fs.h"
#include "hc_proc.h"

typedef struct fixture_s {
    uv_loop_t loop;
    char dir[64];
    hc_buf_t out, err;
    int exits;
    int64_t status;
    int sig;
    size_t out_at_exit, err_at_exit;
    hc_proc_t *procs[4];
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = hc_calloc(1, sizeof(*f));
    if (uv_loop_init(&f->loop) != 0)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/hc-test-proc-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    hc_buf_init(&f->out, 1 << 20);
    hc_buf_init(&f->err, 1 << 20);
    f->status = -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    for (size_t i = 0; i < HC_ARRAY_SIZE(f->procs); i++)
        hc_proc_free(f->procs[i]);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    int r = uv_loop_close(&f->loop);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        r = -1;
    hc_buf_release(&f->out);
    hc_buf_release(&f->err);
    free(f);
    return r == 0 ? 0 : -1;
}

static void on_output(hc_proc_t *p, int stream, const char *data, size_t len, void *ud)
{
    fixture_t *f = ud;
    hc_buf_append(stream == 1 ? &f->out : &f->err, data, len);
}

static void on_exit_cb(hc_proc_t *p, int64_t status, int sig, void *ud)
{
    fixture_t *f = ud;
    f->exits++;
    f->status = status;
    f->sig = sig;
    f->out_at_exit = f->out.len;
    f->err_at_exit = f->err.len;
}

static void tick(uv_timer_t *t)
{
}

#define RUN_UNTIL(f, cond)                                                                         \
    do {                                                                                           \
        uv_timer_t t_;                                                                             \
        uv_timer_init(&(f)->loop, &t_);                                                            \
        uv_timer_start(&t_, tick, 5, 5);                                                           \
        uint64_t end_ = uv_now(&(f)->loop) + 10000;                                                \
        while (!(cond) && uv_now(&(f)->loop) < end_)                                               \
            uv_run(&(f)->loop, UV_RUN_ONCE);                                                       \
        uv_close((uv_handle_t *)&t_, NULL);                                                        \
        uv_run(&(f)->loop, UV_RUN_NOWAIT);                                                         \
        assert_true(cond);                                                                         \
    } while (0)

static hc_proc_t *spawn_sh(fixture_t *f, const char *script, hc_proc_opts_t o)
{
    char *argv[] = {(char *)"sh", (char *)"-c", (char *)script, NULL};
    o.argv = argv;
    if (!o.on_exit)
        o.on_exit = on_exit_cb;
    o.ud = f;
    hc_proc_t *p = NULL;
    hc_err_t err;
    int r = hc_proc_spawn(&f->loop, &o, &p, &err);
    if (r < 0)
        fail_msg("%s", err.msg);
    for (size_t i = 0; i < HC_ARRAY_SIZE(f->procs); i++) {
        if (!f->procs[i]) {
            f->procs[i] = p;
            break;
        }
    }
    return p;
}

static void test_output_arrives_before_exit(void **state)
{
    fixture_t *f = *state;
    hc_proc_t *p =
        spawn_sh(f, "echo out; echo err >&2; exit 3", (hc_proc_opts_t){.on_output = on_output});
    assert_true(hc_proc_pid(p) > 0);
    assert_true(hc_proc_running(p));
    RUN_UNTIL(f, f->exits == 1);
    assert_int_equal(f->status, 3);
    assert_int_equal(f->sig, 0);
    assert_string_equal(f->out.data, "out\n");
    assert_string_equal(f->err.data, "err\n");
    assert_int_equal(f->out_at_exit, 4);
    assert_int_equal(f->err_at_exit, 4);
    assert_false(hc_proc_running(p));
    assert_int_equal(hc_proc_kill(p, SIGTERM), -ESRCH); /* reaped: its pid is not ours */
}

static void test_env_cwd_and_output_file(void **state)
{
    fixture_t *f = *state;
    char *env[] = {(char *)"FOO=bar", (char *)"PATH=/usr/bin:/bin", NULL};
    char log[128];
    snprintf(log, sizeof(log), "%s/out.log", f->dir);
    spawn_sh(f, "echo \"$FOO:$(pwd)\"; echo two >&2",
             (hc_proc_opts_t){.env = env, .cwd = f->dir, .output_path = log});
    RUN_UNTIL(f, f->exits == 1);
    assert_int_equal(f->status, 0);
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(hc_read_file(AT_FDCWD, log, 0, &data, &len, NULL), 0);
    char want[256];
    snprintf(want, sizeof(want), "bar:%s\ntwo\n", f->dir);
    assert_string_equal(data, want);
    free(data);
}

static void test_child_inherits_only_stdio(void **state)
{
    fixture_t *f = *state;
    /* Fds of ours that must not leak: one we open, and libuv's epoll and eventfd. The
     * environment may hand this process inherited fds of its own, so we look for ours
     * by name rather than expecting exactly 0, 1 and 2. */
    char marker[128];
    snprintf(marker, sizeof(marker), "%s/marker-fd", f->dir);
    int mine = open(marker, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
    assert_true(mine >= 0);
    spawn_sh(f, "ls -l /proc/$$/fd", (hc_proc_opts_t){.on_output = on_output});
    RUN_UNTIL(f, f->exits == 1);
    close(mine);
    assert_non_null(strstr(f->out.data, " 1 -> ")); /* the listing worked */
    assert_null(strstr(f->out.data, "marker-fd"));
    assert_null(strstr(f->out.data, "eventpoll"));
    assert_null(strstr(f->out.data, "eventfd"));
}

static void test_kill_and_spawn_failure(void **state)
{
    fixture_t *f = *state;
    hc_proc_t *p = spawn_sh(f, "exec sleep 30", (hc_proc_opts_t){0});
    assert_int_equal(hc_proc_kill(p, SIGTERM), 0);
    RUN_UNTIL(f, f->exits == 1);
    assert_int_equal(f->sig, SIGTERM);
    assert_int_equal(hc_proc_kill_group(p, SIGTERM), -EINVAL);

    char *argv[] = {(char *)"/nonexistent/prog", NULL};
    hc_proc_t *q = NULL;
    hc_err_t err;
    hc_proc_opts_t o = {.argv = argv, .on_exit = on_exit_cb, .ud = f, .on_output = on_output};
    assert_int_equal(hc_proc_spawn(&f->loop, &o, &q, &err), -ENOENT);
    assert_null(q);
    assert_non_null(strstr(err.msg, "/nonexistent/prog"));
    uv_run(&f->loop, UV_RUN_NOWAIT);
    assert_int_equal(f->exits, 1);
}

static bool pid_gone(pid_t pid)
{
    /* A zombie reparented to init may linger briefly; count it as gone. */
    char path[64], st[256];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *fp = fopen(path, "re");
    if (!fp)
        return true;
    size_t n = fread(st, 1, sizeof(st) - 1, fp);
    fclose(fp);
    st[n] = '\0';
    const char *rp = strrchr(st, ')');
    return rp && rp[1] == ' ' && rp[2] == 'Z';
}

static void test_group_kill_reaches_grandchildren(void **state)
{
    fixture_t *f = *state;
    hc_proc_t *p = spawn_sh(f, "sleep 30 & echo $!; wait",
                            (hc_proc_opts_t){.on_output = on_output, .new_process_group = true});
    RUN_UNTIL(f, strchr(f->out.data, '\n') != NULL);
    pid_t grandchild = (pid_t)atoi(f->out.data);
    assert_true(grandchild > 0);
    assert_false(pid_gone(grandchild));
    assert_int_equal(getpgid(grandchild), hc_proc_pid(p));
    assert_int_equal(hc_proc_kill_group(p, SIGKILL), 0);
    RUN_UNTIL(f, f->exits == 1);
    assert_int_equal(f->sig, SIGKILL);
    for (int i = 0; i < 1000 && !pid_gone(grandchild); i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_true(pid_gone(grandchild));
}

static void test_exit_reported_while_grandchild_holds_pipe(void **state)
{
    fixture_t *f = *state;
    hc_proc_t *p = spawn_sh(f, "sleep 30 & echo hi",
                            (hc_proc_opts_t){.on_output = on_output, .new_process_group = true});
    RUN_UNTIL(f, f->exits == 1);
    assert_int_equal(f->status, 0);
    assert_string_equal(f->out.data, "hi\n");
    /* The leader is gone, the sleep still runs in its group: the group kill reaches it. */
    assert_int_equal(hc_proc_kill_group(p, SIGKILL), 0);
}

static void test_free_while_running_kills_and_reaps(void **state)
{
    fixture_t *f = *state;
    hc_proc_t *p = spawn_sh(f, "exec sleep 30", (hc_proc_opts_t){.on_output = on_output});
    pid_t pid = hc_proc_pid(p);
    f->procs[0] = NULL;
    hc_proc_free(p);
    uv_run(&f->loop, UV_RUN_DEFAULT); /* returns once the child is reaped and handles closed */
    assert_int_equal(f->exits, 0);    /* no callback after free */
    assert_int_equal(kill(pid, 0), -1);
    assert_int_equal(errno, ESRCH);
}

static void test_run_captures_and_times_out(void **state)
{
    fixture_t *f = *state;
    char *argv[] = {(char *)"sh", (char *)"-c", (char *)"printf 0123456789; exit 7", NULL};
    hc_proc_result_t res;
    hc_err_t err;
    assert_int_equal(hc_proc_run(&(hc_proc_opts_t){.argv = argv}, 10000, 4, &res, &err), 0);
    assert_int_equal(res.exit_status, 7);
    assert_false(res.timed_out);
    assert_int_equal(res.output_len, 4);
    assert_string_equal(res.output, "0123");
    assert_true(res.output_truncated);
    hc_proc_result_release(&res);

    char *slow[] = {(char *)"sh", (char *)"-c", (char *)"sleep 30 & wait", NULL};
    assert_int_equal(hc_proc_run(&(hc_proc_opts_t){.argv = slow, .new_process_group = true}, 100,
                                 64, &res, &err),
                     -ETIMEDOUT);
    assert_true(res.timed_out);
    assert_int_equal(res.term_signal, SIGKILL);
    hc_proc_result_release(&res);

    char *bad[] = {(char *)"no-such-program-hearth", NULL};
    assert_int_equal(hc_proc_run(&(hc_proc_opts_t){.argv = bad}, 1000, 0, &res, &err), -ENOENT);
    (void)f;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_output_arrives_before_exit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_cwd_and_output_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_child_inherits_only_stdio, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_and_spawn_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_kill_reaches_grandchildren, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exit_reported_while_grandchild_holds_pipe, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_free_while_running_kills_and_reaps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_captures_and_times_out, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
