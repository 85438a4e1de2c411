/*
 * wdn_daemon.h - the hearth-warden daemon: one libuv loop, a unix socket speaking the
 * JSON-lines protocol (wdn_proto.h), containers built with libwarden (lib/), helpers run as
 * child processes so the loop never blocks on container setup.
 */
#ifndef HEARTH_WARDEN_DAEMON_H
#define HEARTH_WARDEN_DAEMON_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "hc_base.h"
#include "hc_buf.h"
#include "hc_conf.h"
#include "lib/wdn_cgroup.h"
#include "wdn_proto.h"

#define WDN_MAX_CONNS 256
#define WDN_MAX_OUTPUT (1024 * 1024) /* stdout/stderr returned by link, per stream */
#define WDN_MAX_PENDING_OUT (8 * 1024 * 1024)

typedef struct wdn_conf_s {
    char *socket;
    char *data_dir;
    char *cgroup_parent;     /* relative to warden's own cgroup unless absolute */
    char *cgroup_version;    /* NULL/"" (auto), "v1" or "v2" */
    unsigned max_containers; /* also the size of the uid, subnet and interface pools */
    unsigned uid_base;
    char *net_pool;     /* first /30 of the pool, a.b.c.d */
    char *iface_prefix; /* host veth names: <prefix><slot>-0 */
    char *nft_table;    /* our own nftables table (family ip) */
    char *resolv_conf;  /* the host's resolvers, for the containers' resolv.conf */
    unsigned port_base, port_count;
    uint64_t default_memory, default_disk, default_pids, default_cpu_shares;
    uint64_t grace_time; /* seconds; 0 keeps unreferenced containers */
    bool network;        /* false: containers get a loopback-only netns */
} wdn_conf_t;

/* The option table (hc_conf.h): defaults, YAML loading, --help-config. */
extern const hc_conf_opt_t wdn_conf_opts[];

/* Checks what the table cannot: names pasted into commands, the address pool. */
int wdn_conf_check(const wdn_conf_t *c, hc_err_t *err);

typedef enum wdn_state_e { WDN_BORN, WDN_ACTIVE, WDN_STOPPED, WDN_DESTROYED } wdn_state_t;

typedef struct wdn_daemon_s wdn_daemon_t;
typedef struct wdn_ctr_s wdn_ctr_t;
typedef struct wdn_conn_s wdn_conn_t;
typedef struct wdn_drain_s wdn_drain_t;

typedef struct wdn_job_s {
    struct wdn_job_s *next;
    wdn_ctr_t *ctr; /* NULL once the container is gone */
    uint32_t id;
    bool done;
    int exit_status;
    uv_poll_t pidpoll; /* readable pidfd of the job helper we started */
    int pidfd;
    pid_t pid;
    bool has_proc;
    uv_timer_t poll; /* re-adopted jobs: wait for the status file */
    bool has_poll;
} wdn_job_t;

struct wdn_ctr_s {
    wdn_ctr_t *next;
    wdn_daemon_t *d;
    char handle[WDN_MAX_HANDLE + 1];
    char cdir[PATH_MAX];
    unsigned slot;
    uid_t uid;
    pid_t init_pid;
    uint64_t init_start;
    wdn_state_t state;
    bool network;
    wdn_limits_t limits;
    uint64_t grace_time;
    json_t *properties; /* object */
    json_t *env;        /* array */
    json_t *events;     /* array of strings */
    json_t *ports;      /* array of {host_port, container_port} */
    json_t *net_out;    /* array of rules */
    uint64_t oom_seen;
    uint32_t next_job;
    wdn_job_t *jobs;
    int busy;      /* helper operations in flight */
    unsigned refs; /* connections that used it (grace time) */
    uv_timer_t grace;
    bool grace_armed;
};

/* One request being served on a connection. */
typedef struct wdn_call_s {
    wdn_conn_t *conn;
    wdn_req_t req;
    wdn_ctr_t *ctr;
    wdn_job_t *job;
    /* stream state */
    uv_timer_t timer;
    bool timer_on;
    uint64_t off[2];
    /* streamed copy_in/copy_out (xfer.c): while `sink`, the connection's next lines are
     * data lines for this call instead of requests */
    struct wdn_xfer_s *xfer;
    bool sink;
    bool io; /* link's output being read on the thread pool: its callback ends the call */
} wdn_call_t;

