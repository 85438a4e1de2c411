/*
 * Instance lifecycle: droplet -> warden container (limits) -> copy_in -> net_in -> spawn ->
 * stream (exit noticed at once) while the health check (a TCP probe of the port by default;
 * hcheck.h for http) waits -> RUNNING, routed.
 * Every warden step runs on the instance's own connection; stop/destroy/info go on the
 * shared control connection, since the instance's is held by its `stream`.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dea.h"
#include "hc_fs.h"
#include "hc_json.h"
#include "hc_log.h"
#include "hc_time.h"
#include "hc_uuid.h"
#include "hcheck.h"
#include "logdrain.h"
#include "svcnet.h"

/* An app usually listens within a second or two of its spawn: probe its port every
 * PROBE_FAST_MS (a refused connect on loopback costs microseconds) for PROBE_FAST_FOR_MS,
 * then every PROBE_INTERVAL_MS. */
#define PROBE_FAST_MS 5
#define PROBE_FAST_FOR_MS 3000
#define PROBE_INTERVAL_MS 50
#define PROBE_CONNECT_MS 250
/* health_check_type http: once the port is open, a GET every HCHECK_EVERY_MS, each bounded. */
#define HCHECK_EVERY_MS 250
#define HCHECK_TIMEOUT_MS 1000

double dea_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

dea_inst_t *dea_inst_ref(dea_inst_t *in)
{
    in->refs++;
    return in;
}

void dea_inst_unref(dea_inst_t *in)
{
    if (!in || --in->refs > 0)
        return;
    dea_start_release(&in->s);
    free(in->start_cmd);
    free(in->dir);
    dea_ilog_close(in->out);
    dea_ilog_close(in->err);
    dea_logdrains_close(in->logdrains);
    free(in);
}

static void set_state(dea_inst_t *in, dea_state_t st)
{
    in->state = st;
    in->state_ts = dea_now_s();
    in->dea->snapshot_dirty = true;
    dea_snapshot_save(in->dea);
}

static void unlist(dea_inst_t *in)
{
    dea_t *dea = in->dea;
    for (dea_inst_t **pp = &dea->insts; *pp; pp = &(*pp)->next)
        if (*pp == in) {
            *pp = in->next;
            dea->num_insts--;
            in->next = NULL;
            dea_snapshot_save(dea);
            dea_inst_unref(in);
            return;
        }
}

static void on_ctl_done(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    (void)w, (void)resp, (void)more;
    dea_inst_t *in = data;
    if (error)
        hc_log_warn("warden request failed", "handle", in->handle, "err", error);
    dea_inst_unref(in);
}

/* A request on the control connection; cb (or a logger) gets a reference to in, always. */
static void ctl(dea_inst_t *in, const char *type, hc_warden_cb cb)
{
    json_t *req = json_pack("{s:s, s:s}", "type", type, "handle", in->handle);
    dea_wctl_request(in->dea, req, cb ? cb : on_ctl_done, dea_inst_ref(in));
}

static void unregister(dea_inst_t *in)
{
    if (!in->registered)
        return;
    in->registered = false;
    if (json_array_size(in->s.uris))
        dea_publish(in->dea, "router.unregister", dea_register_msg(in->dea, in, false));
}

void dea_inst_unregister(dea_inst_t *in)
{
    unregister(in);
}

void dea_inst_register(dea_inst_t *in)
{
    if (in->state != DEA_RUNNING || !json_array_size(in->s.uris) || in->dea->draining)
        return;
    in->registered = true;
    dea_publish(in->dea, "router.register", dea_register_msg(in->dea, in, true));
}

static void on_timer_closed(uv_handle_t *h);

static void stop_probe(dea_inst_t *in)
{
    if (in->hcheck) {
        dea_hcheck_cancel(in->hcheck);
        in->hcheck = NULL;
        dea_inst_unref(in);
    }
    if (in->timer_open) {
        uv_timer_stop(&in->probe_timer);
        in->timer_open = false;
        uv_close((uv_handle_t *)&in->probe_timer, on_timer_closed);
    }
}

