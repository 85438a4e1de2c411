/* Router settings: defaults and the command line (see rtr_conf.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "hc_log.h"
#include "rtr_conf.h"

void rtr_conf_defaults(rtr_conf_t *c)
{
    memset(c, 0, sizeof(*c));
    c->nats_url = "nats://127.0.0.1:4222";
    c->ip = "0.0.0.0";
    c->status_ip = "127.0.0.1";
    c->port = 8080;
    c->status_port = 8082;
    c->lb = RTR_LB_ROUND_ROBIN;
    c->ttl_ms = 120000;
    c->prune_interval_ms = 30000;
    c->start_interval_ms = 30000;
    c->register_interval_s = 20;
    c->max_conns_per_backend = 500;
    c->max_idle_per_backend = 100;
    c->max_clients = 20000;
    c->header_timeout_ms = 30000;
    c->idle_timeout_ms = 900000;
    c->upstream_idle_ms = 90000;
    c->dial_timeout_ms = 5000;
    c->request_timeout_ms = 900000;
    c->fail_cooldown_ms = 5000;
    c->max_attempts = 3;
    c->drain_timeout_ms = 20000;
    c->workers = 1;
}

static const char rtr_usage[] =
    "usage: hearth-router [--nats URL] [--ip ADDR] [--port N] [--status-ip ADDR]\n"
    "                     [--status-port N] [--lb round-robin|least-connection]\n"
    "                     [--ttl SEC] [--prune-interval SEC] [--start-interval SEC]\n"
    "                     [--header-timeout MS] [--idle-timeout MS] [--dial-timeout MS]\n"
    "                     [--request-timeout MS] [--max-conns-per-backend N]\n"
    "                     [--workers N] [--access-log FILE|-] [-c FILE] [--log-level L]\n";

static int rtr_conf_num(const char *name, const char *v, uint64_t max, uint32_t *out, hc_err_t *err)
{
    uint64_t n;
    if (hc_parse_u64(v, strlen(v), max, &n) < 0)
        return hc_err_set(err, -EINVAL, "--%s: %s is not a number in 0..%llu", name, v,
                          (unsigned long long)max);
    *out = (uint32_t)n;
    return 0;
}

int rtr_conf_args(rtr_conf_t *c, int argc, char **argv, hc_err_t *err)
{
    static const struct option opts[] = {
        {"nats", required_argument, NULL, 'n'},
        {"ip", required_argument, NULL, 'i'},
        {"port", required_argument, NULL, 'p'},
        {"status-ip", required_argument, NULL, 'I'},
        {"status-port", required_argument, NULL, 's'},
        {"lb", required_argument, NULL, 'b'},
        {"ttl", required_argument, NULL, 't'},
        {"prune-interval", required_argument, NULL, 'P'},
        {"start-interval", required_argument, NULL, 'S'},
        {"header-timeout", required_argument, NULL, 'H'},
        {"idle-timeout", required_argument, NULL, 'D'},
        {"dial-timeout", required_argument, NULL, 'T'},
        {"request-timeout", required_argument, NULL, 'R'},
        {"max-conns-per-backend", required_argument, NULL, 'm'},
        {"workers", required_argument, NULL, 'w'},
        {"access-log", required_argument, NULL, 'a'},
        {"log-level", required_argument, NULL, 'l'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    uint32_t v = 0;
    int o, r = 0;
    optind = 1;
    while ((o = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
        switch (o) {
        case 'n':
            c->nats_url = optarg;
            break;
        case 'i':
            c->ip = optarg;
            break;
        case 'I':
            c->status_ip = optarg;
            break;
        case 'p':
            r = rtr_conf_num("port", optarg, 65535, &v, err);
            c->port = (int)v;
            break;
        case 's':
            r = rtr_conf_num("status-port", optarg, 65535, &v, err);
            c->status_port = (int)v;
            break;
        case 'b': {
            int a = rtr_lb_algo_parse(optarg);
            if (a < 0)
                return hc_err_set(err, -EINVAL, "--lb: unknown algorithm %s", optarg);
            c->lb = (rtr_lb_algo_t)a;
            break;
        }
        case 't':
            r = rtr_conf_num("ttl", optarg, 86400, &v, err);
            c->ttl_ms = v * 1000u;
            break;
        case 'P':
            r = rtr_conf_num("prune-interval", optarg, 3600, &v, err);
            c->prune_interval_ms = v ? v * 1000u : 1000u;
            break;
        case 'S':
            r = rtr_conf_num("start-interval", optarg, 3600, &v, err);
            c->start_interval_ms = v ? v * 1000u : 1000u;
            break;
        case 'H':
            r = rtr_conf_num("header-timeout", optarg, 3600000, &c->header_timeout_ms, err);
            break;
        case 'D':
            r = rtr_conf_num("idle-timeout", optarg, 3600000, &c->idle_timeout_ms, err);
            break;
        case 'T':
            r = rtr_conf_num("dial-timeout", optarg, 600000, &c->dial_timeout_ms, err);
            break;
        case 'R':
            r = rtr_conf_num("request-timeout", optarg, 86400000, &c->request_timeout_ms, err);
            break;
        case 'm':
            r = rtr_conf_num("max-conns-per-backend", optarg, 1000000, &c->max_conns_per_backend,
                             err);
            break;
        case 'w':
            r = rtr_conf_num("workers", optarg, 64, &v, err);
            c->workers = v ? (int)v : 1;
            break;
        case 'a':
            c->access_log = optarg;
            break;
        case 'l':
            if (hc_log_level_parse(optarg) == HC_LOG_INVALID)
                return hc_err_set(err, -EINVAL, "--log-level: unknown level %s", optarg);
            hc_log_level = hc_log_level_parse(optarg);
            break;
        case 'c':
            /* The YAML config lands with the shared config module; flags cover it now. */
            break;
        case 'h':
            fputs(rtr_usage, stdout);
            return 1;
        case 'V':
            printf("hearth-router %s\n", HEARTH_VERSION);
            return 1;
        default:
            return hc_err_set(err, -EINVAL, "bad arguments\n%s", rtr_usage);
        }
        if (r < 0)
            return r;
    }
    if (optind < argc)
        return hc_err_set(err, -EINVAL, "unexpected argument %s", argv[optind]);
    return 0;
}
