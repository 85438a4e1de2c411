/*
 * Service brokers (admin only), the Open Service Broker API v2 seen from the CC:
 *   GET    /service_brokers        the registered brokers (never their passwords)
 *   POST   /service_brokers        {"name","url","username","password"}: the CC fetches GET
 *                                  /v2/catalog with X-Broker-API-Version and basic auth,
 *                                  checks it, then stores the broker and its services
 *   PUT    /service_brokers/NAME   any of name, url, username, password: the catalog is
 *                                  fetched again and replaces the broker's services
 *   DELETE /service_brokers/NAME   refused while instances of its services exist
 * A service name is an offering label and stays unique across brokers (the configured broker
 * included), so `hearth create-service LABEL` always names one broker.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/job.h"
#include "api/service_brokers.h"
#include "db/db.h"
#include "hc_json.h"
#include "hc_log.h"
#include "hc_time.h"

/* ---- brokers ---- */

int cc_broker_get(const cc_ctx_t *cc, cc_db_t *db, const char *guid, cc_broker_t *ret)
{
    memset(ret, 0, sizeof(*ret));
    if (!guid || !guid[0]) {
        if (!cc->conf->services_url)
            return -ENOTSUP;
        ret->url = hc_strdup(cc->conf->services_url);
        ret->user = cc->conf->broker_user ? hc_strdup(cc->conf->broker_user) : NULL;
        ret->password = cc->conf->broker_password ? hc_strdup(cc->conf->broker_password) : NULL;
        return 0;
    }
    cc_db_res_t rows = {0};
    hc_err_t err;
    int r = -ENOENT;
    if (cc_db_exec(db, "SELECT guid, url, username, password FROM service_brokers WHERE guid = ?",
                   CC_P(guid), &rows, &err) == 0 &&
        rows.nrows == 1) {
        snprintf(ret->guid, sizeof(ret->guid), "%s", cc_db_cell(&rows, 0, 0));
        ret->url = hc_strdup(cc_db_cell(&rows, 0, 1));
        ret->user = hc_strdup(cc_db_cell(&rows, 0, 2));
        ret->password = hc_strdup(cc_db_cell(&rows, 0, 3));
        r = 0;
    }
    cc_db_res_release(&rows);
    return r;
}

void cc_broker_release(cc_broker_t *b)
{
    free(b->url);
    free(b->user);
    free(b->password);
    memset(b, 0, sizeof(*b));
}

int cc_broker_request(cc_ctx_t *cc, const cc_broker_t *b, const char *method, const char *path,
                      const json_t *body, hc_http_client_cb cb, void *ud)
{
    static const char *const headers[] = {"X-Broker-API-Version: 2.17",
                                          "Content-Type: application/json", NULL};
    hc_err_t err;
    if (!b->url || !cc->client)
        return -ENOTSUP;
    size_t n = strlen(b->url);
    hc_autofree char *url =
        hc_asprintf("%.*s%s", (int)(n && b->url[n - 1] == '/' ? n - 1 : n), b->url, path);
    hc_autofree char *data = body ? json_dumps(body, JSON_COMPACT) : NULL;
    hc_http_client_opts_t opts = {
        .method = method,
        .url = url,
        .headers = headers,
        .body = data,
        .body_len = data ? strlen(data) : 0,
        .timeout_ms = CC_BROKER_TIMEOUT_MS,
        .max_response = CC_BROKER_MAX_RESPONSE,
        .basic_user = b->user,
        .basic_password = b->password,
    };
    return hc_http_client_request(cc->client, &opts, cb, ud, NULL, &err);
}

bool cc_broker_url_valid(const char *url)
{
    size_t n = url ? strlen(url) : 0;
    if (n > CC_BROKER_MAX_URL)
        return false;
    const char *host = strncmp(url ? url : "", "http://", 7) == 0    ? url + 7
                       : strncmp(url ? url : "", "https://", 8) == 0 ? url + 8
                                                                     : NULL;
    if (!host || !*host || *host == '/')
        return false;
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return false;
    return true;
}

/* ---- catalog ---- */

static bool name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > CC_CATALOG_MAX_NAME)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

