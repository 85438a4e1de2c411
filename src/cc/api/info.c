/* GET /info, /info/runtimes, /info/services (cf-v1.md §1.4); their SQL runs on the thread pool. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/job.h"
#include "db/db.h"
#include "hc_json.h"
#include "orch.h"

/* The part of /info everyone sees (no database). */
static json_t *info_public(const cc_ctx_t *cc)
{
    json_t *o = hc_json_obj();
    hc_json_set_str(o, "name", "hearth");
    hc_json_set_int(o, "build", 1);
    hc_json_set_str(o, "support", "https://github.com/hearth-paas/hearth");
    hc_json_set_str(o, "version", HEARTH_VERSION);
    hc_json_set_str(o, "description", "Hearth Platform-as-a-Service");
    hc_json_set_bool(o, "allow_debug", false);
    /* Where apps are reached: http://HOST.DOMAIN[:router_port] (the CLI prints it). */
    hc_json_set_str(o, "domain", cc->conf->domain);
    hc_json_set_int(o, "router_port", cc->conf->router_port);
    return o;
}

/* GET /info with credentials, on a worker: a valid token adds the caller's limits and usage. */
static void info_work(cc_job_t *j, cc_db_t *db)
{
    const cc_ctx_t *cc = j->cc;
    json_t *o = info_public(cc);
    if (j->authed) {
        cc_db_res_t rows = {0};
        hc_err_t err;
        int mult = j->user.admin ? 4 : 1;
        json_t *limits = hc_json_obj(), *usage = hc_json_obj();
        hc_json_set_str(o, "user", j->user.email);
        hc_json_set_bool(o, "admin", j->user.admin);
        hc_json_set_int(limits, "memory", cc->conf->quota_memory * mult);
        hc_json_set_int(limits, "app_uris", cc->conf->quota_uris);
        hc_json_set_int(limits, "services", cc->conf->quota_services * mult);
        hc_json_set_int(limits, "apps", cc->conf->quota_apps * mult);
        hc_json_set_new(o, "limits", limits);
        if (cc_db_exec(db,
                       "SELECT COALESCE(SUM(memory * instances), 0), COUNT(*) FROM apps"
                       " WHERE owner = ? AND state = 'STARTED'",
                       CC_P(j->user.email), &rows, &err) == 0) {
            hc_json_set_int(usage, "memory", cc_db_cell_int(&rows, 0, 0));
            hc_json_set_int(usage, "apps", cc_db_cell_int(&rows, 0, 1));
        }
        cc_db_res_release(&rows);
        if (cc_db_exec(db, "SELECT COUNT(*) FROM service_instances WHERE owner = ?",
                       CC_P(j->user.email), &rows, &err) == 0)
            hc_json_set_int(usage, "services", cc_db_cell_int(&rows, 0, 0));
        cc_db_res_release(&rows);
        hc_json_set_new(o, "usage", usage);
        hc_json_set_new(o, "frameworks", hc_json_obj());
    }
    cc_job_reply_json(j, 200, o);
}

static void h_info(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_ctx_t *cc = data;
    /* Without credentials the answer needs no database: it is sent at once. */
    if (hc_http_req_header(req, "Authorization").len == 0) {
        hc_http_reply_json(res, 200, info_public(cc));
        return;
    }
    cc_job_t *j = cc_job_new(cc, req, res, info_work);
    j->auth_mode = CC_JOB_AUTH_OPTIONAL;
    cc_job_start(j);
}

/* Hearth stages with buildpacks; the runtimes list names what the built-ins provide. */
static void h_runtimes(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    (void)req;
    (void)data;
    static const char *const names[] = {"static", "python", "node", "ruby", "java", "binary"};
    json_t *o = hc_json_obj();
    for (size_t i = 0; i < HC_ARRAY_SIZE(names); i++) {
        json_t *r = hc_json_obj();
        hc_json_set_str(r, "version", "buildpack");
        hc_json_set_new(o, names[i], r);
    }
    hc_http_reply_json(res, 200, o);
}

