/*
 * hc_daemon.h - the command line and skeleton every hearth daemon shares.
 *
 * Command line (every daemon):
 *   -c, --config FILE        YAML config file (without it: built-in defaults only)
 *       --nats URL[,URL...]  sets conf key "nats.urls"
 *       --port N             sets conf key "port"
 *       --status-port N      sets conf key "status.port"
 *       --data-dir DIR       sets conf key "data_dir"
 *       --log-level LEVEL    sets conf key "log.level" (error, warn, info, debug)
 *       --log-file FILE      sets conf key "log.file" (default: stderr)
 *   -h, --help / --help-config / -V, --version
 * plus the daemon's own options (hc_daemon_opt_t). A common flag whose key is not in the
 * daemon's conf table is not offered (it is an unknown option for that daemon).
 * Precedence: built-in defaults < config file < flags; flags are applied through the same
 * option table, so `--port 70000` fails exactly like `port: 70000` in the file.
 *
 * Skeleton (hc_daemon_run): one libuv loop; SIGTERM/SIGINT call spec->stop once (graceful:
 * close your listeners and connections; the loop ends when no handle is left), a second
 * stop signal exits at once with status 1; SIGHUP reopens the log file (rotation) and then
 * calls spec->reload; SIGPIPE is ignored. When the loop ends, or spec->stop_timeout_ms after
 * the stop began, every remaining handle is closed so the loop closes clean.
 *
 * A whole main.c:
 *   static const hc_daemon_spec_t spec = {
 *       .name = "hearth-router", .comp = "router", .summary = "HTTP router fed by the bus",
 *       .conf_opts = rtr_conf_opts, .start = rtr_start, .stop = rtr_stop,
 *   };
 *   int main(int argc, char **argv)
 *   {
 *       rtr_conf_t conf = {0};
 *       rtr_t rtr = {0};
 *       return hc_daemon_main(&spec, &conf, &rtr, argc, argv);
 *   }
 * Loop thread only.
 */
#ifndef HEARTH_CORE_DAEMON_H
#define HEARTH_CORE_DAEMON_H

#include <stdio.h>

#include <uv.h>

#include "hc_base.h"
#include "hc_conf.h"
#include "hc_log.h"

/* Conf keys the common flags set; use them in the daemon's table to accept the flag. */
#define HC_DAEMON_KEY_NATS "nats.urls"
#define HC_DAEMON_KEY_PORT "port"
#define HC_DAEMON_KEY_STATUS_PORT "status.port"
#define HC_DAEMON_KEY_DATA_DIR "data_dir"
#define HC_DAEMON_KEY_LOG_LEVEL "log.level"
#define HC_DAEMON_KEY_LOG_FILE "log.file"

/* Ready-made table entries for the log keys the skeleton applies (level ENUM, file STR). */
#define HC_CONF_LOG_ENTRIES(T_, level_field_, file_field_)                                         \
    HC_CONF_ENUM(HC_DAEMON_KEY_LOG_LEVEL, T_, level_field_, hc_conf_log_levels, HC_LOG_INFO,       \
                 "lowest level logged"),                                                           \
        HC_CONF_STR(HC_DAEMON_KEY_LOG_FILE, T_, file_field_, NULL,                                 \
                    "log file, reopened on SIGHUP (default: stderr)")

/*
 * The settings behind the common flags, for a daemon to embed in its config struct, with the
 * table entries that fill it, so every daemon accepts every common flag the same way:
 *   typedef struct rtr_conf_s { hc_daemon_conf_t common; uint64_t drain_ms; } rtr_conf_t;
 *   HC_DAEMON_CONF_ENTRIES(rtr_conf_t, common, 8080, 8082, "/var/lib/hearth/router"),
 */
typedef struct hc_daemon_conf_s {
    char **nats_urls; /* never NULL after the defaults */
    int port;
    int status_port;
    char *data_dir;
    int log_level;
    char *log_file; /* NULL: stderr */
} hc_daemon_conf_t;

#define HC_DAEMON_NATS_DEFAULT "nats://127.0.0.1:4222"

#define HC_DAEMON_CONF_ENTRIES(T_, m_, port_, status_port_, data_dir_)                             \
    HC_CONF_STRLIST(HC_DAEMON_KEY_NATS, T_, m_.nats_urls, HC_DAEMON_NATS_DEFAULT,                  \
                    "bus servers (NATS URLs)"),                                                    \
        HC_CONF_INT(HC_DAEMON_KEY_PORT, T_, m_.port, port_, 1, 65535, "listen port"),              \
        HC_CONF_INT(HC_DAEMON_KEY_STATUS_PORT, T_, m_.status_port, status_port_, 1, 65535,         \
                    "status port (/healthz, /varz)"),                                              \
        HC_CONF_STR(HC_DAEMON_KEY_DATA_DIR, T_, m_.data_dir, data_dir_, "data directory"),         \
        HC_CONF_LOG_ENTRIES(T_, m_.log_level, m_.log_file)