/* A required string field of 1..max printable bytes. */
static int need_str(const json_t *o, const char *key, size_t max, const char *where, hc_err_t *err)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return hc_err_set(err, -EINVAL, "%s.%s: missing", where, key);
    if (!json_is_string(v))
        return hc_err_set(err, -EINVAL, "%s.%s: not a string", where, key);
    size_t n = json_string_length(v);
    if (n == 0 || n > max)
        return hc_err_set(err, -EINVAL, "%s.%s: length %zu is out of range 1..%zu", where, key, n,
                          max);
    return 0;
}

static int opt_bool(const json_t *o, const char *key, const char *where, hc_err_t *err)
{
    json_t *v = json_object_get(o, key);
    if (v && !json_is_boolean(v))
        return hc_err_set(err, -EINVAL, "%s.%s: not a boolean", where, key);
    return 0;
}

/* True when another element of arr before index `upto` has the same string in key. */
static bool seen_before(const json_t *arr, size_t upto, const char *key, const char *val)
{
    for (size_t i = 0; i < upto; i++) {
        const char *s = json_string_value(json_object_get(json_array_get(arr, i), key));
        if (s && strcmp(s, val) == 0)
            return true;
    }
    return false;
}

static int check_plans(const json_t *svc, const char *where, json_t *all_plan_ids, hc_err_t *err)
{
    json_t *plans = json_object_get(svc, "plans"), *p;
    size_t i;
    char at[96];
    if (!json_is_array(plans) || json_array_size(plans) == 0)
        return hc_err_set(err, -EINVAL, "%s.plans: %s", where,
                          plans ? "not a non-empty array" : "missing");
    if (json_array_size(plans) > CC_CATALOG_MAX_PLANS)
        return hc_err_set(err, -EINVAL, "%s.plans: more than %d plans", where,
                          CC_CATALOG_MAX_PLANS);
    json_array_foreach(plans, i, p)
    {
        snprintf(at, sizeof(at), "%s.plans[%zu]", where, i);
        if (!json_is_object(p))
            return hc_err_set(err, -EINVAL, "%s: not an object", at);
        if (need_str(p, "id", CC_CATALOG_MAX_ID, at, err) < 0 ||
            need_str(p, "name", CC_CATALOG_MAX_NAME, at, err) < 0 ||
            need_str(p, "description", 4096, at, err) < 0 || opt_bool(p, "free", at, err) < 0 ||
            opt_bool(p, "bindable", at, err) < 0)
            return -EINVAL;
        const char *id = json_string_value(json_object_get(p, "id"));
        const char *name = json_string_value(json_object_get(p, "name"));
        if (!name_ok(name))
            return hc_err_set(err, -EINVAL, "%s.name: `%s` is not of A-Z a-z 0-9 . _ -", at, name);
        if (seen_before(plans, i, "name", name))
            return hc_err_set(err, -EINVAL, "%s.name: `%s` twice in the service", at, name);
        if (json_object_get(all_plan_ids, id))
            return hc_err_set(err, -EINVAL, "%s.id: `%s` twice in the catalog", at, id);
        json_object_set_new(all_plan_ids, id, json_true());
    }
    return 0;
}