/* Type from the vendor name, as v1 synthesised it. */
static const char *service_type(const char *vendor)
{
    if (strcmp(vendor, "mysql") == 0 || strcmp(vendor, "postgresql") == 0 ||
        strcmp(vendor, "mariadb") == 0)
        return "database";
    if (strcmp(vendor, "redis") == 0 || strcmp(vendor, "mongodb") == 0)
        return "key-value";
    return "generic";
}

/* GET /info/services, on a worker. */
static void services_work(cc_job_t *j, cc_db_t *db)
{
    cc_db_res_t rows = {0};
    hc_err_t err;

    if (cc_db_exec(db, "SELECT label, body FROM service_offerings ORDER BY label", CC_P0, &rows,
                   &err) < 0) {
        cc_job_db_fail(j, "offerings", &err);
        return;
    }
    json_t *out = hc_json_obj();
    for (size_t i = 0; i < rows.nrows; i++) {
        json_t *off = json_loads(cc_db_cell(&rows, i, 1), 0, NULL);
        const char *label = cc_db_cell(&rows, i, 0);
        char vendor[128], version[64] = "";
        const char *dash = strrchr(label, '-');
        snprintf(vendor, sizeof(vendor), "%.*s", (int)(dash ? dash - label : (long)strlen(label)),
                 label);
        if (dash)
            snprintf(version, sizeof(version), "%s", dash + 1);
        const char *type = service_type(vendor);
        json_t *t = json_object_get(out, type);
        if (!t)
            hc_json_set_new(out, type, t = hc_json_obj());
        json_t *v = json_object_get(t, vendor);
        if (!v)
            hc_json_set_new(t, vendor, v = hc_json_obj());
        json_t *entry = hc_json_obj();
        hc_json_set_str(entry, "vendor", vendor);
        hc_json_set_str(entry, "version", version);
        hc_json_set_str(entry, "type", type);
        hc_json_set_str(entry, "description",
                        json_string_value(json_object_get(off, "description")));
        json_t *plans = json_object_get(off, "plans"), *tiers = hc_json_obj(), *p;
        size_t k;
        json_array_foreach(plans, k, p)
        {
            json_t *tier = hc_json_obj();
            hc_json_set_new(tier, "options", hc_json_obj());
            hc_json_set_int(tier, "order", (int64_t)k + 1);
            const char *pname = json_is_string(p) ? json_string_value(p)
                                                  : json_string_value(json_object_get(p, "name"));
            if (pname)
                hc_json_set_new(tiers, pname, tier);
            else
                json_decref(tier);
        }
        hc_json_set_new(entry, "tiers", tiers);
        hc_json_set_new(v, version[0] ? version : "default", entry);
        json_decref(off);
    }
    cc_db_res_release(&rows);
    cc_job_reply_json(j, 200, out);
}

static void h_services(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_job_start(cc_job_new(data, req, res, services_work));
}

/* GET /buildpacks: the built-in buildpacks in detection order. */
static void h_buildpacks(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_ctx_t *cc = data;
    (void)req;
    json_t *o = hc_json_obj();
    hc_json_set_new(o, "buildpacks",
                    cc->buildpacks ? json_deep_copy(cc->buildpacks) : hc_json_arr());
    hc_http_reply_json(res, 200, o);
}

/* GET /stacks: the stacks the DEAs offer. */
static void h_stacks(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_ctx_t *cc = data;
    (void)req;
    json_t *o = hc_json_obj();
    hc_json_set_new(o, "stacks", cc_orch_stacks(cc));
    hc_http_reply_json(res, 200, o);
}

static void h_root(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    (void)req;
    (void)data;
    hc_http_reply_text(res, 200, "Welcome to hearth, the open PaaS.\n");
}

void cc_api_info_routes(cc_ctx_t *cc, hc_http_server_t *srv)
{
    hc_http_server_route(srv, "GET", "/", h_root, cc);
    hc_http_server_route(srv, "GET", "/info", h_info, cc);
    hc_http_server_route(srv, "GET", "/info/runtimes", h_runtimes, cc);
    hc_http_server_route(srv, "GET", "/info/services", h_services, cc);
    hc_http_server_route(srv, "GET", "/buildpacks", h_buildpacks, cc);
    hc_http_server_route(srv, "GET", "/stacks", h_stacks, cc);
}
