/*
 * Services, the CC side (the broker speaks the Open Service Broker API v2):
 *   GET    /services/v1/offerings  the catalog, fetched from the broker (and cached in the
 *                                  database so the list survives a broker outage)
 *   GET    /services               the caller's service instances (v1 legacy shape)
 *   POST   /services               provision {"name","vendor"|"label","plan"|"tier"}: the
 *                                  broker first, then the database (v1 ordering)
 *   GET    /services/NAME          one instance
 *   DELETE /services/NAME          the database first, then the broker
 * Binding is the app's `services` list (PUT /apps/NAME); the start message carries each
 * instance's credentials. Each offering names its broker (api/service_brokers.c); user-provided
 * instances (api/user_provided.c) never reach a broker.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/service_brokers.h"
#include "db/db.h"
#include "hc_http_client.h"
#include "hc_json.h"
#include "hc_log.h"
#include "hc_time.h"
#include "hc_uuid.h"

typedef struct svc_job_s {
    cc_ctx_t *cc;
    hc_http_res_t *res;
    char guid[HC_UUID_STR_LEN + 1];
    char name[CC_MAX_NAME + 1];
    char owner[CC_MAX_EMAIL + 1];
    char label[128];
    char plan[128];
    char *tags; /* JSON array text from the offering */
} svc_job_t;

static void job_free(svc_job_t *j)
{
    hc_http_res_unref(j->res);
    free(j->tags);
    free(j);
}

/* Starts a request to the broker with this guid (NULL or "": the configured one). */
static int broker_request(cc_ctx_t *cc, const char *broker, const char *method, const char *path,
                          const json_t *body, hc_http_client_cb cb, void *ud)
{
    cc_broker_t b;
    int r = cc_broker_get(cc, broker, &b);
    if (r == 0)
        r = cc_broker_request(cc, &b, method, path, body, cb, ud);
    cc_broker_release(&b);
    return r;
}

/* The cached catalog as the v1 offerings list. */
static json_t *offerings_json(cc_ctx_t *cc)
{
    cc_db_res_t rows = {0};
    hc_err_t err;
    json_t *arr = hc_json_arr();
    if (cc_db_exec(cc->db,
                   "SELECT o.label, o.body, b.name FROM service_offerings o"
                   " LEFT JOIN service_brokers b ON b.guid = o.broker ORDER BY o.label",
                   CC_P0, &rows, &err) == 0) {
        for (size_t i = 0; i < rows.nrows; i++) {
            json_t *svc = json_loads(cc_db_cell(&rows, i, 1), 0, NULL), *plans = hc_json_arr(), *p;
            json_t *o = hc_json_obj();
            size_t k;
            hc_json_set_str(o, "label", cc_db_cell(&rows, i, 0));
            hc_json_set_str(o, "description",
                            json_string_value(json_object_get(svc, "description")));
            hc_json_set_str(o, "provider", "core");
            hc_json_set_str(o, "broker", cc_db_cell(&rows, i, 2) ? cc_db_cell(&rows, i, 2) : "");
            json_array_foreach(json_object_get(svc, "plans"), k, p)
                hc_json_append_str(plans, json_string_value(json_object_get(p, "name")));
            hc_json_set_new(o, "plans", plans);
            hc_json_set_bool(o, "active", true);
            hc_json_append_new(arr, o);
            json_decref(svc);
        }
    }
    cc_db_res_release(&rows);
    json_t *body = hc_json_obj();
    hc_json_set_new(body, "offerings", arr);
    return body;
}

/*
 * Replaces the configured broker's cached catalog with its {"services":[...]}, in one
 * transaction; a label a registered broker already offers stays that broker's.
 */
