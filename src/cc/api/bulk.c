/*
 * The bulk API for the HM and other components (cf-v1.md §1.11), behind HTTP Basic auth with
 * credentials from the config or random at start (published on the bus request
 * cloudcontroller.bulk.credentials):
 *   GET /bulk/apps?batch_size=N&bulk_token={"id":"<last guid>"}
 *     -> {"results":{"<guid>":{...}},"bulk_token":{"id":"<last guid>"}}; an empty page has
 *        "bulk_token":{}.
 *   GET /bulk/counts?model=user -> {"counts":{"value":N}}
 * The credentials are checked on the loop (no database); the SQL runs on the thread pool.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "api/api.h"
#include "api/job.h"
#include "app.h"
#include "auth/auth.h"
#include "db/db.h"
#include "hc_json.h"

#define CC_BULK_MAX_BATCH 1000
#define CC_BULK_DEFAULT_BATCH 200

/* Checks Authorization: Basic against the bulk credentials; replies 401 when wrong. */
static int bulk_auth(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res)
{
    hc_str_t h = hc_http_req_header(req, "Authorization");
    char decoded[512];
    size_t len = 0;
    if (h.len > 6 && strncasecmp(h.p, "basic ", 6) == 0 && h.len - 6 < 600 &&
        sodium_base642bin((unsigned char *)decoded, sizeof(decoded) - 1, h.p + 6, h.len - 6, NULL,
                          &len, NULL, sodium_base64_VARIANT_ORIGINAL) == 0) {
        decoded[len] = '\0';
        char *colon = strchr(decoded, ':');
        if (colon && strlen(decoded) == len) {
            *colon = '\0';
            /* Both compared every time: no early exit tells which one was wrong. */
            bool user_ok = cc_secret_eq(decoded, cc->bulk_user);
            bool pass_ok = cc_secret_eq(colon + 1, cc->bulk_password);
            bool ok = user_ok && pass_ok;
            sodium_memzero(decoded, sizeof(decoded));
            if (ok)
                return 0;
        }
    }
    hc_http_res_set_header(res, "WWW-Authenticate", "Basic realm=\"bulk\"");
    hc_http_reply_error(res, 401, CC_E_FORBIDDEN, "Operation not permitted");
    return -EACCES;
}

/* What a bulk request hands its worker. */
typedef struct bulk_req_s {
    char after[512]; /* /bulk/apps: the last guid of the previous page */
    char batch[24];  /* /bulk/apps: the page size */
    bool users;      /* /bulk/counts: model=user (else app) */
} bulk_req_t;

static void bulk_apps_work(cc_job_t *j, cc_db_t *db)
{
    bulk_req_t *b = j->data;
    cc_db_res_t rows = {0};
    hc_err_t err;

    if (cc_db_exec(db, "SELECT " CC_APP_COLUMNS " FROM apps WHERE guid > ? ORDER BY guid LIMIT ?",
                   CC_P(b->after, b->batch), &rows, &err) < 0) {
        cc_job_db_fail(j, "bulk apps", &err);
        return;
    }
    json_t *results = hc_json_obj(), *next = hc_json_obj();
    for (size_t i = 0; i < rows.nrows; i++) {
        cc_app_t app;
        char version[128];
        cc_app_from_row(&app, &rows, i);
        json_t *o = hc_json_obj();
        cc_app_version(&app, version, sizeof(version));
        hc_json_set_str(o, "id", app.guid);
        hc_json_set_str(o, "name", app.name);
        hc_json_set_str(o, "owner", app.owner);
        hc_json_set_str(o, "framework", app.framework);
        hc_json_set_str(o, "runtime", app.runtime);
        hc_json_set_int(o, "instances", app.instances);
        hc_json_set_int(o, "memory", app.memory);
        hc_json_set_str(o, "state", app.state);
        hc_json_set_str(o, "package_state", app.package_state);
        hc_json_set_str(o, "package_hash", app.package_hash);
        hc_json_set_str(o, "staged_package_hash", app.droplet_hash);
        hc_json_set_int(o, "run_count", app.run_count);
        hc_json_set_str(o, "version", version);
        hc_json_set_int(o, "updated_at", app.updated);
        hc_json_set_new(o, "uris", json_incref(app.uris));
        hc_json_set_new(results, app.guid, o);
        if (i + 1 == rows.nrows)
            hc_json_set_str(next, "id", app.guid);
        cc_app_release(&app);
    }
    cc_db_res_release(&rows);
    json_t *body = hc_json_obj();
    hc_json_set_new(body, "results", results);
    hc_json_set_new(body, "bulk_token", next);
    cc_job_reply_json(j, 200, body);
}

