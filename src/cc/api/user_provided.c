/*
 * User-provided service instances (Cloud Foundry's `cups`): a name with credentials the user
 * gives (a database outside hearth, an API key...), and optionally a syslog drain URL, a route
 * service URL and tags. They live in service_instances with label "user-provided" and no
 * broker; an app binds them through its `services` list like any other instance and finds
 * them in VCAP_SERVICES["user-provided"].
 *   POST /user_provided_services        {"name","credentials"?,"syslog_drain_url"?,
 *                                        "route_service_url"?,"tags"?}
 *   GET  /user_provided_services/NAME   the instance with its credentials (owner only)
 *   PUT  /user_provided_services/NAME   the fields given replace the stored ones
 * DELETE /services/NAME deletes one (refused while an app is bound to it).
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

#define UPS_MAX_CREDENTIALS (64 * 1024) /* bytes of compact JSON: it rides in start messages */
#define UPS_MAX_URL 2048
#define UPS_MAX_TAGS 32
#define UPS_MAX_TAG 64

int cc_service_bound_apps(cc_db_t *db, const char *owner, const char *name, char *out, size_t size)
{
    cc_db_res_t rows = {0};
    hc_err_t err;
    size_t len = 0;
    int n = 0;
    out[0] = '\0';
    if (cc_db_exec(db, "SELECT name, services FROM apps WHERE owner = ? ORDER BY name", CC_P(owner),
                   &rows, &err) < 0)
        return -EIO;
    for (size_t i = 0; i < rows.nrows; i++) {
        json_t *list = json_loads(cc_db_cell(&rows, i, 1), 0, NULL), *v;
        size_t k;
        bool has = false;
        json_array_foreach(list, k, v) has =
            has || (json_is_string(v) && strcmp(json_string_value(v), name) == 0);
        json_decref(list);
        if (!has)
            continue;
        int w =
            snprintf(out + len, size - len, "%s`%s`", n ? ", " : "app ", cc_db_cell(&rows, i, 0));
        if (w > 0 && (size_t)w < size - len)
            len += (size_t)w;
        n++;
    }
    cc_db_res_release(&rows);
    return n;
}

json_t *cc_service_vcap(cc_db_t *db, const char *app_guid, const char *owner, const char *name)
{
    cc_db_res_t res = {0};
    hc_err_t err;
    json_t *s = NULL;
    /* The binding's credentials (from the broker) win over the instance's. A brokered
     * instance whose binding the broker has not answered yet is left out (an app must not
     * start with empty credentials; it is restarted once the binding is stored). */
    if (cc_db_exec(db,
                   "SELECT s.name, s.label, s.plan, COALESCE(b.credentials, s.credentials),"
                   " s.tags, s.syslog_drain_url, b.guid FROM service_instances s"
                   " LEFT JOIN service_bindings b ON b.instance_guid = s.guid AND b.app_guid = ?"
                   " WHERE s.owner = ? AND s.name = ?",
                   CC_P(app_guid, owner, name), &res, &err) < 0 ||
        res.nrows != 1)
        goto out;
    const char *label = cc_db_cell(&res, 0, 1);
    if (strcmp(label, CC_LABEL_USER_PROVIDED) != 0 && !cc_db_cell(&res, 0, 6))
        goto out;
    const char *cred_s = cc_db_cell(&res, 0, 3), *tags_s = cc_db_cell(&res, 0, 4);
    json_t *cred = cred_s ? json_loads(cred_s, 0, NULL) : NULL;
    json_t *tags = tags_s ? json_loads(tags_s, 0, NULL) : NULL;
    s = hc_json_obj();
    hc_json_set_str(s, "name", cc_db_cell(&res, 0, 0));
    hc_json_set_str(s, "instance_name", cc_db_cell(&res, 0, 0));
    hc_json_set_str(s, "label", label);
    if (strcmp(label, CC_LABEL_USER_PROVIDED) == 0) {
        const char *drain = cc_db_cell(&res, 0, 5);
        hc_json_set_new(s, "syslog_drain_url", drain ? json_string(drain) : json_null());
    } else {
        hc_json_set_str(s, "vendor", label);
        hc_json_set_str(s, "plan", cc_db_cell(&res, 0, 2));
    }
    if (!json_is_array(tags)) {
        json_decref(tags);
        tags = hc_json_arr();
    }
    if (!json_is_object(cred)) {
        json_decref(cred);
        cred = hc_json_obj();
    }
    hc_json_set_new(s, "tags", tags);
    hc_json_set_new(s, "credentials", cred);
out:
    cc_db_res_release(&res);
    return s;
}