static void on_timer_closed(uv_handle_t *h)
{
    dea_inst_unref(h->data);
}

static void publish_exited(dea_inst_t *in)
{
    if (in->notified)
        return;
    in->notified = true;
    if (in->evacuated && in->exit_reason && strcmp(in->exit_reason, "DEA_SHUTDOWN") == 0)
        return; /* DEA_EVACUATION was already sent */
    dea_publish(in->dea, "droplet.exited", dea_exited_msg(in, dea_now_s()));
    hc_log_info("instance exited", "app", in->s.name, "instance", in->id, "reason",
                in->exit_reason ? in->exit_reason : "CRASHED", "detail", in->reason_text);
}

static void on_destroyed(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    (void)w, (void)resp, (void)more;
    dea_inst_t *in = data;
    if (error)
        hc_log_warn("destroy failed", "handle", in->handle, "err", error);
    dea_inst_unref(in);
}

/* The instance is over: route gone, exit published, container destroyed. Idempotent. */
static void finish(dea_inst_t *in)
{
    if (in->dea->stopped)
        return; /* the DEA is exiting: instances keep running, the snapshot holds them */
    if (in->state == DEA_STOPPED || in->state == DEA_CRASHED)
        return;
    stop_probe(in);
    unregister(in);
    if (!in->exit_reason)
        in->exit_reason = "CRASHED";
    publish_exited(in);
    set_state(in, strcmp(in->exit_reason, "CRASHED") == 0 ? DEA_CRASHED : DEA_STOPPED);
    if (in->has_container) {
        in->has_container = false;
        ctl(in, "destroy", on_destroyed);
    }
    if (in->w && !in->creating) {
        /* (a create in flight keeps its connection: on_create destroys what it made) */
        hc_warden_t *w = in->w;
        in->w = NULL;
        hc_warden_free(w);
    }
    dea_advertise(in->dea);
    if (in->state == DEA_STOPPED)
        unlist(in);
}

static void crash(dea_inst_t *in, const char *why)
{
    if (in->dea->stopped)
        return;
    if (!in->exit_reason) {
        in->exit_reason = "CRASHED";
        snprintf(in->reason_text, sizeof(in->reason_text), "%s", why);
    }
    hc_log_warn("instance failed", "app", in->s.name, "instance", in->id, "err", why);
    finish(in);
}

static void on_info_oom(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    (void)w, (void)more, (void)error;
    dea_inst_t *in = data;
    json_t *ev = json_object_get(resp, "events"), *v;
    size_t i;
    json_array_foreach(ev, i, v) if (json_is_string(v) &&
                                     strcmp(json_string_value(v), "out of memory") == 0) in->oom =
        true;
    if (in->oom)
        snprintf(in->reason_text, sizeof(in->reason_text), "out of memory (limit %lld MB)",
                 (long long)in->s.mem_mb);
    finish(in);
    dea_inst_unref(in);
}

/* The start command's process ended (or the stream broke). */
static void exited(dea_inst_t *in, int64_t status, const char *error)
{
    if (in->dea->stopped)
        return;
    in->exit_status = status;
    stop_probe(in);
    dea_logdrains_close(in->logdrains); /* the app is gone: its last lines leave, then the drains */
    in->logdrains = NULL;
    unregister(in); /* same tick as the exit */
    if (in->exit_reason) {
        finish(in);
        return;
    }
    in->exit_reason = "CRASHED";
    if (error)
        snprintf(in->reason_text, sizeof(in->reason_text), "lost the app's process: %s", error);
    else
        snprintf(in->reason_text, sizeof(in->reason_text), "app exited with status %lld",
                 (long long)status);
    /* Learn whether it was an OOM kill before reporting. */
    if (in->has_container)
        ctl(in, "info", on_info_oom);
    else
        finish(in);
}