/* A job that needs no token: the bulk credentials were checked on the loop. */
static cc_job_t *bulk_job(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res,
                          cc_job_fn fn)
{
    cc_job_t *j = cc_job_new(cc, req, res, fn);
    j->auth_mode = CC_JOB_AUTH_NONE;
    j->data = hc_calloc(1, sizeof(bulk_req_t));
    j->free_data = free;
    return j;
}

static void h_bulk_apps(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_ctx_t *cc = data;
    char buf[512];
    const char *after = "";
    json_t *tok = NULL;
    hc_err_t err;
    uint64_t batch = CC_BULK_DEFAULT_BATCH;

    if (bulk_auth(cc, req, res) < 0)
        return;
    if (cc_api_query(req, "batch_size", buf, sizeof(buf)) == 0 &&
        (hc_parse_u64(buf, strlen(buf), CC_BULK_MAX_BATCH, &batch) < 0 || batch == 0)) {
        cc_reply_error(res, CC_E_BAD_REQUEST, "Bad request: batch_size must be 1..%d",
                       CC_BULK_MAX_BATCH);
        return;
    }
    if (cc_api_query(req, "bulk_token", buf, sizeof(buf)) == 0) {
        if (hc_json_parse_obj(buf, strlen(buf), sizeof(buf), &tok, &err) < 0) {
            cc_reply_error(res, CC_E_BAD_REQUEST, "Bad request: bulk_token: %s", err.msg);
            return;
        }
        json_t *id = json_object_get(tok, "id");
        if (id && !json_is_string(id)) {
            cc_reply_error(res, CC_E_BAD_REQUEST, "Bad request: bulk_token.id must be a string");
            goto out;
        }
        if (id)
            after = json_string_value(id);
    }
    cc_job_t *j = bulk_job(cc, req, res, bulk_apps_work);
    bulk_req_t *b = j->data;
    /* The token came from a 512-byte query value: its id fits. */
    snprintf(b->after, sizeof(b->after), "%s", after);
    snprintf(b->batch, sizeof(b->batch), "%llu", (unsigned long long)batch);
    cc_job_start(j);
out:
    json_decref(tok);
}

static void bulk_counts_work(cc_job_t *j, cc_db_t *db)
{
    bulk_req_t *b = j->data;
    cc_db_res_t rows = {0};
    hc_err_t err;
    if (cc_db_exec(db, b->users ? "SELECT COUNT(*) FROM users" : "SELECT COUNT(*) FROM apps", CC_P0,
                   &rows, &err) < 0) {
        cc_job_db_fail(j, "bulk counts", &err);
        return;
    }
    json_t *o = json_pack("{s:{s:I}}", "counts", "value", (json_int_t)cc_db_cell_int(&rows, 0, 0));
    cc_db_res_release(&rows);
    cc_job_reply_json(j, 200, o);
}

static void h_bulk_counts(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_ctx_t *cc = data;
    char model[32];
    if (bulk_auth(cc, req, res) < 0)
        return;
    if (cc_api_query(req, "model", model, sizeof(model)) < 0 ||
        (strcmp(model, "user") != 0 && strcmp(model, "app") != 0)) {
        cc_reply_error(res, CC_E_BAD_REQUEST, "Bad request: model must be user or app");
        return;
    }
    cc_job_t *j = bulk_job(cc, req, res, bulk_counts_work);
    ((bulk_req_t *)j->data)->users = strcmp(model, "user") == 0;
    cc_job_start(j);
}

void cc_api_bulk_routes(cc_ctx_t *cc, hc_http_server_t *srv)
{
    hc_http_server_route(srv, "GET", "/bulk/apps", h_bulk_apps, cc);
    hc_http_server_route(srv, "GET", "/bulk/counts", h_bulk_counts, cc);
}
