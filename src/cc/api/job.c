/* Handler work on the thread pool with a pooled database connection (api/job.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api/job.h"
#include "hc_json.h"
#include "hc_log.h"

cc_job_t *cc_job_new(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res, cc_job_fn fn)
{
    cc_job_t *j = hc_calloc(1, sizeof(*j));
    j->cc = cc;
    j->res = hc_http_res_ref(res);
    j->fn = fn;
    cc_auth_capture(req, &j->auth);
    return j;
}

cc_job_t *cc_job_new_data(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res,
                          cc_job_fn fn, void *data, void (*free_data)(void *data),
                          bool (*after)(cc_job_t *job, int status))
{
    cc_job_t *j = cc_job_new(cc, req, res, fn);
    j->data = data;
    j->free_data = free_data;
    j->after = after;
    return j;
}

void cc_job_set_name(cc_job_t *job, const hc_http_request_t *req)
{
    if (cc_api_param(req, "name", job->name, sizeof(job->name)) < 0)
        job->name[0] = '\0';
}

void cc_job_set_app_name(cc_job_t *job, const hc_http_request_t *req)
{
    cc_job_set_name(job, req);
    if (!cc_valid_name(job->name))
        job->name[0] = '\0';
}

void cc_job_fail(cc_job_t *job, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    job->code = code;
    vsnprintf(job->msg, sizeof(job->msg), fmt, ap);
    va_end(ap);
}

void cc_job_db_fail(cc_job_t *job, const char *what, const hc_err_t *err)
{
    job->code = CC_E_DATABASE;
    job->what = what;
    job->err = *err;
}

int cc_job_body_obj(cc_job_t *job, json_t **ret)
{
    hc_err_t err;
    if (hc_json_parse_obj(job->body.p, job->body.len, CC_MAX_JSON_BODY, ret, &err) < 0) {
        cc_job_fail(job, CC_E_BAD_REQUEST, "Bad request: %s", err.msg);
        return -EINVAL;
    }
    return 0;
}

void cc_job_reply_buf(cc_job_t *job, int status, hc_buf_t *buf)
{
    if (buf->overflow) {
        cc_job_fail(job, CC_E_SYSTEM, "System error: the response is too large");
        return;
    }
    job->status = status;
    job->ctype = "application/json";
    job->out = hc_buf_detach(buf, &job->out_len);
}

void cc_job_reply_json(cc_job_t *job, int status, json_t *json)
{
    hc_buf_t out;
    hc_buf_init(&out, 0);
    hc_json_dump(json, JSON_COMPACT, &out);
    json_decref(json);
    cc_job_reply_buf(job, status, &out);
    hc_buf_release(&out);
}

static void job_work(void *data)
{
    cc_job_t *j = data;
    hc_err_t err;
    cc_db_t *db = cc_db_pool_acquire(j->cc->read_pool, &err);
    if (!db) {
        cc_job_db_fail(j, "connect", &err);
        return;
    }
    int code = 0;
    if (j->auth_mode == CC_JOB_AUTH_OPTIONAL) {
        j->auth.proxy_set = false;
        /* A failed lookup (even a database error) is answered as an anonymous caller. */
        code = cc_auth_resolve(j->cc, db, &j->auth, &j->user, &err);
        j->authed = code == 0;
        if (!j->authed)
            memset(&j->user, 0, sizeof(j->user));
        code = 0;
    } else if (j->auth_mode == CC_JOB_AUTH_TOKEN) {
        code = cc_auth_resolve(j->cc, db, &j->auth, &j->user, &err);
        j->authed = code == 0;
    }
    if (code == CC_E_DATABASE)
        cc_job_db_fail(j, "authenticate", &err);
    else if (code == CC_E_USER_NOT_FOUND)
        cc_job_fail(j, code, "User not found");
    else if (code != 0)
        cc_job_fail(j, code, "Operation not permitted");
    else
        j->fn(j, db);
    cc_db_pool_release(j->cc->read_pool, db);
}

static void job_done(void *data, int status)
{
    cc_job_t *j = data;
    if (j->after && j->after(j, status)) {
        /* Replied by the handler. */
    } else if (hc_http_res_cancelled(j->res)) {
        /* The client went away: nothing to send. */
    } else if (status != 0) {
        cc_reply_error(j->res, CC_E_SYSTEM, "System error");
    } else if (j->code == CC_E_DATABASE) {
        cc_reply_db_error(j->res, j->what ? j->what : "query", &j->err);
    } else if (j->code != 0) {
        cc_reply_error(j->res, j->code, "%s", j->msg);
    } else if (j->out) {
        hc_http_reply_take(j->res, j->status, j->ctype, j->out, j->out_len);
        j->out = NULL;
    } else {
        cc_reply_empty(j->res, j->status ? j->status : 204);
    }
    free(j->out);
    if (j->free_data)
        j->free_data(j->data);
    hc_http_res_unref(j->res);
    free(j);
}

void cc_job_start(cc_job_t *job)
{
    cc_queue_work(job->cc, job_work, job_done, job);
}
