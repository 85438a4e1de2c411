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
#include "api/job.h"
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
    char *cred; /* JSON object text from the broker */
    cc_broker_t broker;
} svc_job_t;

static void job_free(svc_job_t *j)
{
    hc_http_res_unref(j->res);
    free(j->tags);
    free(j->cred);
    cc_broker_release(&j->broker);
    free(j);
}

/* The cached catalog as the v1 offerings list. */
static json_t *offerings_json(cc_db_t *db)
{
    cc_db_res_t rows = {0};
    hc_err_t err;
    json_t *arr = hc_json_arr();
    if (cc_db_exec(db,
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
static int store_catalog(cc_db_t *db, const json_t *catalog, hc_err_t *err)
{
    json_t *svc;
    size_t i;
    char now[24];
    snprintf(now, sizeof(now), "%lld", (long long)hc_wall_s());
    if (cc_db_begin(db, err) < 0)
        return -EIO;
    cc_db_res_t taken = {0};
    if (cc_db_exec(db, "DELETE FROM service_offerings WHERE broker IS NULL", CC_P0, NULL, err) <
            0 ||
        cc_db_exec(db, "SELECT label FROM service_offerings", CC_P0, &taken, err) < 0)
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
        if (cc_db_exec(db, "INSERT INTO service_offerings (label, body, updated) VALUES (?, ?, ?)",
                       CC_P(name, body, now), NULL, err) < 0)
            goto fail;
    }
    cc_db_res_release(&taken);
    if (cc_db_commit(db, err) == 0)
        return 0;
fail:
    cc_db_res_release(&taken);
    cc_db_rollback(db);
    return -EIO;
}

static void json_free(void *data)
{
    json_decref(data);
}

/* The catalog the broker answered (NULL: none), stored and listed on a worker. */
static void catalog_work(cc_job_t *j, cc_db_t *db)
{
    hc_err_t err;
    if (j->data && store_catalog(db, j->data, &err) < 0) {
        j->err = err; /* logged by catalog_after */
        j->what = "store catalog";
    }
    cc_job_reply_json(j, 200, offerings_json(db));
}

static bool catalog_after(cc_job_t *j, int status)
{
    (void)status;
    if (j->what && j->code == 0)
        hc_log_warn("storing the service catalog failed", "err", j->err.msg);
    return false;
}

static void on_catalog(const hc_http_client_result_t *r, void *ud)
{
    svc_job_t *sj = ud;
    json_t *cat = NULL;
    hc_err_t err;
    if (r->error || r->status != 200 ||
        hc_json_parse_obj(r->body, r->body_len, CC_BROKER_MAX_RESPONSE, &cat, &err) < 0) {
        hc_log_warn("broker catalog unavailable, serving the cached one", "err",
                    r->error ? r->error : "bad response");
        cat = NULL;
    }
    cc_job_t *j = cc_job_new(sj->cc, hc_http_res_request(sj->res), sj->res, catalog_work);
    j->auth_mode = CC_JOB_AUTH_NONE;
    j->data = cat;
    j->free_data = json_free;
    j->after = catalog_after;
    cc_job_start(j);
    job_free(sj);
}

/* The caller is checked on a worker; the broker is asked from the loop. */
static void offerings_then(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res,
                           const cc_user_t *user)
{
    (void)req;
    (void)user;
    svc_job_t *j = hc_calloc(1, sizeof(*j));
    j->cc = cc;
    j->res = hc_http_res_ref(res);
    cc_broker_t b;
    int r = cc_broker_get(cc, NULL, NULL, &b); /* the configured broker: no database */
    if (r == 0)
        r = cc_broker_request(cc, &b, "GET", "/v2/catalog", NULL, on_catalog, j);
    cc_broker_release(&b);
    if (r < 0) {
        hc_http_client_result_t none = {.error = "no broker"};
        on_catalog(&none, j);
    }
}

static void h_offerings(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_job_auth_then(data, req, res, offerings_then);
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

static void list_work(cc_job_t *j, cc_db_t *db)
{
    cc_db_res_t rows = {0};
    hc_err_t err;
    if (cc_db_exec(db,
                   "SELECT name, label, plan, created FROM service_instances WHERE owner = ?"
                   " ORDER BY name",
                   CC_P(j->user.email), &rows, &err) < 0) {
        cc_job_db_fail(j, "services", &err);
        return;
    }
    json_t *arr = hc_json_arr();
    for (size_t i = 0; i < rows.nrows; i++)
        hc_json_append_new(arr, instance_json(&rows, i));
    cc_db_res_release(&rows);
    cc_job_reply_json(j, 200, arr);
}

static void h_list(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_job_start(cc_job_new(data, req, res, list_work));
}

static void get_work(cc_job_t *j, cc_db_t *db)
{
    cc_db_res_t rows = {0};
    hc_err_t err;
    if (!j->name[0] ||
        cc_db_exec(db,
                   "SELECT name, label, plan, created FROM service_instances WHERE owner = ?"
                   " AND name = ?",
                   CC_P(j->user.email, j->name), &rows, &err) < 0 ||
        rows.nrows == 0)
        cc_job_fail(j, CC_E_SERVICE_NOT_FOUND, "Service not found");
    else
        cc_job_reply_json(j, 200, instance_json(&rows, 0));
    cc_db_res_release(&rows);
}

/* A job on the instance named by the NAME parameter ("" when it does not decode). */
static cc_job_t *named_job(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res,
                           cc_job_fn fn)
{
    cc_job_t *j = cc_job_new(cc, req, res, fn);
    cc_job_set_name(j, req);
    return j;
}

static void h_get(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_job_start(named_job(data, req, res, get_work));
}

/* The INSERT after the broker provisioned, on a worker (auth: done before the broker call). */
static void provisioned_work(cc_job_t *j, cc_db_t *db)
{
    svc_job_t *sj = j->data;
    hc_err_t err;
    char now[24];
    snprintf(now, sizeof(now), "%lld", (long long)hc_wall_s());
    int rc = cc_db_exec(
        db,
        "INSERT INTO service_instances (guid, name, owner, label, plan, credentials,"
        " created, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        CC_P(sj->guid, sj->name, sj->owner, sj->label, sj->plan, sj->cred, now, sj->tags), NULL,
        &err);
    if (rc == -EEXIST)
        cc_job_fail(j, CC_E_BAD_REQUEST, "Bad request: a service named `%s` exists", sj->name);
    else if (rc < 0)
        cc_job_db_fail(j, "provision", &err);
    else
        cc_job_reply_json(j, 200, hc_json_obj());
}

static void svc_job_free_data(void *data)
{
    job_free(data);
}

static void on_provisioned(const hc_http_client_result_t *r, void *ud)
{
    svc_job_t *sj = ud;
    hc_err_t err;
    if (r->error || (r->status != 200 && r->status != 201 && r->status != 202)) {
        hc_log_warn("broker refused provisioning", "label", sj->label, "err",
                    r->error ? r->error : "status");
        cc_reply_error(sj->res, CC_E_SERVICE_GATEWAY, "Unexpected response from service gateway");
        job_free(sj);
        return;
    }
    json_t *body = NULL;
    hc_json_parse_obj(r->body, r->body_len, CC_BROKER_MAX_RESPONSE, &body, &err);
    json_t *cred = json_object_get(body, "credentials");
    sj->cred = json_is_object(cred) ? json_dumps(cred, JSON_COMPACT) : NULL;
    json_decref(body);
    cc_job_t *j = cc_job_new(sj->cc, hc_http_res_request(sj->res), sj->res, provisioned_work);
    j->auth_mode = CC_JOB_AUTH_NONE;
    j->data = sj;
    j->free_data = svc_job_free_data;
    cc_job_start(j);
}

/* What the CC needs of an offering to talk to its broker about one plan. */
typedef struct offer_s {
    char svc_id[128], plan_id[128], plan[128];
    char broker[HC_UUID_STR_LEN + 1]; /* "" for the configured broker */
    char *tags;                       /* JSON array text, owned */
} offer_t;

/* Finds the offering named label and its plan (NULL: the first). Returns 0 or -ENOENT. */
static int find_plan(cc_db_t *db, const char *label, const char *plan, offer_t *o)
{
    cc_db_res_t rows = {0};
    hc_err_t err;
    int r = -ENOENT;
    memset(o, 0, sizeof(*o));
    if (cc_db_exec(db, "SELECT body, broker FROM service_offerings WHERE label = ?", CC_P(label),
                   &rows, &err) < 0 ||
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

/* POST /services: the body read on the loop, checked after authentication on the worker. */
typedef struct prov_s {
    char name[CC_MAX_NAME + 1];
    char *label, *plan; /* plan may be NULL: the offering's first */
    char bad[600];      /* the body's fault, answered 400/100 once the caller is known */
    offer_t of;
    cc_broker_t broker;
    int broker_r;
    bool ready; /* the worker found the offering: the broker is asked from the loop */
} prov_t;

static void prov_free(void *data)
{
    prov_t *p = data;
    free(p->label);
    free(p->plan);
    free(p->of.tags);
    cc_broker_release(&p->broker);
    free(p);
}

static void provision_work(cc_job_t *j, cc_db_t *db)
{
    prov_t *p = j->data;
    const cc_conf_t *conf = j->cc->conf;
    cc_db_res_t rows = {0};
    hc_err_t err;

    if (p->bad[0]) {
        cc_job_fail(j, CC_E_BAD_REQUEST, "%s", p->bad);
        return;
    }
    int mult = j->user.admin ? 4 : 1;
    if (cc_db_exec(db, "SELECT COUNT(*) FROM service_instances WHERE owner = ?",
                   CC_P(j->user.email), &rows, &err) < 0) {
        cc_job_db_fail(j, "provision", &err);
        return;
    }
    int64_t count = cc_db_cell_int(&rows, 0, 0);
    cc_db_res_release(&rows);
    if (count + 1 > conf->quota_services * mult) {
        cc_job_fail(j, CC_E_QUOTA_SERVICES,
                    "Too many Services provisioned: %lld, you're allowed: %lld",
                    (long long)count + 1, (long long)conf->quota_services * mult);
        return;
    }
    if (strcmp(p->label, CC_LABEL_USER_PROVIDED) == 0) {
        cc_job_fail(j, CC_E_BAD_REQUEST,
                    "Bad request: create user-provided services with POST"
                    " /user_provided_services");
        return;
    }
    if (find_plan(db, p->label, p->plan, &p->of) < 0) {
        cc_job_fail(j, CC_E_SERVICE_NOT_FOUND, "Service not found: %.100s", p->label);
        return;
    }
    p->broker_r = cc_broker_get(j->cc, db, p->of.broker, &p->broker);
    p->ready = true;
}

/* The broker is the loop's (the HTTP client): provisioning goes on from here. */
static bool provision_after(cc_job_t *j, int status)
{
    prov_t *p = j->data;
    if (status != 0 || j->code != 0 || !p->ready || hc_http_res_cancelled(j->res))
        return false;
    svc_job_t *sj = hc_calloc(1, sizeof(*sj));
    sj->cc = j->cc;
    sj->res = hc_http_res_ref(j->res);
    hc_uuid4(sj->guid);
    snprintf(sj->name, sizeof(sj->name), "%s", p->name);
    snprintf(sj->owner, sizeof(sj->owner), "%s", j->user.email);
    snprintf(sj->label, sizeof(sj->label), "%s", p->label);
    snprintf(sj->plan, sizeof(sj->plan), "%s", p->of.plan);
    sj->tags = p->of.tags;
    p->of.tags = NULL;
    sj->broker = p->broker;
    memset(&p->broker, 0, sizeof(p->broker));
    int r = p->broker_r;
    if (r == 0) {
        json_t *body =
            json_pack("{s:s, s:s, s:s, s:s}", "service_id", p->of.svc_id, "plan_id", p->of.plan_id,
                      "organization_guid", "hearth", "space_guid", "hearth");
        char *path = hc_asprintf("/v2/service_instances/%s", sj->guid);
        r = cc_broker_request(j->cc, &sj->broker, "PUT", path, body, on_provisioned, sj);
        json_decref(body);
        free(path);
    }
    if (r < 0) {
        cc_reply_error(j->res, CC_E_SERVICE_GATEWAY, "Unexpected response from service gateway");
        job_free(sj);
    }
    return true;
}

static void h_provision(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    json_t *body = NULL;
    const char *name, *label, *plan;
    hc_err_t err;

    cc_job_t *j = cc_job_new(data, req, res, provision_work);
    prov_t *p = hc_calloc(1, sizeof(*p));
    j->data = p;
    j->free_data = prov_free;
    j->after = provision_after;
    if (hc_json_parse_obj(req->body.p, req->body.len, CC_MAX_JSON_BODY, &body, &err) < 0) {
        /* Answered after authentication, as cc_api_body_obj would have. */
        snprintf(p->bad, sizeof(p->bad), "Bad request: %s", err.msg);
    } else if (hc_json_get_str(body, "name", &name, &err) < 0 || !cc_valid_name(name)) {
        snprintf(p->bad, sizeof(p->bad), "Bad request: name");
    } else if (hc_json_opt_str(body, "label", NULL, &label, &err) < 0 ||
               (!label && hc_json_opt_str(body, "vendor", NULL, &label, &err) < 0) || !label) {
        snprintf(p->bad, sizeof(p->bad), "Bad request: vendor or label");
    } else if (hc_json_opt_str(body, "plan", NULL, &plan, &err) < 0 ||
               (!plan && hc_json_opt_str(body, "tier", NULL, &plan, &err) < 0)) {
        snprintf(p->bad, sizeof(p->bad), "Bad request: plan");
    } else {
        snprintf(p->name, sizeof(p->name), "%s", name);
        p->label = hc_strdup(label);
        p->plan = plan ? hc_strdup(plan) : NULL;
    }
    json_decref(body);
    cc_job_start(j);
}

static void on_deprovisioned(const hc_http_client_result_t *r, void *ud)
{
    svc_job_t *j = ud;
    if (r->error || (r->status >= 300 && r->status != 410))
        hc_log_warn("broker did not deprovision, it will find the orphan", "instance", j->guid);
    job_free(j);
}

/* DELETE /services/NAME: the database first, on a worker; then the broker, from the loop. */
typedef struct unprov_s {
    char guid[HC_UUID_STR_LEN + 1];
    bool brokered; /* not user-provided: the broker is told */
    offer_t of;
    cc_broker_t broker;
    int broker_r;
} unprov_t;

static void unprov_free(void *data)
{
    unprov_t *u = data;
    free(u->of.tags);
    cc_broker_release(&u->broker);
    free(u);
}

static void delete_work(cc_job_t *j, cc_db_t *db)
{
    unprov_t *u = j->data;
    cc_db_res_t rows = {0};
    hc_err_t err;
    if (!j->name[0] ||
        cc_db_exec(db,
                   "SELECT guid, label, plan FROM service_instances WHERE owner = ? AND name = ?",
                   CC_P(j->user.email, j->name), &rows, &err) < 0 ||
        rows.nrows == 0) {
        cc_job_fail(j, CC_E_SERVICE_NOT_FOUND, "Service not found");
        goto out;
    }
    char bound[256];
    int nb = cc_service_bound_apps(db, j->user.email, j->name, bound, sizeof(bound));
    if (nb < 0) {
        cc_job_fail(j, CC_E_DATABASE, "Error talking with the database");
        goto out;
    }
    if (nb > 0) {
        cc_job_fail(j, CC_E_BAD_REQUEST,
                    "Service `%s` is bound to %s; unbind it first (`hearth unbind-service"
                    " APP %s`)",
                    j->name, bound, j->name);
        goto out;
    }
    if (cc_db_exec(db, "DELETE FROM service_instances WHERE guid = ?",
                   CC_P(cc_db_cell(&rows, 0, 0)), NULL, &err) < 0) {
        cc_job_db_fail(j, "unprovision", &err);
        goto out;
    }
    cc_job_reply_json(j, 200, hc_json_obj());
    if (strcmp(cc_db_cell(&rows, 0, 1), CC_LABEL_USER_PROVIDED) == 0)
        goto out; /* no broker knows it */
    snprintf(u->guid, sizeof(u->guid), "%s", cc_db_cell(&rows, 0, 0));
    find_plan(db, cc_db_cell(&rows, 0, 1), cc_db_cell(&rows, 0, 2), &u->of);
    u->broker_r = cc_broker_get(j->cc, db, u->of.broker, &u->broker);
    u->brokered = true;
out:
    cc_db_res_release(&rows);
}

static bool delete_after(cc_job_t *j, int status)
{
    unprov_t *u = j->data;
    if (status != 0 || j->code != 0 || !u->brokered || u->broker_r < 0)
        return false;
    svc_job_t *sj = hc_calloc(1, sizeof(*sj));
    sj->cc = j->cc;
    snprintf(sj->guid, sizeof(sj->guid), "%s", u->guid);
    sj->broker = u->broker;
    memset(&u->broker, 0, sizeof(u->broker));
    char *path = hc_asprintf("/v2/service_instances/%s?service_id=%s&plan_id=%s", sj->guid,
                             u->of.svc_id, u->of.plan_id);
    if (cc_broker_request(j->cc, &sj->broker, "DELETE", path, NULL, on_deprovisioned, sj) < 0)
        job_free(sj);
    free(path);
    return false; /* job_done sends the 200 */
}

static void h_delete(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_job_t *j = named_job(data, req, res, delete_work);
    j->data = hc_calloc(1, sizeof(unprov_t));
    j->free_data = unprov_free;
    j->after = delete_after;
    cc_job_start(j);
}

/* One broker request of a services sync: a binding to create or one to remove. */
typedef struct sync_op_s {
    bool bind;
    char guid[HC_UUID_STR_LEN + 1]; /* the binding */
    char instance[HC_UUID_STR_LEN + 1];
    offer_t of;
    cc_broker_t broker;
    int broker_r;
} sync_op_t;

struct cc_sync_s {
    char app[HC_UUID_STR_LEN + 1];
    size_t n, cap;
    sync_op_t *ops;
};

static sync_op_t *sync_add(cc_sync_t *s)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 4;
        s->ops = hc_realloc(s->ops, s->cap * sizeof(*s->ops));
    }
    sync_op_t *op = &s->ops[s->n++];
    memset(op, 0, sizeof(*op));
    return op;
}

void cc_services_sync_free(cc_sync_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->ops[i].of.tags);
        cc_broker_release(&s->ops[i].broker);
    }
    free(s->ops);
    free(s);
}

static bool list_has(const json_t *list, const char *name)
{
    json_t *v;
    size_t i;
    json_array_foreach(list, i, v) if (json_is_string(v) &&
                                       strcmp(json_string_value(v), name) == 0) return true;
    return false;
}

cc_sync_t *cc_services_sync_prepare(cc_ctx_t *cc, cc_db_t *db, const char *app_guid,
                                    const char *owner, const json_t *before, const json_t *after)
{
    json_t *v;
    size_t i;
    hc_err_t err;
    cc_sync_t *s = hc_calloc(1, sizeof(*s));
    snprintf(s->app, sizeof(s->app), "%s", app_guid);
    json_array_foreach(after, i, v)
    {
        const char *name = json_string_value(v);
        cc_db_res_t rows = {0};
        if (!name || list_has(before, name) ||
            cc_db_exec(
                db, "SELECT guid, label, plan FROM service_instances WHERE owner = ? AND name = ?",
                CC_P(owner, name), &rows, &err) < 0 ||
            rows.nrows == 0 || strcmp(cc_db_cell(&rows, 0, 1), CC_LABEL_USER_PROVIDED) == 0) {
            cc_db_res_release(&rows);
            continue; /* user-provided: its credentials are the instance's, no broker */
        }
        sync_op_t *op = sync_add(s);
        op->bind = true;
        hc_uuid4(op->guid);
        snprintf(op->instance, sizeof(op->instance), "%s", cc_db_cell(&rows, 0, 0));
        find_plan(db, cc_db_cell(&rows, 0, 1), cc_db_cell(&rows, 0, 2), &op->of);
        op->broker_r = cc_broker_get(cc, db, op->of.broker, &op->broker);
        cc_db_res_release(&rows);
    }
    json_array_foreach(before, i, v)
    {
        const char *name = json_string_value(v);
        cc_db_res_t rows = {0};
        if (!name || (after && list_has(after, name)) ||
            cc_db_exec(db,
                       "SELECT b.guid, s.guid, s.label, s.plan FROM service_bindings b"
                       " JOIN service_instances s ON s.guid = b.instance_guid"
                       " WHERE b.app_guid = ? AND s.owner = ? AND s.name = ?",
                       CC_P(app_guid, owner, name), &rows, &err) < 0 ||
            rows.nrows == 0) {
            cc_db_res_release(&rows);
            continue;
        }
        /* The database first, then the broker (from the loop). */
        if (cc_db_exec(db, "DELETE FROM service_bindings WHERE guid = ?",
                       CC_P(cc_db_cell(&rows, 0, 0)), NULL, &err) < 0) {
            cc_db_res_release(&rows);
            continue;
        }
        sync_op_t *op = sync_add(s);
        snprintf(op->guid, sizeof(op->guid), "%s", cc_db_cell(&rows, 0, 0));
        snprintf(op->instance, sizeof(op->instance), "%s", cc_db_cell(&rows, 0, 1));
        find_plan(db, cc_db_cell(&rows, 0, 2), cc_db_cell(&rows, 0, 3), &op->of);
        op->broker_r = cc_broker_get(cc, db, op->of.broker, &op->broker);
        cc_db_res_release(&rows);
    }
    return s;
}

/* The bindings one cc_services_sync_run waits for; the last one to end calls done. */
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
    char *cred; /* JSON object text from the broker, or NULL */
} bind_job_t;

