/*
 * Running state, asked of the DEAs and the HM over the bus (cf-v1.md §1.8):
 *   GET /apps/NAME/instances  -> {"instances":[{"index","state","since"}...]}
 *   GET /apps/NAME/stats      -> {"<index>":{"state","stats"}...}
 *   GET /apps/NAME/crashes    -> {"crashes":[{"instance","since"}...]}
 *   GET /apps/NAME/instances/N/files[/PATH] -> the DEA file server's answer, passed through
 * A missing answer is a DOWN instance, never an error: the API keeps working while DEAs or
 * the HM are away.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/job.h"
#include "app.h"
#include "blob/archive.h"
#include "bus/bus.h"
#include "bus/gather.h"
#include "hc_http_client.h"
#include "hc_json.h"
#include "hc_log.h"
#include "hc_time.h"
#include "orch.h"

#define CC_FIND_TIMEOUT_MS 2000
#define CC_MAX_FILE_RESPONSE ((size_t)16 * 1024 * 1024)
#define CC_MAX_RANGE 200 /* longest Range header passed through */

typedef enum kind_e { K_INSTANCES, K_STATS, K_CRASHES, K_FILES } kind_t;

typedef struct query_s {
    hc_http_res_t *res;
    kind_t kind;
    int64_t instances;
    char guid[CC_MAX_GUID + 1];
    json_t *list; /* K_INSTANCES: the answer, until the HM has said which indices flap */
    char path[4200];
    char range[CC_MAX_RANGE + 1]; /* K_FILES: the client's Range header, passed to the DEA */
} query_t;

static void query_free(query_t *q)
{
    hc_http_res_unref(q->res);
    json_decref(q->list);
    free(q);
}

/* Replies {"instances": list}; indices the HM reports flapping that no DEA runs become FLAPPING. */
static void on_flapping(hc_bus_t *bus, int status, const char *data, size_t len, void *ud)
{
    query_t *q = ud;
    json_t *reply = NULL, *x;
    hc_err_t err;
    size_t k;
    (void)bus;
    if (status == HC_BUS_OK && hc_json_parse_obj(data, len, 1 << 20, &reply, &err) == 0) {
        json_array_foreach(json_object_get(reply, "indices"), k, x)
        {
            json_t *idx = json_object_get(x, "index");
            if (!json_is_integer(idx) || json_integer_value(idx) < 0 ||
                json_integer_value(idx) >= q->instances)
                continue;
            json_t *o = json_array_get(q->list, (size_t)json_integer_value(idx));
            const char *state = json_string_value(json_object_get(o, "state"));
            if (o && state && strcmp(state, "DOWN") == 0) {
                hc_json_set_str(o, "state", "FLAPPING");
                if (json_is_integer(json_object_get(x, "since")))
                    hc_json_set_new(o, "since", json_incref(json_object_get(x, "since")));
            }
        }
    }
    json_t *body = hc_json_obj();
    hc_json_set_new(body, "instances", q->list);
    q->list = NULL;
    hc_http_reply_json(q->res, 200, body);
    json_decref(reply);
    query_free(q);
}

static json_t *find_msg(const cc_app_t *app, bool stats)
{
    char version[128];
    cc_app_version(app, version, sizeof(version));
    json_t *o = hc_json_obj(), *states = hc_json_arr();
    hc_json_set_str(o, "droplet", app->guid);
    hc_json_set_str(o, "version", version);
    hc_json_append_str(states, "STARTING");
    hc_json_append_str(states, "RUNNING");
    hc_json_set_new(o, "states", states);
    if (stats)
        hc_json_set_bool(o, "include_stats", true);
    return o;
}

/* The reply for index i, or NULL. */
static json_t *reply_for(json_t *replies, int64_t i)
{
    json_t *r;
    size_t k;
    json_array_foreach(replies, k, r)
    {
        json_t *idx = json_object_get(r, "index");
        if (json_is_integer(idx) && json_integer_value(idx) == i)
            return r;
    }
    return NULL;
}