int cc_catalog_check(const json_t *catalog, hc_err_t *err)
{
    json_t *svcs = json_object_get(catalog, "services"), *s;
    size_t i;
    char at[48];
    if (!json_is_object(catalog))
        return hc_err_set(err, -EINVAL, "not a JSON object");
    if (!json_is_array(svcs))
        return hc_err_set(err, -EINVAL, "services: %s", svcs ? "not an array" : "missing");
    if (json_array_size(svcs) == 0)
        return hc_err_set(err, -EINVAL, "services: empty, the broker offers nothing");
    if (json_array_size(svcs) > CC_CATALOG_MAX_SERVICES)
        return hc_err_set(err, -EINVAL, "services: more than %d services", CC_CATALOG_MAX_SERVICES);
    json_t *plan_ids = hc_json_obj();
    int r = 0;
    json_array_foreach(svcs, i, s)
    {
        snprintf(at, sizeof(at), "services[%zu]", i);
        if (!json_is_object(s)) {
            r = hc_err_set(err, -EINVAL, "%s: not an object", at);
            break;
        }
        if ((r = need_str(s, "id", CC_CATALOG_MAX_ID, at, err)) < 0 ||
            (r = need_str(s, "name", CC_CATALOG_MAX_NAME, at, err)) < 0 ||
            (r = need_str(s, "description", 4096, at, err)) < 0 ||
            (r = opt_bool(s, "bindable", at, err)) < 0)
            break;
        const char *id = json_string_value(json_object_get(s, "id"));
        const char *name = json_string_value(json_object_get(s, "name"));
        json_t *tags = json_object_get(s, "tags"), *t;
        size_t k;
        if (!name_ok(name)) {
            r = hc_err_set(err, -EINVAL, "%s.name: `%s` is not of A-Z a-z 0-9 . _ -", at, name);
            break;
        }
        if (strcmp(name, CC_LABEL_USER_PROVIDED) == 0) {
            r = hc_err_set(err, -EINVAL, "%s.name: `%s` is reserved", at, name);
            break;
        }
        if (seen_before(svcs, i, "name", name) || seen_before(svcs, i, "id", id)) {
            r = hc_err_set(err, -EINVAL, "%s: name `%s` or id `%s` twice in the catalog", at, name,
                           id);
            break;
        }
        if (tags && !json_is_array(tags)) {
            r = hc_err_set(err, -EINVAL, "%s.tags: not an array", at);
            break;
        }
        json_array_foreach(tags, k, t) if (!json_is_string(t))
        {
            r = hc_err_set(err, -EINVAL, "%s.tags[%zu]: not a string", at, k);
            break;
        }
        if (r < 0 || (r = check_plans(s, at, plan_ids, err)) < 0)
            break;
    }
    json_decref(plan_ids);
    return r;
}

/* ---- REST ---- */

typedef struct brk_job_s {
    cc_ctx_t *cc;
    hc_http_res_t *res;
    cc_broker_t b;                  /* the broker as it will be stored */
    char name[CC_MAX_NAME + 1];     /* its (new) name */
    char old_name[CC_MAX_NAME + 1]; /* update: the name it had */
    bool update;
    json_t *cat; /* the catalog the broker answered */
} brk_job_t;

static void job_free(brk_job_t *j)
{
    hc_http_res_unref(j->res);
    cc_broker_release(&j->b);
    json_decref(j->cat);
    free(j);
}

#define NOT_ADMIN "Operation not permitted: service brokers are for admins"

/*
 * A catalog for broker guid may not take a label or service id another broker (or the
 * configured one) offers, nor, on an update, drop a service that still has instances.
 * Returns 0, -EEXIST with err saying which service, or -EIO.
 */
static int check_conflicts(cc_db_t *db, const char *guid, bool update, const json_t *catalog,
                           hc_err_t *err)
{
    cc_db_res_t rows = {0};
    json_t *s;
    size_t i;
    int r = 0;
    if (cc_db_exec(db,
                   "SELECT o.label, o.body, b.name FROM service_offerings o"
                   " LEFT JOIN service_brokers b ON b.guid = o.broker"
                   " WHERE o.broker IS NULL OR o.broker <> ?",
                   CC_P(guid), &rows, err) < 0)
        return -EIO;
    for (size_t k = 0; k < rows.nrows && r == 0; k++) {
        json_t *o = json_loads(cc_db_cell(&rows, k, 1), 0, NULL);
        const char *oid = json_string_value(json_object_get(o, "id"));
        const char *owner = cc_db_cell(&rows, k, 2);
        json_array_foreach(json_object_get(catalog, "services"), i, s)
        {
            const char *name = json_string_value(json_object_get(s, "name"));
            const char *id = json_string_value(json_object_get(s, "id"));
            if (strcmp(cc_db_cell(&rows, k, 0), name) == 0 || (oid && strcmp(oid, id) == 0)) {
                r = hc_err_set(err, -EEXIST, "service `%s` (id %s) is already offered by %s%s%s",
                               name, id, owner ? "broker `" : "the configured broker",
                               owner ? owner : "", owner ? "`" : "");
                break;
            }
        }
        json_decref(o);
    }
    cc_db_res_release(&rows);
    if (r < 0 || !update)
        return r;
    /* An update may not remove a service whose instances still exist. */
    if (cc_db_exec(db,
                   "SELECT DISTINCT s.label FROM service_instances s"
                   " JOIN service_offerings o ON o.label = s.label WHERE o.broker = ?",
                   CC_P(guid), &rows, err) < 0)
        return -EIO;
    for (size_t k = 0; k < rows.nrows && r == 0; k++) {
        bool kept = false;
        json_array_foreach(json_object_get(catalog, "services"), i, s)
        {
            const char *name = json_string_value(json_object_get(s, "name"));
            if (strcmp(name, cc_db_cell(&rows, k, 0)) == 0)
                kept = true;
        }
        if (!kept)
            r = hc_err_set(err, -EEXIST,
                           "the new catalog drops service `%s`, which still has instances",
                           cc_db_cell(&rows, k, 0));
    }
    cc_db_res_release(&rows);
    return r;
}

