/*
 * The common daemon command line. Written by hand rather than with getopt_long: the option
 * set is built from two tables at run time, errors must read like the config loader's, and
 * the parser keeps no global state, so tests can call it many times in one process.
 */
#include <string.h>

#include "hc_daemon.h"

typedef enum act_e { ACT_CONFIG, ACT_KEY, ACT_HELP, ACT_HELP_CONFIG, ACT_VERSION } act_t;

typedef struct common_opt_s {
    hc_daemon_opt_t o;
    act_t act;
} common_opt_t;

#define COMMON(n_, s_, a_, h_, k_, act_)                                                           \
    {                                                                                              \
        {.name = (n_), .short_name = (s_), .arg = (a_), .help = (h_), .key = (k_)}, (act_)         \
    }

static const common_opt_t common_opts[] = {
    COMMON("config", 'c', "FILE", "YAML configuration file (default: built-in settings)", NULL,
           ACT_CONFIG),
    COMMON("nats", 0, "URL[,URL...]", "bus servers", HC_DAEMON_KEY_NATS, ACT_KEY),
    COMMON("port", 0, "N", "listen port", HC_DAEMON_KEY_PORT, ACT_KEY),
    COMMON("status-port", 0, "N", "status port (/healthz, /varz)", HC_DAEMON_KEY_STATUS_PORT,
           ACT_KEY),
    COMMON("data-dir", 0, "DIR", "data directory", HC_DAEMON_KEY_DATA_DIR, ACT_KEY),
    COMMON("log-level", 0, "LEVEL", "error, warn, info or debug", HC_DAEMON_KEY_LOG_LEVEL, ACT_KEY),
    COMMON("log-file", 0, "FILE", "log to FILE instead of stderr", HC_DAEMON_KEY_LOG_FILE, ACT_KEY),
    COMMON("help", 'h', NULL, "show this help and exit", NULL, ACT_HELP),
    COMMON("help-config", 0, NULL, "list every configuration key and exit", NULL, ACT_HELP_CONFIG),
    COMMON("version", 'V', NULL, "print the version and exit", NULL, ACT_VERSION),
};

/* A matched option: either common (act) or extra. */
typedef struct match_s {
    const hc_daemon_opt_t *o;
    act_t act;
    bool extra;
} match_t;

static bool offered(const hc_daemon_spec_t *spec, const common_opt_t *c)
{
    return c->act != ACT_KEY || hc_conf_find(spec->conf_opts, c->o.key) != NULL;
}

static bool find_opt(const hc_daemon_spec_t *spec, const char *name, size_t len, char short_name,
                     match_t *m)
{
    for (size_t i = 0; i < HC_ARRAY_SIZE(common_opts); i++) {
        const common_opt_t *c = &common_opts[i];
        bool hit = short_name ? c->o.short_name == short_name
                              : strlen(c->o.name) == len && !strncmp(c->o.name, name, len);
        if (hit && offered(spec, c)) {
            *m = (match_t){&c->o, c->act, false};
            return true;
        }
    }
    for (const hc_daemon_opt_t *o = spec->opts; o && o->name; o++) {
        bool hit = short_name ? o->short_name == short_name
                              : strlen(o->name) == len && !strncmp(o->name, name, len);
        if (hit) {
            *m = (match_t){o, o->key ? ACT_KEY : ACT_CONFIG, true};
            return true;
        }
    }
    return false;
}

static bool takes_arg(const match_t *m)
{
    return m->o->arg != NULL || m->o->key != NULL || m->o->value != NULL;
}

static void print_opt(FILE *out, const hc_daemon_opt_t *o)
{
    char left[64];
    char sh[8] = "    ";
    if (o->short_name)
        snprintf(sh, sizeof(sh), "-%c, ", o->short_name);
    const char *arg = o->arg ? o->arg : (o->key || o->value ? "VALUE" : NULL);
    snprintf(left, sizeof(left), "%s--%s%s%s", sh, o->name, arg ? " " : "", arg ? arg : "");
    fprintf(out, "  %-30s %s", left, o->help ? o->help : "");
    if (o->key)
        fprintf(out, " (config key %s)", o->key);
    fputc('\n', out);
}