static void bind_job_free(bind_job_t *j)
{
    free(j->cred);
    free(j);
}

/* The binding's credentials stored on a worker, before the wait is released. */
static int bind_store_work(cc_ctx_t *cc, cc_db_t *db, void *data, hc_err_t *err)
{
    (void)cc;
    bind_job_t *j = data;
    char now[24];
    snprintf(now, sizeof(now), "%lld", (long long)hc_wall_s());
    return cc_db_exec(db,
                      "INSERT INTO service_bindings (guid, app_guid, instance_guid, credentials,"
                      " created) VALUES (?, ?, ?, ?, ?) ON CONFLICT (app_guid, instance_guid) DO"
                      " UPDATE SET credentials = excluded.credentials",
                      CC_P(j->guid, j->app, j->instance, j->cred, now), NULL, err);
}

static void bind_store_done(void *data, int r, const hc_err_t *err)
{
    bind_job_t *j = data;
    if (r < 0)
        hc_log_error("storing a binding failed", "err", r == UV_ECANCELED ? "cancelled" : err->msg);
    bind_wait_release(j->wait);
    bind_job_free(j);
}

static void on_bound(const hc_http_client_result_t *r, void *ud)
{
    bind_job_t *j = ud;
    json_t *body = NULL;
    hc_err_t err;
    if (r->error || (r->status != 200 && r->status != 201)) {
        hc_log_warn("broker refused the binding", "app", j->app, "instance", j->instance);
        bind_wait_release(j->wait);
        bind_job_free(j);
        return;
    }
    hc_json_parse_obj(r->body, r->body_len, CC_BROKER_MAX_RESPONSE, &body, &err);
    json_t *cred = json_object_get(body, "credentials");
    j->cred = json_is_object(cred) ? json_dumps(cred, JSON_COMPACT) : NULL;
    json_decref(body);
    cc_queue_db_work(j->cc, bind_store_work, bind_store_done, j);
}