/* Stores (or updates) the broker and replaces its offerings, in one transaction. */
static int store_broker(brk_job_t *j, cc_db_t *db, const json_t *catalog, hc_err_t *err)
{
    char now[24];
    json_t *s;
    size_t i;
    int r;
    snprintf(now, sizeof(now), "%lld", (long long)hc_wall_s());
    if ((r = cc_db_begin(db, err)) < 0)
        return r;
    if (j->update)
        r = cc_db_exec(db,
                       "UPDATE service_brokers SET name = ?, url = ?, username = ?, password = ?"
                       " WHERE guid = ?",
                       CC_P(j->name, j->b.url, j->b.user, j->b.password, j->b.guid), NULL, err);
    else
        r = cc_db_exec(db,
                       "INSERT INTO service_brokers (guid, name, url, username, password, created)"
                       " VALUES (?, ?, ?, ?, ?, ?)",
                       CC_P(j->b.guid, j->name, j->b.url, j->b.user, j->b.password, now), NULL,
                       err);
    if (r == 0)
        r = cc_db_exec(db, "DELETE FROM service_offerings WHERE broker = ?", CC_P(j->b.guid), NULL,
                       err);
    json_array_foreach(json_object_get(catalog, "services"), i, s)
    {
        if (r < 0)
            break;
        hc_autofree char *body = json_dumps(s, JSON_COMPACT);
        r = cc_db_exec(db,
                       "INSERT INTO service_offerings (label, body, updated, broker)"
                       " VALUES (?, ?, ?, ?)",
                       CC_P(json_string_value(json_object_get(s, "name")), body, now, j->b.guid),
                       NULL, err);
    }
    if (r == 0)
        r = cc_db_commit(db, err);
    if (r < 0)
        cc_db_rollback(db);
    return r;
}

/* The broker's catalog checked against the others and stored, on a worker. */
static void store_work(cc_job_t *job, cc_db_t *db)
{
    brk_job_t *j = job->data;
    hc_err_t err = {0};
    int rc = check_conflicts(db, j->b.guid, j->update, j->cat, &err);
    if (rc == -EEXIST) {
        cc_job_fail(job, CC_E_BAD_REQUEST, "Cannot %s broker `%s`: %s",
                    j->update ? "update" : "register", j->name, err.msg);
        return;
    }
    if (rc < 0 || (rc = store_broker(j, db, j->cat, &err)) < 0) {
        if (rc == -EEXIST)
            cc_job_fail(job, CC_E_BAD_REQUEST, "A service broker named `%s` exists", j->name);
        else
            cc_job_db_fail(job, "service broker", &err);
        return;
    }
    json_t *o = hc_json_obj();
    hc_json_set_str(o, "guid", j->b.guid);
    hc_json_set_str(o, "name", j->name);
    hc_json_set_int(o, "services", (int64_t)json_array_size(json_object_get(j->cat, "services")));
    cc_job_reply_json(job, j->update ? 200 : 201, o);
}

static bool store_after(cc_job_t *job, int status)
{
    brk_job_t *j = job->data;
    if (status == 0 && job->code == 0)
        hc_log_info(j->update ? "service broker updated" : "service broker registered", "name",
                    j->name, "url", j->b.url);
    return false;
}

static void brk_free(void *data)
{
    if (data)
        job_free(data);
}