void hc_daemon_print_usage(const hc_daemon_spec_t *spec, FILE *out)
{
    fprintf(out, "Usage: %s [OPTIONS]\n", spec->name);
    if (spec->summary)
        fprintf(out, "%s\n", spec->summary);
    fprintf(out, "\nOptions:\n");
    for (size_t i = 0; i < HC_ARRAY_SIZE(common_opts); i++)
        if (offered(spec, &common_opts[i]))
            print_opt(out, &common_opts[i].o);
    for (const hc_daemon_opt_t *o = spec->opts; o && o->name; o++)
        print_opt(out, o);
    fprintf(out, "\nPrecedence: built-in defaults < config file < options. "
                 "See --help-config for every key.\n");
}

/* A flag to apply after the file: its option and its argument (in argv). */
typedef struct pending_s {
    const hc_daemon_opt_t *o;
    const char *value;
} pending_t;

int hc_daemon_configure(hc_daemon_t *d, int argc, char **argv, FILE *out, hc_err_t *err)
{
    const hc_daemon_spec_t *spec = d->spec;
    pending_t *pending = hc_calloc((size_t)(argc > 0 ? argc : 1), sizeof(pending_t));
    size_t n_pending = 0;
    int r = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        match_t m;
        const char *value = NULL;
        bool inline_value = false;
        if (strcmp(a, "--") == 0) {
            if (i + 1 < argc)
                r = hc_err_set(err, -EINVAL, "unexpected argument '%s'", argv[i + 1]);
            break;
        }
        if (a[0] == '-' && a[1] == '-') {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            if (!find_opt(spec, name, len, 0, &m)) {
                r = hc_err_set(err, -EINVAL, "unknown option --%.*s", (int)HC_MIN(len, 64u), name);
                goto out;
            }
            if (eq) {
                value = eq + 1;
                inline_value = true;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            if (!find_opt(spec, NULL, 0, a[1], &m)) {
                r = hc_err_set(err, -EINVAL, "unknown option -%c", a[1]);
                goto out;
            }
            if (a[2] != '\0') {
                value = a + 2;
                inline_value = true;
            }
        } else {
            r = hc_err_set(err, -EINVAL, "unexpected argument '%.64s'", a);
            goto out;
        }

        if (takes_arg(&m) && !inline_value) {
            if (i + 1 >= argc) {
                r = hc_err_set(err, -EINVAL, "option --%s needs an argument", m.o->name);
                goto out;
            }
            value = argv[++i];
        } else if (!takes_arg(&m) && inline_value) {
            r = hc_err_set(err, -EINVAL, "option --%s takes no argument", m.o->name);
            goto out;
        }

        if (m.extra) {
            if (m.o->flag)
                *m.o->flag = true;
            if (m.o->value)
                *m.o->value = value;
            if (m.o->key)
                pending[n_pending++] = (pending_t){m.o, value};
            continue;
        }
        switch (m.act) {
        case ACT_CONFIG:
            d->conf_path = value;
            break;
        case ACT_KEY:
            pending[n_pending++] = (pending_t){m.o, value};
            break;
        case ACT_HELP:
            hc_daemon_print_usage(spec, out);
            r = HC_DAEMON_DONE;
            goto out;
        case ACT_HELP_CONFIG:
            hc_conf_print_help(spec->conf_opts, out);
            r = HC_DAEMON_DONE;
            goto out;
        case ACT_VERSION:
            fprintf(out, "%s %s\n", spec->name, HEARTH_VERSION);
            r = HC_DAEMON_DONE;
            goto out;
        }
    }
    if (r < 0)
        goto out;

    if (d->conf_path) {
        r = hc_conf_load_file(spec->conf_opts, d->conf, d->conf_path, err);
        if (r < 0)
            goto out;
    }
    for (size_t i = 0; i < n_pending; i++) {
        const hc_conf_opt_t *opt = hc_conf_find(spec->conf_opts, pending[i].o->key);
        if (!opt) {
            /* Only an extra option can name a key the table lacks: the daemon's bug. */
            r = hc_err_set(err, -EINVAL, "--%s: no config key %s", pending[i].o->name,
                           pending[i].o->key);
            goto out;
        }
        r = hc_conf_opt_set(opt, d->conf, pending[i].value, err);
        if (r < 0) {
            hc_err_wrap(err, "--%s", pending[i].o->name);
            goto out;
        }
    }
    if (spec->check) {
        r = spec->check(d, err);
        if (r < 0)
            goto out;
    }
    r = 0;
out:
    free(pending);
    return r;
}
