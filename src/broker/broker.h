/*
 * broker.h - hearth-broker: an Open Service Broker API v2 server (peers.md §5.3) that creates
 * real, isolated resources on PostgreSQL, MariaDB, Redis and RabbitMQ.
 *
 * Threads: the HTTP server, the in-memory tables and every reply live on the loop thread. The
 * work that talks to a backing server (libpq, child processes, HTTP to RabbitMQ) and every write
 * to broker.db runs in a job on the libuv thread pool, one job at a time per service (jobs.c),
 * so two operations never race on the same resource and the loop never blocks.
 */
#ifndef HEARTH_BROKER_H
#define HEARTH_BROKER_H

#include <jansson.h>
#include <sqlite3.h>
#include <uv.h>

#include "hc_base.h"
#include "hc_daemon.h"
#include "hc_http_server.h"
#include "hc_status.h"
#include "seal.h"

#define BRK_MAX_ID 64            /* instance and binding ids from the platform */
#define BRK_KEY_LEN 16           /* hex chars of the generated resource names */
#define BRK_PASS_LEN 32          /* hex chars of generated passwords */
#define BRK_MAX_PARAMS 16384     /* bytes of a canonical "parameters" object */
#define BRK_MAX_BODY (64 * 1024) /* request bodies */

typedef struct brk_conf_s {
    hc_daemon_conf_t common; /* port, status.port, data_dir, log.*, nats.urls (unused) */
    char *host;
    char *status_user, *status_password;
    char *user, *password; /* basic auth */
    char *api_version_min; /* "2.12" */
    bool async_only;       /* provision/deprovision without accepts_incomplete: 422 */
    int max_instances, max_bindings;
    /* Backing servers; a service is offered when its section is configured. */
    char *pg_host, *pg_user, *pg_password;
    int pg_port;
    char *my_host, *my_user, *my_password, *my_client;
    int my_port;
    bool redis_enabled;
    char *redis_host, *redis_server, *redis_cli;
    char *rmq_host, *rmq_user, *rmq_password;
    int rmq_port, rmq_mgmt_port;
    char *store_key; /* 64 hex digits sealing broker.db's secrets (unset: DATA/store.key) */
} brk_conf_t;

typedef enum brk_svc_e {
    BRK_SVC_POSTGRESQL = 0,
    BRK_SVC_MYSQL,
    BRK_SVC_REDIS,
    BRK_SVC_RABBITMQ,
    BRK_SVC_COUNT,
} brk_svc_t;

typedef struct brk_plan_s {
    const char *id, *name, *description;
    uint64_t maxmemory; /* redis: bytes */
} brk_plan_t;

typedef struct brk_service_s {
    const char *id, *name, *description;
    const char *tags[4];
    const brk_plan_t *plans;
    size_t num_plans;
} brk_service_t;

typedef enum brk_state_e {
    BRK_ST_PROVISIONING = 0,
    BRK_ST_READY,
    BRK_ST_FAILED,
    BRK_ST_DEPROVISIONING,
} brk_state_t;

/* A service instance. Strings are owned. */
typedef struct brk_inst_s {
    struct brk_inst_s *next;
    char *id;
    int svc;  /* brk_svc_t */
    int plan; /* index in the service's plans */
    char *org, *space;
    char *params; /* canonical JSON of "parameters" ("{}" when none) */
    brk_state_t state;
    char *descr;                   /* last operation's description */
    char key[BRK_KEY_LEN + 1];     /* generated: resource names derive from it */
    char secret[BRK_PASS_LEN + 1]; /* admin password of per-instance servers (redis) */
    int port;                      /* per-instance server port (redis), 0 if none */
    bool busy;                     /* a job for it is queued or running */
} brk_inst_t;

typedef struct brk_binding_s {
    struct brk_binding_s *next;
    char *id, *inst_id;
    char *app_guid; /* may be NULL */
    char *params;
    char key[BRK_KEY_LEN + 1];
    char password[BRK_PASS_LEN + 1];
    char *creds; /* JSON text of the credentials */
    bool busy;
} brk_binding_t;