static void on_found(cc_ctx_t *cc, int status, json_t *replies, void *ud)
{
    query_t *q = ud;
    (void)cc;
    (void)status;
    int64_t now = hc_wall_s();
    if (q->kind == K_INSTANCES) {
        json_t *arr = hc_json_arr();
        for (int64_t i = 0; i < q->instances; i++) {
            json_t *r = reply_for(replies, i), *o = hc_json_obj();
            hc_json_set_int(o, "index", i);
            const char *state = r ? json_string_value(json_object_get(r, "state")) : NULL;
            hc_json_set_str(o, "state", state ? state : "DOWN");
            json_t *since = r ? json_object_get(r, "state_timestamp") : NULL;
            hc_json_set_new(o, "since",
                            json_is_number(since) ? json_incref(since) : json_integer(now));
            hc_json_append_new(arr, o);
        }
        q->list = arr;
        json_t *m = json_pack("{s:s, s:s}", "droplet", q->guid, "state", "FLAPPING");
        hc_autofree char *text = json_dumps(m, JSON_COMPACT);
        json_decref(m);
        hc_bus_t *bus = cc_bus_handle(cc);
        if (!text || !bus ||
            hc_bus_request(bus, "healthmanager.status", text, strlen(text), CC_FIND_TIMEOUT_MS,
                           on_flapping, q) < 0)
            on_flapping(NULL, HC_BUS_TIMEOUT, NULL, 0, q);
        return;
    } else {
        json_t *body = hc_json_obj();
        for (int64_t i = 0; i < q->instances; i++) {
            json_t *r = reply_for(replies, i), *o = hc_json_obj();
            char key[24];
            const char *state = r ? json_string_value(json_object_get(r, "state")) : NULL;
            hc_json_set_str(o, "state", state ? state : "DOWN");
            if (r && json_object_get(r, "stats"))
                hc_json_set_new(o, "stats", json_incref(json_object_get(r, "stats")));
            else
                hc_json_set_int(o, "since", now);
            snprintf(key, sizeof(key), "%lld", (long long)i);
            hc_json_set_new(body, key, o);
        }
        hc_http_reply_json(q->res, 200, body);
    }
    query_free(q);
}

static void on_crashes(hc_bus_t *bus, int status, const char *data, size_t len, void *ud)
{
    query_t *q = ud;
    json_t *reply = NULL, *out = hc_json_arr();
    hc_err_t err;
    (void)bus;
    if (status == HC_BUS_OK && hc_json_parse_obj(data, len, 1 << 20, &reply, &err) == 0) {
        json_t *list = json_object_get(reply, "instances"), *c;
        size_t i;
        json_array_foreach(list, i, c)
        {
            json_t *o = hc_json_obj();
            hc_json_set_new(o, "instance", json_incref(json_object_get(c, "instance")));
            hc_json_set_new(o, "since", json_incref(json_object_get(c, "since")));
            hc_json_append_new(out, o);
        }
    }
    json_t *body = hc_json_obj();
    hc_json_set_new(body, "crashes", out);
    hc_http_reply_json(q->res, 200, body);
    json_decref(reply);
    query_free(q);
}

/* Copies the DEA's header `name` onto res when it is short and printable. */
static void pass_header(hc_http_res_t *res, const hc_http_client_result_t *r, const char *name)
{
    hc_str_t v = hc_http_client_result_header(r, name);
    char buf[CC_MAX_RANGE + 1];
    if (v.len == 0 || v.len > CC_MAX_RANGE)
        return;
    for (size_t i = 0; i < v.len; i++)
        if (v.p[i] < ' ' || v.p[i] > '~')
            return;
    memcpy(buf, v.p, v.len);
    buf[v.len] = '\0';
    hc_http_res_set_header(res, name, buf);
}

/*
 * A Range header worth passing on (RFC 9110 §14.2): "bytes=" and a list of byte ranges. Any
 * other value is ignored, as a server may, and the whole file comes back.
 */
static bool range_ok(hc_str_t v)
{
    if (v.len <= 6 || v.len > CC_MAX_RANGE || strncmp(v.p, "bytes=", 6) != 0)
        return false;
    bool digit_or_dash = false;
    for (size_t i = 6; i < v.len; i++) {
        char c = v.p[i];
        if ((c >= '0' && c <= '9') || c == '-')
            digit_or_dash = true;
        else if (c != ',' && c != ' ')
            return false;
    }
    return digit_or_dash;
}