#define HC_DAEMON_DONE 1 /* hc_daemon_configure: --help/--version printed, exit 0 */
#define HC_DAEMON_STOP_TIMEOUT_MS 30000

typedef struct hc_daemon_s hc_daemon_t;

/*
 * A daemon-specific option. Give exactly one destination: key (a conf key set with flag
 * precedence, the option then takes an argument), flag (set to true; no argument) or value
 * (set to the argument, which points into argv). Tables end with {NULL}.
 */
typedef struct hc_daemon_opt_s {
    const char *name; /* long name without "--" */
    char short_name;  /* 'f' for -f, or 0 */
    const char *arg;  /* argument name in --help ("DIR"); NULL: the option takes none */
    const char *help;
    const char *key;
    bool *flag;
    const char **value;
} hc_daemon_opt_t;

typedef struct hc_daemon_spec_s {
    const char *name;    /* program name in usage and messages: "hearth-router" */
    const char *comp;    /* comp= in log lines: "router" */
    const char *summary; /* one line under Usage */
    const hc_conf_opt_t *conf_opts;
    const hc_daemon_opt_t *opts; /* extra options, or NULL */
    /* After file and flags: cross-field checks. Return 0 or -EINVAL with err set. */
    int (*check)(hc_daemon_t *d, hc_err_t *err);
    /* On the loop, before it runs: open listeners, connect. Return 0 or negative + err. */
    int (*start)(hc_daemon_t *d, hc_err_t *err);
    /* First SIGTERM/SIGINT or hc_daemon_stop(): begin a graceful stop. NULL: stop at once. */
    void (*stop)(hc_daemon_t *d);
    /* When set, the first SIGTERM calls this instead of stop (the DEA evacuates); the daemon
     * ends itself with hc_daemon_stop. SIGINT, and a SIGTERM after it, still stop. */
    void (*term)(hc_daemon_t *d);
    /* SIGHUP, after the log file was reopened. May be NULL. */
    void (*reload)(hc_daemon_t *d);
    uint64_t stop_timeout_ms; /* 0: HC_DAEMON_STOP_TIMEOUT_MS */
} hc_daemon_spec_t;

struct hc_daemon_s {
    const hc_daemon_spec_t *spec;
    void *conf;            /* the daemon's config struct (borrowed) */
    void *data;            /* the daemon's context (borrowed); loop->data points at d */
    uv_loop_t *loop;       /* valid inside hc_daemon_run */
    const char *conf_path; /* -c FILE, or NULL */
    int exit_code;         /* returned by hc_daemon_main; the daemon may set it */
    bool stopping;         /* a stop has begun */
    bool terminating;      /* spec->term was called */
    /* private */
    uv_loop_t _loop;
    uv_signal_t _sigterm, _sigint, _sighup;
    uv_timer_t _stop_timer;
};

/*
 * Sets up d and fills conf's table fields with their defaults (other fields are not touched:
 * zero the struct first). Borrows spec, conf and data.
 */
void hc_daemon_init(hc_daemon_t *d, const hc_daemon_spec_t *spec, void *conf, void *data);

/*
 * Parses argv (argv[0] ignored), then loads -c FILE over the defaults and applies the flags
 * over the file, then spec->check. Returns 0 (run), HC_DAEMON_DONE (help or version printed
 * to out) or -EINVAL / -errno with a message: "unknown option --prot", "option --port needs
 * an argument", "--port: 70000 is out of range 1..65535", "router.yml:3: prot: unknown key",
 * "router.yml: No such file or directory". Blocking (reads the file): call before the loop.
 */
int hc_daemon_configure(hc_daemon_t *d, int argc, char **argv, FILE *out, hc_err_t *err);

/* Prints the usage text (common and extra options) to out. */
void hc_daemon_print_usage(const hc_daemon_spec_t *spec, FILE *out);

/*
 * Applies log.level/log.file, creates the loop, installs the signal handlers, calls
 * spec->start and runs until every handle is closed; then closes what is left and the loop.
 * Returns 0, or negative with err set when the log file, the loop or spec->start failed.
 */
int hc_daemon_run(hc_daemon_t *d, hc_err_t *err);

/* Begins the graceful stop, as the first SIGTERM does. Idempotent. */
void hc_daemon_stop(hc_daemon_t *d);

/* Frees what configure and the conf table allocated (hc_conf_free on conf). */
void hc_daemon_release(hc_daemon_t *d);

/*
 * Closes every handle of loop that is not closing yet (without callbacks), runs the loop
 * until they are closed, and closes it. Returns 0 or UV_EBUSY (requests still pending).
 */
int hc_daemon_close_loop(uv_loop_t *loop);

/*
 * All of the above for main(): init, configure (errors to stderr, exit 2), run (start
 * failure logged, exit 1), release. Returns the process exit status.
 */
int hc_daemon_main(const hc_daemon_spec_t *spec, void *conf, void *data, int argc, char **argv);

#endif