/* Per-service operations (STYLE R2). Run on a worker thread; blocking is fine there. */
typedef struct brk_svc_ops_s {
    /* Creates the instance's resources; may fill inst->secret/port. Idempotent. */
    int (*provision)(const brk_conf_t *conf, brk_inst_t *inst, hc_err_t *err);
    /* Removes the instance's resources and data. Idempotent (missing is fine). */
    int (*deprovision)(const brk_conf_t *conf, const brk_inst_t *inst, hc_err_t *err);
    /* Creates a user for b (b->key, b->password are set) and returns its credentials. */
    int (*bind)(const brk_conf_t *conf, const brk_inst_t *inst, const brk_binding_t *b,
                json_t **ret_creds, hc_err_t *err);
    /* Removes b's user and cuts its connections at once. Idempotent. */
    int (*unbind)(const brk_conf_t *conf, const brk_inst_t *inst, const brk_binding_t *b,
                  hc_err_t *err);
    /* At start, for each ready instance: bring per-instance servers back. May be NULL. */
    int (*recover)(const brk_conf_t *conf, const brk_inst_t *inst, hc_err_t *err);
} brk_svc_ops_t;

extern const brk_svc_ops_t brk_pg_ops, brk_mysql_ops, brk_redis_ops, brk_rabbitmq_ops;

typedef struct brk_job_s brk_job_t;

typedef struct brk_s {
    hc_daemon_t *d;
    brk_conf_t *conf;
    uv_loop_t *loop;
    hc_http_server_t *http;
    sqlite3 *db; /* used by one job at a time (and at start, before the loop runs) */
    unsigned char seal_key[BRK_SEAL_KEY_LEN]; /* seals broker.db's secrets; set before the loop */
    brk_inst_t *insts;
    brk_binding_t *bindings;
    size_t num_insts, num_bindings;
    /* One queue per service: its jobs run one at a time, services in parallel. */
    struct {
        brk_job_t *head, *tail; /* the head is the running one */
        bool running;
    } queues[BRK_SVC_COUNT];
    hc_status_t *status;
    bool enabled[BRK_SVC_COUNT];
    bool curl_inited;
    char *json_catalog; /* built once */
    char *auth;         /* expected Authorization value: "Basic <base64(user:password)>" */
} brk_t;

/*
 * err.c: sets err to code with exactly the message given (hc_err_set would append the code's
 * strerror), for messages that carry their own reason ("postgresql: role ... does not exist").
 */
int brk_err_set(hc_err_t *err, int code, const char *fmt, ...) HC_PRINTF(3, 4);

/* catalog.c */
const brk_service_t *brk_service(int svc);
int brk_service_find(const char *service_id, const char *plan_id, int *ret_svc, int *ret_plan);
const brk_svc_ops_t *brk_svc_ops(int svc);
json_t *brk_catalog_json(const bool enabled[BRK_SVC_COUNT]);

/* broker.c */
int brk_start(hc_daemon_t *d, hc_err_t *err);
void brk_stop(hc_daemon_t *d);
int brk_check(hc_daemon_t *d, hc_err_t *err);
/* After the loop ended: frees the tables, closes broker.db. */
void brk_release(brk_t *b);

/* osb.c: the route handlers */
void brk_routes(brk_t *b);
/* At start: finishes operations a previous run left half done, brings instance servers back. */
void brk_resume(brk_t *b);

/* tables.c: in-memory instances and bindings */
brk_inst_t *brk_inst_find(brk_t *b, const char *id);
brk_binding_t *brk_binding_find(brk_t *b, const char *id);
void brk_inst_add(brk_t *b, brk_inst_t *inst);
void brk_inst_remove(brk_t *b, brk_inst_t *inst); /* unlinks and frees */
void brk_binding_add(brk_t *b, brk_binding_t *bd);
void brk_binding_remove(brk_t *b, brk_binding_t *bd);
void brk_inst_free(brk_inst_t *inst);
void brk_binding_free(brk_binding_t *bd);
brk_inst_t *brk_inst_dup(const brk_inst_t *inst);
brk_binding_t *brk_binding_dup(const brk_binding_t *bd);
const char *brk_state_name(brk_state_t st);
int brk_state_parse(const char *s);

#endif
