/*
 * api.h - what every REST handler of the CC shares: the v1 error replies, the logged-in
 * user, JSON bodies, path parameters, thread-pool work and audit events.
 */
#ifndef HEARTH_CC_API_H
#define HEARTH_CC_API_H

#include <jansson.h>

#include "cc.h"
#include "db/db.h"
#include "hc_http_server.h"

/* v1 error codes (cf-v1.md §1.2); cc_reply_error picks the HTTP status. */
enum {
    CC_E_BAD_REQUEST = 100,
    CC_E_DATABASE = 101,
    CC_E_LOCKING = 102,
    CC_E_SYSTEM = 111,
    CC_E_FORBIDDEN = 200,
    CC_E_USER_NOT_FOUND = 201,
    CC_E_APP_INVALID = 300,
    CC_E_APP_NOT_FOUND = 301,
    CC_E_NO_PLACEMENT = 302,
    CC_E_NOT_FOUND = 303,
    CC_E_INSTANCE_NOT_FOUND = 304,
    CC_E_APP_STOPPED = 305,
    CC_E_FILE_ERROR = 306,
    CC_E_FRAMEWORK_INVALID = 308,
    CC_E_STAGING_FAILED = 310,
    CC_E_RELEASE_NOT_FOUND = 320, /* 404 */
    CC_E_RELEASE_INVALID = 321,   /* 400: no release yet, or the current one */
    CC_E_DROPLET_GONE = 322,      /* 409: the release's droplet was collected */
    CC_E_RESOURCE_NOT_FOUND = 401,
    CC_E_PACKAGING_FAILED = 402,
    CC_E_SERVICE_NOT_FOUND = 500,
    CC_E_BINDING_NOT_FOUND = 501,
    CC_E_SERVICE_GATEWAY = 503,
    CC_E_QUOTA_SERVICES = 504,
    CC_E_QUOTA_MEMORY = 600,
    CC_E_QUOTA_APPS = 601,
    CC_E_QUOTA_URIS = 602,
    CC_E_URI_INVALID = 700,
    CC_E_URI_TAKEN = 701,
    CC_E_STAGING_TIMEOUT = 800,
};

typedef struct cc_user_s {
    char email[CC_MAX_EMAIL + 1];
    bool admin;
} cc_user_t;

/* HTTP status of a v1 error code (500 for unknown codes). */
int cc_error_status(int code);
/* Replies {"code":code,"description":"<fmt...>"} with the code's HTTP status. */
void cc_reply_error(hc_http_res_t *res, int code, const char *fmt, ...) HC_PRINTF(3, 4);
/* Replies 101 (database) or 111 and logs err once. */
void cc_reply_db_error(hc_http_res_t *res, const char *what, const hc_err_t *err);
/* 204 No Content. */
void cc_reply_empty(hc_http_res_t *res, int status);

/* True when email is an admin by configuration. Any thread (the configuration is fixed). */
bool cc_is_conf_admin(const cc_ctx_t *cc, const char *email);

/* The credentials of a request, copied out of it so another thread can check them. */
#define CC_MAX_TOKEN 512
typedef struct cc_auth_req_s {
    char token[CC_MAX_TOKEN + 1];
    size_t token_len; /* 0: none, or longer than CC_MAX_TOKEN */
    char proxy[CC_MAX_EMAIL + 1];
    bool proxy_set, proxy_too_long;
} cc_auth_req_t;
/* Copies the bearer token (Authorization: "bearer TOKEN", "Bearer TOKEN" or the bare token as
 * v1 clients send it) and the Proxy-User header of req into a. */
void cc_auth_capture(const hc_http_request_t *req, cc_auth_req_t *a);
/*
 * Finds the unexpired token's user on db and applies Proxy-User for admins. Returns 0 with
 * *user filled, or the v1 error code to answer: CC_E_FORBIDDEN, CC_E_USER_NOT_FOUND, or
 * CC_E_DATABASE with err set. Any thread, with a connection only it uses.
 */
int cc_auth_resolve(const cc_ctx_t *cc, cc_db_t *db, const cc_auth_req_t *a, cc_user_t *user,
                    hc_err_t *err);

/*
 * Parses the body as a JSON object (bounded by CC_MAX_JSON_BODY). Returns 0 and a new
 * reference, or -EINVAL after replying 400/100 with the parser's message.
 */