static void on_stream(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    (void)w;
    dea_inst_t *in = data;
    if (more) {
        json_t *d = json_object_get(resp, "data");
        const char *name = json_string_value(json_object_get(resp, "name"));
        bool is_err = name && strcmp(name, "stderr") == 0;
        if (json_is_string(d)) {
            dea_ilog_write(is_err ? in->err : in->out, json_string_value(d), json_string_length(d));
            dea_logdrains_write(in->logdrains, is_err, json_string_value(d), json_string_length(d));
        }
        return;
    }
    int64_t st = -1;
    if (resp)
        st = json_integer_value(json_object_get(resp, "exit_status"));
    if (in->state == DEA_STARTING || in->state == DEA_RUNNING || in->state == DEA_STOPPING)
        exited(in, st, error);
    dea_inst_unref(in);
}

static void probe_again(dea_inst_t *in);
static void on_probe_timer(uv_timer_t *t);

/* The app failed its health check (reason why): CRASHED; the stream then reports the exit. */
static void health_failed(dea_inst_t *in, const char *why)
{
    snprintf(in->reason_text, sizeof(in->reason_text), "%s", why);
    in->exit_reason = "CRASHED";
    hc_log_warn(in->state == DEA_RUNNING ? "instance failed its health check"
                                         : "instance failed to start",
                "app", in->s.name, "instance", in->id, "err", why);
    stop_probe(in);
    ctl(in, "stop", NULL);
}

/* The health check passed: RUNNING, routed, heartbeat. An http check goes on every
 * health_check.interval on the same timer (liveness), until the instance ends. */
static void running(dea_inst_t *in)
{
    uint64_t every = in->dea->conf->live_every_ms;
    if (in->s.health == DEA_HEALTH_HTTP && every && in->timer_open)
        uv_timer_start(&in->probe_timer, on_probe_timer, every, every);
    else
        stop_probe(in);
    in->live_fails = 0;
    set_state(in, DEA_RUNNING);
    char port[16];
    snprintf(port, sizeof(port), "%d", in->host_port);
    hc_log_info("instance running", "app", in->s.name, "instance", in->id, "port", port);
    dea_heartbeat(in->dea, in);
    dea_inst_register(in);
    dea_stats_sample(in); /* the first sample, so cpu % has a base */
    dea_pool_fill(in->dea);
    dea_advertise(in->dea);
}

static void on_hcheck(void *ud, int status, const char *error)
{
    dea_inst_t *in = ud;
    in->hcheck = NULL;
    in->hcheck_at = uv_now(in->dea->loop) + HCHECK_EVERY_MS;
    bool ok = status >= 200 && status <= 299;
    if (ok && in->state == DEA_STARTING && !in->stop_requested)
        running(in);
    else if (ok)
        in->live_fails = 0;
    else if (status)
        snprintf(in->hcheck_err, sizeof(in->hcheck_err), "HTTP %d", status);
    else
        snprintf(in->hcheck_err, sizeof(in->hcheck_err), "%s", error ? error : "failed");
    if (!ok && in->state == DEA_RUNNING && !in->stop_requested && !in->exit_reason &&
        ++in->live_fails >= in->dea->conf->live_failures) {
        char why[160];
        snprintf(why, sizeof(why), "health check GET %.40s failed %u times in a row: %.40s",
                 in->s.health_endpoint, (unsigned)in->live_fails, in->hcheck_err);
        health_failed(in, why);
    }
    dea_inst_unref(in);
}

/* One GET of the endpoint; Host is the app's first uri. */
static void hcheck_again(dea_inst_t *in)
{
    const char *host = json_string_value(json_array_get(in->s.uris, 0));
    in->hcheck =
        dea_hcheck_start(in->dea->loop, in->host_port, host ? host : "localhost",
                         in->s.health_endpoint, HCHECK_TIMEOUT_MS, on_hcheck, dea_inst_ref(in));
}

static void on_probe_closed(uv_handle_t *h)
{
    dea_inst_t *in = h->data;
    in->probe_open = false;
    dea_inst_unref(in);
}

static void on_probe(uv_connect_t *req, int status)
{
    dea_inst_t *in = req->data;
    free(req);
    if (!uv_is_closing((uv_handle_t *)&in->probe))
        uv_close((uv_handle_t *)&in->probe, on_probe_closed);
    if (in->state != DEA_STARTING || in->stop_requested)
        return;
    if (status == 0 && in->s.health == DEA_HEALTH_HTTP)
        in->port_open = true; /* the timer now runs the HTTP check */
    else if (status == 0)
        running(in);
}