static void on_catalog(const hc_http_client_result_t *r, void *ud)
{
    brk_job_t *j = ud, *bj = j;
    json_t *cat = NULL;
    hc_err_t err = {0};
    if (r->error) {
        cc_reply_error(j->res, CC_E_SERVICE_GATEWAY,
                       "The service broker at %s could not be reached: %s", j->b.url, r->error);
        goto out;
    }
    if (r->status == 401 || r->status == 403) {
        cc_reply_error(j->res, CC_E_SERVICE_GATEWAY,
                       "The service broker at %s refused the username and password (HTTP %d)",
                       j->b.url, r->status);
        goto out;
    }
    if (r->status != 200) {
        cc_reply_error(j->res, CC_E_SERVICE_GATEWAY,
                       "The service broker at %s answered HTTP %d to GET /v2/catalog", j->b.url,
                       r->status);
        goto out;
    }
    if (hc_json_parse_obj(r->body, r->body_len, CC_BROKER_MAX_RESPONSE, &cat, &err) < 0 ||
        cc_catalog_check(cat, &err) < 0) {
        cc_reply_error(j->res, CC_E_SERVICE_GATEWAY, "The service broker's catalog is invalid: %s",
                       err.msg);
        goto out;
    }
    /* The checks and the transaction run on a worker. */
    bj->cat = cat;
    cat = NULL;
    cc_job_t *job = cc_job_new(j->cc, hc_http_res_request(j->res), j->res, store_work);
    job->auth_mode = CC_JOB_AUTH_NONE; /* the admin was checked before the broker was asked */
    job->data = j;
    job->free_data = brk_free;
    job->after = store_after;
    cc_job_start(job);
    return;
out:
    json_decref(cat);
    job_free(j);
}

/* Reads the optional/required broker fields of body into j; fails job and returns < 0 on error. */
static int read_fields(const json_t *body, brk_job_t *j, bool required, cc_job_t *job)
{
    const char *name = NULL, *url = NULL, *user = NULL, *pw = NULL;
    hc_err_t err;
    if (hc_json_opt_str(body, "name", NULL, &name, &err) < 0 ||
        hc_json_opt_str(body, "url", NULL, &url, &err) < 0 ||
        hc_json_opt_str_len(body, "username", 1, CC_BROKER_MAX_CRED, NULL, &user, &err) < 0 ||
        hc_json_opt_str_len(body, "password", 0, CC_BROKER_MAX_CRED, NULL, &pw, &err) < 0) {
        cc_job_fail(job, CC_E_BAD_REQUEST, "Bad request: %s", err.msg);
        return -EINVAL;
    }
    if (required && (!name || !url || !user || !pw)) {
        cc_job_fail(job, CC_E_BAD_REQUEST, "Bad request: name, url, username and password");
        return -EINVAL;
    }
    if (name && !cc_valid_name(name)) {
        cc_job_fail(job, CC_E_BAD_REQUEST, "Bad request: name (1..%d of A-Z a-z 0-9 _ -)",
                    CC_MAX_NAME);
        return -EINVAL;
    }
    if (url && !cc_broker_url_valid(url)) {
        cc_job_fail(job, CC_E_BAD_REQUEST,
                    "Bad request: url must be http://HOST[:PORT][/PATH] or https://...");
        return -EINVAL;
    }
    if (name)
        snprintf(j->name, sizeof(j->name), "%s", name);
    if (url) {
        free(j->b.url);
        j->b.url = hc_strdup(url);
    }
    if (user) {
        free(j->b.user);
        j->b.user = hc_strdup(user);
    }
    if (pw) {
        free(j->b.password);
        j->b.password = hc_strdup(pw);
    }
    return 0;
}

static void fetch_catalog(brk_job_t *j)
{
    if (cc_broker_request(j->cc, &j->b, "GET", "/v2/catalog", NULL, on_catalog, j) < 0) {
        cc_reply_error(j->res, CC_E_SERVICE_GATEWAY, "Cannot contact the service broker at %s",
                       j->b.url);
        job_free(j);
    }
}