/* The fields of a user-provided instance, as text for the database (NULL: not given). */
typedef struct ups_fields_s {
    char *credentials, *syslog_drain_url, *route_service_url, *tags;
    bool has_drain, has_route; /* given (possibly as null or "", which clears) */
} ups_fields_t;

static void fields_release(ups_fields_t *f)
{
    free(f->credentials);
    free(f->syslog_drain_url);
    free(f->route_service_url);
    free(f->tags);
}

static bool url_ok(const char *s, bool https_only)
{
    size_t n = strlen(s);
    if (n > UPS_MAX_URL || !strstr(s, "://"))
        return false;
    if (https_only && strncmp(s, "https://", 8) != 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] == 0x7f)
            return false;
    return strstr(s, "://")[3] != '\0';
}

/* Reads and checks the optional fields of body; on error fills msg and returns -EINVAL. */
static int read_fields(const json_t *body, ups_fields_t *f, char *msg, size_t size)
{
    json_t *v;
    memset(f, 0, sizeof(*f));
    if ((v = json_object_get(body, "credentials")) && !json_is_null(v)) {
        if (!json_is_object(v)) {
            snprintf(msg, size, "credentials: must be a JSON object like {\"uri\":\"...\"}");
            return -EINVAL;
        }
        f->credentials = json_dumps(v, JSON_COMPACT);
        if (!f->credentials || strlen(f->credentials) > UPS_MAX_CREDENTIALS) {
            snprintf(msg, size, "credentials: more than %d bytes of JSON", UPS_MAX_CREDENTIALS);
            return -EINVAL;
        }
    }
    static const char *const keys[] = {"syslog_drain_url", "route_service_url"};
    for (size_t i = 0; i < 2; i++) {
        v = json_object_get(body, keys[i]);
        if (!v)
            continue;
        *(i ? &f->has_route : &f->has_drain) = true;
        if (json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0))
            continue;
        if (!json_is_string(v) || !url_ok(json_string_value(v), i == 1)) {
            snprintf(msg, size, "%s: %s", keys[i],
                     i ? "must be an https:// URL" : "must be a URL like syslog://host:port");
            return -EINVAL;
        }
        *(i ? &f->route_service_url : &f->syslog_drain_url) = hc_strdup(json_string_value(v));
    }
    if ((v = json_object_get(body, "tags")) && !json_is_null(v)) {
        json_t *t;
        size_t k;
        if (!json_is_array(v) || json_array_size(v) > UPS_MAX_TAGS) {
            snprintf(msg, size, "tags: an array of at most %d strings", UPS_MAX_TAGS);
            return -EINVAL;
        }
        json_array_foreach(v, k, t)
        {
            if (!json_is_string(t) || json_string_length(t) == 0 ||
                json_string_length(t) > UPS_MAX_TAG) {
                snprintf(msg, size, "tags[%zu]: a string of 1..%d bytes", k, UPS_MAX_TAG);
                return -EINVAL;
            }
        }
        f->tags = json_dumps(v, JSON_COMPACT);
    }
    return 0;
}