static void on_probe_timer(uv_timer_t *t)
{
    dea_inst_t *in = t->data;
    if (in->state == DEA_RUNNING && in->s.health == DEA_HEALTH_HTTP) {
        if (!in->hcheck && !in->stop_requested)
            hcheck_again(in); /* liveness: one check per tick, never two at once */
        return;
    }
    if (in->state != DEA_STARTING)
        return;
    if (in->probe_open) {
        /* A SYN into a port nobody listens on yet may get no answer: give up on this
         * attempt after PROBE_CONNECT_MS and try again. */
        if (uv_now(in->dea->loop) - in->probe_started >= PROBE_CONNECT_MS &&
            !uv_is_closing((uv_handle_t *)&in->probe))
            uv_close((uv_handle_t *)&in->probe, on_probe_closed);
        return;
    }
    if (uv_timer_get_repeat(t) == PROBE_FAST_MS &&
        uv_now(in->dea->loop) - in->probe_begun >= PROBE_FAST_FOR_MS)
        uv_timer_set_repeat(t, PROBE_INTERVAL_MS);
    if (uv_now(in->dea->loop) > in->probe_deadline) {
        char why[160];
        if (in->port_open)
            snprintf(why, sizeof(why), "health check GET %.40s: %s", in->s.health_endpoint,
                     in->hcheck_err[0] ? in->hcheck_err : "no answer");
        else
            snprintf(why, sizeof(why), "app never listened on its port %d within %llu ms",
                     in->container_port, (unsigned long long)in->dea->conf->start_timeout_ms);
        health_failed(in, why);
        return;
    }
    if (!in->port_open)
        probe_again(in);
    else if (!in->hcheck && uv_now(in->dea->loop) >= in->hcheck_at)
        hcheck_again(in);
}

static void probe_again(dea_inst_t *in)
{
    struct sockaddr_in sa;
    uv_ip4_addr("127.0.0.1", in->host_port, &sa);
    uv_tcp_init(in->dea->loop, &in->probe);
    in->probe.data = dea_inst_ref(in);
    in->probe_open = true;
    in->probe_started = uv_now(in->dea->loop);
    uv_connect_t *req = hc_calloc(1, sizeof(*req));
    req->data = in;
    if (uv_tcp_connect(req, &in->probe, (const struct sockaddr *)&sa, on_probe) < 0) {
        free(req);
        uv_close((uv_handle_t *)&in->probe, on_probe_closed);
    }
}

static void start_probe(dea_inst_t *in)
{
    if (in->s.health == DEA_HEALTH_PROCESS) {
        running(in); /* spawned is enough; the port is known, so the route is registered */
        return;
    }
    in->port_open = false;
    in->hcheck_at = 0;
    in->hcheck_err[0] = '\0';
    in->probe_begun = uv_now(in->dea->loop);
    in->probe_deadline = in->probe_begun + in->dea->conf->start_timeout_ms;
    uv_timer_init(in->dea->loop, &in->probe_timer);
    in->probe_timer.data = dea_inst_ref(in);
    in->timer_open = true;
    uv_timer_start(&in->probe_timer, on_probe_timer, 0, PROBE_FAST_MS);
    /* stop_probe closes it with on_timer_closed releasing the ref */
}

static bool gone(dea_inst_t *in, const char *error)
{
    if (in->dea->stopped)
        return true;
    if (in->stop_requested || in->state != DEA_STARTING) {
        finish(in);
        return true;
    }
    if (error) {
        crash(in, error);
        return true;
    }
    return false;
}

