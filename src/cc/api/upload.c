/*
 * App bits: PUT /apps/NAME/application (multipart: the zip of the files the blob store lacks
 * plus the JSON list of resources it has), GET /apps/NAME/application (the package zip), and
 * PUT|POST /resources (resource matching). The heavy steps (writing, extracting, hashing,
 * packing, blob I/O) run on the thread pool; the loop only parses and updates the database.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "api/api.h"
#include "api/job.h"
#include "app.h"
#include "blob/archive.h"
#include "blob/blob.h"
#include "blob/multipart.h"
#include "blob/resources.h"
#include "db/db.h"
#include "hc_fs.h"
#include "hc_json.h"
#include "hc_log.h"
#include "hc_time.h"
#include "hc_uuid.h"
#include "orch.h"

/* Parses a resource list; replies 400/100 on error. */
static int parse_resources(json_t *arr, bool need_fn, cc_resource_t **ret, size_t *ret_n,
                           hc_http_res_t *res)
{
    hc_err_t err;
    if (cc_resources_parse(arr, need_fn, CC_MAX_RESOURCES, ret, ret_n, &err) < 0) {
        cc_reply_error(res, CC_E_BAD_REQUEST, "Bad request: %s", err.msg);
        return -EINVAL;
    }
    return 0;
}

static void free_resources(cc_resource_t *rs, size_t n)
{
    cc_resources_free(rs, n);
}

/* ---- PUT /resources ---- */

/*
 * On a worker: parses the descriptor list (up to CC_MAX_RESOURCES, a large body) and answers
 * with the ones the blob store has at the same size.
 */
static void match_work(cc_job_t *j, cc_db_t *db)
{
    cc_blob_t *blob = j->cc->blob;
    json_t *body = NULL;
    cc_resource_t *rs = NULL;
    size_t n = 0;
    hc_err_t err;
    (void)db;

    if (hc_json_parse(j->body.p, j->body.len, CC_MAX_JSON_BODY * 4, &body, &err) < 0) {
        cc_job_fail(j, CC_E_BAD_REQUEST, "Bad request: %s", err.msg);
        return;
    }
    int r = cc_resources_parse(body, false, CC_MAX_RESOURCES, &rs, &n, &err);
    json_decref(body);
    if (r < 0) {
        cc_job_fail(j, CC_E_BAD_REQUEST, "Bad request: %s", err.msg);
        return;
    }
    hc_buf_t out;
    hc_buf_init(&out, 0);
    hc_buf_append_byte(&out, '[');
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        char key[CC_SHA1_HEX + 8];
        uint64_t size = 0;
        snprintf(key, sizeof(key), "res/%s", rs[i].sha1);
        r = cc_blob_stat(blob, key, &size, &err);
        if (r < 0) {
            cc_job_fail(j, CC_E_SYSTEM, "System error: blob store unavailable");
            goto out;
        }
        if (r == 0 || size != rs[i].size)
            continue;
        hc_buf_appendf(&out, "%s{\"size\":%llu,\"sha1\":\"%s\"", first ? "" : ",",
                       (unsigned long long)rs[i].size, rs[i].sha1);
        if (rs[i].fn) {
            hc_buf_append_str(&out, ",\"fn\":");
            cc_json_put_str(&out, rs[i].fn);
        }
        hc_buf_append_byte(&out, '}');
        first = false;
    }
    hc_buf_append_byte(&out, ']');
    cc_job_reply_buf(j, 200, &out);
out:
    hc_buf_release(&out);
    free_resources(rs, n);
}

static void h_resources(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_job_t *j = cc_job_new(data, req, res, match_work);
    j->body = req->body; /* valid while the job holds res */
    cc_job_start(j);
}

/* ---- PUT /apps/NAME/application ---- */

typedef struct upload_job_s {
    cc_ctx_t *cc;
    hc_http_res_t *res;
    char guid[HC_UUID_STR_LEN + 1];
    char email[CC_MAX_EMAIL + 1];
    hc_str_t zip; /* points into the request body, alive while res is referenced */
    cc_resource_t *rs;
    size_t n;
    char sha1[CC_SHA1_HEX + 1];
    int error; /* < 0: failed; code picks the v1 error */
    hc_err_t err;
    /* The app's update, on the worker: the outcome for upload_done. */
    int code; /* a v1 error code, CC_E_DATABASE with err, or 0 once stored */
    cc_app_t app, before;
} upload_job_t;

static void store_package(upload_job_t *j);

/* Adds every regular file under dir to the batch (the resource pool). */
static int pool_files(cc_blob_batch_t *bt, const char *dir, const char *rel, int depth,
                      hc_err_t *err);

