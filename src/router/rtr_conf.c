/* Router settings (see rtr_conf.h). Key names follow gorouter's where it has one. */
#include <string.h>

#include "hc_buf.h"
#include "rtr_conf.h"

static const hc_conf_enum_t rtr_lb_names[] = {
    {"round-robin", RTR_LB_ROUND_ROBIN},
    {"least-connection", RTR_LB_LEAST_CONN},
    {NULL, 0},
};

#define T rtr_conf_t
const hc_conf_opt_t rtr_conf_opts[] = {
    HC_DAEMON_CONF_ENTRIES(T, d, 8080, 8082, NULL),
    HC_CONF_STR("ip", T, ip, "0.0.0.0", "listen address of the proxy"),
    HC_CONF_STR("status.ip", T, status_ip, "127.0.0.1", "listen address of the status port"),
    HC_CONF_ENUM("balancing_algorithm", T, lb, rtr_lb_names, RTR_LB_ROUND_ROBIN,
                 "round-robin or least-connection"),
    HC_CONF_MS("droplet_stale_threshold", T, ttl_ms, 120000, 1000, 86400000,
               "routes not refreshed for this long expire"),
    HC_CONF_MS("prune_stale_droplets_interval", T, prune_interval_ms, 30000, 100, 3600000,
               "how often expired routes are removed"),
    HC_CONF_MS("publish_start_message_interval", T, start_interval_ms, 30000, 100, 3600000,
               "how often router.start is published"),
    HC_CONF_MS("min_register_interval", T, register_interval_ms, 20000, 1000, 3600000,
               "minimumRegisterIntervalInSeconds announced in router.start"),
    HC_CONF_UINT("backends.max_conns", T, max_conns_per_backend, 500, 0, 1000000,
                 "in-flight requests per backend, then 503 (0: no limit)"),
    HC_CONF_UINT("max_idle_connections", T, max_idle_per_backend, 100, 0, 100000,
                 "idle keep-alive connections kept per backend"),
    HC_CONF_UINT("max_clients", T, max_clients, 20000, 1, 10000000,
                 "client connections, then new ones are refused"),
    HC_CONF_MS("header_timeout", T, header_timeout_ms, 30000, 100, 3600000,
               "time allowed to send a request head"),
    HC_CONF_MS("frontend_idle_timeout", T, idle_timeout_ms, 900000, 100, 86400000,
               "keep-alive client connection with no request"),
    HC_CONF_MS("backend_idle_timeout", T, upstream_idle_ms, 90000, 100, 86400000,
               "pooled backend connection with no request"),
    HC_CONF_MS("endpoint_dial_timeout", T, dial_timeout_ms, 5000, 100, 600000,
               "backend connection establishment"),
    HC_CONF_MS("request_timeout", T, request_timeout_ms, 900000, 100, 86400000,
               "backend silence during a request"),
    HC_CONF_MS("backends.fail_cooldown", T, fail_cooldown_ms, 5000, 0, 3600000,
               "a backend that failed is avoided this long"),
    HC_CONF_UINT("backends.max_attempts", T, max_attempts, 3, 1, 4,
                 "backends tried for one request"),
    HC_CONF_MS("drain_timeout", T, drain_timeout_ms, 20000, 0, 3600000,
               "on SIGTERM, time given to in-flight requests"),
    HC_CONF_STR("access_log", T, access_log, NULL, "access log file, - for stderr"),
    HC_CONF_INT("tls.port", T, tls_port, 0, 0, 65535, "HTTPS listen port (0: none)"),
    HC_CONF_STRLIST("tls.certs", T, tls_certs, NULL,
                    "CERT.pem:KEY.pem pairs chosen by SNI, the first is the default"),
    HC_CONF_UINT("workers", T, workers, 1, 1, 64,
                 "processes sharing the ports (SO_REUSEPORT), each with its own table"),
    HC_CONF_BOOL("enable_proxy", T, enable_proxy, false,
                 "accept a PROXY protocol (v1 or v2) header at the start of client connections, "
                 "for the client address behind a TCP load balancer"),
    HC_CONF_END,
};
#undef T

const hc_daemon_opt_t rtr_daemon_opts[] = {
    {.name = "ip", .arg = "ADDR", .help = "listen address", .key = "ip"},
    {.name = "status-ip", .arg = "ADDR", .help = "status listen address", .key = "status.ip"},
    {.name = "lb",
     .arg = "ALGO",
     .help = "round-robin | least-connection",
     .key = "balancing_algorithm"},
    {.name = "ttl",
     .arg = "DURATION",
     .help = "route stale threshold",
     .key = "droplet_stale_threshold"},
    {.name = "prune-interval",
     .arg = "DURATION",
     .help = "stale route sweep interval",
     .key = "prune_stale_droplets_interval"},
    {.name = "start-interval",
     .arg = "DURATION",
     .help = "router.start interval",
     .key = "publish_start_message_interval"},
    {.name = "header-timeout",
     .arg = "DURATION",
     .help = "request head timeout",
     .key = "header_timeout"},
    {.name = "idle-timeout",
     .arg = "DURATION",
     .help = "client keep-alive timeout",
     .key = "frontend_idle_timeout"},
    {.name = "dial-timeout",
     .arg = "DURATION",
     .help = "backend dial timeout",
     .key = "endpoint_dial_timeout"},
    {.name = "request-timeout",
     .arg = "DURATION",
     .help = "backend response timeout",
     .key = "request_timeout"},
    {.name = "max-conns-per-backend",
     .arg = "N",
     .help = "in-flight requests per backend",
     .key = "backends.max_conns"},
    {.name = "workers", .arg = "N", .help = "worker processes", .key = "workers"},
    {.name = "tls-port", .arg = "N", .help = "HTTPS port", .key = "tls.port"},
    {.name = "tls-cert", .arg = "CERT:KEY", .help = "certificate and key", .key = "tls.certs"},
    {.name = "access-log", .arg = "FILE", .help = "access log (- for stderr)", .key = "access_log"},
    {.name = "enable-proxy",
     .arg = "BOOL",
     .help = "PROXY protocol header on client connections",
     .key = "enable_proxy"},
    {.name = NULL},
};

int rtr_conf_check(rtr_conf_t *c, hc_err_t *err)
{
    hc_buf_t b;
    hc_buf_init(&b, 64 * 1024);
    for (size_t i = 0; c->d.nats_urls[i]; i++) {
        if (i)
            hc_buf_append_byte(&b, ',');
        hc_buf_append_str(&b, c->d.nats_urls[i]);
    }
    if (b.len == 0 || b.overflow) {
        hc_buf_release(&b);
        return hc_err_set(err, -EINVAL, "nats.urls: empty or too long");
    }
    free(c->nats_url);
    c->nats_url = hc_buf_detach(&b, NULL);
    if (c->tls_port && (!c->tls_certs || !c->tls_certs[0]))
        return hc_err_set(err, -EINVAL, "tls.port is set but tls.certs is empty");
    return 0;
}