static void store_catalog(cc_ctx_t *cc, const json_t *catalog)
{
    hc_err_t err;
    json_t *svc;
    size_t i;
    char now[24];
    snprintf(now, sizeof(now), "%lld", (long long)hc_wall_s());
    if (cc_db_begin(cc->db, &err) < 0)
        return;
    cc_db_res_t taken = {0};
    if (cc_db_exec(cc->db, "DELETE FROM service_offerings WHERE broker IS NULL", CC_P0, NULL,
                   &err) < 0 ||
        cc_db_exec(cc->db, "SELECT label FROM service_offerings", CC_P0, &taken, &err) < 0)
        goto fail;
    json_array_foreach(json_object_get(catalog, "services"), i, svc)
    {
        const char *name = json_string_value(json_object_get(svc, "name"));
        bool is_taken = false;
        for (size_t k = 0; name && k < taken.nrows; k++)
            is_taken = is_taken || strcmp(cc_db_cell(&taken, k, 0), name) == 0;
        if (!name || !json_is_string(json_object_get(svc, "id")) || strlen(name) > 100 ||
            is_taken || strcmp(name, CC_LABEL_USER_PROVIDED) == 0)
            continue;
        hc_autofree char *body = json_dumps(svc, JSON_COMPACT);
        if (cc_db_exec(cc->db,
                       "INSERT INTO service_offerings (label, body, updated) VALUES (?, ?, ?)",
                       CC_P(name, body, now), NULL, &err) < 0)
            goto fail;
    }
    cc_db_res_release(&taken);
    if (cc_db_commit(cc->db, &err) == 0)
        return;
fail:
    cc_db_res_release(&taken);
    cc_db_rollback(cc->db);
    hc_log_warn("storing the service catalog failed", "err", err.msg);
}

static void on_catalog(const hc_http_client_result_t *r, void *ud)
{
    svc_job_t *j = ud;
    json_t *cat = NULL;
    hc_err_t err;
    if (!r->error && r->status == 200 &&
        hc_json_parse_obj(r->body, r->body_len, CC_BROKER_MAX_RESPONSE, &cat, &err) == 0)
        store_catalog(j->cc, cat);
    else
        hc_log_warn("broker catalog unavailable, serving the cached one", "err",
                    r->error ? r->error : "bad response");
    json_decref(cat);
    hc_http_reply_json(j->res, 200, offerings_json(j->cc));
    job_free(j);
}

static void h_offerings(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_ctx_t *cc = data;
    cc_user_t user;
    if (cc_api_auth(cc, req, res, &user) < 0)
        return;
    svc_job_t *j = hc_calloc(1, sizeof(*j));
    j->cc = cc;
    j->res = hc_http_res_ref(res);
    if (broker_request(cc, NULL, "GET", "/v2/catalog", NULL, on_catalog, j) < 0) {
        hc_http_reply_json(res, 200, offerings_json(cc));
        job_free(j);
    }
}

static json_t *instance_json(const cc_db_res_t *rows, size_t i)
{
    json_t *o = hc_json_obj(), *meta = hc_json_obj();
    hc_json_set_str(o, "name", cc_db_cell(rows, i, 0));
    hc_json_set_str(o, "vendor", cc_db_cell(rows, i, 1));
    hc_json_set_str(o, "type", "generic");
    hc_json_set_str(o, "version", "");
    hc_json_set_str(o, "tier", cc_db_cell(rows, i, 2));
    hc_json_set_new(o, "properties", hc_json_obj());
    hc_json_set_int(meta, "created", cc_db_cell_int(rows, i, 3));
    hc_json_set_int(meta, "updated", cc_db_cell_int(rows, i, 3));
    hc_json_set_new(meta, "tags", hc_json_arr());
    hc_json_set_int(meta, "version", 1);
    hc_json_set_new(o, "meta", meta);
    return o;
}

static void h_list(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_ctx_t *cc = data;
    cc_user_t user;
    cc_db_res_t rows = {0};
    hc_err_t err;
    if (cc_api_auth(cc, req, res, &user) < 0)
        return;
    if (cc_db_exec(cc->db,
                   "SELECT name, label, plan, created FROM service_instances WHERE owner = ?"
                   " ORDER BY name",
                   CC_P(user.email), &rows, &err) < 0) {
        cc_reply_db_error(res, "services", &err);
        return;
    }
    json_t *arr = hc_json_arr();
    for (size_t i = 0; i < rows.nrows; i++)
        hc_json_append_new(arr, instance_json(&rows, i));
    cc_db_res_release(&rows);
    hc_http_reply_json(res, 200, arr);
}

static void h_get(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_ctx_t *cc = data;
    cc_user_t user;
    cc_db_res_t rows = {0};
    char name[CC_MAX_NAME + 1];
    hc_err_t err;
    if (cc_api_auth(cc, req, res, &user) < 0)
        return;
    if (cc_api_param(req, "name", name, sizeof(name)) < 0 ||
        cc_db_exec(cc->db,
                   "SELECT name, label, plan, created FROM service_instances WHERE owner = ?"
                   " AND name = ?",
                   CC_P(user.email, name), &rows, &err) < 0 ||
        rows.nrows == 0)
        cc_reply_error(res, CC_E_SERVICE_NOT_FOUND, "Service not found");
    else
        hc_http_reply_json(res, 200, instance_json(&rows, 0));
    cc_db_res_release(&rows);
}

