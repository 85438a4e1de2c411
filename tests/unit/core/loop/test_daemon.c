/* Tests for src/core/loop/args.c and daemon.c: command line precedence, signals, shutdown. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "hc_daemon.h"
#include "hc_log.h"

typedef struct tconf_s {
    int port;
    int status_port;
    char **nats;
    char *data_dir;
    int log_level;
    char *log_file;
    unsigned workers;
} tconf_t;

static const hc_conf_opt_t conf_opts[] = {
    HC_CONF_INT("port", tconf_t, port, 8080, 1, 65535, "listen port"),
    HC_CONF_INT("status.port", tconf_t, status_port, 8082, 1, 65535),
    HC_CONF_STRLIST("nats.urls", tconf_t, nats, "nats://127.0.0.1:4222"),
    HC_CONF_LOG_ENTRIES(tconf_t, log_level, log_file),
    HC_CONF_UINT("workers", tconf_t, workers, 1, 1, 16),
    HC_CONF_END,
};

static bool arg_foreground;
static const char *arg_name;

static const hc_daemon_opt_t extra_opts[] = {
    {.name = "foreground", .short_name = 'f', .help = "stay in front", .flag = &arg_foreground},
    {.name = "name", .arg = "NAME", .help = "instance name", .value = &arg_name},
    {.name = "workers", .short_name = 'w', .arg = "N", .help = "workers", .key = "workers"},
    {.name = NULL},
};

/* What the callbacks saw. */
typedef struct ctx_s {
    uv_timer_t timer;
    bool timer_open;
    int starts, stops, reloads;
    int start_error;
    bool stop_closes; /* the stop callback closes the timer */
    int signal_to_raise;
    char rotated[256]; /* when set, the first tick renames the log here and raises SIGHUP */
} ctx_t;

static void on_timer_close(uv_handle_t *h)
{
    ctx_t *c = HC_CONTAINER_OF(h, ctx_t, timer);
    c->timer_open = false;
}

static void on_tick(uv_timer_t *t)
{
    ctx_t *c = HC_CONTAINER_OF(t, ctx_t, timer);
    hc_daemon_t *d = t->loop->data;
    if (c->rotated[0]) {
        tconf_t *conf = d->conf;
        assert_int_equal(rename(conf->log_file, c->rotated), 0);
        c->rotated[0] = '\0';
        raise(SIGHUP);
        return;
    }
    if (c->signal_to_raise) {
        int s = c->signal_to_raise;
        c->signal_to_raise = 0;
        raise(s);
    }
}

static int t_start(hc_daemon_t *d, hc_err_t *err)
{
    ctx_t *c = d->data;
    c->starts++;
    if (c->start_error)
        return hc_err_set(err, c->start_error, "bind port %d", ((tconf_t *)d->conf)->port);
    assert_int_equal(uv_timer_init(d->loop, &c->timer), 0);
    c->timer_open = true;
    /* Repeat so the test never depends on when the signal arrives. */
    assert_int_equal(uv_timer_start(&c->timer, on_tick, 1, 1), 0);
    return 0;
}

static void t_stop(hc_daemon_t *d)
{
    ctx_t *c = d->data;
    c->stops++;
    if (c->stop_closes && c->timer_open)
        uv_close((uv_handle_t *)&c->timer, on_timer_close);
}

static void t_reload(hc_daemon_t *d)
{
    ctx_t *c = d->data;
    c->reloads++;
    hc_log_info("after rotation", "reloads", "1");
    c->signal_to_raise = SIGTERM;
}

static const hc_daemon_spec_t spec = {
    .name = "hearth-test",
    .comp = "test",
    .summary = "a daemon for tests",
    .conf_opts = conf_opts,
    .opts = extra_opts,
    .start = t_start,
    .stop = t_stop,
    .reload = t_reload,
};