static void on_file(const hc_http_client_result_t *r, void *ud)
{
    query_t *q = ud;
    if (r->status == 416 && q->range[0]) {
        pass_header(q->res, r, "Content-Range");
        hc_http_reply_error(q->res, 416, CC_E_FILE_ERROR, "Range not satisfiable");
    } else if (r->error || r->status == 0) {
        cc_reply_error(q->res, CC_E_FILE_ERROR, "Error retrieving file '%s'", q->path);
    } else if (r->status >= 400) {
        cc_reply_error(q->res, r->status == 404 ? CC_E_NOT_FOUND : CC_E_FILE_ERROR,
                       r->status == 404 ? "Could not find : '%s'" : "Error retrieving file '%s'",
                       q->path);
    } else {
        hc_str_t ct = hc_http_client_result_header(r, "Content-Type");
        char type[128] = "application/octet-stream";
        if (ct.len && ct.len < sizeof(type))
            snprintf(type, sizeof(type), "%.*s", (int)ct.len, ct.p);
        /* A partial answer to the client's Range goes back as one, with its Content-Range. */
        bool partial = r->status == 206 && q->range[0];
        if (partial)
            pass_header(q->res, r, "Content-Range");
        pass_header(q->res, r, "Accept-Ranges");
        hc_http_reply(q->res, partial ? 206 : 200, type, r->body, r->body_len);
    }
    query_free(q);
}

static void on_file_found(cc_ctx_t *cc, int status, json_t *replies, void *ud)
{
    query_t *q = ud;
    json_t *r = json_array_get(replies, 0);
    (void)status;
    const char *uri = r ? json_string_value(json_object_get(r, "file_uri")) : NULL;
    const char *staged = r ? json_string_value(json_object_get(r, "staged")) : NULL;
    json_t *cred = r ? json_object_get(r, "credentials") : NULL;
    if (!uri || !staged || !cc->client || strstr(staged, "..") || strchr(staged, '/')) {
        cc_reply_error(q->res, CC_E_FILE_ERROR, "Error retrieving file '%s'", q->path);
        query_free(q);
        return;
    }
    hc_autofree char *url = hc_asprintf("%s%s/%s", uri, staged, q->path);
    char range_h[CC_MAX_RANGE + 16];
    const char *headers[] = {range_h, NULL};
    snprintf(range_h, sizeof(range_h), "Range: %s", q->range);
    hc_http_client_opts_t opts = {
        .url = url,
        .headers = q->range[0] ? headers : NULL,
        .timeout_ms = 10000,
        .max_response = CC_MAX_FILE_RESPONSE,
        .basic_user = json_string_value(json_array_get(cred, 0)),
        .basic_password = json_string_value(json_array_get(cred, 1)),
    };
    hc_err_t err;
    if (hc_http_client_request(cc->client, &opts, on_file, q, NULL, &err) < 0) {
        cc_reply_error(q->res, CC_E_FILE_ERROR, "Error retrieving file '%s'", q->path);
        query_free(q);
    }
}

static void running(cc_ctx_t *cc, hc_http_res_t *res, const cc_app_t *app, kind_t kind)
{
    bool started = strcmp(app->state, "STARTED") == 0;
    if (!started && kind == K_INSTANCES) {
        hc_http_reply_json(res, 200, json_pack("{s:[]}", "instances"));
        return;
    }
    if (!started && kind == K_STATS) {
        hc_http_reply_json(res, 200, hc_json_obj());
        return;
    }
    query_t *q = hc_calloc(1, sizeof(*q));
    q->res = hc_http_res_ref(res);
    q->kind = kind;
    q->instances = app->instances;
    snprintf(q->guid, sizeof(q->guid), "%s", app->guid);
    if (kind == K_CRASHES) {
        json_t *m = json_pack("{s:s, s:s}", "droplet", app->guid, "state", "CRASHED");
        hc_autofree char *s = json_dumps(m, JSON_COMPACT);
        json_decref(m);
        hc_bus_t *bus = cc_bus_handle(cc);
        if (!bus || hc_bus_request(bus, "healthmanager.status", s, strlen(s), CC_FIND_TIMEOUT_MS,
                                   on_crashes, q) < 0)
            on_crashes(NULL, HC_BUS_TIMEOUT, NULL, 0, q);
        return;
    }
    if (app->package_hash && app->staged_package &&
        strcmp(app->package_hash, app->staged_package) == 0 &&
        cc_orch_staging_pending(cc, app->guid, app->package_hash)) {
        /* The droplet is stored but its staging reply (which sends the instances to the DEAs)
         * has not arrived: no instance of this version exists, and asking the DEAs would only
         * wait the whole timeout for answers that cannot come. */
        json_t *none = hc_json_arr();
        on_found(cc, 0, none, q);
        json_decref(none);
        return;
    }
    json_t *m = find_msg(app, kind == K_STATS);
    cc_gather(cc, "dea.find.droplet", m, (size_t)app->instances, CC_FIND_TIMEOUT_MS, on_found, q);
    json_decref(m);
}