struct wdn_conn_s {
    wdn_conn_t *next;
    wdn_daemon_t *d;
    uv_pipe_t pipe;
    hc_buf_t in;
    size_t pending_out;
    wdn_call_t *call; /* the request in progress, NULL when idle */
    bool closing;
    bool paused;  /* reading stopped by a streamed copy_in whose helper is behind */
    json_t *used; /* handles this connection referenced (grace time) */
};

struct wdn_daemon_s {
    uv_loop_t *loop;
    wdn_conf_t conf;
    wdn_cg_t cg;
    bool overlay;
    char self_exe[PATH_MAX];
    char base[PATH_MAX];
    uv_pipe_t server;
    uv_signal_t sigterm, sigint;
    wdn_ctr_t *ctrs;
    wdn_conn_t *conns;
    unsigned nconns;
    uint8_t *slots;      /* max_containers entries, 1 = taken */
    unsigned next_slot;  /* where the round-robin search for a free slot starts */
    uint8_t *ports;      /* port_count entries */
    wdn_drain_t *drains; /* cgroups of destroyed containers still being removed */
    bool stopping;
};

/* daemon.c */
int wdn_daemon_init(wdn_daemon_t *d, uv_loop_t *loop, const wdn_conf_t *conf, hc_err_t *err);
void wdn_daemon_stop(wdn_daemon_t *d);
/*
 * After the loop has ended: a warden that leaves no container behind removes what it made
 * for them all (its nftables table and cgroup parents); with live containers both stay for
 * the next warden to adopt. Blocking; never call it on the loop.
 */
void wdn_daemon_cleanup(wdn_daemon_t *d);
/* Sends one response line (takes ownership of msg). */
void wdn_conn_send(wdn_conn_t *c, json_t *msg);
/* Ends the call in progress with a response (taken) or an error, and serves the next line. */
void wdn_call_done(wdn_call_t *call, json_t *resp);
void wdn_call_fail(wdn_call_t *call, int code, const char *msg);

/* ctr.c: request handlers */
void wdn_handle(wdn_call_t *call);
wdn_ctr_t *wdn_ctr_find(wdn_daemon_t *d, const char *handle);
void wdn_ctr_save(wdn_ctr_t *c);
void wdn_ctr_check_oom(wdn_ctr_t *c);
/* Tears a container down entirely; safe on half-built ones. */
void wdn_ctr_teardown(wdn_daemon_t *d, wdn_ctr_t *c);
void wdn_ctr_free(wdn_ctr_t *c);
bool wdn_ctr_alive(const wdn_ctr_t *c);
/* Starts the grace timer when the container has a grace time and no referencing client. */
void wdn_ctr_grace_arm(wdn_ctr_t *c);

/* job.c */
int wdn_job_start(wdn_ctr_t *c, wdn_req_t *req, wdn_job_t **ret, hc_err_t *err);
wdn_job_t *wdn_job_find(wdn_ctr_t *c, uint32_t id);
/* Calls back into waiting calls once the job is done. */
void wdn_job_finished(wdn_job_t *j);
void wdn_job_link_reply(wdn_call_t *call);
void wdn_job_stream_start(wdn_call_t *call);
void wdn_job_call_abort(wdn_call_t *call);
void wdn_job_adopt(wdn_ctr_t *c, uint32_t id);
void wdn_job_detach_all(wdn_ctr_t *c);
int wdn_job_signal(wdn_ctr_t *c, wdn_job_t *j, int sig);

/* xfer.c: copy_in / copy_out streamed over the connection (wdn_proto.h) */
/* Starts the copy helper for a streamed copy_in or copy_out; answers the call itself. */
void wdn_xfer_start(wdn_call_t *call, wdn_ctr_t *c);
/*
 * A data line of a streamed copy_in (the connection is in sink mode). Returns true when the
 * call is ready to be answered: the caller then drops the line from its buffer and calls
 * wdn_xfer_complete (the answer serves the next request, which must not see the line).
 */