static void on_spawn(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    hc_log_debug("warden step done", "step", "spawn", "err", error);
    (void)more;
    dea_inst_t *in = data;
    if (!gone(in, error)) {
        in->job_id = json_integer_value(json_object_get(resp, "job_id"));
        in->dea->snapshot_dirty = true;
        dea_snapshot_save(in->dea);
        json_t *req = json_pack("{s:s, s:s, s:I}", "type", "stream", "handle", in->handle, "job_id",
                                (json_int_t)in->job_id);
        if (hc_warden_request(w, req, on_stream, dea_inst_ref(in)) < 0) {
            dea_inst_unref(in);
            crash(in, "cannot stream the app's output");
        } else {
            start_probe(in);
        }
    }
    dea_inst_unref(in);
}

static void on_net_in(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    hc_log_debug("warden step done", "step", "net_in", "err", error);
    (void)more;
    dea_inst_t *in = data;
    if (!gone(in, error)) {
        in->host_port = (int)json_integer_value(json_object_get(resp, "host_port"));
        in->container_port = (int)json_integer_value(json_object_get(resp, "container_port"));
        json_t *env = dea_env(in, in->dea->conf->local_ip);
        hc_autofree char *script = hc_asprintf(
            "mkdir -p /home/vcap/tmp; cd /home/vcap/app 2>/dev/null || cd /home/vcap; %s",
            in->start_cmd);
        json_t *req =
            json_pack("{s:s, s:s, s:s, s:o, s:{s:I}}", "type", "spawn", "handle", in->handle,
                      "script", script, "env", env, "rlimits", "nofile", (json_int_t)in->s.fds);
        if (hc_warden_request(w, req, on_spawn, dea_inst_ref(in)) < 0) {
            dea_inst_unref(in);
            crash(in, "warden refused the spawn");
        }
    }
    dea_inst_unref(in);
}

static void on_copy_in(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    hc_log_debug("warden step done", "step", "copy_in", "err", error);
    (void)more, (void)resp;
    dea_inst_t *in = data;
    if (!gone(in, error)) {
        json_t *req = json_pack("{s:s, s:s, s:i}", "type", "net_in", "handle", in->handle,
                                "container_port", 8080);
        /* net_out to the bound services first (svcnet.c), then net_in */
        if (dea_svcnet_then(in, w, req, on_net_in, dea_inst_ref(in)) < 0) {
            dea_inst_unref(in);
            crash(in, "warden refused net_in");
        }
    }
    dea_inst_unref(in);
}

/* The container and the droplet are made ready at the same time; the copy starts once both
 * are (the droplet fetch and warden's create overlap). */
static void copy_in(dea_inst_t *in)
{
    if (!in->created || !in->start_cmd || in->copying || !in->w)
        return;
    in->copying = true;
    hc_autofree char *path =
        hc_asprintf("%s/droplets/%s.tgz", in->dea->conf->common.data_dir, in->s.sha1);
    json_t *req = json_pack("{s:s, s:s, s:s, s:s}", "type", "copy_in", "handle", in->handle,
                            "src_path", path, "dst_path", "/home/vcap");
    if (hc_warden_request(in->w, req, on_copy_in, dea_inst_ref(in)) < 0) {
        dea_inst_unref(in);
        crash(in, "warden refused copy_in");
    }
}

static void on_create(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    hc_log_debug("warden step done", "step", "create", "err", error);
    (void)w, (void)more, (void)resp;
    dea_inst_t *in = data;
    in->creating = false;
    bool over = in->state == DEA_STOPPED || in->state == DEA_CRASHED;
    bool made = !error || in->pooled; /* a warm container exists even if a limit failed */
    if (!error && in->limit_error[0])
        error = in->limit_error;
    if (made && over && !in->dea->stopped) {
        /* The instance ended (droplet failure, stop) while warden was creating it. */
        ctl(in, "destroy", on_destroyed);
    } else if (made) {
        in->has_container = true;
    }
    if (over && in->w) {
        hc_warden_t *cw = in->w;
        in->w = NULL;
        hc_warden_free(cw);
    }
    if (!gone(in, error)) {
        in->created = true;
        copy_in(in);
    }
    dea_inst_unref(in);
}

static void on_limited(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    (void)w, (void)resp, (void)more;
    dea_inst_t *in = data;
    if (error && !in->limit_error[0])
        snprintf(in->limit_error, sizeof(in->limit_error), "limit_memory: %s", error);
    dea_inst_unref(in);
}

