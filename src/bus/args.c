/* args.c - see args.h. */
#include <stdio.h>
#include <string.h>

#include "args.h"

const char bus_usage[] =
    "Usage: hearth-bus [options]\n"
    "\n"
    "Server options:\n"
    "  -a, --addr, --net <host>   bind to host address (default 0.0.0.0)\n"
    "  -p, --port <port>          client port (default 4222, 0 picks a free one)\n"
    "  -m, --http_port <port>     monitoring port (/varz /connz /subsz /healthz)\n"
    "  -c, --config <file>        configuration file (nats-server format)\n"
    "      --max_payload <size>   largest message body (default 1MB)\n"
    "Logging options:\n"
    "  -l, --log <file>           log to file\n"
    "  -D, --debug                debug output\n"
    "  -V, --trace                trace output (implies debug here)\n"
    "  -DV                        debug and trace\n"
    "Authorization options:\n"
    "      --user <user>          user required for connections\n"
    "      --pass <password>      password required for connections\n"
    "      --auth <token>         token required for connections\n"
    "TLS options:\n"
    "      --tls                  enable TLS\n"
    "      --tlscert <file>       server certificate chain (PEM)\n"
    "      --tlskey <file>        server private key (PEM)\n"
    "Common options:\n"
    "  -h, --help                 show this message\n"
    "  -v, --version              show version\n"
    "\n"
    "Signals: SIGTERM enters lame-duck mode (stop accepting, tell clients, drain, exit);\n"
    "a second SIGTERM or SIGINT stops at once.\n";

static bool is(const char *a, const char *s, const char *l)
{
    return (s && !strcmp(a, s)) || (l && !strcmp(a, l));
}

static void set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = hc_strdup(v);
}

int bus_args_parse(int argc, char **argv, bus_opts_t *o, hc_err_t *err)
{
    int r;

    bus_opts_defaults(o);
    /* First pass: the config file, so that flags override it. */
    for (int i = 1; i < argc; i++) {
        if (is(argv[i], "-h", "--help"))
            return BUS_ARGS_HELP;
        if (is(argv[i], "-v", "--version"))
            return BUS_ARGS_VERSION;
        if (is(argv[i], "-c", "--config")) {
            if (i + 1 >= argc)
                return hc_err_set(err, -EINVAL, "%s needs a file", argv[i]);
            r = bus_conf_load(o, argv[i + 1], err);
            if (r < 0)
                return r;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        uint64_t n;
        if (is(a, "-D", "--debug")) {
            o->debug = true;
            continue;
        }
        if (is(a, "-V", "--trace") || is(a, "-DV", "-VD")) {
            o->debug = o->trace = true;
            continue;
        }
        if (is(a, "--tls", NULL)) {
            o->tls = true;
            continue;
        }
        if (i + 1 >= argc)
            return hc_err_set(err, -EINVAL, "unknown option or missing value: `%s`", a);
        const char *v = argv[++i];
        if (is(a, "-c", "--config")) {
            continue;
        } else if (is(a, "-a", "--addr") || is(a, "--net", "--host")) {
            set_str(&o->host, v);
        } else if (is(a, "-p", "--port") || is(a, "-m", "--http_port")) {
            if (hc_parse_u64(v, strlen(v), 65535, &n) < 0)
                return hc_err_set(err, -EINVAL, "%s: `%s` is not a port (0..65535)", a, v);
            if (a[1] == 'p' || a[2] == 'p')
                o->port = (int)n;
            else
                o->http_port = (int)n;
        } else if (is(a, "--max_payload", NULL)) {
            if (hc_parse_u64(v, strlen(v), UINT32_MAX, &n) < 0)
                return hc_err_set(err, -EINVAL, "--max_payload: `%s` is not a byte count", v);
            o->max_payload = n;
        } else if (is(a, "--user", NULL)) {
            set_str(&o->user, v);
        } else if (is(a, "--pass", NULL)) {
            set_str(&o->pass, v);
        } else if (is(a, "--auth", NULL)) {
            set_str(&o->token, v);
        } else if (is(a, "-l", "--log")) {
            set_str(&o->log_file, v);
        } else if (is(a, "--tlscert", NULL)) {
            set_str(&o->tls_cert, v);
        } else if (is(a, "--tlskey", NULL)) {
            set_str(&o->tls_key, v);
        } else {
            return hc_err_set(err, -EINVAL, "unknown option `%s` (see --help)", a);
        }
    }
    r = bus_opts_check(o, err);
    return r < 0 ? r : BUS_ARGS_RUN;
}
