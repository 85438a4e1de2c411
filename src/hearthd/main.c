/* hearthd: the micro cloud. Runs every hearth daemon on this host and keeps them running. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "hd.h"

static const hc_conf_opt_t hd_conf_opts[] = {
    HC_CONF_STR(HC_DAEMON_KEY_DATA_DIR, hd_conf_t, data_dir, NULL,
                "data directory (default: ~/.hearth/cloud)"),
    HC_CONF_INT("port_base", hd_conf_t, port_base, 0, 0, 65000,
                "0: well-known ports; N: router N, then N+1.. for the others"),
    HC_CONF_STR("domain", hd_conf_t, domain, "localhost", "apps answer at NAME.DOMAIN"),
    HC_CONF_STR("bin_dir", hd_conf_t, bin_dir, NULL, "where the daemons are (default: ours)"),
    HC_CONF_STRLIST("services.run", hd_conf_t, services, "postgresql,mysql,redis,rabbitmq",
                    "backing services for the broker (none: no service)"),
    HC_CONF_STR("services.postgresql_bin_dir", hd_conf_t, pg_bin_dir, NULL,
                "initdb and postgres (default: newest /usr/lib/postgresql/N/bin)"),
    HC_CONF_STR("services.mariadbd", hd_conf_t, mariadbd, "/usr/sbin/mariadbd"),
    HC_CONF_STR("services.mariadb_install_db", hd_conf_t, mariadb_install_db, "mariadb-install-db"),
    HC_CONF_STR("services.redis_server", hd_conf_t, redis_server, "redis-server"),
    HC_CONF_STR("services.rabbitmq_server", hd_conf_t, rabbitmq_server,
                "/usr/lib/rabbitmq/bin/rabbitmq-server"),
    HC_CONF_STR("services.epmd", hd_conf_t, epmd, "epmd", "Erlang port mapper for RabbitMQ"),
    HC_CONF_LOG_ENTRIES(hd_conf_t, log_level, log_file),
    HC_CONF_END,
};

static const hc_daemon_opt_t hd_opts[] = {
    {.name = "port-base",
     .arg = "N",
     .help = "shift every port (two clouds side by side)",
     .key = "port_base"},
    {.name = "domain", .arg = "DOMAIN", .help = "apps answer at NAME.DOMAIN", .key = "domain"},
    {.name = "bin-dir", .arg = "DIR", .help = "where the daemons are", .key = "bin_dir"},
    {.name = "services",
     .arg = "LIST",
     .help = "backing services to run: postgresql,mysql,redis,rabbitmq or none",
     .key = "services.run"},
    {.name = NULL},
};

static int hd_check(hc_daemon_t *d, hc_err_t *err)
{
    hd_conf_t *conf = d->conf;
    static const char *const known[] = {"postgresql", "mysql", "redis", "rabbitmq", "none"};
    for (char **s = conf->services; s && *s; s++) {
        bool ok = false;
        for (size_t i = 0; i < HC_ARRAY_SIZE(known); i++)
            ok |= strcmp(*s, known[i]) == 0;
        if (!ok)
            return hc_err_set(err, -EINVAL,
                              "services: unknown service `%s` (postgresql, mysql, redis, "
                              "rabbitmq or none)",
                              *s);
    }
    if (!conf->data_dir) {
        const char *home = secure_getenv("HOME");
        conf->data_dir = hc_asprintf("%s/.hearth/cloud", home && *home ? home : "/tmp");
    }
    if (!conf->bin_dir) {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n < 0)
            return hc_err_set(err, -errno, "readlink `/proc/self/exe`");
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        conf->bin_dir = hc_strdup(exe);
    }
    return 0;
}

static int hd_start(hc_daemon_t *d, hc_err_t *err)
{
    hd_t *hd = d->data;
    hd->daemon = d;
    hd->conf = d->conf;
    hd_ports_init(&hd->ports, hd->conf->port_base);
    hd->logs_dir = hc_asprintf("%s/logs", hd->conf->data_dir);
    hd->conf_dir = hc_asprintf("%s/config", hd->conf->data_dir);
    int r = hd_secrets_init(hd, err);
    if (r < 0)
        return r;
    r = hd_components_plan(hd, err);
    if (r < 0)
        return r;
    r = hd_config_write(hd, err);
    if (r < 0)
        return r;
    r = hd_supervise_start(hd, err);
    if (r < 0)
        return r;
    printf("hearthd: micro cloud starting in %s (logs in %s)\n", hd->conf->data_dir, hd->logs_dir);
    printf("  bus     nats://127.0.0.1:%d\n", hd->ports.bus);
    printf("  router  http://127.0.0.1:%d  (apps at http://NAME.%s:%d)\n", hd->ports.router,
           hd->conf->domain, hd->ports.router);
    printf("  API     http://api.%s:%d\n", hd->conf->domain, hd->ports.router);
    printf("  push:   hearth target http://api.%s:%d && hearth push NAME\n", hd->conf->domain,
           hd->ports.router);
    fflush(stdout);
    if (hd_component_planned(hd, "cc"))
        hd_admin_start(hd);
    return 0;
}

static void hd_stop(hc_daemon_t *d)
{
    hd_supervise_stop(d->data);
    hd_admin_stop(d->data);
}

static const hc_daemon_spec_t hd_spec = {
    .name = "hearthd",
    .comp = "hearthd",
    .summary = "the micro cloud: runs every hearth daemon on this host",
    .conf_opts = hd_conf_opts,
    .opts = hd_opts,
    .check = hd_check,
    .start = hd_start,
    .stop = hd_stop,
    .stop_timeout_ms = HD_STOP_GRACE_MS + 5000,
};

int main(int argc, char **argv)
{
    hd_conf_t conf = {0};
    hd_t hd = {0};
    int status = hc_daemon_main(&hd_spec, &conf, &hd, argc, argv);
    hd_components_release(&hd);
    free(hd.logs_dir);
    free(hd.conf_dir);
    return status;
}