/* A warm container from the pool, given the app's limits (pipelined; on_create follows). */
static bool take_warm(dea_inst_t *in, hc_warden_t *w)
{
    if (!dea_pool_take(in->dea, in->handle, sizeof(in->handle)))
        return false;
    in->pooled = true;
    uint64_t mb = 1024 * 1024;
    json_t *lm = json_pack("{s:s, s:s, s:I}", "type", "limit_memory", "handle", in->handle,
                           "limit_in_bytes", (json_int_t)((uint64_t)in->s.mem_mb * mb));
    json_t *ld = json_pack("{s:s, s:s, s:I}", "type", "limit_disk", "handle", in->handle,
                           "byte_limit", (json_int_t)((uint64_t)in->s.disk_mb * mb));
    if (hc_warden_request(w, lm, on_limited, dea_inst_ref(in)) < 0) {
        dea_inst_unref(in);
        snprintf(in->limit_error, sizeof(in->limit_error), "warden refused limit_memory");
    }
    if (hc_warden_request(w, ld, on_create, dea_inst_ref(in)) < 0) {
        dea_inst_unref(in);
        on_create(w, NULL, false, "warden refused limit_disk", dea_inst_ref(in));
    }
    return true;
}

static void on_connect(hc_warden_t *w, int status, void *data)
{
    dea_inst_t *in = data;
    if (w) {
        if (in->w || in->dea->stopped || in->state != DEA_STARTING) {
            hc_warden_free(w); /* the instance ended meanwhile */
            w = NULL;
        } else {
            in->w = w;
        }
    }
    hc_log_debug("warden step done", "step", "connect");
    if (status < 0 || !w) {
        gone(in, "cannot connect to warden");
    } else if (!gone(in, NULL)) {
        uint64_t mb = 1024 * 1024;
        json_t *req = json_pack(
            "{s:s, s:s, s:{s:I, s:I, s:I}, s:{s:s, s:s, s:s, s:s}}", "type", "create", "handle",
            in->handle, "limits", "memory_in_bytes", (json_int_t)((uint64_t)in->s.mem_mb * mb),
            "disk_in_bytes", (json_int_t)((uint64_t)in->s.disk_mb * mb), "pids",
            (json_int_t)in->dea->conf->pids, "properties", "owner", "hearth-dea", "dea",
            in->dea->id, "instance", in->id, "app", in->s.droplet);
        in->creating = true;
        if (take_warm(in, w)) {
            json_decref(req);
        } else if (hc_warden_request(w, req, on_create, dea_inst_ref(in)) < 0) {
            in->creating = false;
            dea_inst_unref(in);
            crash(in, "warden refused create");
        }
    }
    dea_inst_unref(in);
}

static void on_droplet(dea_inst_t *in, const char *path, char *cmd, const char *error)
{
    (void)path;
    if (gone(in, error)) {
        free(cmd);
        return;
    }
    in->start_cmd = cmd;
    hc_log_debug("droplet ready", "instance", in->id);
    copy_in(in);
}

static void open_logs(dea_inst_t *in)
{
    hc_err_t err;
    hc_autofree char *dir = hc_asprintf("%s/logs", in->dir);
    if (hc_mkdir_p(AT_FDCWD, dir, 0755, &err) < 0)
        hc_log_warn("cannot create the log dir", "err", err.msg);
    hc_autofree char *o = hc_asprintf("%s/stdout.log", dir);
    hc_autofree char *e = hc_asprintf("%s/stderr.log", dir);
    uint64_t max = in->dea->conf->log_max_bytes;
    in->out = dea_ilog_new(in->dea->loop, o, max);
    in->err = dea_ilog_new(in->dea->loop, e, max);
    in->logdrains = dea_logdrains_new(in->dea, in);
}