static void on_provisioned(const hc_http_client_result_t *r, void *ud)
{
    svc_job_t *j = ud;
    cc_ctx_t *cc = j->cc;
    hc_err_t err;
    char now[24];
    if (r->error || (r->status != 200 && r->status != 201 && r->status != 202)) {
        hc_log_warn("broker refused provisioning", "label", j->label, "err",
                    r->error ? r->error : "status");
        cc_reply_error(j->res, CC_E_SERVICE_GATEWAY, "Unexpected response from service gateway");
        goto out;
    }
    json_t *body = NULL;
    hc_json_parse_obj(r->body, r->body_len, CC_BROKER_MAX_RESPONSE, &body, &err);
    json_t *cred = json_object_get(body, "credentials");
    char *cred_s = json_is_object(cred) ? json_dumps(cred, JSON_COMPACT) : NULL;
    json_decref(body);
    snprintf(now, sizeof(now), "%lld", (long long)hc_wall_s());
    int rc = cc_db_exec(
        cc->db,
        "INSERT INTO service_instances (guid, name, owner, label, plan, credentials,"
        " created, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        CC_P(j->guid, j->name, j->owner, j->label, j->plan, cred_s, now, j->tags), NULL, &err);
    if (rc == -EEXIST)
        cc_reply_error(j->res, CC_E_BAD_REQUEST, "Bad request: a service named `%s` exists",
                       j->name);
    else if (rc < 0)
        cc_reply_db_error(j->res, "provision", &err);
    else
        hc_http_reply_json(j->res, 200, hc_json_obj());
    free(cred_s);
out:
    job_free(j);
}

/* What the CC needs of an offering to talk to its broker about one plan. */
typedef struct offer_s {
    char svc_id[128], plan_id[128], plan[128];
    char broker[HC_UUID_STR_LEN + 1]; /* "" for the configured broker */
    char *tags;                       /* JSON array text, owned */
} offer_t;

/* Finds the offering named label and its plan (NULL: the first). Returns 0 or -ENOENT. */
static int find_plan(cc_ctx_t *cc, const char *label, const char *plan, offer_t *o)
{
    cc_db_res_t rows = {0};
    hc_err_t err;
    int r = -ENOENT;
    memset(o, 0, sizeof(*o));
    if (cc_db_exec(cc->db, "SELECT body, broker FROM service_offerings WHERE label = ?",
                   CC_P(label), &rows, &err) < 0 ||
        rows.nrows == 0)
        goto out;
    json_t *svc = json_loads(cc_db_cell(&rows, 0, 0), 0, NULL), *p;
    json_t *tags = json_object_get(svc, "tags");
    size_t i;
    snprintf(o->broker, sizeof(o->broker), "%s",
             cc_db_cell(&rows, 0, 1) ? cc_db_cell(&rows, 0, 1) : "");
    snprintf(o->svc_id, sizeof(o->svc_id), "%s", json_string_value(json_object_get(svc, "id")));
    o->tags = json_is_array(tags) ? json_dumps(tags, JSON_COMPACT) : hc_strdup("[]");
    json_array_foreach(json_object_get(svc, "plans"), i, p)
    {
        const char *n = json_string_value(json_object_get(p, "name"));
        const char *id = json_string_value(json_object_get(p, "id"));
        if (n && id && (!plan || strcmp(n, plan) == 0)) {
            snprintf(o->plan_id, sizeof(o->plan_id), "%s", id);
            snprintf(o->plan, sizeof(o->plan), "%s", n);
            r = 0;
            break;
        }
    }
    json_decref(svc);
out:
    cc_db_res_release(&rows);
    return r;
}

static void h_provision(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_ctx_t *cc = data;
    cc_user_t user;
    json_t *body = NULL;
    const char *name, *label, *plan;
    cc_db_res_t rows = {0};
    offer_t of = {0};
    hc_err_t err;

    if (cc_api_auth(cc, req, res, &user) < 0 || cc_api_body_obj(req, res, &body) < 0)
        return;
    if (hc_json_get_str(body, "name", &name, &err) < 0 || !cc_valid_name(name)) {
        cc_reply_error(res, CC_E_BAD_REQUEST, "Bad request: name");
        goto out;
    }
    if (hc_json_opt_str(body, "label", NULL, &label, &err) < 0 ||
        (!label && hc_json_opt_str(body, "vendor", NULL, &label, &err) < 0) || !label) {
        cc_reply_error(res, CC_E_BAD_REQUEST, "Bad request: vendor or label");
        goto out;
    }
    if (hc_json_opt_str(body, "plan", NULL, &plan, &err) < 0 ||
        (!plan && hc_json_opt_str(body, "tier", NULL, &plan, &err) < 0)) {
        cc_reply_error(res, CC_E_BAD_REQUEST, "Bad request: plan");
        goto out;
    }
    int mult = user.admin ? 4 : 1;
    if (cc_db_exec(cc->db, "SELECT COUNT(*) FROM service_instances WHERE owner = ?",
                   CC_P(user.email), &rows, &err) < 0) {
        cc_reply_db_error(res, "provision", &err);
        goto out;
    }
    int64_t count = cc_db_cell_int(&rows, 0, 0);
    if (count + 1 > cc->conf->quota_services * mult) {
        cc_reply_error(res, CC_E_QUOTA_SERVICES,
                       "Too many Services provisioned: %lld, you're allowed: %lld",
                       (long long)count + 1, (long long)cc->conf->quota_services * mult);
        goto out;
    }
    if (strcmp(label, CC_LABEL_USER_PROVIDED) == 0) {
        cc_reply_error(res, CC_E_BAD_REQUEST,
                       "Bad request: create user-provided services with POST"
                       " /user_provided_services");
        goto out;
    }
    if (find_plan(cc, label, plan, &of) < 0) {
        cc_reply_error(res, CC_E_SERVICE_NOT_FOUND, "Service not found: %.100s", label);
        goto out;
    }
    svc_job_t *j = hc_calloc(1, sizeof(*j));
    j->cc = cc;
    j->res = hc_http_res_ref(res);
    hc_uuid4(j->guid);
    snprintf(j->name, sizeof(j->name), "%s", name);
    snprintf(j->owner, sizeof(j->owner), "%s", user.email);
    snprintf(j->label, sizeof(j->label), "%s", label);
    snprintf(j->plan, sizeof(j->plan), "%s", of.plan);
    j->tags = of.tags;
    of.tags = NULL;
    json_t *req_body = json_pack("{s:s, s:s, s:s, s:s}", "service_id", of.svc_id, "plan_id",
                                 of.plan_id, "organization_guid", "hearth", "space_guid", "hearth");
    char *path = hc_asprintf("/v2/service_instances/%s", j->guid);
    int r = broker_request(cc, of.broker, "PUT", path, req_body, on_provisioned, j);
    json_decref(req_body);
    free(path);
    if (r < 0) {
        cc_reply_error(res, CC_E_SERVICE_GATEWAY, "Unexpected response from service gateway");
        job_free(j);
    }
out:
    free(of.tags);
    cc_db_res_release(&rows);
    json_decref(body);
}

static void on_deprovisioned(const hc_http_client_result_t *r, void *ud)
{
    svc_job_t *j = ud;
    if (r->error || (r->status >= 300 && r->status != 410))
        hc_log_warn("broker did not deprovision, it will find the orphan", "instance", j->guid);
    job_free(j);
}

static void h_delete(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_ctx_t *cc = data;
    cc_user_t user;
    cc_db_res_t rows = {0};
    char name[CC_MAX_NAME + 1];
    hc_err_t err;
    if (cc_api_auth(cc, req, res, &user) < 0)
        return;
    if (cc_api_param(req, "name", name, sizeof(name)) < 0 ||
        cc_db_exec(cc->db,
                   "SELECT guid, label, plan FROM service_instances WHERE owner = ? AND name = ?",
                   CC_P(user.email, name), &rows, &err) < 0 ||
        rows.nrows == 0) {
        cc_reply_error(res, CC_E_SERVICE_NOT_FOUND, "Service not found");
        goto out;
    }
    char bound[256];
    int nb = cc_service_bound_apps(cc, user.email, name, bound, sizeof(bound));
    if (nb != 0) {
        if (nb < 0)
            cc_reply_error(res, CC_E_DATABASE, "Error talking with the database");
        else
            cc_reply_error(res, CC_E_BAD_REQUEST,
                           "Service `%s` is bound to %s; unbind it first (`hearth unbind-service"
                           " APP %s`)",
                           name, bound, name);
        goto out;
    }
    if (cc_db_exec(cc->db, "DELETE FROM service_instances WHERE guid = ?",
                   CC_P(cc_db_cell(&rows, 0, 0)), NULL, &err) < 0) {
        cc_reply_db_error(res, "unprovision", &err);
        goto out;
    }
    hc_http_reply_json(res, 200, hc_json_obj());
    if (strcmp(cc_db_cell(&rows, 0, 1), CC_LABEL_USER_PROVIDED) == 0)
        goto out; /* no broker knows it */
    offer_t of;
    find_plan(cc, cc_db_cell(&rows, 0, 1), cc_db_cell(&rows, 0, 2), &of);
    svc_job_t *j = hc_calloc(1, sizeof(*j));
    j->cc = cc;
    snprintf(j->guid, sizeof(j->guid), "%s", cc_db_cell(&rows, 0, 0));
    char *path = hc_asprintf("/v2/service_instances/%s?service_id=%s&plan_id=%s", j->guid,
                             of.svc_id, of.plan_id);
    if (broker_request(cc, of.broker, "DELETE", path, NULL, on_deprovisioned, j) < 0)
        job_free(j);
    free(path);
    free(of.tags);
out:
    cc_db_res_release(&rows);
}

/* The bindings one cc_services_sync waits for; the last one to end calls done. */
typedef struct bind_wait_s {
    cc_ctx_t *cc;
    unsigned pending;
    cc_services_synced_fn done;
    void *ud;
} bind_wait_t;

static void bind_wait_release(bind_wait_t *w)
{
    if (!w || --w->pending > 0)
        return;
    if (w->done)
        w->done(w->cc, w->ud);
    free(w);
}

typedef struct bind_job_s {
    cc_ctx_t *cc;
    bind_wait_t *wait; /* NULL for unbinds */
    char guid[HC_UUID_STR_LEN + 1];
    char app[HC_UUID_STR_LEN + 1];
    char instance[HC_UUID_STR_LEN + 1];
} bind_job_t;

static void on_bound(const hc_http_client_result_t *r, void *ud)
{
    bind_job_t *j = ud;
    json_t *body = NULL;
    hc_err_t err;
    char now[24];
    if (r->error || (r->status != 200 && r->status != 201)) {
        hc_log_warn("broker refused the binding", "app", j->app, "instance", j->instance);
        bind_wait_release(j->wait);
        free(j);
        return;
    }
    hc_json_parse_obj(r->body, r->body_len, CC_BROKER_MAX_RESPONSE, &body, &err);
    json_t *cred = json_object_get(body, "credentials");
    char *cred_s = json_is_object(cred) ? json_dumps(cred, JSON_COMPACT) : NULL;
    snprintf(now, sizeof(now), "%lld", (long long)hc_wall_s());
    if (cc_db_exec(j->cc->db,
                   "INSERT INTO service_bindings (guid, app_guid, instance_guid, credentials,"
                   " created) VALUES (?, ?, ?, ?, ?) ON CONFLICT (app_guid, instance_guid) DO"
                   " UPDATE SET credentials = excluded.credentials",
                   CC_P(j->guid, j->app, j->instance, cred_s, now), NULL, &err) < 0)
        hc_log_error("storing a binding failed", "err", err.msg);
    free(cred_s);
    json_decref(body);
    bind_wait_release(j->wait);
    free(j);
}

static void on_unbound(const hc_http_client_result_t *r, void *ud)
{
    bind_job_t *j = ud;
    if (r->error || (r->status >= 300 && r->status != 410))
        hc_log_warn("broker did not unbind, it will find the orphan", "binding", j->guid);
    free(j);
}

static bool list_has(const json_t *list, const char *name)
{
    json_t *v;
    size_t i;
    json_array_foreach(list, i, v) if (json_is_string(v) &&
                                       strcmp(json_string_value(v), name) == 0) return true;
    return false;
}

void cc_services_sync(cc_ctx_t *cc, const char *app_guid, const char *owner, const json_t *before,
                      const json_t *after, cc_services_synced_fn done, void *ud)
{
    json_t *v;
    size_t i;
    hc_err_t err;
    bind_wait_t *wait = hc_calloc(1, sizeof(*wait));
    wait->cc = cc;
    wait->pending = 1; /* this call's own hold, released at its end */
    wait->done = done;
    wait->ud = ud;
    json_array_foreach(after, i, v)
    {
        const char *name = json_string_value(v);
        cc_db_res_t rows = {0};
        offer_t of;
        if (!name || list_has(before, name) ||
            cc_db_exec(
                cc->db,
                "SELECT guid, label, plan FROM service_instances WHERE owner = ? AND name = ?",
                CC_P(owner, name), &rows, &err) < 0 ||
            rows.nrows == 0 || strcmp(cc_db_cell(&rows, 0, 1), CC_LABEL_USER_PROVIDED) == 0) {
            cc_db_res_release(&rows);
            continue; /* user-provided: its credentials are the instance's, no broker */
        }
        find_plan(cc, cc_db_cell(&rows, 0, 1), cc_db_cell(&rows, 0, 2), &of);
        bind_job_t *j = hc_calloc(1, sizeof(*j));
        j->cc = cc;
        j->wait = wait;
        hc_uuid4(j->guid);
        snprintf(j->app, sizeof(j->app), "%s", app_guid);
        snprintf(j->instance, sizeof(j->instance), "%s", cc_db_cell(&rows, 0, 0));
        cc_db_res_release(&rows);
        json_t *body =
            json_pack("{s:s, s:s, s:s, s:{s:s}}", "service_id", of.svc_id, "plan_id", of.plan_id,
                      "app_guid", app_guid, "bind_resource", "app_guid", app_guid);
        char *path =
            hc_asprintf("/v2/service_instances/%s/service_bindings/%s", j->instance, j->guid);
        wait->pending++;
        if (broker_request(cc, of.broker, "PUT", path, body, on_bound, j) < 0) {
            wait->pending--;
            free(j);
        }
        free(path);
        free(of.tags);
        json_decref(body);
    }
    json_array_foreach(before, i, v)
    {
        const char *name = json_string_value(v);
        cc_db_res_t rows = {0};
        if (!name || (after && list_has(after, name)) ||
            cc_db_exec(cc->db,
                       "SELECT b.guid, s.guid, s.label, s.plan FROM service_bindings b"
                       " JOIN service_instances s ON s.guid = b.instance_guid"
                       " WHERE b.app_guid = ? AND s.owner = ? AND s.name = ?",
                       CC_P(app_guid, owner, name), &rows, &err) < 0 ||
            rows.nrows == 0) {
            cc_db_res_release(&rows);
            continue;
        }
        bind_job_t *j = hc_calloc(1, sizeof(*j));
        j->cc = cc;
        snprintf(j->guid, sizeof(j->guid), "%s", cc_db_cell(&rows, 0, 0));
        snprintf(j->instance, sizeof(j->instance), "%s", cc_db_cell(&rows, 0, 1));
        offer_t of;
        find_plan(cc, cc_db_cell(&rows, 0, 2), cc_db_cell(&rows, 0, 3), &of);
        cc_db_res_release(&rows);
        if (cc_db_exec(cc->db, "DELETE FROM service_bindings WHERE guid = ?", CC_P(j->guid), NULL,
                       &err) < 0) {
            free(j);
            free(of.tags);
            continue;
        }
        char *path = hc_asprintf("/v2/service_instances/%s/service_bindings/%s?service_id=%s"
                                 "&plan_id=%s",
                                 j->instance, j->guid, of.svc_id, of.plan_id);
        if (broker_request(cc, of.broker, "DELETE", path, NULL, on_unbound, j) < 0)
            free(j);
        free(path);
        free(of.tags);
    }
    bind_wait_release(wait);
}

void cc_api_services_routes(cc_ctx_t *cc, hc_http_server_t *srv)
{
    hc_http_server_route(srv, "GET", "/services/v1/offerings", h_offerings, cc);
    hc_http_server_route(srv, "GET", "/services", h_list, cc);
    hc_http_server_route(srv, "POST", "/services", h_provision, cc);
    hc_http_server_route(srv, "GET", "/services/:name", h_get, cc);
    hc_http_server_route(srv, "DELETE", "/services/:name", h_delete, cc);
    cc_api_service_brokers_routes(cc, srv);
    cc_api_user_provided_routes(cc, srv);
}
