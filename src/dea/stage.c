/*
 * Staging (staging.<dea id>.start, or the `staging` queue group): download the package,
 * re-pack it as app/, run buildpacks/stage in a warden container with limits (detect,
 * compile with the app's cache, release), copy the result out, pack it into the droplet tgz,
 * upload it to the CC's signed upload_uri, and reply with the log. The buildpack cache is
 * kept per app in data_dir/cache/<app>.tar between stagings. Before the buildpacks run, the
 * container gets the net_out rules of egress.h (DNS, staging_net_out) unless staging_egress
 * is off.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dea.h"
#include "egress.h"
#include "hc_fs.h"
#include "hc_json.h"
#include "hc_log.h"
#include "pack.h"

#define STAGE_MAX_LOG (256 * 1024)
#define STAGE_MAX_PACKAGE ((size_t)512 * 1024 * 1024)

typedef struct stage_s {
    dea_t *dea;
    json_t *req;
    char *reply;
    const char *task_id, *app_id, *download, *upload;
    int64_t mem_mb, disk_mb;
    char handle[64];
    char *dir;   /* data_dir/staging/<task> */
    char *cache; /* data_dir/cache/<app>.tar */
    hc_warden_t *w;
    dea_slog_t log;
    int64_t job_id;
    char *body; /* bytes between steps (package, droplet) */
    size_t body_len;
    uv_work_t work;
    int step;
    int rc;
    hc_err_t err;
    bool has_container, has_cache;
    char buildpack[64];
    char error[512];
    hc_resolv_t dns; /* the host's resolvers, read with the package (egress.h) */
    char dns_error[128];
    dea_egress_rule_t egress[DEA_EGRESS_MAX_RULES];
    size_t egress_n, egress_next;
} stage_t;

static void reply_and_free(stage_t *st);

/* Ends the task with error "<what><detail>". */
static void fail(stage_t *st, const char *what, const char *detail)
{
    if (!st->error[0])
        snprintf(st->error, sizeof(st->error), "%s%s", what, detail ? detail : "");
    dea_slog_appendf(&st->log, "-----> staging failed: %s\n", st->error);
    reply_and_free(st);
}

static void on_destroyed(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    (void)w, (void)resp, (void)more, (void)data;
    if (error)
        hc_log_warn("cannot destroy a staging container", "err", error);
}

typedef struct rm_job_s {
    uv_work_t work;
    char *dir;
} rm_job_t;

static void rm_work(uv_work_t *w)
{
    rm_job_t *j = HC_CONTAINER_OF(w, rm_job_t, work);
    static const char *const files[] = {"package", "app.tar", "out.tar", "droplet.tgz",
                                        "cache.tar"};
    for (size_t i = 0; i < HC_ARRAY_SIZE(files); i++) {
        hc_autofree char *p = hc_asprintf("%s/%s", j->dir, files[i]);
        (void)unlink(p);
    }
    (void)rmdir(j->dir);
}

static void rm_done(uv_work_t *w, int status)
{
    (void)status;
    rm_job_t *j = HC_CONTAINER_OF(w, rm_job_t, work);
    free(j->dir);
    free(j);
}

/* Removes the task's files on the thread pool. */
static void remove_dir(dea_t *dea, char *dir)
{
    rm_job_t *j = hc_calloc(1, sizeof(*j));
    j->dir = dir;
    if (uv_queue_work(dea->loop, &j->work, rm_work, rm_done) < 0) {
        free(j->dir);
        free(j);
    }
}

static void reply_and_free(stage_t *st)
{
    dea_t *dea = st->dea;
    json_t *o = hc_json_obj();
    hc_json_set_str(o, "task_id", st->task_id);
    hc_json_set_strn(o, "task_log", st->log.buf.data, st->log.buf.len);
    if (st->error[0])
        hc_json_set_str(o, "error", st->error);
    if (st->buildpack[0])
        hc_json_set_str(o, "detected_buildpack", st->buildpack);
    hc_autofree char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    dea_slog_done(&st->log); /* before the reply, per the contract */
    if (s && dea->bus && !dea->stopped)
        hc_bus_publish(dea->bus, st->reply, s, strlen(s));
    if (st->w) {
        if (st->has_container) {
            json_t *req = json_pack("{s:s, s:s}", "type", "destroy", "handle", st->handle);
            dea_wctl_request(dea, req, on_destroyed, NULL);
        }
        hc_warden_free(st->w);
    }
    hc_log_info("staging done", "task", st->task_id, "err", st->error[0] ? st->error : NULL);
    dea->staging_active--;
    dea_advertise(dea);
    json_decref(st->req);
    free(st->reply);
    if (st->dir)
        remove_dir(dea, st->dir);
    free(st->cache);
    free(st->body);
    dea_slog_release(&st->log);
    free(st);
}

