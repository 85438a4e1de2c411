/*
 * The DEA side of staging: GET /staging/packages/GUID/SHA1/TOKEN (the package to stage),
 * POST|PUT /staging/droplets/GUID/SHA1/TOKEN (the droplet built from package SHA1), both
 * with a short-lived signed token from the staging request; GET /staged_droplets/GUID/SHA1
 * (v1: the droplet's SHA-1 is the capability). For users: GET /apps/NAME/staging_log
 * (PUT /apps/NAME/update, the restage, is in api/apps.c with the other app writes).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/job.h"
#include "app.h"
#include "blob/blob.h"
#include "blob/multipart.h"
#include "db/db.h"
#include "hc_fs.h"
#include "hc_json.h"
#include "hc_log.h"
#include "hc_time.h"
#include "hc_uuid.h"
#include "orch.h"
#include "release.h"

/* Reads the GUID, SHA1 and TOKEN path parameters; replies 404/401 when malformed. */
static int staging_params(const hc_http_request_t *req, hc_http_res_t *res, char *guid, char *sha1,
                          char *token)
{
    if (cc_api_param(req, "guid", guid, HC_UUID_STR_LEN + 1) < 0 ||
        !hc_uuid_valid(guid, strlen(guid)) || cc_api_param(req, "sha1", sha1, 41) < 0 ||
        !cc_sha1_valid(sha1) || (token && cc_api_param(req, "token", token, CC_TOKEN_MAX) < 0)) {
        cc_reply_error(res, CC_E_RESOURCE_NOT_FOUND, "Could not find the requested resource");
        return -EINVAL;
    }
    return 0;
}

static void h_package(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_ctx_t *cc = data;
    char guid[HC_UUID_STR_LEN + 1], sha1[41], token[CC_TOKEN_MAX], key[48];
    if (staging_params(req, res, guid, sha1, token) < 0)
        return;
    if (!cc_orch_token_ok(cc, "pkg", guid, sha1, token)) {
        cc_reply_error(res, CC_E_FORBIDDEN, "Operation not permitted: bad or expired token");
        return;
    }
    snprintf(key, sizeof(key), "pkg/%s", sha1);
    cc_api_send_blob(cc, res, key);
}

/* GET /staged_droplets/GUID/SHA1: the app's current droplet is checked on a worker. */
typedef struct staged_s {
    char guid[HC_UUID_STR_LEN + 1], sha1[41];
} staged_t;

static void staged_work(cc_job_t *j, cc_db_t *db)
{
    staged_t *d = j->data;
    cc_app_t app = {0};
    hc_err_t err;
    if (cc_app_load_guid(db, d->guid, &app, &err) < 0 || !app.droplet_hash ||
        strcmp(app.droplet_hash, d->sha1) != 0)
        cc_job_fail(j, CC_E_APP_NOT_FOUND, "Application not found");
    cc_app_release(&app);
}

/* The blob is read by another thread-pool job, started from the loop. */
static bool staged_after(cc_job_t *j, int status)
{
    staged_t *d = j->data;
    char key[48];
    if (status != 0 || j->code != 0 || hc_http_res_cancelled(j->res))
        return false;
    snprintf(key, sizeof(key), "drop/%s", d->sha1);
    cc_api_send_blob(j->cc, j->res, key);
    return true;
}

static void h_staged_droplet(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    char guid[HC_UUID_STR_LEN + 1], sha1[41];
    if (staging_params(req, res, guid, sha1, NULL) < 0)
        return;
    cc_job_t *j = cc_job_new(data, req, res, staged_work);
    j->auth_mode = CC_JOB_AUTH_NONE; /* the droplet's SHA-1 is its capability, as before */
    staged_t *d = hc_calloc(1, sizeof(*d));
    snprintf(d->guid, sizeof(d->guid), "%s", guid);
    snprintf(d->sha1, sizeof(d->sha1), "%s", sha1);
    j->data = d;
    j->free_data = free;
    j->after = staged_after;
    cc_job_start(j);
}

typedef struct droplet_job_s {
    cc_ctx_t *cc;
    hc_http_res_t *res;
    char guid[HC_UUID_STR_LEN + 1];
    char package[41];
    char sha1[41];
    hc_str_t body;
    int error;
    hc_err_t err;
    bool db_failed; /* err is the database's */
    int64_t changes;
} droplet_job_t;

/*
 * Only a droplet of the app's current package makes it STAGED; a new droplet is a release
 * ("Deploy <package>"), in the same transaction. Sets j->changes (0: the app or its bits
 * changed meanwhile).
 */
static int droplet_record(droplet_job_t *j, cc_db_t *db)
{
    cc_db_res_t rows = {0};
    cc_app_t app = {0};
    char desc[32];
    int r = cc_db_begin(db, &j->err);
    if (r < 0)
        return r;
    r = cc_app_load_guid(db, j->guid, &app, &j->err);
    if (r == -ENOENT)
        goto done;
    if (r < 0)
        goto fail;
    bool is_new = !app.droplet_hash || strcmp(app.droplet_hash, j->sha1) != 0;
    r = cc_db_exec(db,
                   "UPDATE apps SET droplet_hash = ?, staged_package = ?, package_state = 'STAGED',"
                   " lock_version = lock_version + 1 WHERE guid = ? AND package_hash = ?",
                   CC_P(j->sha1, j->package, j->guid, j->package), &rows, &j->err);
    if (r < 0)
        goto fail;
    j->changes = (int64_t)rows.changes;
    if (j->changes > 0 && is_new) {
        /* The row as it is now that this transaction holds it (its env, its command). */
        cc_app_release(&app);
        r = cc_app_load_guid(db, j->guid, &app, &j->err);
        if (r < 0)
            goto fail;
        snprintf(desc, sizeof(desc), "Deploy %.7s", j->package);
        r = cc_release_add(db, &app, app.owner, desc, NULL, &j->err);
        if (r < 0)
            goto fail;
    }
done:
    r = cc_db_commit(db, &j->err);
    if (r < 0)
        goto fail;
    goto out;
fail:
    cc_db_rollback(db);
out:
    cc_db_res_release(&rows);
    cc_app_release(&app);
    return r;
}