bool wdn_xfer_data(wdn_call_t *call, const char *line, size_t len);
void wdn_xfer_complete(wdn_call_t *call);
/* The connection's output queue drained (copy_out may read on). */
void wdn_xfer_drained(wdn_call_t *call);
/* Destroy: streamed copies of this container fail and stop holding it busy. */
void wdn_xfer_detach_ctr(wdn_daemon_t *d, wdn_ctr_t *c);
/* The connection is closing: kill the helper; its exit ends the call without a reply. */
void wdn_xfer_abort(wdn_call_t *call);
/* daemon.c: stop / resume reading requests on a connection (copy_in backpressure). */
void wdn_conn_pause(wdn_conn_t *c);
void wdn_conn_resume(wdn_conn_t *c);

/* run.c: a child process with captured output */
typedef void (*wdn_run_cb)(void *data, int status, const char *out, const char *errtxt);
/*
 * Runs argv (argv[0] absolute) through hc_proc.h with stdout and stderr captured (up to
 * 64 KiB each); cb gets the exit status (128 + signal when killed) and both texts. Borrows
 * argv. Returns 0, or -errno (cb then never called).
 */
int wdn_run(wdn_daemon_t *d, char *const argv[], wdn_run_cb cb, void *data);

/* Runs fn(arg) in a raw fork of the daemon (no exec), output captured the same way. */
int wdn_run_fork(wdn_daemon_t *d, int (*fn)(const char *arg), const char *arg, wdn_run_cb cb,
                 void *data);

/* net.c */
int wdn_net_init(wdn_daemon_t *d, hc_err_t *err);
/* Deletes warden's nftables table (after the loop, with no container left). */
void wdn_net_fini(wdn_daemon_t *d);
void wdn_net_addrs(wdn_daemon_t *d, unsigned slot, char host[16], char ctr[16]);
/* The container pool: its first address and prefix length. */
void wdn_net_pool(wdn_daemon_t *d, char pool[16], unsigned *prefix);
/* Host-side and container-side veth names of a slot (<prefix><slot>-0 / -1). */
void wdn_net_names(wdn_daemon_t *d, unsigned slot, char host[32], char peer[32]);
/* The shell script that removes the container's port mappings and net_out rules; NULL when
 * it made none (the veth pair goes away with its network namespace). */
char *wdn_net_teardown_script(wdn_daemon_t *d, wdn_ctr_t *c);
char *wdn_net_in_script(wdn_daemon_t *d, wdn_ctr_t *c, unsigned host_port, unsigned ctr_port);
char *wdn_net_out_script(wdn_daemon_t *d, wdn_ctr_t *c, const wdn_req_t *req, hc_err_t *err);
int wdn_port_alloc(wdn_daemon_t *d, unsigned want);
void wdn_port_release(wdn_daemon_t *d, unsigned port);

/* drain.c: a destroyed container's mounts, directory and cgroups, removed off the loop */
/* Starts removing them on the thread pool (cdir may be NULL: cgroups only). */
void wdn_drain_start(wdn_daemon_t *d, const char *handle, const char *cdir);
/* A create of a handle still draining: parks the call until the drain is over and returns
 * true (it is then handled again); false when nothing drains under that handle (or too many
 * wait: the caller answers busy, see wdn_drain_pending). */
bool wdn_drain_wait(wdn_daemon_t *d, wdn_call_t *call, const char *handle);
bool wdn_drain_pending(wdn_daemon_t *d, const char *handle);
/* A destroy request: parks the call until every process of the container is gone (then it
 * is answered); false when that is already so (the caller answers now). */
bool wdn_drain_when_dead(wdn_daemon_t *d, const char *handle, wdn_call_t *call);
/* Daemon stop: ends drains waiting for a retry; what is left is cleaned on the next start. */
void wdn_drain_stop(wdn_daemon_t *d);

/* recover.c */
void wdn_recover(wdn_daemon_t *d);

#endif
