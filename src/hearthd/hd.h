/*
 * hd.h - hearthd, the micro cloud: runs every hearth daemon on one host with generated
 * settings, restarts any that dies (with backoff), stops them all on SIGTERM.
 */
#ifndef HEARTH_HEARTHD_HD_H
#define HEARTH_HEARTHD_HD_H

#include <uv.h>

#include "hc_daemon.h"
#include "hc_proc.h"

#define HD_MAX_ARGS 32
#define HD_RESTART_MIN_MS 500   /* first restart delay */
#define HD_RESTART_MAX_MS 30000 /* backoff ceiling */
#define HD_HEALTHY_RUN_MS 60000 /* a run this long resets the backoff */
#define HD_STOP_GRACE_MS 10000  /* SIGTERM, then SIGKILL after this */

typedef struct hd_conf_s {
    char *data_dir;
    int port_base; /* 0: the well-known ports; N: every port is N + a fixed offset */
    char *domain;
    char *bin_dir; /* NULL: the directory hearthd was started from */
    int log_level;
    char *log_file;
} hd_conf_t;

/* Every port of the micro cloud, derived once from port_base. */
typedef struct hd_ports_s {
    int router, router_tls, router_status, bus, bus_monitor, cc, dea, hm, broker, broker_status;
    int dea_status;
} hd_ports_t;

/* Secrets the daemons share, made once and kept in DATA/secrets.json (0600). */
typedef struct hd_secrets_s {
    char admin_email[128];
    char admin_password[33];
    char bulk_user[33], bulk_password[33];
    char broker_password[33];
} hd_secrets_t;

typedef struct hd_s hd_t;

/* One supervised daemon. */
typedef struct hd_child_s {
    hd_t *hd;
    const char *name; /* "bus", "router", ... */
    char *bin;        /* absolute path of its binary */
    char *argv[HD_MAX_ARGS + 1];
    size_t argc;
    char *log_path;
    hc_proc_t *proc;
    uv_timer_t restart_timer;
    uint64_t started_ms;
    uint64_t backoff_ms;
    unsigned restarts;
} hd_child_t;

struct hd_s {
    hc_daemon_t *daemon;
    hd_conf_t *conf;
    hd_ports_t ports;
    hd_secrets_t secrets;
    char *logs_dir;
    char *conf_dir; /* generated configs: DATA/config */
    struct hc_http_client_s *http;
    uv_timer_t admin_timer;
    unsigned admin_tries;
    bool admin_started, admin_done;
    hd_child_t *children;
    size_t nchildren;
    size_t running;
    uv_timer_t kill_timer;
    bool stopping;
};

/* Computes every port from conf->port_base. */
void hd_ports_init(hd_ports_t *ports, int port_base);
/*
 * Fills hd->children with the daemons to run, in start order, skipping a binary that is
 * missing or does not answer --help (a component not built in this version). Blocking
 * (runs each binary once): call before the loop. Returns 0 or -errno with err set.
 */
int hd_components_plan(hd_t *hd, hc_err_t *err);
/* True when the component called name will run. */
bool hd_component_planned(const hd_t *hd, const char *name);
/* Frees what hd_components_plan allocated. */
void hd_components_release(hd_t *hd);

/*
 * Loads DATA/secrets.json, or makes new secrets and writes it (atomically, 0600), then
 * writes every daemon's generated config into conf_dir. Blocking: call before the loop.
 */
int hd_config_write(hd_t *hd, hc_err_t *err);

/*
 * Once the CC answers, registers the admin user (admins: the email in the CC's config) and
 * prints the credentials; retried every 500 ms for a minute. Loop thread.
 */
void hd_admin_start(hd_t *hd);
void hd_admin_stop(hd_t *hd);

/* Starts every planned child; a failure to spawn is retried with backoff. */
int hd_supervise_start(hd_t *hd, hc_err_t *err);
/* SIGTERM to every child in reverse start order, SIGKILL after HD_STOP_GRACE_MS. */
void hd_supervise_stop(hd_t *hd);

#endif