/* How many brokers are named name on db (-1: the database failed). */
static int count_named(cc_db_t *db, const char *name, hc_err_t *err)
{
    cc_db_res_t rows = {0};
    int r =
        cc_db_exec(db, "SELECT guid FROM service_brokers WHERE name = ?", CC_P(name), &rows, err);
    int n = r < 0 ? -1 : (int)rows.nrows;
    cc_db_res_release(&rows);
    return n;
}

/*
 * POST and PUT, on a worker: the admin, the body, and the names (the broker NAME, a new name
 * not taken) are checked; the catalog is then fetched from the loop (prep_after).
 */
static void prep_work(cc_job_t *job, cc_db_t *db)
{
    brk_job_t *j = job->data;
    json_t *body = NULL;
    hc_err_t err;
    if (!job->user.admin) {
        cc_job_fail(job, CC_E_FORBIDDEN, NOT_ADMIN);
        return;
    }
    if (cc_job_body_obj(job, &body) < 0)
        return;
    if (j->update) {
        /* The broker NAME: its guid, then the broker as stored. */
        cc_db_res_t rows = {0};
        int r = job->name[0] ? cc_db_exec(db, "SELECT guid FROM service_brokers WHERE name = ?",
                                          CC_P(job->name), &rows, &err)
                             : -ENOENT;
        if (r < 0 || rows.nrows == 0 ||
            cc_broker_get(job->cc, db, cc_db_cell(&rows, 0, 0), &j->b) < 0) {
            cc_db_res_release(&rows);
            cc_job_fail(job, CC_E_NOT_FOUND, "Service broker not found");
            goto out;
        }
        cc_db_res_release(&rows);
        snprintf(j->name, sizeof(j->name), "%s", job->name);
        snprintf(j->old_name, sizeof(j->old_name), "%s", job->name);
    }
    if (read_fields(body, j, !j->update, job) < 0)
        goto out;
    if (!j->update || strcmp(j->name, j->old_name) != 0) {
        int n = count_named(db, j->name, &err);
        if (n < 0 && !j->update) {
            cc_job_db_fail(job, "service broker", &err);
            goto out;
        }
        if (n != 0) {
            cc_job_fail(job, CC_E_BAD_REQUEST, "A service broker named `%s` exists", j->name);
            goto out;
        }
    }
    if (!j->update)
        hc_uuid4(j->b.guid);
out:
    json_decref(body);
}

/* The broker is asked from the loop (the HTTP client); store_work stores what it answers. */
static bool prep_after(cc_job_t *job, int status)
{
    brk_job_t *j = job->data;
    if (status != 0 || job->code != 0 || hc_http_res_cancelled(job->res))
        return false;
    job->data = NULL; /* fetch_catalog owns it now */
    j->res = hc_http_res_ref(job->res);
    fetch_catalog(j);
    return true;
}

static void start_prep(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res, bool update)
{
    brk_job_t *j = hc_calloc(1, sizeof(*j));
    j->cc = cc;
    j->update = update;
    cc_job_t *job = cc_job_new_data(cc, req, res, prep_work, j, brk_free, prep_after);
    job->body = req->body;
    if (update)
        cc_job_set_name(job, req);
    cc_job_start(job);
}

static void delete_work(cc_job_t *job, cc_db_t *db)
{
    brk_job_t j = {0};
    cc_db_res_t rows = {0};
    hc_err_t err;
    if (!job->user.admin) {
        cc_job_fail(job, CC_E_FORBIDDEN, NOT_ADMIN);
        return;
    }
    if (!job->name[0] ||
        cc_db_exec(db, "SELECT guid FROM service_brokers WHERE name = ?", CC_P(job->name), &rows,
                   &err) < 0 ||
        rows.nrows == 0) {
        cc_job_fail(job, CC_E_NOT_FOUND, "Service broker not found");
        goto out;
    }
    snprintf(j.b.guid, sizeof(j.b.guid), "%s", cc_db_cell(&rows, 0, 0));
    snprintf(j.name, sizeof(j.name), "%s", job->name);
    cc_db_res_release(&rows);
    if (cc_db_exec(db,
                   "SELECT s.name, s.owner FROM service_instances s"
                   " JOIN service_offerings o ON o.label = s.label WHERE o.broker = ?"
                   " ORDER BY s.owner, s.name",
                   CC_P(j.b.guid), &rows, &err) < 0) {
        cc_job_db_fail(job, "delete service broker", &err);
        goto out;
    }
    if (rows.nrows) {
        cc_job_fail(job, CC_E_BAD_REQUEST,
                    "Cannot delete broker `%s`: %zu service instance%s of its services exist"
                    " (`%s` of %s); delete them first",
                    j.name, rows.nrows, rows.nrows == 1 ? "" : "s", cc_db_cell(&rows, 0, 0),
                    cc_db_cell(&rows, 0, 1));
        goto out;
    }
    if (cc_db_begin(db, &err) < 0 ||
        cc_db_exec(db, "DELETE FROM service_offerings WHERE broker = ?", CC_P(j.b.guid), NULL,
                   &err) < 0 ||
        cc_db_exec(db, "DELETE FROM service_brokers WHERE guid = ?", CC_P(j.b.guid), NULL, &err) <
            0 ||
        cc_db_commit(db, &err) < 0) {
        cc_db_rollback(db);
        cc_job_db_fail(job, "delete service broker", &err);
        goto out;
    }
    cc_job_reply_json(job, 200, hc_json_obj());
out:
    cc_db_res_release(&rows);
}

