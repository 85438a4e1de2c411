/* hearth-dea configuration table, start and stop. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include <openssl/ssl.h>

#include "dea.h"
#include "egress.h"
#include "hc_fs.h"
#include "hc_json.h"
#include "hc_log.h"
#include "hc_uuid.h"
#include "logdrain_tls.h"

const hc_conf_opt_t dea_conf_opts[] = {
    HC_DAEMON_CONF_ENTRIES(dea_conf_t, common, 9023, 9026, "/var/lib/hearth/dea"),
    HC_CONF_STR("warden_socket", dea_conf_t, warden_socket, "/run/hearth/warden.sock",
                "hearth-warden's unix socket"),
    HC_CONF_STR("local_ip", dea_conf_t, local_ip, "127.0.0.1",
                "address routers use to reach the instances' host ports"),
    HC_CONF_STR("stack", dea_conf_t, stack, "lucid64", "the stack this DEA offers"),
    HC_CONF_UINT("max_memory", dea_conf_t, max_memory_mb, 4096, 1, 1 << 24,
                 "memory for instances, MB"),
    HC_CONF_UINT("max_disk", dea_conf_t, max_disk_mb, 16384, 1, 1 << 30, "disk for instances, MB"),
    HC_CONF_UINT("max_staging", dea_conf_t, max_staging, 2, 0, 64, "concurrent staging tasks"),
    HC_CONF_MS(
        "start_timeout", dea_conf_t, start_timeout_ms, 60000, 100, 3600000,
        "time an app has to pass its health check (by default: accept connections on its port)"),
    HC_CONF_MS("health_check.interval", dea_conf_t, live_every_ms, 10000, 0, 3600000,
               "http health checks: after RUNNING, the check is repeated this often (0: never)"),
    HC_CONF_UINT("health_check.failures", dea_conf_t, live_failures, 3, 1, 1000,
                 "http health checks: failures in a row that crash a RUNNING instance"),
    HC_CONF_MS("warden_retry", dea_conf_t, warden_retry_ms, 10000, 0, 600000,
               "how long a task (instance start, staging) retries connecting to warden"),
    HC_CONF_MS("intervals.advertise", dea_conf_t, advertise_ms, 5000, 100, 600000, ""),
    HC_CONF_MS("intervals.heartbeat", dea_conf_t, heartbeat_ms, 10000, 100, 600000, ""),
    HC_CONF_MS("intervals.router_register", dea_conf_t, register_ms, 20000, 100, 600000, ""),
    HC_CONF_MS("intervals.stats", dea_conf_t, stats_ms, 2000, 100, 600000,
               "usage sampling (cpu, memory, disk) of running instances"),
    HC_CONF_UINT("warm_containers", dea_conf_t, warm_containers, 0, 0, 16,
                 "containers created ahead so a start need not wait for one (0: off)"),
    HC_CONF_UINT("pids", dea_conf_t, pids, 512, 16, 65536, "process limit per container"),
    HC_CONF_MS("evacuation_delay", dea_conf_t, evacuation_delay_ms, 30000, 0, 3600000,
               "SIGTERM or SIGUSR2: time instances keep serving after DEA_EVACUATION"),
    HC_CONF_MS("evacuation_drain", dea_conf_t, evacuation_drain_ms, 1000, 0, 600000,
               "after evacuation_delay: time between removing the routes and stopping the "
               "instances, so the requests the routers have in flight finish"),
    HC_CONF_MS("stop_drain", dea_conf_t, stop_drain_ms, 1000, 0, 600000,
               "dea.stop of a routed instance: time between removing its route and stopping "
               "it, so the requests the routers have in flight finish"),
    HC_CONF_STR("buildpacks_dir", dea_conf_t, buildpacks_dir, HEARTH_BUILDPACKS_DIR,
                "built-in buildpacks"),
    HC_CONF_BOOL("log_drains.allow_loopback", dea_conf_t, logdrain_allow_loopback, false,
                 "syslog drains may connect to the host's loopback (tests; never for tenants)"),
    HC_CONF_STR("log_drains.ca_file", dea_conf_t, logdrain_ca_file, NULL,
                "PEM file of CAs syslog-tls drains trust besides the system's"),
    HC_CONF_SIZE("log_max_bytes", dea_conf_t, log_max_bytes, 1024 * 1024, 1024, (uint64_t)1 << 40,
                 "an instance's stdout/stderr log is rotated at this size"),
    HC_CONF_UINT("max_tailers", dea_conf_t, max_tailers, 32, 0, 4096,
                 "live log tails served at once on the HTTP port"),
    HC_CONF_STR("file_server.user", dea_conf_t, file_user, NULL,
                "basic auth user of the file server (default: random)"),
    HC_CONF_STR("file_server.password", dea_conf_t, file_password, NULL,
                "basic auth password (default: random)"),
    HC_CONF_BOOL("staging_egress", dea_conf_t, staging_egress, true,
                 "staging containers reach the host's DNS resolvers and staging_net_out "
                 "(buildpacks download dependencies); app containers are not affected"),
    HC_CONF_STRLIST("staging_net_out", dea_conf_t, staging_net_out, DEA_EGRESS_DEFAULT,
                    "what staging containers may reach, PROTO:NETWORK[:PORT] each; a network "
                    "as wide as 0.0.0.0/0 excludes other containers and the host itself"),
    HC_CONF_STR("resolv_conf", dea_conf_t, resolv_conf, "/etc/resolv.conf",
                "the DNS resolvers staging containers may use"),
    HC_CONF_SIZE("droplet_cache.max_size", dea_conf_t, droplet_cache_max, (uint64_t)4 << 30, 0,
                 (uint64_t)1 << 50,
                 "droplets kept in data_dir/droplets, least recently used evicted first"),
    HC_CONF_MS("droplet_cache.min_age", dea_conf_t, droplet_cache_min_age_ms, 600000, 0,
               (uint64_t)30 * 86400000, "a droplet a start used more recently is never evicted"),
    HC_CONF_END,
};

int dea_start(hc_daemon_t *d, hc_err_t *err)
{
    dea_t *dea = d->data;
    dea_conf_t *conf = d->conf;
    int r;
    dea->d = d;
    dea->conf = conf;
    dea->loop = d->loop;
    hc_random_hex(dea->id, 16);
    if (!conf->file_user) {
        conf->file_user = hc_malloc(17);
        hc_random_hex(conf->file_user, 8);
    }
    if (!conf->file_password) {
        conf->file_password = hc_malloc(33);
        hc_random_hex(conf->file_password, 16);
    }
    for (char **e = conf->staging_net_out; e && *e; e++) {
        dea_egress_rule_t rule;
        if ((r = dea_egress_parse(*e, &rule, err)) < 0)
            return r;
    }
    if ((r = dea_logdrain_tls_ctx_new(conf->logdrain_ca_file, &dea->logdrain_tls, err)) < 0)
        return r;
    const char *subdirs[] = {"droplets", "instances", "staging", "cache"};
    for (size_t i = 0; i < HC_ARRAY_SIZE(subdirs); i++) {
        hc_autofree char *p = hc_asprintf("%s/%s", conf->common.data_dir, subdirs[i]);
        if ((r = hc_mkdir_p(AT_FDCWD, p, 0755, err)) < 0)
            return r;
    }
    if (!(dea->http = hc_http_client_new(dea->loop, err)))
        return -EIO;
    dea_wctl_start(dea);
    hc_autofree char *urls = NULL;
    for (char **u = conf->common.nats_urls; *u; u++) {
        char *n = urls ? hc_asprintf("%s,%s", urls, *u) : hc_strdup(*u);
        free(urls);
        urls = n;
    }
    hc_bus_opts_t bo = {.name = "hearth-dea"};
    if ((r = hc_bus_new(dea->loop, urls ? urls : HC_DAEMON_NATS_DEFAULT, &bo, &dea->bus, err)) < 0)
        return r;
    if ((r = dea_web_start(dea, err)) < 0)
        return r;
    if ((r = dea_status_start(dea, err)) < 0)
        return r;
    /* type, uuid, host (the status port) and credentials of /varz, as v1 announced them */
    dea->component = hc_status_component_json(dea->status);
    hc_bus_component_start(dea->bus, dea->component);
    dea_reattach(dea);
    dea_droplet_gc_start(dea);
    dea_evac_start(dea);
    dea_stats_start(dea);
    dea_pool_fill(dea);
    if ((r = dea_bus_start(dea, err)) < 0)
        return r;
    char port[16];
    snprintf(port, sizeof(port), "%d", dea_web_port(dea));
    hc_log_info("dea ready", "id", dea->id, "file_port", port);
    return 0;
}