static bool queue(stage_t *st, uv_work_cb fn, uv_after_work_cb done)
{
    if (uv_queue_work(st->dea->loop, &st->work, fn, done) == 0)
        return true;
    fail(st, "", "cannot queue work");
    return false;
}

/* ---- steps ---- */

static void start_container(stage_t *st);

static void write_package(uv_work_t *w)
{
    stage_t *st = HC_CONTAINER_OF(w, stage_t, work);
    hc_autofree char *pkg = hc_asprintf("%s/package", st->dir);
    hc_autofree char *tar = hc_asprintf("%s/app.tar", st->dir);
    dea_pack_limits_t lim = {.max_bytes = (uint64_t)st->disk_mb * 1024 * 1024,
                             .max_entries = 200000};
    if ((st->rc = hc_mkdir_p(AT_FDCWD, st->dir, 0700, &st->err)) < 0)
        return;
    if ((st->rc = hc_atomic_write_file(AT_FDCWD, pkg, st->body, st->body_len, 0600, &st->err)) < 0)
        return;
    st->rc = dea_repack(pkg, tar, NULL, "app/", false, &lim, &st->err);
    struct stat sb;
    st->has_cache = stat(st->cache, &sb) == 0 && sb.st_size > 0;
    if (st->dea->conf->staging_egress) {
        hc_err_t err = {0};
        if (hc_resolv_read(st->dea->conf->resolv_conf, &st->dns, &err) < 0)
            snprintf(st->dns_error, sizeof(st->dns_error), "%.120s", err.msg);
    }
}

static void package_written(uv_work_t *w, int status)
{
    hc_log_debug("staging step done", "step", "package");
    stage_t *st = HC_CONTAINER_OF(w, stage_t, work);
    free(st->body);
    st->body = NULL;
    if (status < 0 || st->rc < 0) {
        fail(st, "bad package: ", st->rc < 0 ? st->err.msg : "cancelled");
        return;
    }
    start_container(st);
}

static void on_package(const hc_http_client_result_t *res, void *data)
{
    hc_log_debug("staging step done", "step", "download");
    stage_t *st = data;
    if (res->error || res->status != 200) {
        char why[128];
        snprintf(why, sizeof(why), "%s (HTTP %d)", res->error ? res->error : "", res->status);
        fail(st, "package download failed: ", why);
        return;
    }
    dea_slog_appendf(&st->log, "-----> Downloaded app package (%zu bytes)\n", res->body_len);
    st->body = hc_memdup(res->body, res->body_len);
    st->body_len = res->body_len;
    queue(st, write_package, package_written);
}

static int wreq(stage_t *st, json_t *req, hc_warden_cb cb)
{
    int r = hc_warden_request(st->w, req, cb, st);
    if (r < 0)
        fail(st, "warden: ", strerror(-r));
    return r;
}

static void pack_droplet(uv_work_t *w)
{
    stage_t *st = HC_CONTAINER_OF(w, stage_t, work);
    hc_autofree char *out = hc_asprintf("%s/out.tar", st->dir);
    hc_autofree char *drop = hc_asprintf("%s/droplet.tgz", st->dir);
    hc_autofree char *cache = hc_asprintf("%s/cache.tar", st->dir);
    dea_pack_limits_t lim = {.max_bytes = (uint64_t)st->disk_mb * 1024 * 1024,
                             .max_entries = 500000};
    if ((st->rc = dea_repack(out, drop, "out/", NULL, true, &lim, &st->err)) < 0)
        return;
    struct stat sb;
    if (stat(cache, &sb) == 0)
        (void)rename(cache, st->cache);
    size_t len;
    st->rc = hc_read_file(AT_FDCWD, drop, DEA_MAX_DROPLET, &st->body, &len, &st->err);
    st->body_len = len;
}

static void on_upload(const hc_http_client_result_t *res, void *data)
{
    hc_log_debug("staging step done", "step", "upload");
    stage_t *st = data;
    if (res->error || res->status / 100 != 2) {
        char why[256];
        snprintf(why, sizeof(why), "%s HTTP %d %.*s", res->error ? res->error : "", res->status,
                 (int)(res->body_len > 120 ? 120 : res->body_len), res->body ? res->body : "");
        fail(st, "droplet upload failed: ", why);
        return;
    }
    dea_slog_appendf(&st->log, "-----> Uploaded droplet (%zu bytes)\n", st->body_len);
    reply_and_free(st);
}

