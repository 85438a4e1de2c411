/*
 * cc.h - hearth-cc's context and configuration: the Cloud Controller holds the desired state
 * (users, apps, service instances) in its database, the app bits in the blob store, and
 * tells the DEAs what to run over the bus. Loop thread only.
 */
#ifndef HEARTH_CC_CC_H
#define HEARTH_CC_CC_H

#include <jansson.h>
#include <uv.h>

#include "hc_base.h"
#include "hc_daemon.h"
#include "hc_http_server.h"

/* Limits (STYLE R19). Each has a config key. */
#define CC_MAX_JSON_BODY ((size_t)1024 * 1024)        /* JSON request bodies */
#define CC_DEFAULT_MAX_UPLOAD ((uint64_t)256 << 20)   /* multipart upload body */
#define CC_DEFAULT_MAX_UNZIPPED ((uint64_t)512 << 20) /* sum of extracted file sizes */
#define CC_DEFAULT_MAX_FILES 20000                    /* entries in an uploaded zip */
#define CC_MAX_RESOURCES 20000                        /* descriptors in PUT /resources */
#define CC_MAX_NAME 64                                /* app and service names */
#define CC_MAX_GUID 128                               /* app guids heard on the bus */
#define CC_MAX_EMAIL 254
#define CC_MAX_PASSWORD 1024
#define CC_MAX_URIS 64
#define CC_MAX_ENV 256

typedef struct cc_db_s cc_db_t;
typedef struct cc_db_pool_s cc_db_pool_t;
typedef struct cc_blob_s cc_blob_t;
typedef struct cc_ratelimit_s cc_ratelimit_t;
typedef struct cc_bus_s cc_bus_t;
typedef struct cc_placement_s cc_placement_t;

typedef struct cc_conf_s {
    int port;
    char *host;
    int status_port;
    char *data_dir;
    char **nats_urls;
    char *database_url;
    char *domain;         /* apps get NAME.domain; the CC registers api.domain */
    int router_port;      /* the port users reach the routers at (GET /info) */
    char *buildpacks_dir; /* the built-in buildpacks (GET /buildpacks) */
    char *default_stack;  /* GET /stacks when no DEA advertises one */
    char *external_host;  /* address the router and DEAs reach the CC at */
    char **admins;        /* emails with the admin role */
    bool allow_registration;
    uint64_t token_ttl_ms;
    uint64_t cutover_timeout_ms; /* rollout.h */
    uint64_t max_upload;
    uint64_t max_unzipped;
    int64_t max_files;
    int64_t login_max_failures; /* per email and per peer address within login_window */
    uint64_t login_window_ms;
    uint64_t pwhash_memlimit; /* argon2id memory per hash, bytes */
    int64_t pwhash_opslimit;
    int64_t quota_memory; /* MB, per user (admins: x4) */
    int64_t quota_apps;
    int64_t quota_services;
    int64_t quota_uris; /* per app */
    char *bulk_user;
    char *bulk_password;
    char *blob_backend;                             /* "local" or "s3" */
    char *blob_dir;                                 /* local backend; default data_dir/blobs */
    uint64_t blob_gc_interval_ms, blob_gc_grace_ms; /* blob/gc.h */
    int64_t blob_releases_kept;                     /* blob/gc.h */
    char *s3_endpoint;
    char *s3_bucket;
    char *s3_region;
    char *s3_access_key;
    char *s3_secret_key;
    char *services_url; /* broker base URL (OSBAPI v2) */
    char *broker_user;
    char *broker_password;
    int log_level;
    char *log_file;
} cc_conf_t;

extern const hc_conf_opt_t cc_conf_opts[];

typedef struct cc_s {
    hc_daemon_t *d;
    cc_conf_t *conf;
    uv_loop_t *loop;
    hc_http_server_t *http;
    struct hc_status_s *status; /* /healthz, /varz on status.port */
    cc_db_t *db;                /* opened (and migrated) at start; no SQL on it from the loop */
    cc_db_pool_t *read_pool;    /* connections for handler work on the thread pool (api/job.h) */
    cc_blob_t *blob;
    cc_ratelimit_t *login_limit; /* per email */
    cc_ratelimit_t *peer_limit;  /* per client address: 10x the per-email limit */
    cc_bus_t *bus;
    cc_placement_t *placement;
    char *bulk_user; /* from conf or random at start */
    char *bulk_password;
    char *signing_key;               /* random per process: signs short-lived download URLs */
    char *tmp_dir;                   /* data_dir/tmp: uploads being processed */
    int pending_work;                /* uv_queue_work requests in flight */
    void *gathers;                   /* pending multi-reply bus requests (bus/gather.c) */
    void *rollouts;                  /* pushes whose old instances still serve (rollout.c) */
    void *blob_gc;                   /* the blob store's collector (blob/gc.c) */
    struct hc_http_client_s *client; /* outgoing HTTP: DEA file servers, broker */
    json_t *buildpacks;              /* GET /buildpacks: read from buildpacks_dir at start */
} cc_ctx_t;

/* Daemon hooks for hc_daemon_spec_t. */
int cc_start(hc_daemon_t *d, hc_err_t *err);
void cc_stop(hc_daemon_t *d);
/* Frees what cc_start set up, after the loop ended. */
void cc_release(cc_ctx_t *cc);

/* Adds every REST route to the server (api/routes.c). */
void cc_api_routes(cc_ctx_t *cc, hc_http_server_t *srv);

#endif