static void close_timer(uv_timer_t *t)
{
    if (t->type == UV_TIMER && !uv_is_closing((uv_handle_t *)t))
        uv_close((uv_handle_t *)t, NULL);
}

void dea_stop(hc_daemon_t *d)
{
    dea_t *dea = d->data;
    /* Apps keep running: a restarted DEA re-attaches from snapshot.json. */
    dea->stopping = true;
    dea->stopped = true;
    close_timer(&dea->advertise_timer);
    close_timer(&dea->heartbeat_timer);
    close_timer(&dea->register_timer);
    close_timer(&dea->stats_timer);
    close_timer(&dea->gc_timer);
    dea_evac_stop(dea);
    close_timer(&dea->evac_timer);
    for (dea_inst_t *in = dea->insts; in; in = in->next) {
        if (in->timer_open) {
            uv_timer_stop(&in->probe_timer);
            in->timer_open = false;
            uv_close((uv_handle_t *)&in->probe_timer, NULL);
            dea_inst_unref(in);
        }
        if (in->drain_open) { /* the app stays, as every app does when the DEA stops */
            uv_timer_stop(&in->drain_timer);
            in->drain_open = false;
            uv_close((uv_handle_t *)&in->drain_timer, NULL);
            dea_inst_unref(in);
        }
        if (in->w) {
            hc_warden_t *w = in->w;
            in->w = NULL;
            hc_warden_free(w);
        }
    }
    dea_wctl_stop(dea);
    dea_web_stop(dea);
    dea_status_stop(dea);
    hc_http_client_free(dea->http);
    dea->http = NULL;
    if (dea->bus) {
        hc_bus_component_stop(dea->bus);
        hc_bus_free(dea->bus);
        dea->bus = NULL;
    }
    while (dea->insts) {
        dea_inst_t *in = dea->insts;
        dea->insts = in->next;
        dea_inst_unref(in);
    }
    json_decref(dea->component);
    dea->component = NULL;
    SSL_CTX_free(dea->logdrain_tls); /* open drains' sessions hold their own ref */
    dea->logdrain_tls = NULL;
    dea_droplet_memo_free(dea);
}