int dea_inst_start(dea_t *dea, dea_start_t *s, hc_err_t *err)
{
    if (dea->stopping)
        return hc_err_set(err, -ESHUTDOWN, "shutting down");
    int64_t mem = 0;
    size_t n = 0;
    for (dea_inst_t *i = dea->insts; i; i = i->next)
        if (i->state == DEA_STARTING || i->state == DEA_RUNNING) {
            mem += i->s.mem_mb;
            n++;
        }
    if (n >= DEA_MAX_INSTANCES || mem + s->mem_mb > (int64_t)dea->conf->max_memory_mb)
        return hc_err_set(err, -ENOSPC, "not enough memory or instance slots");
    dea_inst_t *in = hc_calloc(1, sizeof(*in));
    in->dea = dea;
    in->refs = 1; /* the list's */
    hc_random_hex(in->id, 16);
    snprintf(in->handle, sizeof(in->handle), "dea-%.32s", in->id);
    in->s = *s;
    memset(s, 0, sizeof(*s));
    in->start_ts = dea_now_s();
    in->dir = hc_asprintf("%s/instances/%s", dea->conf->common.data_dir, in->id);
    open_logs(in);
    in->next = dea->insts;
    dea->insts = in;
    dea->num_insts++;
    set_state(in, DEA_STARTING);
    hc_log_info("starting instance", "app", in->s.name, "instance", in->id);
    dea_advertise(dea);
    dea_droplet_fetch(in, on_droplet);
    dea_warden_connect(dea, on_connect, dea_inst_ref(in));
    return 0;
}

static void on_drained(uv_timer_t *t)
{
    dea_inst_t *in = t->data;
    in->drain_open = false;
    uv_close((uv_handle_t *)t, on_timer_closed);
    /* Still there (it may have exited on its own meanwhile): stop it now. */
    if (in->state == DEA_STOPPING && in->job_id && in->w)
        ctl(in, "stop", NULL);
}

void dea_inst_stop(dea_inst_t *in, const char *reason)
{
    if (in->state == DEA_CRASHED) {
        unlist(in); /* DELETED */
        return;
    }
    if (in->state == DEA_STOPPED || in->stop_requested)
        return;
    in->stop_requested = true;
    if (!in->exit_reason)
        in->exit_reason = reason;
    /* A routed instance keeps running for stop_drain after its route is gone, so what the
     * routers already sent it is answered (killed mid-answer, a request would fail). */
    bool drain = in->registered && in->state == DEA_RUNNING && in->dea->conf->stop_drain_ms > 0;
    unregister(in);
    if (in->state == DEA_RUNNING || in->state == DEA_STARTING) {
        in->state = DEA_STOPPING;
        if (in->job_id && in->w) {
            stop_probe(in);
            if (drain) {
                uv_timer_init(in->dea->loop, &in->drain_timer);
                in->drain_timer.data = dea_inst_ref(in);
                in->drain_open = true;
                uv_timer_start(&in->drain_timer, on_drained, in->dea->conf->stop_drain_ms, 0);
                return;
            }
            ctl(in, "stop", NULL); /* the stream ends, exited() finishes */
            return;
        }
        /* Not spawned yet: the pending step sees stop_requested and finishes. */
    }
}

/* ---- re-attach after a DEA restart ---- */

static void on_reattach_info(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    (void)more;
    dea_inst_t *in = data;
    const char *st = json_string_value(json_object_get(resp, "state"));
    bool job_alive = false;
    json_t *ids = json_object_get(resp, "job_ids"), *v;
    size_t i;
    json_array_foreach(ids, i, v) job_alive |= json_integer_value(v) == in->job_id;
    if (error)
        in->has_container = false;
    if (error || !st || strcmp(st, "active") != 0 || !job_alive) {
        crash(in, "the app's container or process was gone after a DEA restart");
    } else if (!gone(in, NULL)) {
        json_t *req = json_pack("{s:s, s:s, s:I}", "type", "stream", "handle", in->handle, "job_id",
                                (json_int_t)in->job_id);
        if (hc_warden_request(w, req, on_stream, dea_inst_ref(in)) < 0) {
            dea_inst_unref(in);
            crash(in, "cannot stream the app's output");
        } else {
            hc_log_info("re-attached instance", "app", in->s.name, "instance", in->id);
            start_probe(in); /* RUNNING (and routed) again once the port answers */
        }
    }
    dea_inst_unref(in);
}

