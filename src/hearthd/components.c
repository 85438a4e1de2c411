/* Which daemons the micro cloud runs, on which ports, with which arguments. */
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hc_fs.h"
#include "hd.h"

void hd_ports_init(hd_ports_t *p, int base)
{
    if (base == 0) {
        *p = (hd_ports_t){.router = 8080,
                          .router_tls = 8443,
                          .router_status = 8082,
                          .bus = 4222,
                          .bus_monitor = 8222,
                          .cc = 9022,
                          .dea = 9023,
                          .hm = 9024,
                          .broker = 9025,
                          .broker_status = 9026,
                          .dea_status = 9027,
                          .pg = 9028,
                          .mysql = 9029,
                          .amqp = 9030,
                          .amqp_mgmt = 9031,
                          .epmd = 9032,
                          .amqp_dist = 9033};
        return;
    }
    *p = (hd_ports_t){.router = base,
                      .router_tls = base + 1,
                      .router_status = base + 2,
                      .bus = base + 3,
                      .bus_monitor = base + 4,
                      .cc = base + 5,
                      .dea = base + 6,
                      .hm = base + 7,
                      .broker = base + 8,
                      .broker_status = base + 9,
                      .dea_status = base + 10,
                      .pg = base + 11,
                      .mysql = base + 12,
                      .amqp = base + 13,
                      .amqp_mgmt = base + 14,
                      .epmd = base + 15,
                      .amqp_dist = base + 16};
}

void hd_child_arg(hd_child_t *c, bool init, const char *fmt, ...)
{
    char **argv = init ? c->init_argv : c->argv;
    size_t *argc = init ? &c->init_argc : &c->argc;
    hc_assert(*argc < HD_MAX_ARGS);
    va_list ap;
    va_start(ap, fmt);
    hc_buf_t b;
    hc_buf_init(&b, 4096);
    hc_buf_vappendf(&b, fmt, ap);
    va_end(ap);
    argv[(*argc)++] = hc_buf_detach(&b, NULL);
    argv[*argc] = NULL;
}

#define child_arg(c, ...) hd_child_arg((c), false, __VA_ARGS__)

void hd_child_setenv(hd_child_t *c, const char *key, const char *value)
{
    size_t n = 0;
    if (!c->env) {
        size_t total = 0;
        while (environ[total])
            total++;
        c->env = hc_calloc(total + 1, sizeof(*c->env));
        for (size_t i = 0; i < total; i++)
            c->env[i] = hc_strdup(environ[i]);
    }
    size_t klen = strlen(key);
    for (n = 0; c->env[n]; n++) {
        if (strncmp(c->env[n], key, klen) == 0 && c->env[n][klen] == '=') {
            free(c->env[n]);
            c->env[n] = hc_asprintf("%s=%s", key, value);
            return;
        }
    }
    c->env = hc_reallocarray(c->env, n + 2, sizeof(*c->env));
    c->env[n] = hc_asprintf("%s=%s", key, value);
    c->env[n + 1] = NULL;
}

hd_child_t *hd_child_add(hd_t *hd, const char *name, char *bin)
{
    hc_assert(hd->nchildren < HD_MAX_CHILDREN);
    hd_child_t *c = &hd->children[hd->nchildren++];
    c->hd = hd;
    c->name = name;
    c->bin = bin;
    c->log_path = hc_asprintf("%s/%s.log", hd->logs_dir, name);
    return c;
}

/* True when the binary exists and is a real daemon (it answers --help with status 0). */
static bool component_built(const char *bin)
{
    if (access(bin, X_OK) != 0)
        return false;
    char *const argv[] = {(char *)bin, "--help", NULL};
    hc_proc_opts_t opts = {.file = bin, .argv = argv};
    hc_proc_result_t res = {0};
    int r = hc_proc_run(&opts, 5000, 0, &res, NULL);
    bool ok = r == 0 && !res.timed_out && res.term_signal == 0 && res.exit_status == 0;
    hc_proc_result_release(&res);
    return ok;
}

/* True when the daemon's --help-config lists key (a setting newer than some builds). */
static bool component_has_key(const char *bin, const char *key)
{
    char *const argv[] = {(char *)bin, "--help-config", NULL};
    hc_proc_opts_t opts = {.file = bin, .argv = argv};
    hc_proc_result_t res = {0};
    bool yes = false;
    if (hc_proc_run(&opts, 5000, 256 * 1024, &res, NULL) == 0 && res.exit_status == 0 &&
        res.output) {
        size_t klen = strlen(key);
        for (const char *line = res.output; line && *line;) {
            if (strncmp(line, key, klen) == 0 && (line[klen] == ' ' || line[klen] == '\t'))
                yes = true;
            line = strchr(line, '\n');
            if (line)
                line++;
        }
    }
    hc_proc_result_release(&res);
    return yes;
}