static void droplet_packed(uv_work_t *w, int status)
{
    hc_log_debug("staging step done", "step", "pack");
    stage_t *st = HC_CONTAINER_OF(w, stage_t, work);
    if (status < 0 || st->rc < 0) {
        fail(st, "packing the droplet failed: ", st->rc < 0 ? st->err.msg : "cancelled");
        return;
    }
    static const char *const hdrs[] = {"Content-Type: application/octet-stream", NULL};
    hc_http_client_opts_t o = {.method = "POST",
                               .url = st->upload,
                               .headers = hdrs,
                               .body = st->body,
                               .body_len = st->body_len,
                               .body_borrowed = true,
                               .timeout_ms = 600000};
    hc_err_t err;
    if (hc_http_client_request(st->dea->http, &o, on_upload, st, NULL, &err) < 0)
        fail(st, "droplet upload failed: ", err.msg);
}

static void after_copy_out_cache(hc_warden_t *w, json_t *resp, bool more, const char *error,
                                 void *data)
{
    hc_log_debug("staging step done", "step", "copy_out_cache", "err", error);
    (void)w, (void)resp, (void)more;
    stage_t *st = data;
    if (error)
        dea_slog_appendf(&st->log, "-----> (buildpack cache not saved: %s)\n", error);
    queue(st, pack_droplet, droplet_packed);
}

static void after_copy_out(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    hc_log_debug("staging step done", "step", "copy_out", "err", error);
    (void)w, (void)resp, (void)more;
    stage_t *st = data;
    if (error) {
        fail(st, "copying the staged app out failed: ", error);
        return;
    }
    hc_autofree char *cache = hc_asprintf("%s/cache.tar", st->dir);
    wreq(st,
         json_pack("{s:s, s:s, s:s, s:s}", "type", "copy_out", "handle", st->handle, "src_path",
                   "/home/vcap/cache", "dst_path", cache),
         after_copy_out_cache);
}

/* Buildpack output arrives as the staging process writes it and goes to the log at once. */
static void on_stream(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    (void)w;
    stage_t *st = data;
    if (error) {
        fail(st, "running the buildpacks failed: ", error);
        return;
    }
    if (more) {
        json_t *d = json_object_get(resp, "data");
        if (json_is_string(d))
            dea_slog_append(&st->log, json_string_value(d), json_string_length(d));
        return;
    }
    hc_log_debug("staging step done", "step", "buildpacks");
    int64_t status = json_integer_value(json_object_get(resp, "exit_status"));
    /* The driver prints "-----> Detected buildpack: NAME" */
    const char *d = strstr(st->log.buf.data, "Detected buildpack: ");
    if (d)
        sscanf(d + 20, "%63[A-Za-z0-9_.-]", st->buildpack);
    if (status != 0) {
        char why[32];
        snprintf(why, sizeof(why), "%lld", (long long)status);
        fail(st, "buildpack staging exited with status ", why);
        return;
    }
    hc_autofree char *tar = hc_asprintf("%s/out.tar", st->dir);
    wreq(st,
         json_pack("{s:s, s:s, s:s, s:s}", "type", "copy_out", "handle", st->handle, "src_path",
                   "/home/vcap/out", "dst_path", tar),
         after_copy_out);
}

static void after_spawn(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    hc_log_debug("staging step done", "step", "spawn", "err", error);
    (void)w, (void)more;
    stage_t *st = data;
    if (error) {
        fail(st, "running the buildpacks failed: ", error);
        return;
    }
    st->job_id = json_integer_value(json_object_get(resp, "job_id"));
    wreq(st,
         json_pack("{s:s, s:s, s:I}", "type", "stream", "handle", st->handle, "job_id",
                   (json_int_t)st->job_id),
         on_stream);
}