static void on_reattach_connect(hc_warden_t *w, int status, void *data)
{
    dea_inst_t *in = data;
    if (w) {
        if (in->w || in->dea->stopped) {
            hc_warden_free(w);
            w = NULL;
        } else {
            in->w = w;
        }
    }
    if (in->dea->stopped) {
        /* nothing: the snapshot still holds the instance */
    } else if (status < 0 || !w) {
        crash(in, "cannot connect to warden");
    } else {
        json_t *req = json_pack("{s:s, s:s}", "type", "info", "handle", in->handle);
        if (hc_warden_request(w, req, on_reattach_info, dea_inst_ref(in)) < 0) {
            dea_inst_unref(in);
            crash(in, "warden refused info");
        }
    }
    dea_inst_unref(in);
}

static int reattach_one(dea_t *dea, json_t *e, hc_err_t *err)
{
    const char *id, *handle, *cmd;
    int64_t hp, cp, job;
    json_t *msg = json_object_get(e, "start_message");
    if (hc_json_get_str_len(e, "instance_id", 32, 32, &id, err) < 0 ||
        hc_json_get_str_len(e, "handle", 1, 39, &handle, err) < 0 ||
        hc_json_get_str_len(e, "start_command", 0, DEA_MAX_CMD, &cmd, err) < 0 ||
        hc_json_get_int_range(e, "host_port", 1, 65535, &hp, err) < 0 ||
        hc_json_get_int_range(e, "container_port", 1, 65535, &cp, err) < 0 ||
        hc_json_get_int_range(e, "job_id", 1, INT64_MAX, &job, err) < 0 || !json_is_object(msg))
        return -EINVAL;
    hc_autofree char *text = json_dumps(msg, JSON_COMPACT);
    dea_start_t s;
    if (!text || dea_start_parse(text, strlen(text), &s, err) < 0)
        return -EINVAL;
    dea_inst_t *in = hc_calloc(1, sizeof(*in));
    in->dea = dea;
    in->refs = 1;
    snprintf(in->id, sizeof(in->id), "%s", id);
    snprintf(in->handle, sizeof(in->handle), "%s", handle);
    in->s = s;
    in->host_port = (int)hp;
    in->container_port = (int)cp;
    in->job_id = job;
    in->start_cmd = hc_strdup(cmd);
    in->has_container = true;
    in->start_ts = json_real_value(json_object_get(e, "start_timestamp"));
    in->state = DEA_STARTING;
    in->state_ts = json_real_value(json_object_get(e, "state_timestamp"));
    in->dir = hc_asprintf("%s/instances/%s", dea->conf->common.data_dir, in->id);
    open_logs(in);
    in->next = dea->insts;
    dea->insts = in;
    dea->num_insts++;
    dea_warden_connect(dea, on_reattach_connect, dea_inst_ref(in));
    return 0;
}

int dea_reattach(dea_t *dea)
{
    hc_autofree char *path = hc_asprintf("%s/snapshot.json", dea->conf->common.data_dir);
    hc_autofree char *data = NULL;
    size_t len;
    hc_err_t err;
    json_t *root = NULL, *arr, *e;
    size_t i;
    if (hc_read_file(AT_FDCWD, path, 64 * 1024 * 1024, &data, &len, &err) < 0)
        return 0; /* no snapshot: nothing to recover */
    if (hc_json_parse_obj(data, len, 64 * 1024 * 1024, &root, &err) < 0 ||
        hc_json_get_array(root, "instances", &arr, &err) < 0) {
        hc_log_warn("ignoring a bad snapshot", "err", err.msg);
        json_decref(root);
        return 0;
    }
    dea_pool_reap(dea, json_object_get(root, "pool"));
    json_array_foreach(arr, i, e)
    {
        if (reattach_one(dea, e, &err) < 0)
            hc_log_warn("ignoring a bad snapshot entry", "err", err.msg);
    }
    json_decref(root);
    return 0;
}
