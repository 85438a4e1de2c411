/*
 * job.h - REST handlers whose database work runs on the thread pool (STYLE R20): the loop
 * copies what the handler needs out of the request, a worker takes a pooled connection (one
 * thread per connection at a time), authenticates the caller, runs the handler's work (its
 * reads and its transactions) and prepares the reply body; the loop then runs the optional
 * after hook (rate limits, the bus, the broker, orchestration: what only the loop may touch)
 * and sends the reply. The work touches nothing the loop owns: only the job, the fixed
 * configuration, the connection it was given and the blob store (thread-safe).
 */
#ifndef HEARTH_CC_API_JOB_H
#define HEARTH_CC_API_JOB_H

#include "api/api.h"

typedef struct cc_job_s cc_job_t;
/* How the worker authenticates the caller before fn runs. */
typedef enum cc_job_auth_e {
    CC_JOB_AUTH_TOKEN = 0, /* a valid bearer token (and Proxy-User) or the job fails 403/200 */
    CC_JOB_AUTH_OPTIONAL,  /* a valid token sets authed and user; Proxy-User is ignored */
    CC_JOB_AUTH_NONE,      /* the handler checked its own credentials on the loop */
} cc_job_auth_t;
/* Runs on a worker thread with db (the job's own connection until it returns). */
typedef void (*cc_job_fn)(cc_job_t *job, cc_db_t *db);

struct cc_job_s {
    cc_ctx_t *cc;       /* read-only on the worker */
    hc_http_res_t *res; /* referenced until the reply: the request's slices stay valid */
    cc_auth_req_t auth;
    cc_job_auth_t auth_mode;
    bool authed;                /* the caller presented a valid token */
    cc_user_t user;             /* the caller, filled before fn runs */
    char name[CC_MAX_NAME + 1]; /* the NAME path parameter, when the handler sets it */
    hc_str_t body;              /* the request body (a slice of the request) */
    cc_job_fn fn;
    void *data; /* the handler's own state */
    void (*free_data)(void *data);
    /*
     * Optional, on the loop after fn (even when the client went away, when status is
     * UV_ECANCELED or when the job failed): loop-owned state (rate limits, the bus,
     * orchestration) is updated here from what fn left in data. Returns true when it sent the
     * reply itself (or there is none to send), false to send the outcome below.
     */
    bool (*after)(cc_job_t *job, int status);
    /* The outcome, set by fn through the helpers below. */
    int code; /* a v1 error code to answer, or 0 */
    char msg[512];
    hc_err_t err;     /* with CC_E_DATABASE: the cause, logged on the loop */
    const char *what; /* with CC_E_DATABASE: the operation, for the log */
    int status;
    const char *ctype;
    char *out; /* the reply body (malloc'd), sent without a copy */
    size_t out_len;
};

/*
 * A job for the request: copies its credentials, references res. The handler may fill name,
 * body and data, then calls cc_job_start. Loop thread.
 */
cc_job_t *cc_job_new(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res, cc_job_fn fn);
/* cc_job_new with the handler's data, its free function and the after hook set. */
cc_job_t *cc_job_new_data(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res,
                          cc_job_fn fn, void *data, void (*free_data)(void *data),
                          bool (*after)(cc_job_t *job, int status));
/* Copies the NAME path parameter into job->name ("" when it is missing or too long). */
void cc_job_set_name(cc_job_t *job, const hc_http_request_t *req);
/* The same for an app's NAME, where a name no app can have also becomes "": it is only "not
 * found" once the caller is authenticated (an unauthenticated request gets 403). */
void cc_job_set_app_name(cc_job_t *job, const hc_http_request_t *req);
/* Queues the job on the thread pool; the reply is sent from the loop when it is done. */
void cc_job_start(cc_job_t *job);

/* Outcome helpers for fn (worker thread). */
void cc_job_fail(cc_job_t *job, int code, const char *fmt, ...) HC_PRINTF(3, 4);
void cc_job_db_fail(cc_job_t *job, const char *what, const hc_err_t *err);
/* Parses job->body as a JSON object (new reference in *ret); fails the job 400/100 otherwise. */
int cc_job_body_obj(cc_job_t *job, json_t **ret);
/* Takes buf's bytes as a JSON reply (500 when the buffer overflowed). */
void cc_job_reply_buf(cc_job_t *job, int status, hc_buf_t *buf);
/* Takes json (a new reference, consumed) as the reply. */
void cc_job_reply_json(cc_job_t *job, int status, json_t *json);

/*
 * Loads the caller's app named by job->name (empty: not found) on db. Returns 0, or < 0 after
 * failing the job (404/301, 500/101). Worker; release the app with cc_app_release.
 */
struct cc_app_s;
int cc_job_load_app(cc_job_t *job, cc_db_t *db, struct cc_app_s *app);

/*
 * A handler in two halves: a worker authenticates the caller and loads their app named by the
 * NAME path parameter, then fn continues on the loop with them (for what only the loop may
 * touch: the bus, the DEAs, orchestration, the staging logs). Failures (403/200, 404/301,
 * 500/101) are answered without calling fn; fn owns the reply as a handler would (req and res
 * stay valid during the call; fn takes its own reference to answer later). Loop thread.
 */
typedef void (*cc_app_then_fn)(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res,
                               const cc_user_t *user, struct cc_app_s *app);
void cc_job_app_then(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res,
                     cc_app_then_fn fn);
/* The same with the caller only: a worker checks the token, fn goes on from the loop. */
typedef void (*cc_user_then_fn)(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res,
                                const cc_user_t *user);
void cc_job_auth_then(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res,
                      cc_user_then_fn fn);

#endif
