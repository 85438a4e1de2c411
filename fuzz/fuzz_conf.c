/*
 * libFuzzer target for the config loader: arbitrary bytes as a YAML file against a table with
 * every option type, then the same bytes as a command-line value for every option.
 */
#include <stdint.h>
#include <string.h>

#include "hc_buf.h"
#include "hc_conf.h"

typedef struct fconf_s {
    int port;
    int64_t offset;
    unsigned workers;
    uint64_t max;
    bool tls;
    char *name;
    char *host;
    uint64_t drain_ms;
    uint32_t tick_ms;
    uint64_t body_max;
    char **urls;
    int mode;
    int level;
    char *user;
} fconf_t;

static const hc_conf_enum_t modes[] = {{"round-robin", 0}, {"least-conn", 1}, {0}};

static const hc_conf_opt_t opts[] = {
    HC_CONF_INT("port", fconf_t, port, 8080, 1, 65535),
    HC_CONF_INT("offset", fconf_t, offset, 0, INT64_MIN, INT64_MAX),
    HC_CONF_UINT("workers", fconf_t, workers, 4, 1, 64),
    HC_CONF_UINT("max", fconf_t, max, 0, 0, UINT64_MAX),
    HC_CONF_BOOL("tls", fconf_t, tls, false),
    HC_CONF_STR("name", fconf_t, name, "x"),
    HC_CONF_STR("host", fconf_t, host, NULL),
    HC_CONF_MS("drain_timeout", fconf_t, drain_ms, 20000, 0, 600000),
    HC_CONF_MS("tick", fconf_t, tick_ms, 250, 10, 60000),
    HC_CONF_SIZE("body_max", fconf_t, body_max, 1024, 0, UINT64_MAX),
    HC_CONF_STRLIST("nats.urls", fconf_t, urls, "nats://127.0.0.1:4222,nats://b:1"),
    HC_CONF_ENUM("mode", fconf_t, mode, modes, 0),
    HC_CONF_ENUM("log.level", fconf_t, level, hc_conf_log_levels, 2),
    HC_CONF_STR("status.auth.user", fconf_t, user, "admin"),
    HC_CONF_END,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fconf_t c;
    hc_err_t err;
    hc_conf_defaults(opts, &c);
    hc_err_clear(&err);
    int r = hc_conf_load_buf(opts, &c, "fuzz.yml", (const char *)data, size, &err);
    if (r < 0 && (err.msg[0] == '\0' || strlen(err.msg) >= sizeof(err.msg)))
        __builtin_trap(); /* every error must carry a message */
    hc_buf_t b;
    hc_buf_init(&b, 0);
    for (const hc_conf_opt_t *o = opts; o->name; o++)
        hc_conf_format(o, &c, &b);
    if (size < 4096) {
        char *s = hc_strndup((const char *)data, size);
        for (const hc_conf_opt_t *o = opts; o->name; o++)
            hc_conf_opt_set(o, &c, s, &err);
        free(s);
    }
    hc_buf_release(&b);
    hc_conf_free(opts, &c);
    return 0;
}
