/*
 * dea.h - hearth-dea: runs droplets in warden containers and reports them on the bus
 * (DESIGN.md §2 Start/Crash, cf-v1.md §3). One loop; every instance talks to warden on a
 * connection of its own (its `stream` holds it), control requests share one more.
 */
#ifndef HEARTH_DEA_H
#define HEARTH_DEA_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "hc_base.h"
#include "hc_bus.h"
#include "hc_conf.h"
#include "hc_daemon.h"
#include "hc_http_client.h"
#include "hc_http_server.h"
#include "hc_status.h"
#include "hc_warden.h"

#define DEA_MAX_INSTANCES 256
#define DEA_MAX_MSG (256 * 1024)          /* a bus message we parse */
#define DEA_MAX_DROPLET ((size_t)1 << 30) /* bytes */
#define DEA_MAX_CMD 4096

typedef struct dea_conf_s {
    hc_daemon_conf_t common;
    char *warden_socket;
    char *local_ip; /* the address routers reach instances at */
    char *stack;
    uint64_t max_memory_mb;
    uint64_t max_disk_mb;
    uint64_t max_staging;
    uint64_t start_timeout_ms;
    uint64_t live_every_ms;   /* http health check repeated after RUNNING (0: not) */
    uint64_t live_failures;   /* ... and this many failures in a row crash the instance */
    uint64_t warden_retry_ms; /* a task's connection to warden is retried this long */
    uint64_t advertise_ms;
    uint64_t heartbeat_ms;
    uint64_t register_ms;
    uint64_t stats_ms;
    uint64_t pids;
    uint64_t warm_containers; /* created ahead for starts (pool.c), 0: off */
    uint64_t evacuation_delay_ms;
    uint64_t evacuation_drain_ms; /* routes removed -> instances stopped */
    uint64_t stop_drain_ms;       /* dea.stop: route removed -> instance stopped */
    char *buildpacks_dir;
    uint64_t log_max_bytes;       /* an instance log is rotated at this size */
    bool logdrain_allow_loopback; /* syslog drains may reach the host's loopback (logdrain.h) */
    char *logdrain_ca_file;       /* extra CAs trusted by syslog-tls drains (logdrain_tls.h) */
    uint64_t max_tailers;         /* live tails on the HTTP port */
    char *file_user;              /* basic auth of the file server */
    char *file_password;
    bool staging_egress;        /* staging containers reach DNS and staging_net_out (egress.h) */
    char **staging_net_out;     /* PROTO:NETWORK[:PORT] */
    char *resolv_conf;          /* the host's resolvers, opened to staging containers */
    uint64_t droplet_cache_max; /* bytes of droplets kept (droplet_gc.h) */
    uint64_t droplet_cache_min_age_ms; /* a droplet used more recently is kept */
} dea_conf_t;

typedef enum dea_state_e {
    DEA_STARTING,
    DEA_RUNNING,
    DEA_STOPPING,
    DEA_STOPPED,
    DEA_CRASHED,
} dea_state_t;

/* health_check_type of a start message: RUNNING once its port opens (absent: the default),
 * once its process is spawned ("process", or CF's older "none"), or once GET of the
 * endpoint answers 2xx after the port opened ("http"). */
typedef enum dea_health_e {
    DEA_HEALTH_PORT,
    DEA_HEALTH_PROCESS,
    DEA_HEALTH_HTTP,
} dea_health_t;

/* A parsed dea.UUID.start message (strings borrow from msg). */
typedef struct dea_start_s {
    json_t *msg; /* owned */
    const char *droplet, *name, *version, *sha1, *uri, *runtime, *framework, *partition;
    int64_t index, mem_mb, disk_mb, fds;
    json_t *uris, *env, *services, *users; /* borrowed from msg, never NULL */
    bool flapping;
    dea_health_t health;         /* health_check_type: when the instance is RUNNING */
    const char *health_endpoint; /* health_check_http_endpoint, "/" when absent */
} dea_start_t;

typedef struct dea_s dea_t;
typedef struct dea_ilog_s dea_ilog_t;

#define DEA_POOL_MAX 16
typedef struct dea_pool_ent_s {
    char handle[40];
    bool ready; /* created (else: being created) */
} dea_pool_ent_t;
typedef struct dea_web_s dea_web_t;