int cc_api_body_obj(const hc_http_request_t *req, hc_http_res_t *res, json_t **ret);

/*
 * Copies the percent-decoded path parameter `name` into out (size bytes). Returns 0, or
 * -EINVAL (missing, too long, bad escape, NUL or '/' after decoding).
 */
int cc_api_param(const hc_http_request_t *req, const char *name, char *out, size_t size);
/* The value of query parameter `name` (percent-decoded) into out; -ENOENT when absent. */
int cc_api_query(const hc_http_request_t *req, const char *name, char *out, size_t size);

/* App names: ^[A-Za-z0-9_-]{1,CC_MAX_NAME}$. */
bool cc_valid_name(const char *s);
/* Emails: 3..CC_MAX_EMAIL printable bytes with one '@', no '/', no spaces. */
bool cc_valid_email(const char *s);

/*
 * Runs work(data) on the libuv thread pool, then done(data, status) on the loop (status 0,
 * or UV_ECANCELED). Keeps the CC's pending count so a stop waits for it.
 */
typedef void (*cc_work_fn)(void *data);
typedef void (*cc_done_fn)(void *data, int status);
void cc_queue_work(cc_ctx_t *cc, cc_work_fn work, cc_done_fn done, void *data);
/*
 * Runs work(cc, db, data, err) on a worker with a pooled connection, then done(data, r, err) on
 * the loop: r is what work returned, -EIO when no connection could be had (err set), or
 * UV_ECANCELED. For work that is no REST reply (orchestration, bindings). Loop thread.
 */
typedef int (*cc_db_work_fn)(cc_ctx_t *cc, cc_db_t *db, void *data, hc_err_t *err);
typedef void (*cc_db_done_fn)(void *data, int r, const hc_err_t *err);
void cc_queue_db_work(cc_ctx_t *cc, cc_db_work_fn work, cc_db_done_fn done, void *data);

/* Records an audit event for an app on db (inside or outside a transaction). Any thread. */
int cc_event_add(cc_db_t *db, const char *app_guid, const char *email, const char *action,
                 const char *detail, hc_err_t *err);

/* Sends blob `key` as a 200 response body (read on the thread pool), or 404/401. */
void cc_api_send_blob(cc_ctx_t *cc, hc_http_res_t *res, const char *key);

/*
 * Brings the app's service bindings in line with its new `services` list (names of the
 * owner's instances), in two halves. cc_services_sync_prepare runs on a worker after the app's
 * transaction committed (db is its connection): it finds the instances to bind (and their
 * brokers) and removes the dropped bindings from the database. cc_services_sync_run, on the
 * loop, asks the brokers (binds; unbinds after the database) and stores each new binding's
 * credentials on a worker; done (may be NULL) is then called on the loop once every new
 * binding's broker request has ended, stored or failed (at once when there is none), so an
 * app is (re)started only with its new credentials in VCAP_SERVICES. Failures are logged.
 * after may be NULL (app deleted). run consumes sync (NULL: nothing to do); a prepared sync
 * that will not run is freed with cc_services_sync_free.
 */
typedef struct cc_sync_s cc_sync_t;
typedef void (*cc_services_synced_fn)(cc_ctx_t *cc, void *ud);
cc_sync_t *cc_services_sync_prepare(cc_ctx_t *cc, cc_db_t *db, const char *app_guid,
                                    const char *owner, const json_t *before, const json_t *after);
void cc_services_sync_run(cc_ctx_t *cc, cc_sync_t *sync, cc_services_synced_fn done, void *ud);
void cc_services_sync_free(cc_sync_t *sync);

/* Route registration per resource file. */
void cc_api_info_routes(cc_ctx_t *cc, hc_http_server_t *srv);
void cc_api_users_routes(cc_ctx_t *cc, hc_http_server_t *srv);
void cc_api_apps_routes(cc_ctx_t *cc, hc_http_server_t *srv);
void cc_api_upload_routes(cc_ctx_t *cc, hc_http_server_t *srv);
void cc_api_instances_routes(cc_ctx_t *cc, hc_http_server_t *srv);
void cc_api_services_routes(cc_ctx_t *cc, hc_http_server_t *srv);
void cc_api_bulk_routes(cc_ctx_t *cc, hc_http_server_t *srv);
void cc_api_staging_routes(cc_ctx_t *cc, hc_http_server_t *srv);

#endif
