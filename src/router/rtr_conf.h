/*
 * rtr_conf.h - the router's settings and limits (STYLE R19), with gorouter's defaults.
 * Filled from built-in defaults, then the command line (rtr_conf_args).
 */
#ifndef HEARTH_RTR_CONF_H
#define HEARTH_RTR_CONF_H

#include "hc_base.h"
#include "rtr_lb.h"

#define RTR_CLIENT_BUF (72 * 1024) /* per connection and direction: a full head fits */
#define RTR_UPSTREAM_BUF (64 * 1024)

typedef struct rtr_conf_s {
    const char *nats_url;
    const char *ip;        /* listen address of the proxy */
    const char *status_ip; /* listen address of the status port */
    int port, status_port;
    rtr_lb_algo_t lb;
    uint32_t ttl_ms;                /* droplet_stale_threshold: 120 s */
    uint32_t prune_interval_ms;     /* 30 s */
    uint32_t start_interval_ms;     /* router.start re-published: 30 s */
    uint32_t register_interval_s;   /* minimumRegisterIntervalInSeconds: 20 */
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
    const char *access_log; /* NULL: none, "-": stderr */
    int workers;            /* processes sharing the ports with SO_REUSEPORT */
} rtr_conf_t;

void rtr_conf_defaults(rtr_conf_t *c);
/* Parses the command line over the defaults. Returns 0, 1 for --help/--version (printed), or
 * -EINVAL with the reason in err. */
int rtr_conf_args(rtr_conf_t *c, int argc, char **argv, hc_err_t *err);

#endif