/* POST /user_provided_services, on a worker. */
static void create_work(cc_job_t *j, cc_db_t *db)
{
    const cc_ctx_t *cc = j->cc;
    const cc_user_t *user = &j->user;
    json_t *body = NULL;
    ups_fields_t f = {0};
    cc_db_res_t rows = {0};
    const char *name;
    char msg[256], guid[HC_UUID_STR_LEN + 1], now[24];
    hc_err_t err;

    if (cc_job_body_obj(j, &body) < 0)
        return;
    if (hc_json_get_str(body, "name", &name, &err) < 0 || !cc_valid_name(name)) {
        cc_job_fail(j, CC_E_BAD_REQUEST, "Bad request: name (1..%d of A-Z a-z 0-9 _ -)",
                    CC_MAX_NAME);
        goto out;
    }
    if (read_fields(body, &f, msg, sizeof(msg)) < 0) {
        cc_job_fail(j, CC_E_BAD_REQUEST, "Bad request: %s", msg);
        goto out;
    }
    int mult = user->admin ? 4 : 1;
    if (cc_db_exec(db, "SELECT COUNT(*) FROM service_instances WHERE owner = ?", CC_P(user->email),
                   &rows, &err) < 0) {
        cc_job_db_fail(j, "user-provided service", &err);
        goto out;
    }
    int64_t count = cc_db_cell_int(&rows, 0, 0);
    if (count + 1 > cc->conf->quota_services * mult) {
        cc_job_fail(j, CC_E_QUOTA_SERVICES,
                    "Too many Services provisioned: %lld, you're allowed: %lld",
                    (long long)count + 1, (long long)cc->conf->quota_services * mult);
        goto out;
    }
    hc_uuid4(guid);
    snprintf(now, sizeof(now), "%lld", (long long)hc_wall_s());
    int r = cc_db_exec(db,
                       "INSERT INTO service_instances (guid, name, owner, label, plan, credentials,"
                       " created, tags, syslog_drain_url, route_service_url)"
                       " VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, ?)",
                       CC_P(guid, name, user->email, CC_LABEL_USER_PROVIDED,
                            f.credentials ? f.credentials : "{}", now, f.tags ? f.tags : "[]",
                            f.syslog_drain_url, f.route_service_url),
                       NULL, &err);
    if (r == -EEXIST)
        cc_job_fail(j, CC_E_BAD_REQUEST, "Bad request: a service named `%s` exists", name);
    else if (r < 0)
        cc_job_db_fail(j, "user-provided service", &err);
    else {
        snprintf(j->name, sizeof(j->name), "%s", name); /* for the log line */
        json_t *o = hc_json_obj();
        hc_json_set_str(o, "name", name);
        hc_json_set_str(o, "label", CC_LABEL_USER_PROVIDED);
        cc_job_reply_json(j, 201, o);
    }
out:
    cc_db_res_release(&rows);
    fields_release(&f);
    json_decref(body);
}

/* Loads the caller's user-provided instance NAME; fails the job 404 and returns < 0 if none. */
static int load_ups(cc_job_t *j, cc_db_t *db, const char *name, cc_db_res_t *rows)
{
    hc_err_t err;
    if (!name[0] ||
        cc_db_exec(db,
                   "SELECT guid, credentials, tags, syslog_drain_url, route_service_url, label"
                   " FROM service_instances WHERE owner = ? AND name = ?",
                   CC_P(j->user.email, name), rows, &err) < 0 ||
        rows->nrows == 0) {
        cc_job_fail(j, CC_E_SERVICE_NOT_FOUND, "Service not found");
        return -ENOENT;
    }
    if (strcmp(cc_db_cell(rows, 0, 5), CC_LABEL_USER_PROVIDED) != 0) {
        cc_job_fail(j, CC_E_BAD_REQUEST,
                    "Bad request: `%s` is a %s service, not a user-provided one", name,
                    cc_db_cell(rows, 0, 5));
        return -EINVAL;
    }
    return 0;
}