static int pool_one(cc_blob_batch_t *bt, const char *path, hc_err_t *err)
{
    char sha1[CC_SHA1_HEX + 1], key[CC_SHA1_HEX + 8];
    uint64_t size;
    int r = hc_sha1_file(path, 0, sha1, &size, err);
    if (r < 0)
        return r;
    snprintf(key, sizeof(key), "res/%s", sha1);
    return cc_blob_batch_put(bt, key, path, err);
}

static int pool_files(cc_blob_batch_t *bt, const char *dir, const char *rel, int depth,
                      hc_err_t *err)
{
    if (depth > 64)
        return 0;
    hc_autofree char *path = rel[0] ? hc_asprintf("%s/%s", dir, rel) : hc_strdup(dir);
    DIR *d = opendir(path);
    if (!d)
        return hc_err_set(err, -errno, "open `%s`", rel);
    struct dirent *de;
    int r = 0;
    while (r == 0 && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        hc_autofree char *sub =
            rel[0] ? hc_asprintf("%s/%s", rel, de->d_name) : hc_strdup(de->d_name);
        hc_autofree char *full = hc_asprintf("%s/%s", dir, sub);
        struct stat st;
        if (lstat(full, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode))
            r = pool_files(bt, dir, sub, depth + 1, err);
        else if (S_ISREG(st.st_mode))
            r = pool_one(bt, full, err);
    }
    closedir(d);
    return r;
}

/* Every uploaded file joins the pool, so the next push can skip it: one sync for them all. */
static int pool_tree(cc_blob_t *blob, const char *root, hc_err_t *err)
{
    cc_blob_batch_t *bt = cc_blob_batch_new(blob);
    int r = pool_files(bt, root, "", 0, err);
    if (r == 0)
        r = cc_blob_batch_commit(bt, err);
    cc_blob_batch_free(bt);
    return r;
}

static void upload_work(void *data)
{
    upload_job_t *j = data;
    cc_ctx_t *cc = j->cc;
    char rnd[17];
    hc_random_hex(rnd, 8);
    hc_autofree char *work = hc_asprintf("%s/up-%s", cc->tmp_dir, rnd);
    hc_autofree char *zip = hc_asprintf("%s/app.zip", work);
    hc_autofree char *root = hc_asprintf("%s/root", work);
    hc_autofree char *pkg = hc_asprintf("%s/package.zip", work);
    uint64_t files = 0, bytes = 0;
    int r;

    if (mkdir(work, 0700) < 0 || mkdir(root, 0755) < 0) {
        r = hc_err_set(&j->err, -errno, "create `%s`", work);
        goto out;
    }
    if (j->zip.len > 0) {
        r = hc_atomic_write_file(AT_FDCWD, zip, j->zip.p, j->zip.len, 0600, &j->err);
        if (r < 0)
            goto out;
        cc_extract_limits_t lim = {.max_bytes = cc->conf->max_unzipped,
                                   .max_files = (uint64_t)cc->conf->max_files};
        r = cc_archive_extract(zip, root, &lim, &files, &bytes, &j->err);
        if (r < 0)
            goto out;
        r = pool_tree(cc->blob, root, &j->err);
        if (r < 0)
            goto out;
    }
    for (size_t i = 0; i < j->n; i++) {
        cc_resource_t *res = &j->rs[i];
        char key[CC_SHA1_HEX + 8];
        uint64_t size = 0;
        if (++files > (uint64_t)cc->conf->max_files) {
            r = hc_err_set(&j->err, HC_ETOOBIG, "more than %lld files",
                           (long long)cc->conf->max_files);
            goto out;
        }
        snprintf(key, sizeof(key), "res/%s", res->sha1);
        r = cc_blob_stat(cc->blob, key, &size, &j->err);
        if (r < 0)
            goto out;
        if (r == 0 || size != res->size) {
            r = hc_err_set(&j->err, -ENOENT, "resource `%.200s` (%s) is not in the blob store",
                           res->fn, res->sha1);
            goto out;
        }
        bytes += size;
        if (bytes > cc->conf->max_unzipped) {
            r = hc_err_set(&j->err, HC_ETOOBIG, "app size is over the limit of %llu bytes",
                           (unsigned long long)cc->conf->max_unzipped);
            goto out;
        }
        int fd = cc_open_beneath(root, res->fn, (mode_t)res->mode);
        if (fd < 0) {
            r = hc_err_set(&j->err, fd == -EEXIST ? -EINVAL : fd, "resource `%.200s`", res->fn);
            goto out;
        }
        r = cc_blob_get(cc->blob, key, fd, &j->err);
        close(fd);
        if (r < 0)
            goto out;
    }
    r = cc_archive_pack(root, pkg, &j->err);
    if (r < 0)
        goto out;
    r = hc_sha1_file(pkg, 0, j->sha1, NULL, &j->err);
    if (r < 0)
        goto out;
    char key[CC_SHA1_HEX + 8];
    snprintf(key, sizeof(key), "pkg/%s", j->sha1);
    r = cc_blob_put(cc->blob, key, pkg, &j->err);
out:
    j->error = r;
    cc_rm_rf(work);
    if (r == 0)
        store_package(j);
}

