/* hearth-cc's start and stop: database, blob store, REST server, bus. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "auth/auth.h"
#include "blob/archive.h"
#include "blob/blob.h"
#include "blob/gc.h"
#include "buildpacks.h"
#include "bus/bus.h"
#include "cc.h"
#include "db/db.h"
#include "hc_fs.h"
#include "hc_http_client.h"
#include "hc_json.h"
#include "hc_log.h"
#include "hc_status.h"
#include "hc_uuid.h"
#include "orch.h"
#include "rollout.h"

/* The number of libuv's worker threads (UV_THREADPOOL_SIZE, default 4). */
static size_t threadpool_size(void)
{
    const char *v = getenv("UV_THREADPOOL_SIZE");
    uint64_t n = 4;
    if (v && hc_parse_u64(v, strlen(v), 1024, &n) < 0)
        n = 4;
    return n ? (size_t)n : 4;
}

static int open_storage(cc_ctx_t *cc, hc_err_t *err)
{
    cc_conf_t *conf = cc->conf;
    int r = hc_mkdir_p(AT_FDCWD, conf->data_dir, 0750, err);
    if (r < 0)
        return r;
    cc->tmp_dir = hc_asprintf("%s/tmp", conf->data_dir);
    /* Whatever a crashed process left half-done here is garbage: start clean. */
    cc_rm_rf(cc->tmp_dir);
    r = hc_mkdir_p(AT_FDCWD, cc->tmp_dir, 0750, err);
    if (r < 0)
        return r;
    hc_autofree char *path = conf->database_url ? hc_strdup(conf->database_url)
                                                : hc_asprintf("%s/cc.db", conf->data_dir);
    r = cc_db_open(path, &cc->db, err);
    if (r < 0)
        return hc_err_wrap(err, "database");
    /* One connection per thread of libuv's pool, so a worker never waits for another. */
    cc->read_pool = cc_db_pool_new(path, threadpool_size());
    r = cc_blob_open(cc, &cc->blob, err);
    if (r < 0)
        return hc_err_wrap(err, "blob store");
    return 0;
}

static void varz(json_t *v, void *data)
{
    cc_ctx_t *cc = data;
    hc_json_set_int(v, "deas", (int64_t)cc_orch_num_deas(cc));
    hc_json_set_int(v, "pending_work", cc->pending_work);
    hc_json_set_int(v, "connections", (int64_t)(cc->http ? hc_http_server_num_conns(cc->http) : 0));
}

int cc_start(hc_daemon_t *d, hc_err_t *err)
{
    cc_ctx_t *cc = d->data;
    cc_conf_t *conf = d->conf;
    int r;

    cc->d = d;
    cc->conf = conf;
    cc->loop = d->loop;
    if (cc_auth_init() < 0)
        return hc_err_set(err, -EIO, "libsodium initialisation failed");
    r = open_storage(cc, err);
    if (r < 0)
        return r;
    cc->login_limit = cc_ratelimit_new((size_t)conf->login_max_failures, conf->login_window_ms);
    cc->peer_limit = cc_ratelimit_new((size_t)conf->login_max_failures * 10, conf->login_window_ms);
    char rnd[33];
    hc_random_hex(rnd, 16);
    cc->bulk_user = hc_strdup(conf->bulk_user ? conf->bulk_user : "bulk");
    cc->bulk_password = hc_strdup(conf->bulk_password ? conf->bulk_password : rnd);
    hc_random_hex(rnd, 16);
    cc->signing_key = hc_strdup(rnd);
    hc_err_t bperr;
    if (cc_buildpacks_load(conf->buildpacks_dir, &cc->buildpacks, &bperr) < 0)
        hc_log_warn("no built-in buildpacks to list, GET /buildpacks is empty", "err", bperr.msg);

    hc_http_server_conf_t hconf = {
        .host = conf->host,
        .port = conf->port,
        .max_body = (size_t)conf->max_upload,
        .body_timeout_ms = 300000,
    };
    r = hc_http_server_new(cc->loop, &hconf, &cc->http, err);
    if (r < 0)
        return hc_err_wrap(err, "REST API on %s:%d", conf->host, conf->port);
    cc_api_routes(cc, cc->http);
    cc->client = hc_http_client_new(cc->loop, err);
    if (!cc->client)
        return hc_err_wrap(err, "HTTP client");
    char port[16];
    snprintf(port, sizeof(port), "%d", hc_http_server_port(cc->http));
    hc_log_info("listening", "host", conf->host, "port", port, "db",
                cc_db_kind(cc->db) == CC_DB_SQLITE ? "sqlite" : "postgres");
    hc_status_conf_t sconf = {.type = "CloudController",
                              .host = conf->host,
                              .advertise = conf->external_host,
                              .port = conf->status_port};
    r = hc_status_new(cc->loop, &sconf, varz, cc, &cc->status, err);
    if (r < 0)
        return hc_err_wrap(err, "status server");
    r = cc_bus_start(cc, err);
    if (r < 0)
        return hc_err_wrap(err, "bus");
    json_t *info = hc_status_component_json(cc->status);
    hc_bus_component_start(cc_bus_handle(cc), info);
    json_decref(info);
    cc_blob_gc_start(cc);
    return 0;
}

static void on_http_closed(hc_http_server_t *srv, void *data)
{
    cc_ctx_t *cc = data;
    hc_http_server_free(srv);
    cc->http = NULL;
}

static void on_status_closed(hc_status_t *st, void *data)
{
    cc_ctx_t *cc = data;
    hc_status_free(st);
    cc->status = NULL;
}

void cc_stop(hc_daemon_t *d)
{
    cc_ctx_t *cc = d->data;
    cc_rollout_stop_all(cc);
    cc_blob_gc_stop(cc);
    cc_bus_stop(cc);
    hc_http_client_free(cc->client);
    cc->client = NULL;
    if (cc->http)
        hc_http_server_close(cc->http, 10000, on_http_closed, cc);
    if (cc->status)
        hc_status_close(cc->status, on_status_closed, cc);
}

void cc_release(cc_ctx_t *cc)
{
    cc_bus_free(cc);
    cc_orch_free(cc);
    cc_blob_free(cc->blob);
    cc_db_free(cc->db);
    cc_db_pool_free(cc->read_pool);
    cc_ratelimit_free(cc->login_limit);
    cc_ratelimit_free(cc->peer_limit);
    free(cc->bulk_user);
    free(cc->bulk_password);
    free(cc->signing_key);
    free(cc->tmp_dir);
    json_decref(cc->buildpacks);
    memset(cc, 0, sizeof(*cc));
}