static void droplet_work(void *data)
{
    droplet_job_t *j = data;
    char rnd[17], key[48];
    hc_random_hex(rnd, 8);
    hc_autofree char *tmp = hc_asprintf("%s/droplet-%s", j->cc->tmp_dir, rnd);
    j->error = hc_atomic_write_file(AT_FDCWD, tmp, j->body.p, j->body.len, 0600, &j->err);
    if (j->error == 0)
        j->error = hc_sha1_file(tmp, 0, j->sha1, NULL, &j->err);
    if (j->error == 0) {
        snprintf(key, sizeof(key), "drop/%s", j->sha1);
        j->error = cc_blob_put(j->cc->blob, key, tmp, &j->err);
    }
    unlink(tmp);
    if (j->error < 0)
        return;
    cc_db_t *db = cc_db_pool_acquire(j->cc->read_pool, &j->err);
    if (!db || droplet_record(j, db) < 0) {
        j->db_failed = true;
        j->error = -EIO;
    }
    cc_db_pool_release(j->cc->read_pool, db);
}

static void droplet_done(void *data, int status)
{
    droplet_job_t *j = data;
    if (status == 0 && j->db_failed) {
        cc_reply_db_error(j->res, "droplet", &j->err);
        goto out;
    }
    if (status != 0 || j->error < 0) {
        hc_log_error("storing droplet failed", "app", j->guid, "err", j->err.msg);
        cc_reply_error(j->res, CC_E_SYSTEM, "System error: storing the droplet failed");
        goto out;
    }
    if (j->changes == 0) {
        cc_reply_error(j->res, CC_E_APP_NOT_FOUND, "Application not found or its bits changed");
        goto out;
    }
    hc_log_info("droplet stored", "app", j->guid, "sha1", j->sha1);
    json_t *o = hc_json_obj();
    hc_json_set_str(o, "droplet_sha1", j->sha1);
    hc_http_reply_json(j->res, 200, o);
out:
    hc_http_res_unref(j->res);
    free(j);
}

static void h_droplet_upload(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_ctx_t *cc = data;
    char guid[HC_UUID_STR_LEN + 1], sha1[41], token[CC_TOKEN_MAX];
    hc_str_t body = req->body, boundary;
    if (staging_params(req, res, guid, sha1, token) < 0)
        return;
    if (!cc_orch_token_ok(cc, "drop", guid, sha1, token)) {
        cc_reply_error(res, CC_E_FORBIDDEN, "Operation not permitted: bad or expired token");
        return;
    }
    /* Raw body, or multipart with the v1 field upload[droplet] (or droplet). */
    if (cc_mp_boundary(hc_http_req_header(req, "Content-Type"), &boundary) == 0) {
        cc_mp_part_t parts[CC_MP_MAX_PARTS];
        size_t n = HC_ARRAY_SIZE(parts);
        const cc_mp_part_t *p = NULL;
        if (cc_mp_parse(req->body.p, req->body.len, boundary, parts, &n) == 0 &&
            !(p = cc_mp_find(parts, n, "upload[droplet]")))
            p = cc_mp_find(parts, n, "droplet");
        if (!p) {
            cc_reply_error(res, CC_E_BAD_REQUEST, "Bad request: no droplet part");
            return;
        }
        body = p->data;
    }
    if (body.len == 0) {
        cc_reply_error(res, CC_E_BAD_REQUEST, "Bad request: empty droplet");
        return;
    }
    droplet_job_t *j = hc_calloc(1, sizeof(*j));
    j->cc = cc;
    j->res = hc_http_res_ref(res);
    snprintf(j->guid, sizeof(j->guid), "%s", guid);
    snprintf(j->package, sizeof(j->package), "%s", sha1);
    j->body = body;
    cc_queue_work(cc, droplet_work, droplet_done, j);
}

static void staging_log_then(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res,
                             const cc_user_t *user, cc_app_t *app)
{
    (void)req;
    (void)user;
    size_t len = 0;
    const char *log = cc_orch_staging_log(cc, app->guid, &len);
    if (!log)
        cc_reply_error(res, CC_E_NOT_FOUND, "Could not find : 'staging log'");
    else
        hc_http_reply(res, 200, "text/plain; charset=utf-8", log, len);
}

/* The caller and the app are loaded on the thread pool; the log is the loop's (orch). */
static void h_staging_log(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_job_app_then(data, req, res, staging_log_then);
}

void cc_api_staging_routes(cc_ctx_t *cc, hc_http_server_t *srv)
{
    hc_http_server_route(srv, "GET", "/staging/packages/:guid/:sha1/:token", h_package, cc);
    hc_http_server_route(srv, "POST", "/staging/droplets/:guid/:sha1/:token", h_droplet_upload, cc);
    hc_http_server_route(srv, "PUT", "/staging/droplets/:guid/:sha1/:token", h_droplet_upload, cc);
    hc_http_server_route(srv, "GET", "/staged_droplets/:guid/:sha1", h_staged_droplet, cc);
    hc_http_server_route(srv, "GET", "/apps/:name/staging_log", h_staging_log, cc);
}