/*
 * Points the app at the new package (re-read: it may have changed while the upload was
 * processed), on the worker with a pooled connection. Sets j->code, and j->app and j->before
 * for the orchestration once stored.
 */
static void store_package(upload_job_t *j)
{
    cc_db_t *db = cc_db_pool_acquire(j->cc->read_pool, &j->err);
    int r;
    if (!db) {
        j->code = CC_E_DATABASE;
        return;
    }
    j->code = CC_E_LOCKING;
    for (int attempt = 0; attempt < 3; attempt++) {
        cc_app_release(&j->app);
        cc_app_release(&j->before);
        r = cc_app_load_guid(db, j->guid, &j->app, &j->err);
        if (r == 0)
            r = cc_app_load_guid(db, j->guid, &j->before, &j->err);
        if (r == -ENOENT) {
            j->code = CC_E_APP_NOT_FOUND;
            goto out;
        }
        if (r < 0)
            goto dbfail;
        cc_app_t *app = &j->app;
        bool same_droplet =
            app->droplet_hash && app->staged_package && strcmp(app->staged_package, j->sha1) == 0;
        free(app->package_hash);
        app->package_hash = hc_strdup(j->sha1);
        free(app->package_state);
        app->package_state = hc_strdup(same_droplet ? "STAGED" : "PENDING");
        cc_app_touch(app);
        r = cc_db_begin(db, &j->err);
        if (r < 0)
            goto dbfail;
        r = cc_app_update(db, app, &j->err);
        if (r == -ESTALE) {
            cc_db_rollback(db);
            continue;
        }
        if (r < 0 || cc_event_add(db, app->guid, j->email, "app.upload", j->sha1, &j->err) < 0 ||
            cc_db_commit(db, &j->err) < 0)
            goto dbfail;
        cc_app_load_vcap(db, app); /* for the start messages orchestration sends */
        j->code = 0;
        goto out;
    }
    goto out;
dbfail:
    cc_db_rollback(db);
    j->code = CC_E_DATABASE;
out:
    cc_db_pool_release(j->cc->read_pool, db);
}

static void upload_done(void *data, int status)
{
    upload_job_t *j = data;
    cc_ctx_t *cc = j->cc;

    if (status != 0) {
        cc_reply_error(j->res, CC_E_SYSTEM, "System error");
        goto out;
    }
    if (j->error < 0) {
        hc_log_info("upload refused", "app", j->guid, "err", j->err.msg);
        if (j->error == -EINVAL || j->error == -ENOENT || j->error == HC_ETOOBIG ||
            j->error == -ELOOP)
            cc_reply_error(j->res, CC_E_PACKAGING_FAILED, "App packaging failed: '%s'", j->err.msg);
        else
            cc_reply_error(j->res, CC_E_SYSTEM, "System error: %s", j->err.msg);
        goto out;
    }
    if (j->code == CC_E_DATABASE) {
        cc_reply_db_error(j->res, "upload", &j->err);
    } else if (j->code == CC_E_APP_NOT_FOUND) {
        cc_reply_error(j->res, CC_E_APP_NOT_FOUND, "Application not found");
    } else if (j->code != 0) {
        cc_reply_error(j->res, CC_E_LOCKING, "Optimistic locking failure");
    } else {
        /* Stored: the DEAs hear of it even when the client went away meanwhile. */
        hc_log_info("package stored", "app", j->app.name, "sha1", j->sha1);
        cc_orch_app_changed(cc, &j->before, &j->app);
        cc_reply_empty(j->res, 200);
    }
out:
    cc_app_release(&j->app);
    cc_app_release(&j->before);
    free_resources(j->rs, j->n);
    hc_http_res_unref(j->res);
    free(j);
}