static void on_unbound(const hc_http_client_result_t *r, void *ud)
{
    bind_job_t *j = ud;
    if (r->error || (r->status >= 300 && r->status != 410))
        hc_log_warn("broker did not unbind, it will find the orphan", "binding", j->guid);
    bind_job_free(j);
}

void cc_services_sync_run(cc_ctx_t *cc, cc_sync_t *s, cc_services_synced_fn done, void *ud)
{
    bind_wait_t *wait = hc_calloc(1, sizeof(*wait));
    wait->cc = cc;
    wait->pending = 1; /* this call's own hold, released at its end */
    wait->done = done;
    wait->ud = ud;
    for (size_t i = 0; s && i < s->n; i++) {
        sync_op_t *op = &s->ops[i];
        bind_job_t *j = hc_calloc(1, sizeof(*j));
        j->cc = cc;
        snprintf(j->guid, sizeof(j->guid), "%s", op->guid);
        snprintf(j->app, sizeof(j->app), "%s", s->app);
        snprintf(j->instance, sizeof(j->instance), "%s", op->instance);
        int r = op->broker_r;
        if (op->bind) {
            json_t *body =
                json_pack("{s:s, s:s, s:s, s:{s:s}}", "service_id", op->of.svc_id, "plan_id",
                          op->of.plan_id, "app_guid", s->app, "bind_resource", "app_guid", s->app);
            char *path =
                hc_asprintf("/v2/service_instances/%s/service_bindings/%s", j->instance, j->guid);
            j->wait = wait;
            wait->pending++;
            if (r == 0)
                r = cc_broker_request(cc, &op->broker, "PUT", path, body, on_bound, j);
            if (r < 0)
                wait->pending--;
            free(path);
            json_decref(body);
        } else {
            char *path = hc_asprintf("/v2/service_instances/%s/service_bindings/%s?service_id=%s"
                                     "&plan_id=%s",
                                     j->instance, j->guid, op->of.svc_id, op->of.plan_id);
            if (r == 0)
                r = cc_broker_request(cc, &op->broker, "DELETE", path, NULL, on_unbound, j);
            free(path);
        }
        if (r < 0)
            bind_job_free(j);
    }
    cc_services_sync_free(s);
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