/* The last usage sample of an instance (stats.c). */
typedef struct dea_usage_s {
    uint64_t cpu_ns, at_ns; /* cgroup cpu time and uv_hrtime() at the sample */
    double cpu_pct;         /* over the last two samples */
    uint64_t mem_bytes, disk_bytes;
    double wall_s;
    unsigned samples;
    bool sampling;
} dea_usage_t;

typedef struct dea_inst_s {
    struct dea_inst_s *next;
    dea_t *dea;
    unsigned refs;
    char id[33];
    char handle[40];
    dea_start_t s;
    dea_state_t state;
    double state_ts, start_ts;
    int host_port, container_port;
    int64_t job_id;
    char *start_cmd;
    char *dir;                         /* data_dir/instances/ID (logs) */
    dea_ilog_t *out, *err;             /* logs/stdout.log, logs/stderr.log */
    struct dea_logdrains_s *logdrains; /* syslog drains of its services (logdrain.h), or NULL */
    hc_warden_t *w;
    uv_timer_t probe_timer;
    uv_tcp_t probe;
    bool probing, probe_open, timer_open;
    bool port_open;              /* http health check: the TCP probe succeeded */
    struct dea_hcheck_s *hcheck; /* the HTTP health check in flight, or NULL */
    uint64_t hcheck_at;          /* when the next one may start (loop ms) */
    char hcheck_err[96];         /* how the last one failed */
    uint64_t live_fails;         /* RUNNING: http checks failed in a row */
    uv_timer_t drain_timer;      /* dea_inst_stop of a routed instance: the stop after stop_drain */
    bool drain_open;
    uint64_t probe_deadline, probe_started, probe_begun;
    bool registered, notified, has_container, stop_requested, evacuated;
    bool creating, created, copying; /* start: create sent, container made, copy under way */
    bool pooled;                     /* its container came warm from the pool */
    char limit_error[128];           /* pooled: limit_memory's failure */
    const char *exit_reason;         /* STOPPED CRASHED DEA_SHUTDOWN DEA_EVACUATION */
    int64_t exit_status;
    bool oom;
    char reason_text[160];
    dea_usage_t usage;
} dea_inst_t;

struct dea_s {
    hc_daemon_t *d;
    dea_conf_t *conf;
    uv_loop_t *loop;
    char id[33];
    hc_bus_t *bus;
    hc_warden_t *wctl; /* control connection (wctl.c), NULL until warden accepts it */
    uv_timer_t wctl_timer;
    bool wctl_connecting;
    struct dea_wreq_s *wctl_head, *wctl_tail; /* held while not connected */
    unsigned wctl_held;
    hc_http_client_t *http;
    dea_web_t *web;      /* the HTTP port (web.c) */
    hc_status_t *status; /* the status port (status.c) */
    json_t *component;
    struct ssl_ctx_st *logdrain_tls; /* SSL_CTX of the syslog-tls drains (logdrain_tls.h) */
    dea_inst_t *insts;
    size_t num_insts;
    dea_pool_ent_t pool[DEA_POOL_MAX]; /* warm containers (pool.c) */
    size_t pool_n;
    struct memo_s *memo; /* droplets verified by this process (droplet.c) */
    size_t num_memo;
    struct fetch_s *fetch_wait; /* droplet fetches held while an eviction runs */
    uv_timer_t gc_timer;        /* droplet cache eviction (droplet_gc.c) */
    bool gc_running, gc_again;
    size_t staging_active;
    uv_timer_t advertise_timer, heartbeat_timer, register_timer, stats_timer;
    bool stopping;
    bool snapshot_dirty;
    bool snap_writing, snap_again;
    bool evacuating;
    bool draining; /* evacuation: routes removed, instances stopped after evacuation_drain */
    uv_signal_t usr2;
    uv_timer_t evac_timer;
    bool stopped; /* the loop is closing: no new work */
};

/* ---- wctl.c: the shared control connection to warden ---- */
/*
 * The DEA may start before warden listens (hearthd starts them together) and warden may
 * restart: the connection is retried until it is up, and re-made when it breaks. Requests
 * made meanwhile are held (bounded) and sent once it is up.
 */