static void run_buildpacks(stage_t *st)
{
    json_t *props = json_object_get(st->req, "properties");
    json_t *env = hc_json_arr(), *v;
    const char *cmd = json_string_value(json_object_get(props, "command"));
    const char *bp = json_string_value(json_object_get(props, "buildpack"));
    hc_autofree char *e1 = hc_asprintf("STAGING_COMMAND=%s", cmd ? cmd : "");
    hc_autofree char *e2 = hc_asprintf("STAGING_BUILDPACK=%s", bp ? bp : "");
    hc_autofree char *e3 = hc_asprintf("MEMORY_LIMIT=%lldm", (long long)st->mem_mb);
    hc_json_append_str(env, e1);
    hc_json_append_str(env, e2);
    hc_json_append_str(env, e3);
    json_t *svcs = dea_vcap_services(json_object_get(props, "services"));
    hc_autofree char *vs = json_dumps(svcs, JSON_COMPACT);
    json_decref(svcs);
    hc_autofree char *e4 = hc_asprintf("VCAP_SERVICES=%s", vs ? vs : "{}");
    hc_json_append_str(env, e4);
    size_t i;
    json_array_foreach(json_object_get(props, "environment"), i,
                       v) if (json_is_string(v) && strchr(json_string_value(v), '='))
        hc_json_append_str(env, json_string_value(v));
    dea_slog_appendf(&st->log, "-----> Running buildpacks\n");
    wreq(st,
         json_pack("{s:s, s:s, s:s, s:o}", "type", "spawn", "handle", st->handle, "script",
                   "exec /bin/sh /buildpacks/stage /home/vcap", "env", env),
         after_spawn);
}

static void after_cache_in(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    hc_log_debug("staging step done", "step", "copy_in_cache", "err", error);
    (void)w, (void)resp, (void)more;
    stage_t *st = data;
    if (error)
        dea_slog_appendf(&st->log, "-----> (buildpack cache not restored: %s)\n", error);
    run_buildpacks(st);
}

static void after_copy_in(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    hc_log_debug("staging step done", "step", "copy_in", "err", error);
    (void)w, (void)resp, (void)more;
    stage_t *st = data;
    if (error) {
        fail(st, "copying the package in failed: ", error);
        return;
    }
    if (st->has_cache) {
        dea_slog_appendf(&st->log, "-----> Restoring the buildpack cache\n");
        wreq(st,
             json_pack("{s:s, s:s, s:s, s:s}", "type", "copy_in", "handle", st->handle, "src_path",
                       st->cache, "dst_path", "/home/vcap"),
             after_cache_in);
    } else {
        run_buildpacks(st);
    }
}

static void copy_app_in(stage_t *st)
{
    hc_autofree char *tar = hc_asprintf("%s/app.tar", st->dir);
    wreq(st,
         json_pack("{s:s, s:s, s:s, s:s}", "type", "copy_in", "handle", st->handle, "src_path", tar,
                   "dst_path", "/home/vcap"),
         after_copy_in);
}

static void open_egress(stage_t *st);

static void after_net_out(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    (void)w, (void)resp, (void)more;
    stage_t *st = data;
    if (error) {
        /* Apps that need no download still stage; a buildpack that does says so. */
        dea_slog_appendf(&st->log, "-----> (network access not opened: %s)\n", error);
        copy_app_in(st);
        return;
    }
    open_egress(st);
}

/* One net_out per rule, in order, then the package goes in. */
static void open_egress(stage_t *st)
{
    if (st->egress_next >= st->egress_n) {
        copy_app_in(st);
        return;
    }
    dea_egress_rule_t *r = &st->egress[st->egress_next++];
    json_t *req = json_pack("{s:s, s:s, s:s, s:s}", "type", "net_out", "handle", st->handle,
                            "network", r->network, "protocol", r->protocol);
    if (r->port)
        json_object_set_new(req, "port", json_integer(r->port));
    wreq(st, req, after_net_out);
}

static void after_create(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    hc_log_debug("staging step done", "step", "create", "err", error);
    (void)w, (void)resp, (void)more;
    stage_t *st = data;
    if (error) {
        fail(st, "creating the staging container failed: ", error);
        return;
    }
    st->has_container = true;
    if (!st->dea->conf->staging_egress) {
        copy_app_in(st);
        return;
    }
    st->egress_n = dea_egress_rules(st->dea->conf->staging_net_out, &st->dns, st->egress,
                                    DEA_EGRESS_MAX_RULES);
    hc_buf_t b;
    hc_buf_init(&b, 1024);
    for (size_t i = 0; i < st->dns.n; i++)
        hc_buf_appendf(&b, "%s%s", i ? ", " : "", st->dns.ns[i]);
    dea_slog_appendf(&st->log, "-----> Network: DNS %s; ", st->dns.n ? b.data : "none");
    if (st->dns_error[0])
        dea_slog_appendf(&st->log, "(%s) ", st->dns_error);
    hc_buf_reset(&b);
    for (size_t i = 2 * st->dns.n; i < st->egress_n; i++) {
        dea_egress_rule_t *r = &st->egress[i];
        hc_buf_appendf(&b, "%s%s %s", i > 2 * st->dns.n ? ", " : "", r->protocol, r->network);
        if (r->port)
            hc_buf_appendf(&b, ":%u", (unsigned)r->port);
    }
    dea_slog_appendf(&st->log, "%s\n", b.len ? b.data : "nothing else");
    hc_buf_release(&b);
    open_egress(st);
}