static void upload_then(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res,
                        const cc_user_t *user, cc_app_t *app)
{
    cc_mp_part_t parts[CC_MP_MAX_PARTS];
    size_t nparts = HC_ARRAY_SIZE(parts);
    hc_str_t boundary;
    json_t *list = NULL;
    hc_err_t err;

    if (cc_mp_boundary(hc_http_req_header(req, "Content-Type"), &boundary) < 0) {
        cc_reply_error(res, CC_E_BAD_REQUEST, "Bad request: expected multipart/form-data");
        goto out;
    }
    int r = cc_mp_parse(req->body.p, req->body.len, boundary, parts, &nparts);
    if (r < 0) {
        cc_reply_error(res, CC_E_BAD_REQUEST, "Bad request: %s",
                       r == HC_ETOOBIG ? "too many parts" : "malformed multipart body");
        goto out;
    }
    const cc_mp_part_t *zip = cc_mp_find(parts, nparts, "application");
    const cc_mp_part_t *resources = cc_mp_find(parts, nparts, "resources");
    if (!zip && !resources) {
        cc_reply_error(res, CC_E_BAD_REQUEST, "Bad request: no `application` or `resources` part");
        goto out;
    }
    upload_job_t *j = hc_calloc(1, sizeof(*j));
    if (resources && resources->data.len) {
        if (hc_json_parse(resources->data.p, resources->data.len, CC_MAX_JSON_BODY * 4, &list,
                          &err) < 0) {
            cc_reply_error(res, CC_E_BAD_REQUEST, "Bad request: resources: %s", err.msg);
            free(j);
            goto out;
        }
        if (parse_resources(list, true, &j->rs, &j->n, res) < 0) {
            free(j);
            goto out;
        }
    }
    j->cc = cc;
    j->res = hc_http_res_ref(res);
    snprintf(j->guid, sizeof(j->guid), "%s", app->guid);
    snprintf(j->email, sizeof(j->email), "%s", user->email);
    if (zip)
        j->zip = zip->data;
    cc_queue_work(cc, upload_work, upload_done, j);
out:
    json_decref(list);
}

/* The caller and the app are loaded on the thread pool, the rest goes on from the loop. */
static void h_upload(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_job_app_then(data, req, res, upload_then);
}

/* ---- GET /apps/NAME/application ---- */

typedef struct download_job_s {
    cc_ctx_t *cc;
    hc_http_res_t *res;
    char key[CC_SHA1_HEX + 8];
    char *data;
    size_t len;
    int error;
} download_job_t;

static void download_work(void *data)
{
    download_job_t *j = data;
    hc_err_t err;
    char rnd[17];
    hc_random_hex(rnd, 8);
    hc_autofree char *tmp = hc_asprintf("%s/dl-%s", j->cc->tmp_dir, rnd);
    int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        j->error = -errno;
        return;
    }
    unlink(tmp);
    j->error = cc_blob_get(j->cc->blob, j->key, fd, &err);
    if (j->error == 0) {
        off_t size = lseek(fd, 0, SEEK_CUR);
        j->len = (size_t)size;
        j->data = hc_malloc(j->len + 1);
        if (pread(fd, j->data, j->len, 0) != (ssize_t)j->len)
            j->error = -EIO;
    }
    close(fd);
}

static void download_done(void *data, int status)
{
    download_job_t *j = data;
    if (status != 0 || j->error < 0)
        cc_reply_error(j->res, CC_E_RESOURCE_NOT_FOUND, "Could not find the requested resource");
    else
        hc_http_reply(j->res, 200, "application/zip", j->data, j->len);
    hc_http_res_unref(j->res);
    free(j->data);
    free(j);
}

void cc_api_send_blob(cc_ctx_t *cc, hc_http_res_t *res, const char *key)
{
    download_job_t *j = hc_calloc(1, sizeof(*j));
    j->cc = cc;
    j->res = hc_http_res_ref(res);
    snprintf(j->key, sizeof(j->key), "%s", key);
    cc_queue_work(cc, download_work, download_done, j);
}

static void download_then(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res,
                          const cc_user_t *user, cc_app_t *app)
{
    (void)req;
    (void)user;
    if (!app->package_hash) {
        cc_reply_error(res, CC_E_RESOURCE_NOT_FOUND, "Could not find the requested resource");
    } else {
        char key[CC_SHA1_HEX + 8];
        snprintf(key, sizeof(key), "pkg/%s", app->package_hash);
        cc_api_send_blob(cc, res, key);
    }
}

static void h_download(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_job_app_then(data, req, res, download_then);
}

void cc_api_upload_routes(cc_ctx_t *cc, hc_http_server_t *srv)
{
    hc_http_server_route(srv, "PUT", "/resources", h_resources, cc);
    hc_http_server_route(srv, "POST", "/resources", h_resources, cc);
    hc_http_server_route(srv, "PUT", "/apps/:name/application", h_upload, cc);
    /* vmc sends POST with _method=put */
    hc_http_server_route(srv, "POST", "/apps/:name/application", h_upload, cc);
    hc_http_server_route(srv, "GET", "/apps/:name/application", h_download, cc);
}