static bool delete_after(cc_job_t *job, int status)
{
    if (status == 0 && job->code == 0)
        hc_log_info("service broker deleted", "name", job->name);
    return false;
}

static void list_work(cc_job_t *job, cc_db_t *db)
{
    cc_db_res_t rows = {0}, offs = {0};
    hc_err_t err;
    if (!job->user.admin) {
        cc_job_fail(job, CC_E_FORBIDDEN, NOT_ADMIN);
        return;
    }
    if (cc_db_exec(db,
                   "SELECT guid, name, url, username, created FROM service_brokers ORDER BY name",
                   CC_P0, &rows, &err) < 0 ||
        cc_db_exec(db,
                   "SELECT broker, label FROM service_offerings WHERE broker IS NOT NULL"
                   " ORDER BY label",
                   CC_P0, &offs, &err) < 0) {
        cc_job_db_fail(job, "list service brokers", &err);
        goto out;
    }
    json_t *arr = hc_json_arr();
    for (size_t i = 0; i < rows.nrows; i++) {
        json_t *o = hc_json_obj(), *svcs = hc_json_arr();
        hc_json_set_str(o, "guid", cc_db_cell(&rows, i, 0));
        hc_json_set_str(o, "name", cc_db_cell(&rows, i, 1));
        hc_json_set_str(o, "url", cc_db_cell(&rows, i, 2));
        hc_json_set_str(o, "username", cc_db_cell(&rows, i, 3));
        hc_json_set_int(o, "created", cc_db_cell_int(&rows, i, 4));
        for (size_t k = 0; k < offs.nrows; k++)
            if (strcmp(cc_db_cell(&offs, k, 0), cc_db_cell(&rows, i, 0)) == 0)
                hc_json_append_str(svcs, cc_db_cell(&offs, k, 1));
        hc_json_set_new(o, "services", svcs);
        hc_json_append_new(arr, o);
    }
    json_t *body = hc_json_obj();
    hc_json_set_new(body, "service_brokers", arr);
    cc_job_reply_json(job, 200, body);
out:
    cc_db_res_release(&rows);
    cc_db_res_release(&offs);
}

static void h_list(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_job_start(cc_job_new(data, req, res, list_work));
}

static void h_delete(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_job_t *j = cc_job_new(data, req, res, delete_work);
    cc_job_set_name(j, req);
    j->after = delete_after;
    cc_job_start(j);
}

/* The admin, the body and the names are checked on a worker; the broker is asked from the loop. */
static void h_create(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    start_prep(data, req, res, false);
}

static void h_update(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    start_prep(data, req, res, true);
}

void cc_api_service_brokers_routes(cc_ctx_t *cc, hc_http_server_t *srv)
{
    hc_http_server_route(srv, "GET", "/service_brokers", h_list, cc);
    hc_http_server_route(srv, "POST", "/service_brokers", h_create, cc);
    hc_http_server_route(srv, "PUT", "/service_brokers/:name", h_update, cc);
    hc_http_server_route(srv, "DELETE", "/service_brokers/:name", h_delete, cc);
}
