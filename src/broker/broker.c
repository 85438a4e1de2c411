/* hearth-broker's start and stop: broker.db, the tables, the HTTP listener. */
#include <curl/curl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hc_json.h"
#include "jobs.h"
#include "req.h"
#include "store.h"

int brk_check(hc_daemon_t *d, hc_err_t *err)
{
    brk_conf_t *c = d->conf;
    if (!c->password || !*c->password)
        return hc_err_set(err, -EINVAL, "auth.password: required");
    if (!brk_api_version_ok(hc_str_c(c->api_version_min), c->api_version_min))
        return hc_err_set(err, -EINVAL, "api_version_min: expected MAJOR.MINOR");
    return 0;
}

static char *basic_auth(const char *user, const char *password)
{
    char *pair = hc_asprintf("%s:%s", user, password);
    size_t plen = strlen(pair);
    size_t b64len = sodium_base64_encoded_len(plen, sodium_base64_VARIANT_ORIGINAL);
    char *auth = hc_malloc(6 + b64len);
    memcpy(auth, "Basic ", 6);
    sodium_bin2base64(auth + 6, b64len, (const unsigned char *)pair, plen,
                      sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(pair, plen);
    free(pair);
    return auth;
}

static void varz(json_t *v, void *data)
{
    brk_t *b = data;
    json_t *svcs = hc_json_obj();
    for (int s = 0; s < BRK_SVC_COUNT; s++) {
        if (!b->enabled[s])
            continue;
        size_t n = 0;
        for (brk_inst_t *i = b->insts; i; i = i->next)
            n += i->svc == s;
        hc_json_set_int(svcs, brk_service(s)->name, (int64_t)n);
    }
    hc_json_set_new(v, "instances_by_service", svcs);
    hc_json_set_int(v, "instances", (int64_t)b->num_insts);
    hc_json_set_int(v, "bindings", (int64_t)b->num_bindings);
    hc_json_set_int(v, "jobs_pending", (int64_t)brk_jobs_pending(b));
}

int brk_start(hc_daemon_t *d, hc_err_t *err)
{
    brk_t *b = d->data;
    brk_conf_t *c = d->conf;
    int r;

    b->d = d;
    b->conf = c;
    b->loop = d->loop;
    b->enabled[BRK_SVC_POSTGRESQL] = c->pg_host && *c->pg_host;
    b->enabled[BRK_SVC_MYSQL] = c->my_host && *c->my_host;
    b->enabled[BRK_SVC_REDIS] = c->redis_enabled;
    b->enabled[BRK_SVC_RABBITMQ] = c->rmq_host && *c->rmq_host;
    b->auth = basic_auth(c->user, c->password);
    curl_global_init(CURL_GLOBAL_DEFAULT); /* before any job thread uses libcurl */
    b->curl_inited = true;
    json_t *cat = brk_catalog_json(b->enabled);
    b->json_catalog = json_dumps(cat, JSON_COMPACT);
    json_decref(cat);
    hc_assert(b->json_catalog);

    /* Startup, before the loop serves anything: blocking file work is fine here. */
    if (mkdir(c->common.data_dir, 0700) < 0 && errno != EEXIST)
        return hc_err_set(err, -errno, "%s", c->common.data_dir);
    /* Absolute, for the per-instance servers that run with another working directory. */
    char *abs = realpath(c->common.data_dir, NULL);
    if (!abs)
        return hc_err_set(err, -errno, "%s", c->common.data_dir);
    free(c->common.data_dir);
    c->common.data_dir = abs;
    char *path = hc_asprintf("%s/store.key", c->common.data_dir);
    r = brk_seal_key(c->store_key, path, b->seal_key, err);
    free(path);
    if (r < 0)
        return r;
    path = hc_asprintf("%s/broker.db", c->common.data_dir);
    r = brk_store_open(path, &b->db, err);
    free(path);
    if (r < 0 || (r = brk_store_load(b, err)) < 0)
        return r;

    hc_http_server_conf_t hconf = {
        .host = c->host, .port = c->common.port, .max_body = BRK_MAX_BODY};
    if ((r = hc_http_server_new(b->loop, &hconf, &b->http, err)) < 0)
        return r;
    brk_routes(b);
    hc_status_conf_t sconf = {.type = "ServiceBroker",
                              .host = c->host,
                              .port = c->common.status_port,
                              .user = c->status_user,
                              .password = c->status_password};
    if ((r = hc_status_new(b->loop, &sconf, varz, b, &b->status, err)) < 0)
        return r;
    brk_resume(b);
    char port[16], n[16];
    snprintf(port, sizeof(port), "%d", hc_http_server_port(b->http));
    snprintf(n, sizeof(n), "%zu", b->num_insts);
    hc_log_info("listening", "port", port, "instances", n, NULL);
    return 0;
}

static void http_closed(hc_http_server_t *srv, void *data)
{
    brk_t *b = data;
    hc_http_server_free(srv);
    b->http = NULL;
}

static void status_closed(hc_status_t *st, void *data)
{
    brk_t *b = data;
    hc_status_free(st);
    b->status = NULL;
}

void brk_stop(hc_daemon_t *d)
{
    brk_t *b = d->data;
    if (b->http)
        hc_http_server_close(b->http, 5000, http_closed, b);
    if (b->status)
        hc_status_close(b->status, status_closed, b);
}

void brk_release(brk_t *b)
{
    while (b->insts)
        brk_inst_remove(b, b->insts);
    while (b->bindings)
        brk_binding_remove(b, b->bindings);
    if (b->db)
        sqlite3_close(b->db);
    b->db = NULL;
    sodium_memzero(b->seal_key, sizeof(b->seal_key));
    free(b->json_catalog);
    free(b->auth);
    b->json_catalog = b->auth = NULL;
    if (b->curl_inited)
        curl_global_cleanup();
    b->curl_inited = false;
}
