/*
 * hd.h - hearthd, the micro cloud: runs every hearth daemon on one host with generated
 * settings, restarts any that dies (with backoff), stops them all on SIGTERM.
 */
#ifndef HEARTH_HEARTHD_HD_H
#define HEARTH_HEARTHD_HD_H

#include <uv.h>

#include "hc_daemon.h"
#include "hc_proc.h"

#define HD_MAX_ARGS 40
#define HD_MAX_CHILDREN 16
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
    /* Backing services for the broker (services.c). */
    char **services;  /* names to run: postgresql, mysql, redis, rabbitmq ("none": none) */
    char *pg_bin_dir; /* NULL: the newest /usr/lib/postgresql/N/bin */
    char *mariadbd, *mariadb_install_db, *redis_server, *rabbitmq_server, *epmd;
} hd_conf_t;

/* Every port of the micro cloud, derived once from port_base. */
typedef struct hd_ports_s {
    int router, router_tls, router_status, bus, bus_monitor, cc, dea, hm, broker, broker_status;
    int dea_status;
    int pg, mysql, amqp, amqp_mgmt, epmd, amqp_dist; /* backing services */
} hd_ports_t;

/* Secrets the daemons share, made once and kept in DATA/secrets.json (0600). */
typedef struct hd_secrets_s {
    char admin_email[128];
    char admin_password[33];
    char bulk_user[33], bulk_password[33];
    char broker_password[33];
    char services_password[33]; /* admin password of the backing services */
} hd_secrets_t;

/* Which backing services run (their binaries exist and their data dir is usable). */
typedef struct hd_svc_plan_s {
    bool pg, mysql, redis, rabbitmq;
} hd_svc_plan_t;

typedef struct hd_s hd_t;

/* A JSON POST to a daemon on loopback (post.c). */
typedef struct hd_post_s hd_post_t;
/* status: the HTTP status, or 0 with error set (connect failed, timed out ...). body and error
 * are valid during the call only. */
typedef void (*hd_post_cb)(int status, const char *body, size_t body_len, const char *error,
                           void *ud);
/*
 * POSTs json to http://127.0.0.1:port/path ("Connection: close"), calling cb once with the
 * answer, within timeout_ms. *ret (may be NULL) is valid until cb runs or hd_post_cancel.
 * Returns 0, or < 0 with err set (then cb is never called). Loop thread.
 */
int hd_post(uv_loop_t *loop, int port, const char *path, const char *json, uint64_t timeout_ms,
            hd_post_cb cb, void *ud, hd_post_t **ret, hc_err_t *err);
/* Abandons a request whose callback has not run: the callback never runs. */
void hd_post_cancel(hd_post_t *p);

/* One supervised daemon. */
typedef struct hd_child_s {
    hd_t *hd;
    const char *name; /* "bus", "router", ... */
    char *bin;        /* absolute path of its binary */
    char *argv[HD_MAX_ARGS + 1];
    size_t argc;
    char *log_path;
    char **env; /* NULL-terminated "K=V" list, NULL: hearthd's environment */
    /* A first-start step (initdb ...): run when init_done does not exist, writing into
     * init_tmp, which is renamed to init_done when it succeeds. */
    char *init_argv[HD_MAX_ARGS + 1];
    size_t init_argc;
    char *init_tmp, *init_done;
    bool in_init;
    bool service;    /* a backing service: stopped after every hearth daemon */
    bool stop_last;  /* a service others need until they exit (epmd for RabbitMQ) */
    int stop_signal; /* 0: SIGTERM */
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
    hd_svc_plan_t svc;
    bool cc_router_port; /* this CC knows the router_port setting */
    char *logs_dir;
    char *conf_dir;        /* generated configs: DATA/config */
    hd_post_t *admin_post; /* the admin registration in flight, or NULL */
    uv_timer_t admin_timer;
    unsigned admin_tries;
    bool admin_started, admin_done;
    hd_child_t *children;
    size_t nchildren;
    size_t running;
    size_t running_daemons; /* running children that are not backing services */
    bool services_stopping;
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
 * Loads DATA/secrets.json, or makes new secrets and writes it (atomically, 0600); a secret
 * missing from an older file is made and saved. Blocking: call before the loop.
 */
int hd_secrets_init(hd_t *hd, hc_err_t *err);
/* Writes every daemon's generated config into conf_dir (after the plan). Blocking. */
int hd_config_write(hd_t *hd, hc_err_t *err);

/*
 * Appends the backing services to run (PostgreSQL, MariaDB, RabbitMQ with its epmd) to
 * hd->children and sets hd->svc; a service whose binary is missing or whose data dir its
 * user cannot reach is logged and left out, so the broker offers only the others. Makes
 * DATA/services/NAME and the files the servers read. Blocking: call before the loop.
 */
void hd_services_plan(hd_t *hd);
/* Appends "K=V" to a child's environment (the first call copies hearthd's). */
void hd_child_setenv(hd_child_t *c, const char *key, const char *value);
/* Appends an argument to a child's command line (init: its first-start step). */
void hd_child_arg(hd_child_t *c, bool init, const char *fmt, ...) HC_PRINTF(3, 4);
/* A new child at the end of hd->children (capacity HD_MAX_CHILDREN). */
hd_child_t *hd_child_add(hd_t *hd, const char *name, char *bin);
/* Removes what an interrupted first-start step of c left in c->init_tmp. */
void hd_services_clear_init(hd_child_t *c);
/* Stops the redis-servers the broker started for its instances (they run on their own). */
void hd_services_stop_redis(hd_t *hd);

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
