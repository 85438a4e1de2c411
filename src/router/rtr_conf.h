/*
 * rtr_conf.h - the router's settings and limits (STYLE R19, R24), with gorouter's defaults,
 * as one declarative table: built-in defaults < YAML file (-c) < command-line flags.
 */
#ifndef HEARTH_RTR_CONF_H
#define HEARTH_RTR_CONF_H

#include "hc_base.h"
#include "hc_daemon.h"
#include "rtr_lb.h"

#define RTR_CLIENT_BUF (72 * 1024) /* per connection and direction: a full head fits */
#define RTR_UPSTREAM_BUF (64 * 1024)

typedef struct rtr_conf_s {
    hc_daemon_conf_t d;             /* nats.urls, port (8080), status.port (8082), log.* */
    char *nats_url;                 /* d.nats_urls joined with ',' (set by rtr_conf_check) */
    char *ip;                       /* listen address of the proxy */
    char *status_ip;                /* listen address of the status port */
    int lb;                         /* rtr_lb_algo_t */
    uint32_t ttl_ms;                /* droplet_stale_threshold: 120 s */
    uint32_t prune_interval_ms;     /* 30 s */
    uint32_t start_interval_ms;     /* router.start re-published: 30 s */
    uint32_t register_interval_ms;  /* minimumRegisterIntervalInSeconds: 20 s */
    uint32_t max_conns_per_backend; /* 500, then 503 */
    uint32_t max_idle_per_backend;  /* 100 keep-alive connections kept */
    uint32_t max_clients;           /* client connections, then refused */
    uint32_t header_timeout_ms;     /* from a request's first byte to its full head */
    uint32_t idle_timeout_ms;       /* keep-alive client with no request */
    uint32_t upstream_idle_ms;      /* pooled backend connection with no request */
    uint32_t dial_timeout_ms;       /* 5 s */
    uint32_t request_timeout_ms;    /* 900 s, backend silence during an exchange */
    uint32_t fail_cooldown_ms;      /* a failed backend is avoided this long */
    uint32_t max_attempts;          /* 3 */
    uint32_t drain_timeout_ms;
    char *access_log;  /* NULL: none, "-": stderr */
    int tls_port;      /* 0: no TLS listener */
    char **tls_certs;  /* "CERT.pem:KEY.pem" pairs, the first is the default */
    uint32_t workers;  /* processes sharing the ports with SO_REUSEPORT */
    bool enable_proxy; /* a PROXY protocol v1/v2 header may start client connections */
} rtr_conf_t;

extern const hc_conf_opt_t rtr_conf_opts[];
extern const hc_daemon_opt_t rtr_daemon_opts[];

/* Cross-field checks and derived fields, after file and flags. Returns 0 or -EINVAL. */
int rtr_conf_check(rtr_conf_t *c, hc_err_t *err);

#endif