static void get_work(cc_job_t *j, cc_db_t *db)
{
    cc_db_res_t rows = {0};
    const char *name = j->name;
    if (load_ups(j, db, name, &rows) < 0)
        goto out;
    json_t *o = hc_json_obj();
    json_t *cred = json_loads(cc_db_cell(&rows, 0, 1) ? cc_db_cell(&rows, 0, 1) : "{}", 0, NULL);
    json_t *tags = json_loads(cc_db_cell(&rows, 0, 2) ? cc_db_cell(&rows, 0, 2) : "[]", 0, NULL);
    hc_json_set_str(o, "name", name);
    hc_json_set_str(o, "label", CC_LABEL_USER_PROVIDED);
    hc_json_set_new(o, "credentials", cred ? cred : hc_json_obj());
    hc_json_set_new(o, "tags", tags ? tags : hc_json_arr());
    hc_json_set_str(o, "syslog_drain_url", cc_db_cell(&rows, 0, 3));
    hc_json_set_str(o, "route_service_url", cc_db_cell(&rows, 0, 4));
    char bound[256];
    if (cc_service_bound_apps(db, j->user.email, name, bound, sizeof(bound)) > 0)
        hc_json_set_str(o, "bound", bound);
    cc_job_reply_json(j, 200, o);
out:
    cc_db_res_release(&rows);
}

static void update_work(cc_job_t *j, cc_db_t *db)
{
    cc_db_res_t rows = {0};
    json_t *body = NULL;
    ups_fields_t f = {0};
    const char *name = j->name;
    char msg[256];
    hc_err_t err;
    if (cc_job_body_obj(j, &body) < 0)
        return;
    if (load_ups(j, db, name, &rows) < 0)
        goto out;
    if (read_fields(body, &f, msg, sizeof(msg)) < 0) {
        cc_job_fail(j, CC_E_BAD_REQUEST, "Bad request: %s", msg);
        goto out;
    }
    const char *cred = f.credentials ? f.credentials : cc_db_cell(&rows, 0, 1);
    const char *tags = f.tags ? f.tags : cc_db_cell(&rows, 0, 2);
    const char *drain = f.has_drain ? f.syslog_drain_url : cc_db_cell(&rows, 0, 3);
    const char *route = f.has_route ? f.route_service_url : cc_db_cell(&rows, 0, 4);
    if (cc_db_exec(db,
                   "UPDATE service_instances SET credentials = ?, tags = ?, syslog_drain_url = ?,"
                   " route_service_url = ? WHERE guid = ?",
                   CC_P(cred, tags, drain, route, cc_db_cell(&rows, 0, 0)), NULL, &err) < 0) {
        cc_job_db_fail(j, "user-provided service", &err);
        goto out;
    }
    json_t *o = hc_json_obj();
    char bound[256];
    hc_json_set_str(o, "name", name);
    if (cc_service_bound_apps(db, j->user.email, name, bound, sizeof(bound)) > 0)
        hc_json_set_str(o, "bound", bound);
    cc_job_reply_json(j, 200, o);
out:
    cc_db_res_release(&rows);
    fields_release(&f);
    json_decref(body);
}

static bool log_after(cc_job_t *j, int status, const char *what)
{
    if (status == 0 && j->code == 0)
        hc_log_info(what, "name", j->name, "owner", j->user.email);
    return false;
}

static bool created_after(cc_job_t *j, int status)
{
    return log_after(j, status, "user-provided service created");
}

static bool updated_after(cc_job_t *j, int status)
{
    return log_after(j, status, "user-provided service updated");
}

/* A job with the request's body and its NAME parameter ("" when absent or not decodable). */
static void start(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res, cc_job_fn fn,
                  bool (*after)(cc_job_t *, int))
{
    cc_job_t *j = cc_job_new(cc, req, res, fn);
    j->body = req->body;
    j->after = after;
    cc_job_set_name(j, req);
    cc_job_start(j);
}

static void h_create(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    start(data, req, res, create_work, created_after);
}

static void h_get(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    start(data, req, res, get_work, NULL);
}

static void h_update(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    start(data, req, res, update_work, updated_after);
}

void cc_api_user_provided_routes(cc_ctx_t *cc, hc_http_server_t *srv)
{
    hc_http_server_route(srv, "POST", "/user_provided_services", h_create, cc);
    hc_http_server_route(srv, "GET", "/user_provided_services/:name", h_get, cc);
    hc_http_server_route(srv, "PUT", "/user_provided_services/:name", h_update, cc);
}
