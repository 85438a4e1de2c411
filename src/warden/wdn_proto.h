/*
 * wdn_proto.h - warden's JSON-lines protocol (cf-v1.md §8 with Garden's fields, peers.md §5.2).
 *
 * One request per line, a JSON object with a "type" and the request's fields:
 *   {"type":"create","handle":"h1","limits":{"memory_in_bytes":268435456,"pids":256},...}
 * Each request gets one response line, {"type":"<same>", ...fields} on success or
 *   {"type":"error","message":"..."}
 * except `stream`, which answers with several {"type":"stream","name":"stdout","data":"..."}
 * lines and a last {"type":"stream","exit_status":N}. Requests on one connection are answered
 * strictly in order. The full field list is in docs/warden.md.
 */
#ifndef HEARTH_WARDEN_PROTO_H
#define HEARTH_WARDEN_PROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "hc_base.h"

#define WDN_MAX_LINE (1024 * 1024) /* a request line; longer closes the connection */
#define WDN_MAX_HANDLE 64
#define WDN_MAX_ARGS 1024
#define WDN_MAX_ENV 1024
#define WDN_MAX_PROPERTIES 256

typedef enum wdn_req_type_e {
    WDN_REQ_PING,
    WDN_REQ_CAPACITY,
    WDN_REQ_CREATE,
    WDN_REQ_STOP,
    WDN_REQ_DESTROY,
    WDN_REQ_INFO,
    WDN_REQ_LIST,
    WDN_REQ_SPAWN,
    WDN_REQ_LINK,
    WDN_REQ_RUN,
    WDN_REQ_STREAM,
    WDN_REQ_SIGNAL,
    WDN_REQ_NET_IN,
    WDN_REQ_NET_OUT,
    WDN_REQ_COPY_IN,
    WDN_REQ_COPY_OUT,
    WDN_REQ_LIMIT_MEMORY,
    WDN_REQ_LIMIT_CPU,
    WDN_REQ_LIMIT_DISK,
    WDN_REQ__MAX,
    WDN_REQ_INVALID = -EINVAL,
} wdn_req_type_t;

typedef struct wdn_limits_s {
    uint64_t memory; /* bytes, 0 = default */
    uint64_t cpu_shares;
    uint64_t pids;
    uint64_t disk; /* bytes */
} wdn_limits_t;

/*
 * A validated request. Every pointer borrows from `root`, which the struct owns: release
 * with wdn_req_release(). Fields not used by the type stay zero/NULL.
 */
typedef struct wdn_req_s {
    wdn_req_type_t type;
    json_t *root;
    const char *handle;
    /* create */
    wdn_limits_t limits;
    bool has_grace;
    uint64_t grace_time; /* seconds */
    json_t *bind_mounts; /* array of {src_path, dst_path, mode "ro"|"rw"} */
    json_t *env;         /* array of "K=V" */
    json_t *properties;  /* object of string values; also list's filter */
    bool network_none;
    /* spawn / run */
    const char *path;
    const char *script; /* run with /bin/sh -c when path is absent */
    json_t *args;
    const char *dir;
    bool privileged; /* run as root in the container (capabilities still dropped) */
    json_t *rlimits; /* object name -> integer */
    /* link / stream / signal */
    uint64_t job_id;
    int signal;
    /* stop */
    bool kill, background;
    /* net_in / net_out */
    uint32_t host_port, container_port;
    const char *network; /* CIDR */
    uint32_t port;
    const char *protocol; /* "tcp", "udp", "icmp", "all" */
    /* copy */
    const char *src_path, *dst_path;
    /* limit_* : has_limit false = query */
    bool has_limit;
    uint64_t limit;
} wdn_req_t;

/*
 * Streamed copies (no host path on either side):
 *
 *   copy_in without `src_path`: the request line is followed on the same connection by data
 *   lines {"type":"data","data":"<base64 of the next tar bytes>"} (at most WDN_COPY_MAX_CHUNK
 *   bytes each once decoded) and a last {"type":"data","eof":true}; the one response comes
 *   after that line. Data lines of a copy that already failed are read and dropped, so the
 *   connection stays in step.
 *   copy_out without `dst_path`: the response is {"type":"copy_out","data":"<base64>"} lines
 *   and a last {"type":"copy_out"} without data (or an error line).
 */
#define WDN_COPY_MAX_CHUNK (512 * 1024)

typedef struct wdn_data_s {
    bool eof;
    size_t len; /* decoded bytes in the caller's buffer */
} wdn_data_t;

/*
 * Parses one data line of a streamed copy_in and decodes its bytes into buf (capacity cap,
 * at least WDN_COPY_MAX_CHUNK). Returns 0, or -EINVAL/-EPROTO/-E2BIG with a message in err.
 * Never crashes on any input; never writes more than cap bytes.
 */
int wdn_data_parse(const char *line, size_t len, void *buf, size_t cap, wdn_data_t *ret,
                   hc_err_t *err);

/*
 * Parses and validates one request line (no newline). On success fills *req (which then owns
 * the parsed JSON) and returns 0; on bad input returns -EINVAL/-EPROTO/-E2BIG with a message
 * in err and leaves *req released. Never crashes on any input.
 */
int wdn_req_parse(const char *line, size_t len, wdn_req_t *req, hc_err_t *err);
void wdn_req_release(wdn_req_t *req);
const char *wdn_req_type_name(wdn_req_type_t t);
/* "TERM", "SIGTERM" or "15" -> 15; -EINVAL otherwise. */
int wdn_signal_parse(const char *s);
/* Handle syntax: 1..64 of [A-Za-z0-9_.-], not starting with '.'. */
bool wdn_handle_ok(const char *h);

#endif