void dea_wctl_start(dea_t *dea);
void dea_wctl_stop(dea_t *dea);
/* Takes req; cb always gets called once (with an error if the request cannot be sent). */
void dea_wctl_request(dea_t *dea, json_t *req, hc_warden_cb cb, void *data);
/*
 * A new connection of its own for a task (an instance's stream, a staging task): attempts
 * every 100 ms while warden is away, for at most warden_retry. cb gets the connected client
 * (the caller owns it) and 0, or NULL and the last libuv error; it is called exactly once,
 * also when the DEA stops meanwhile (UV_ECANCELED).
 */
void dea_warden_connect(dea_t *dea, hc_warden_connect_cb cb, void *data);

/* ---- msg.c: message parsing and building (pure, unit tested) ---- */
int dea_start_parse(const char *data, size_t len, dea_start_t *s, hc_err_t *err);
void dea_start_release(dea_start_t *s);
const char *dea_state_name(dea_state_t st);
/* VCAP_APPLICATION for an instance. */
json_t *dea_vcap_application(const dea_inst_t *in, const char *host);
/* VCAP_SERVICES: {label: [service, ...]} from the CC's array (or object) of services. */
json_t *dea_vcap_services(const json_t *services);
/* The spawn env ("K=V" array) for an instance. */
json_t *dea_env(const dea_inst_t *in, const char *host);
json_t *dea_register_msg(const dea_t *dea, const dea_inst_t *in, bool with_tags);
json_t *dea_exited_msg(const dea_inst_t *in, double now);
json_t *dea_heartbeat_entry(const dea_inst_t *in);
json_t *dea_advertise_msg(const dea_t *dea);
/* The start_command of a staging_info.yml text, malloc'd, or NULL. */
char *dea_staging_info_cmd(const char *text, size_t len);
/* True when an instance matches a dea.stop / dea.find.droplet filter. */
bool dea_inst_matches(const dea_inst_t *in, const json_t *filter);

/* ---- inst.c ---- */
double dea_now_s(void); /* wall clock, seconds with fractions (timestamps shown to people) */
int dea_inst_start(dea_t *dea, dea_start_t *s, hc_err_t *err); /* takes s->msg */
void dea_inst_stop(dea_inst_t *in, const char *reason);
void dea_inst_register(dea_inst_t *in); /* not while the DEA drains (evac.c) */
void dea_inst_unregister(dea_inst_t *in);
dea_inst_t *dea_inst_ref(dea_inst_t *in);
void dea_inst_unref(dea_inst_t *in);
int dea_reattach(dea_t *dea);

/* ---- droplet.c ---- */
typedef void (*dea_droplet_cb)(dea_inst_t *in, const char *path, char *start_cmd,
                               const char *error);
/* Waits for an eviction run under way (dea_droplet_resume queues it when it ends). */
void dea_droplet_fetch(dea_inst_t *in, dea_droplet_cb cb);
void dea_droplet_resume(dea_t *dea);
/* The droplet was evicted: a later start verifies it again. */
void dea_droplet_forget(dea_t *dea, const char *sha1);
void dea_droplet_memo_free(dea_t *dea);

/* ---- droplet_gc.c: the droplet cache kept under droplet_cache.max_size ---- */
/* A first run (also removing stray temp files), then one every 10 minutes. */
void dea_droplet_gc_start(dea_t *dea);
/* A run now, or right after the one under way. */
void dea_droplet_gc(dea_t *dea);

/* ---- bus.c ---- */
int dea_bus_start(dea_t *dea, hc_err_t *err);
void dea_publish(dea_t *dea, const char *subject, json_t *msg); /* steals msg */
void dea_advertise(dea_t *dea);
void dea_heartbeat(dea_t *dea, dea_inst_t *only);

/* ---- stats.c: usage per instance from warden's info ---- */
void dea_stats_start(dea_t *dea);
/* Asks warden for the instance's usage now (one request at a time per instance). */
void dea_stats_sample(dea_inst_t *in);
/* Takes a sample from an info response (cpu % from the delta with the previous one). */
void dea_usage_update(dea_inst_t *in, json_t *info, uint64_t now_ns);
/* {"time","cpu","mem" (KB),"disk" (bytes)} of the last sample (cf-v1 stats.usage). */
json_t *dea_usage_json(const dea_inst_t *in);