typedef struct fixture_s {
    hc_daemon_t d;
    tconf_t conf;
    ctx_t ctx;
    char dir[64];
    char *out_text;
    size_t out_len;
    FILE *out;
    hc_err_t err;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/hearth-daemon-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->out = open_memstream(&f->out_text, &f->out_len);
    hc_err_clear(&f->err);
    arg_foreground = false;
    arg_name = NULL;
    hc_daemon_init(&f->d, &spec, &f->conf, &f->ctx);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    hc_daemon_release(&f->d);
    fclose(f->out);
    free(f->out_text);
    hc_log_close();
    hc_log_level = HC_LOG_INFO;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static int configure(fixture_t *f, const char *const *args)
{
    char *argv[32] = {"hearth-test"};
    int argc = 1;
    for (; args[argc - 1]; argc++)
        argv[argc] = (char *)args[argc - 1];
    hc_err_clear(&f->err);
    int r = hc_daemon_configure(&f->d, argc, argv, f->out, &f->err);
    fflush(f->out);
    return r;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_no_arguments_gives_defaults(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(configure(f, (const char *[]){NULL}), 0);
    assert_int_equal(f->conf.port, 8080);
    assert_string_equal(f->conf.nats[0], "nats://127.0.0.1:4222");
    assert_null(f->d.conf_path);
}

static void test_flags_override_file_which_overrides_defaults(void **state)
{
    fixture_t *f = *state;
    char path[128];
    snprintf(path, sizeof(path), "%s/test.yml", f->dir);
    write_file(path, "port: 9000\nstatus:\n  port: 9001\nworkers: 3\nlog:\n  level: warn\n");
    /* The flag comes before -c on purpose: precedence does not depend on order. */
    int r = configure(f, (const char *[]){"--port", "9100", "-c", path,
                                          "--nats=nats://a:1,nats://b:2", "-w", "5", NULL});
    assert_int_equal(r, 0);
    assert_string_equal(f->d.conf_path, path);
    assert_int_equal(f->conf.port, 9100);
    assert_int_equal(f->conf.status_port, 9001);
    assert_int_equal(f->conf.workers, 5);
    assert_int_equal(f->conf.log_level, HC_LOG_WARN);
    assert_int_equal(hc_conf_strlist_len(f->conf.nats), 2);
    assert_string_equal(f->conf.nats[1], "nats://b:2");
}

static void test_extra_options(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(configure(f, (const char *[]){"-f", "--name", "x1", "--log-level=debug",
                                                   "--status-port", "7001", NULL}),
                     0);
    assert_true(arg_foreground);
    assert_string_equal(arg_name, "x1");
    assert_int_equal(f->conf.log_level, HC_LOG_DEBUG);
    assert_int_equal(f->conf.status_port, 7001);
}

static void test_bad_values_and_usage_errors(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(configure(f, (const char *[]){"--port", "70000", NULL}), -EINVAL);
    assert_string_equal(f->err.msg, "--port: 70000 is out of range 1..65535");
    assert_int_equal(configure(f, (const char *[]){"--log-level", "loud", NULL}), -EINVAL);
    assert_string_equal(f->err.msg,
                        "--log-level: expected one of error, warn, info, debug, got \"loud\"");
    assert_int_equal(configure(f, (const char *[]){"--prot", "1", NULL}), -EINVAL);
    assert_string_equal(f->err.msg, "unknown option --prot");
    assert_int_equal(configure(f, (const char *[]){"-x", NULL}), -EINVAL);
    assert_string_equal(f->err.msg, "unknown option -x");
    /* This daemon's table has no data_dir, so it does not take --data-dir. */
    assert_int_equal(configure(f, (const char *[]){"--data-dir", "/x", NULL}), -EINVAL);
    assert_string_equal(f->err.msg, "unknown option --data-dir");
    assert_int_equal(configure(f, (const char *[]){"--port", NULL}), -EINVAL);
    assert_string_equal(f->err.msg, "option --port needs an argument");
    assert_int_equal(configure(f, (const char *[]){"--help=yes", NULL}), -EINVAL);
    assert_string_equal(f->err.msg, "option --help takes no argument");
    assert_int_equal(configure(f, (const char *[]){"stray", NULL}), -EINVAL);
    assert_string_equal(f->err.msg, "unexpected argument 'stray'");
    assert_int_equal(configure(f, (const char *[]){"-c", "/nonexistent.yml", NULL}), -ENOENT);
    assert_string_equal(f->err.msg, "/nonexistent.yml: No such file or directory");

    char path[128];
    snprintf(path, sizeof(path), "%s/bad.yml", f->dir);
    write_file(path, "port: 80\nprot: 81\n");
    assert_int_equal(configure(f, (const char *[]){"-c", path, NULL}), -EINVAL);
    char want[256];
    snprintf(want, sizeof(want), "%s:2: prot: unknown key", path);
    assert_string_equal(f->err.msg, want);
}

static void test_help_version_and_help_config(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(configure(f, (const char *[]){"--version", NULL}), HC_DAEMON_DONE);
    assert_string_equal(f->out_text, "hearth-test " HEARTH_VERSION "\n");
    assert_int_equal(configure(f, (const char *[]){"-h", NULL}), HC_DAEMON_DONE);
    assert_non_null(strstr(f->out_text, "Usage: hearth-test [OPTIONS]"));
    assert_non_null(strstr(f->out_text, "--port N"));
    assert_non_null(strstr(f->out_text, "-c, --config FILE"));
    assert_non_null(strstr(f->out_text, "-f, --foreground"));
    assert_null(strstr(f->out_text, "--data-dir"));
    assert_int_equal(configure(f, (const char *[]){"--help-config", NULL}), HC_DAEMON_DONE);
    assert_non_null(strstr(f->out_text, "status.port"));
    assert_non_null(strstr(f->out_text, "log.level"));
}

typedef struct full_conf_s {
    hc_daemon_conf_t common;
    uint64_t drain_ms;
} full_conf_t;

static const hc_conf_opt_t full_opts[] = {
    HC_DAEMON_CONF_ENTRIES(full_conf_t, common, 8080, 8082, "/var/lib/hearth/test"),
    HC_CONF_MS("drain_timeout", full_conf_t, drain_ms, 20000, 0, 600000),
    HC_CONF_END,
};

static void test_common_entries_accept_every_common_flag(void **state)
{
    (void)state;
    static const hc_daemon_spec_t full_spec = {.name = "hearth-full", .conf_opts = full_opts};
    full_conf_t conf = {0};
    hc_daemon_t d;
    hc_err_t err;
    hc_daemon_init(&d, &full_spec, &conf, NULL);
    assert_int_equal(conf.common.port, 8080);
    assert_int_equal(conf.common.status_port, 8082);
    assert_string_equal(conf.common.data_dir, "/var/lib/hearth/test");
    assert_string_equal(conf.common.nats_urls[0], HC_DAEMON_NATS_DEFAULT);
    assert_int_equal(conf.common.log_level, HC_LOG_INFO);
    assert_null(conf.common.log_file);
    char *argv[] = {"hearth-full", "--nats",     "nats://a:1,nats://b:2",
                    "--port",      "1",          "--status-port",
                    "2",           "--data-dir", "/d",
                    "--log-level", "error",      "--log-file",
                    "/l",          NULL};
    assert_int_equal(hc_daemon_configure(&d, 13, argv, stdout, &err), 0);
    assert_int_equal(hc_conf_strlist_len(conf.common.nats_urls), 2);
    assert_int_equal(conf.common.port, 1);
    assert_int_equal(conf.common.status_port, 2);
    assert_string_equal(conf.common.data_dir, "/d");
    assert_int_equal(conf.common.log_level, HC_LOG_ERROR);
    assert_string_equal(conf.common.log_file, "/l");
    assert_int_equal(conf.drain_ms, 20000);
    hc_daemon_release(&d);
    assert_null(conf.common.data_dir);
}

static void test_main_exit_codes(void **state)
{
    (void)state;
    tconf_t conf;
    ctx_t ctx = {0};
    char *usage[] = {"hearth-test", "--port", "0", NULL};
    /* stderr gets the message; only the status is asserted here. */
    int saved = dup(STDERR_FILENO);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, STDERR_FILENO);
    int code = hc_daemon_main(&spec, &conf, &ctx, 3, usage);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(devnull);
    assert_int_equal(code, 2);
    assert_null(conf.nats); /* released */
}

static void test_sigterm_calls_stop_and_loop_ends_clean(void **state)
{
    fixture_t *f = *state;
    f->ctx.stop_closes = true;
    f->ctx.signal_to_raise = SIGTERM;
    char log[128];
    snprintf(log, sizeof(log), "%s/d.log", f->dir);
    assert_int_equal(configure(f, (const char *[]){"--log-file", log, NULL}), 0);
    assert_int_equal(hc_daemon_run(&f->d, &f->err), 0);
    assert_int_equal(f->ctx.starts, 1);
    assert_int_equal(f->ctx.stops, 1);
    assert_false(f->ctx.timer_open);
    assert_true(f->d.stopping);
    assert_null(f->d.loop);
    assert_int_equal(f->d.exit_code, 0);
}

static void test_sigint_too(void **state)
{
    fixture_t *f = *state;
    f->ctx.stop_closes = true;
    f->ctx.signal_to_raise = SIGINT;
    char log[128];
    snprintf(log, sizeof(log), "%s/d.log", f->dir);
    assert_int_equal(configure(f, (const char *[]){"--log-file", log, NULL}), 0);
    assert_int_equal(hc_daemon_run(&f->d, &f->err), 0);
    assert_int_equal(f->ctx.stops, 1);
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static void test_sighup_reopens_log_after_rotation(void **state)
{
    fixture_t *f = *state;
    f->ctx.stop_closes = true;
    char log[128];
    snprintf(log, sizeof(log), "%s/d.log", f->dir);
    snprintf(f->ctx.rotated, sizeof(f->ctx.rotated), "%s/d.log.1", f->dir);
    char rotated[256];
    memcpy(rotated, f->ctx.rotated, sizeof(rotated));
    assert_int_equal(configure(f, (const char *[]){"--log-file", log, NULL}), 0);
    assert_int_equal(hc_daemon_run(&f->d, &f->err), 0);
    assert_int_equal(f->ctx.reloads, 1);
    assert_int_equal(f->ctx.stops, 1);
    char *old = slurp(rotated);
    char *now = slurp(log);
    assert_non_null(strstr(old, "msg=\"started\""));
    assert_null(strstr(old, "after rotation"));
    assert_non_null(strstr(now, "msg=\"after rotation\""));
    assert_non_null(strstr(now, "msg=\"stopped\""));
    free(old);
    free(now);
}

static void test_start_failure_returns_error_and_closes_loop(void **state)
{
    fixture_t *f = *state;
    f->ctx.start_error = -EADDRINUSE;
    char log[128];
    snprintf(log, sizeof(log), "%s/d.log", f->dir);
    assert_int_equal(configure(f, (const char *[]){"--log-file", log, NULL}), 0);
    assert_int_equal(hc_daemon_run(&f->d, &f->err), -EADDRINUSE);
    assert_string_equal(f->err.msg, "bind port 8080: Address already in use");
    assert_null(f->d.loop);
}

static void test_stop_timeout_closes_what_is_left(void **state)
{
    fixture_t *f = *state;
    static hc_daemon_spec_t slow;
    slow = spec;
    slow.stop_timeout_ms = 20;
    f->d.spec = &slow;
    f->ctx.stop_closes = false; /* the daemon never finishes its stop */
    f->ctx.signal_to_raise = SIGTERM;
    char log[128];
    snprintf(log, sizeof(log), "%s/d.log", f->dir);
    assert_int_equal(configure(f, (const char *[]){"--log-file", log, NULL}), 0);
    assert_int_equal(hc_daemon_run(&f->d, &f->err), 0);
    assert_int_equal(f->ctx.stops, 1);
    assert_int_equal(f->d.exit_code, 1);
    assert_null(f->d.loop);
}

static void test_second_signal_forces_exit(void **state)
{
    fixture_t *f = *state;
    char log[128];
    snprintf(log, sizeof(log), "%s/d.log", f->dir);
    assert_int_equal(configure(f, (const char *[]){"--log-file", log, NULL}), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* The stop never completes; the second SIGTERM must end the process at once. */
        f->ctx.stop_closes = false;
        f->ctx.signal_to_raise = SIGTERM;
        static hc_daemon_spec_t stubborn;
        stubborn = spec;
        stubborn.stop_timeout_ms = 600000;
        f->d.spec = &stubborn;
        hc_err_t err;
        hc_daemon_run(&f->d, &err);
        _exit(99); /* not reached when the second signal works */
    }
    /* Give the child a second signal once its stop began: poll the log for "stopping". */
    for (int i = 0; i < 10000; i++) {
        FILE *fp = fopen(log, "r");
        char buf[8192] = "";
        if (fp) {
            size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
            buf[n] = '\0';
            fclose(fp);
        }
        if (strstr(buf, "msg=\"stopping\""))
            break;
        usleep(1000);
    }
    kill(pid, SIGTERM);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_arguments_gives_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flags_override_file_which_overrides_defaults, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_extra_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_values_and_usage_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_help_version_and_help_config, setup, teardown),
        cmocka_unit_test(test_common_entries_accept_every_common_flag),
        cmocka_unit_test_setup_teardown(test_main_exit_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigterm_calls_stop_and_loop_ends_clean, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sigint_too, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sighup_reopens_log_after_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_failure_returns_error_and_closes_loop, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stop_timeout_closes_what_is_left, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_signal_forces_exit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