/* Appends the child's command line: its binary, then its flags. */
static void component_args(hd_t *hd, hd_child_t *c, const char *data_dir)
{
    const hd_ports_t *p = &hd->ports;
    char nats[64];
    snprintf(nats, sizeof(nats), "nats://127.0.0.1:%d", p->bus);
    const char *level = hc_log_level_name(hd->conf->log_level);

    child_arg(c, "%s", c->bin);
    if (strcmp(c->name, "bus") == 0) {
        child_arg(c, "-a");
        child_arg(c, "127.0.0.1");
        child_arg(c, "-p");
        child_arg(c, "%d", p->bus);
        child_arg(c, "-m");
        child_arg(c, "%d", p->bus_monitor);
        return;
    }
    if (strcmp(c->name, "warden") == 0) {
        child_arg(c, "-c");
        child_arg(c, "%s/warden.yml", hd->conf_dir);
        child_arg(c, "--socket");
        child_arg(c, "%s/warden.sock", data_dir);
        child_arg(c, "--data-dir");
        child_arg(c, "%s/warden", data_dir);
        child_arg(c, "--log-level");
        child_arg(c, "%s", level);
        return;
    }
    child_arg(c, "--nats");
    child_arg(c, "%s", nats);
    child_arg(c, "--log-level");
    child_arg(c, "%s", level);
    if (strcmp(c->name, "router") == 0) {
        child_arg(c, "--port");
        child_arg(c, "%d", p->router);
        child_arg(c, "--status-port");
        child_arg(c, "%d", p->router_status);
    } else if (strcmp(c->name, "cc") == 0) {
        child_arg(c, "-c");
        child_arg(c, "%s/cc.yml", hd->conf_dir);
        child_arg(c, "--port");
        child_arg(c, "%d", p->cc);
        child_arg(c, "--data-dir");
        child_arg(c, "%s/cc", data_dir);
    } else if (strcmp(c->name, "dea") == 0) {
        child_arg(c, "-c");
        child_arg(c, "%s/dea.yml", hd->conf_dir);
        child_arg(c, "--status-port");
        child_arg(c, "%d", p->dea_status);
        child_arg(c, "--port");
        child_arg(c, "%d", p->dea);
        child_arg(c, "--data-dir");
        child_arg(c, "%s/dea", data_dir);
    } else if (strcmp(c->name, "hm") == 0) {
        child_arg(c, "-c");
        child_arg(c, "%s/hm.yml", hd->conf_dir);
        child_arg(c, "--status-port");
        child_arg(c, "%d", p->hm);
    } else if (strcmp(c->name, "broker") == 0) {
        child_arg(c, "-c");
        child_arg(c, "%s/broker.yml", hd->conf_dir);
        child_arg(c, "--port");
        child_arg(c, "%d", p->broker);
        child_arg(c, "--status-port");
        child_arg(c, "%d", p->broker_status);
        child_arg(c, "--data-dir");
        child_arg(c, "%s/broker", data_dir);
    }
}

/* Start order: the bus first, then what registers on it, then what acts on the others. */
static const struct {
    const char *name, *bin;
} components[] = {
    {"bus", "hearth-bus"},       {"router", "hearth-router"}, {"warden", "hearth-warden"},
    {"cc", "hearth-cc"},         {"dea", "hearth-dea"},       {"hm", "hearth-hm"},
    {"broker", "hearth-broker"},
};

int hd_components_plan(hd_t *hd, hc_err_t *err)
{
    const char *data_dir = hd->conf->data_dir;
    int r = hc_mkdir_p(AT_FDCWD, hd->logs_dir, 0750, err);
    if (r < 0)
        return r;
    hd->children = hc_calloc(HD_MAX_CHILDREN, sizeof(*hd->children));
    /* Backing services first, so they stop after every daemon that uses them. */
    hd_services_plan(hd);
    size_t nservices = hd->nchildren;
    for (size_t i = 0; i < HC_ARRAY_SIZE(components); i++) {
        char *bin = hc_asprintf("%s/%s", hd->conf->bin_dir, components[i].bin);
        if (!component_built(bin)) {
            hc_log_info("component not built in this version, skipped", "component",
                        components[i].name);
            free(bin);
            continue;
        }
        hd_child_t *c = hd_child_add(hd, components[i].name, bin);
        component_args(hd, c, data_dir);
        /* SIGTERM would evacuate the DEA (its apps stopped after a delay); the micro cloud's
         * stop leaves them running for the next start to re-attach. */
        if (strcmp(c->name, "dea") == 0)
            c->stop_signal = SIGINT;
        if (strcmp(c->name, "cc") == 0)
            hd->cc_router_port = component_has_key(bin, "router_port");
    }
    if (hd->nchildren == nservices)
        return hc_err_set(err, -ENOENT, "no hearth daemon found in `%s`", hd->conf->bin_dir);
    return 0;
}

bool hd_component_planned(const hd_t *hd, const char *name)
{
    for (size_t i = 0; i < hd->nchildren; i++)
        if (strcmp(hd->children[i].name, name) == 0)
            return true;
    return false;
}

void hd_components_release(hd_t *hd)
{
    for (size_t i = 0; i < hd->nchildren; i++) {
        hd_child_t *c = &hd->children[i];
        for (size_t j = 0; j < c->argc; j++)
            free(c->argv[j]);
        for (size_t j = 0; j < c->init_argc; j++)
            free(c->init_argv[j]);
        for (size_t j = 0; c->env && c->env[j]; j++)
            free(c->env[j]);
        free(c->env);
        free(c->bin);
        free(c->log_path);
        free(c->init_tmp);
        free(c->init_done);
    }
    free(hd->children);
    hd->children = NULL;
    hd->nchildren = 0;
}
