/*
 * Jobs that load the caller's app, and handlers that continue on the loop once a worker has
 * authenticated the caller and loaded their app (api/job.h).
 */
#include <string.h>

#include "api/job.h"
#include "app.h"

int cc_job_load_app(cc_job_t *job, cc_db_t *db, cc_app_t *app)
{
    hc_err_t err;
    int r = job->name[0] ? cc_app_load(db, job->user.email, job->name, app, &err) : -ENOENT;
    if (r == -ENOENT)
        cc_job_fail(job, CC_E_APP_NOT_FOUND, "Application not found");
    else if (r < 0)
        cc_job_db_fail(job, "load app", &err);
    return r;
}

typedef struct then_s {
    cc_app_then_fn fn;
    cc_user_then_fn user_fn; /* cc_job_auth_then: no app */
    cc_app_t app;
    bool loaded;
} then_t;

static void then_free(void *data)
{
    then_t *t = data;
    if (t->loaded)
        cc_app_release(&t->app);
    free(t);
}

static void then_work(cc_job_t *j, cc_db_t *db)
{
    then_t *t = j->data;
    if (!t->user_fn)
        t->loaded = cc_job_load_app(j, db, &t->app) == 0;
}

static bool then_after(cc_job_t *j, int status)
{
    then_t *t = j->data;
    if (status != 0 || j->code != 0 || (!t->user_fn && !t->loaded) || hc_http_res_cancelled(j->res))
        return false; /* job_done answers the failure (or nothing, when cancelled) */
    if (t->user_fn)
        t->user_fn(j->cc, hc_http_res_request(j->res), j->res, &j->user);
    else
        t->fn(j->cc, hc_http_res_request(j->res), j->res, &j->user, &t->app);
    return true;
}

static cc_job_t *then_job(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res,
                          cc_app_then_fn fn, cc_user_then_fn user_fn)
{
    then_t *t = hc_calloc(1, sizeof(*t));
    t->fn = fn;
    t->user_fn = user_fn;
    return cc_job_new_data(cc, req, res, then_work, t, then_free, then_after);
}

void cc_job_auth_then(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res,
                      cc_user_then_fn fn)
{
    cc_job_start(then_job(cc, req, res, NULL, fn));
}

void cc_job_app_then(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res,
                     cc_app_then_fn fn)
{
    cc_job_t *j = then_job(cc, req, res, fn, NULL);
    cc_job_set_app_name(j, req);
    cc_job_start(j);
}