/* The caller and the app are loaded on the thread pool; the DEAs are asked from the loop. */
#define RUNNING_HANDLER(h, then, kind)                                                             \
    static void then(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res,               \
                     const cc_user_t *user, cc_app_t *app)                                         \
    {                                                                                              \
        (void)req;                                                                                 \
        (void)user;                                                                                \
        running(cc, res, app, kind);                                                               \
    }                                                                                              \
    static void h(const hc_http_request_t *req, hc_http_res_t *res, void *data)                    \
    {                                                                                              \
        cc_job_app_then(data, req, res, then);                                                     \
    }
RUNNING_HANDLER(h_instances, instances_then, K_INSTANCES)
RUNNING_HANDLER(h_stats, stats_then, K_STATS)
RUNNING_HANDLER(h_crashes, crashes_then, K_CRASHES)

static void files_then(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res,
                       const cc_user_t *user, cc_app_t *app)
{
    char idx_s[16];
    uint64_t idx;
    (void)user;
    if (strcmp(app->state, "STARTED") != 0) {
        cc_reply_error(res, CC_E_APP_STOPPED, "Operation not permitted on a stopped app");
        return;
    }
    if (cc_api_param(req, "index", idx_s, sizeof(idx_s)) < 0 ||
        hc_parse_u64(idx_s, strlen(idx_s), 9999999999ULL, &idx) < 0 ||
        idx >= (uint64_t)app->instances) {
        cc_reply_error(res, CC_E_INSTANCE_NOT_FOUND, "Could not find instance: '%.20s'",
                       hc_http_req_param(req, "index").p ? idx_s : "");
        return;
    }
    /* The path stays inside the instance directory: relative, no "..", no empty parts. */
    hc_str_t raw = hc_http_req_param(req, "*");
    query_t *q = hc_calloc(1, sizeof(*q));
    q->kind = K_FILES;
    if (raw.len >= sizeof(q->path) ||
        (raw.len && (snprintf(q->path, sizeof(q->path), "%.*s", (int)raw.len, raw.p) < 0 ||
                     cc_path_check(q->path) < 0 || strchr(q->path, '%') || strchr(q->path, '?')))) {
        free(q);
        cc_reply_error(res, CC_E_FILE_ERROR, "Error retrieving file: path outside the instance");
        return;
    }
    q->res = hc_http_res_ref(res);
    hc_str_t range = hc_http_req_header(req, "Range");
    if (range_ok(range))
        memcpy(q->range, range.p, range.len); /* q is zeroed: stays NUL-terminated */
    json_t *m = find_msg(app, false);
    json_t *indices = hc_json_arr();
    json_array_append_new(indices, json_integer((json_int_t)idx));
    hc_json_set_new(m, "indices", indices);
    json_t *states = json_object_get(m, "states");
    hc_json_append_str(states, "CRASHED");
    cc_gather(cc, "dea.find.droplet", m, 1, CC_FIND_TIMEOUT_MS, on_file_found, q);
    json_decref(m);
}

static void h_files(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_job_app_then(data, req, res, files_then);
}

void cc_api_instances_routes(cc_ctx_t *cc, hc_http_server_t *srv)
{
    hc_http_server_route(srv, "GET", "/apps/:name/instances", h_instances, cc);
    hc_http_server_route(srv, "GET", "/apps/:name/stats", h_stats, cc);
    hc_http_server_route(srv, "GET", "/apps/:name/crashes", h_crashes, cc);
    hc_http_server_route(srv, "GET", "/apps/:name/instances/:index/files", h_files, cc);
    hc_http_server_route(srv, "GET", "/apps/:name/instances/:index/files/*", h_files, cc);
}