static void on_connect(hc_warden_t *w, int status, void *data)
{
    stage_t *st = data;
    st->w = w;
    if (status < 0 || !w) {
        fail(st, "cannot connect to warden: ", uv_strerror(status));
        return;
    }
    uint64_t mb = 1024 * 1024;
    json_t *req = json_pack("{s:s, s:s, s:{s:I, s:I, s:I}, s:[{s:s, s:s, s:s}], s:{s:s, s:s}}",
                            "type", "create", "handle", st->handle, "limits", "memory_in_bytes",
                            (json_int_t)((uint64_t)st->mem_mb * mb), "disk_in_bytes",
                            (json_int_t)((uint64_t)st->disk_mb * mb), "pids",
                            (json_int_t)st->dea->conf->pids, "bind_mounts", "src_path",
                            st->dea->conf->buildpacks_dir, "dst_path", "/buildpacks", "mode", "ro",
                            "properties", "owner", "hearth-dea", "staging", st->task_id);
    wreq(st, req, after_create);
}

static void start_container(stage_t *st)
{
    dea_warden_connect(st->dea, on_connect, st);
}

void dea_stage_request(dea_t *dea, const hc_bus_msg_t *msg)
{
    if (!msg->reply)
        return;
    stage_t *st = hc_calloc(1, sizeof(*st));
    hc_err_t err;
    json_t *props = NULL, *res = NULL;
    st->dea = dea;
    st->reply = hc_strdup(msg->reply);
    dea_slog_init(&st->log, dea, STAGE_MAX_LOG);
    dea->staging_active++;
    st->task_id = "";
    if (hc_json_parse_obj(msg->data, msg->len, DEA_MAX_MSG, &st->req, &err) < 0 ||
        hc_json_get_str_len(st->req, "task_id", 1, 64, &st->task_id, &err) < 0) {
        st->task_id = "";
        fail(st, "bad staging request: ", err.msg);
        return;
    }
    for (const char *p = st->task_id; *p; p++)
        if (!(*p == '-' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z'))) {
            fail(st, "", "bad staging request: task_id must be [A-Za-z0-9-]");
            return;
        }
    dea_slog_publish_to(&st->log, st->task_id);
    if (hc_json_get_str_len(st->req, "app_id", 1, 64, &st->app_id, &err) < 0 ||
        hc_json_get_str_len(st->req, "download_uri", 1, 4096, &st->download, &err) < 0 ||
        hc_json_get_str_len(st->req, "upload_uri", 1, 4096, &st->upload, &err) < 0 ||
        hc_json_opt_obj(st->req, "properties", &props, &err) < 0 ||
        (props && hc_json_opt_obj(props, "resources", &res, &err) < 0)) {
        fail(st, "bad staging request: ", err.msg);
        return;
    }
    for (const char *p = st->app_id; *p; p++)
        if (!(*p == '-' || *p == '_' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z'))) {
            fail(st, "", "bad staging request: app_id must be [A-Za-z0-9_-]");
            return;
        }
    if (dea->stopping || dea->staging_active > dea->conf->max_staging) {
        fail(st, "", "no staging capacity on this DEA");
        return;
    }
    st->mem_mb = 1024;
    st->disk_mb = 2048;
    if (res && (hc_json_opt_int(res, "memory", 1024, 1, 1 << 20, &st->mem_mb, &err) < 0 ||
                hc_json_opt_int(res, "disk", 2048, 1, 1 << 24, &st->disk_mb, &err) < 0)) {
        fail(st, "bad staging request: ", err.msg);
        return;
    }
    /* Staging needs room to compile whatever the app's own limit. */
    if (st->mem_mb < 1024)
        st->mem_mb = 1024;
    if (st->disk_mb < 2048)
        st->disk_mb = 2048;
    snprintf(st->handle, sizeof(st->handle), "stg-%.48s", st->task_id);
    st->dir = hc_asprintf("%s/staging/%s", dea->conf->common.data_dir, st->task_id);
    st->cache = hc_asprintf("%s/cache/%s.tar", dea->conf->common.data_dir, st->app_id);
    hc_log_info("staging", "task", st->task_id, "app", st->app_id);
    dea_advertise(dea);
    hc_http_client_opts_t o = {
        .url = st->download, .max_response = STAGE_MAX_PACKAGE, .timeout_ms = 600000};
    if (hc_http_client_request(dea->http, &o, on_package, st, NULL, &err) < 0)
        fail(st, "package download failed: ", err.msg);
}