/* ---- pool.c: warm containers ---- */
/* Creates containers until warm_containers are ready or being created. */
void dea_pool_fill(dea_t *dea);
/* Takes a ready container (its handle into handle); refilled later by dea_pool_fill. */
bool dea_pool_take(dea_t *dea, char *handle, size_t size);
json_t *dea_pool_json(const dea_t *dea); /* handles, for snapshot.json */
/* Destroys the pool containers a previous DEA process left (from its snapshot). */
void dea_pool_reap(dea_t *dea, const json_t *handles);

/* ---- status.c: /healthz and /varz on the status port ---- */
int dea_status_start(dea_t *dea, hc_err_t *err);
void dea_status_stop(dea_t *dea);

/* ---- snapshot.c ---- */
void dea_snapshot_save(dea_t *dea);
json_t *dea_snapshot_json(const dea_t *dea);

/* ---- web.c: the HTTP port (files, logs, live tail) ---- */
int dea_web_start(dea_t *dea, hc_err_t *err);
void dea_web_stop(dea_t *dea);
int dea_web_port(const dea_t *dea);
/* Percent-decodes a path, malloc'd; NULL on a bad escape or an encoded NUL. */
char *dea_web_decode(hc_str_t s);
/* A relative path of plain segments only: no "..", "." or empty segments. */
bool dea_web_path_ok(const char *p);
/* The value of name=N in a query string, when present and a number <= max. */
bool dea_web_query(hc_str_t q, const char *name, uint64_t max, uint64_t *ret);

/* ---- ilog.c: an instance output file with rotation, written off the loop ---- */
dea_ilog_t *dea_ilog_new(uv_loop_t *loop, const char *path, uint64_t max);
/* Queues bytes (copied) for writing; bounded: output is dropped (and counted) past 8 MiB. */
void dea_ilog_write(dea_ilog_t *l, const char *data, size_t len);
/* True when nothing is queued or being written (also for NULL). */
bool dea_ilog_idle(const dea_ilog_t *l);
/* Frees it once what was queued is written. Accepts NULL. */
void dea_ilog_close(dea_ilog_t *l);

/* ---- slog.c: the staging log, published live on staging.<task_id>.log ---- */
#define DEA_SLOG_PIECE 8192 /* bytes of log per bus message, at most */
typedef struct dea_slog_s {
    dea_t *dea;
    hc_buf_t buf; /* the whole log (bounded), valid UTF-8 */
    uint64_t seq;
    bool live, done;
    char task_id[72];
    char subject[96];
} dea_slog_t;
/* The longest prefix of [p, p+len) of at most max bytes that ends on a UTF-8 boundary. */
size_t dea_utf8_cut(const char *p, size_t len, size_t max);
/* Replaces each byte that does not start a valid UTF-8 sequence, and each NUL, with '?'. */
void dea_utf8_sanitize(char *p, size_t len);
void dea_slog_init(dea_slog_t *l, dea_t *dea, size_t max);
/* From now on, appends are published on staging.<task_id>.log (when that subject is valid). */
void dea_slog_publish_to(dea_slog_t *l, const char *task_id);
/* Appends (sanitized) and publishes what was appended; nothing once the cap is reached. */
void dea_slog_append(dea_slog_t *l, const char *p, size_t len);
void dea_slog_appendf(dea_slog_t *l, const char *fmt, ...) HC_PRINTF(2, 3);
/* Publishes the done message (once). */
void dea_slog_done(dea_slog_t *l);
void dea_slog_release(dea_slog_t *l);

/* ---- stage.c ---- */
void dea_stage_request(dea_t *dea, const hc_bus_msg_t *msg);

/* ---- evac.c ---- */
int dea_evac_start(dea_t *dea);
/* Evacuates (see evac.c): SIGTERM and SIGUSR2. */
void dea_evacuate(dea_t *dea);
void dea_evac_stop(dea_t *dea);

/* ---- conf.c ---- */
extern const hc_conf_opt_t dea_conf_opts[];
int dea_start(hc_daemon_t *d, hc_err_t *err);
void dea_stop(hc_daemon_t *d);
/* SIGTERM: evacuate, then exit (spec.term). */
void dea_term(hc_daemon_t *d);

#endif
