/* The job queues over uv_queue_work, and what each job does on the worker thread. */
#include <string.h>

#include "jobs.h"
#include "store.h"

static void job_free(brk_job_t *job)
{
    brk_inst_free(job->inst);
    brk_binding_free(job->bd);
    for (size_t i = 0; i < job->num_drops; i++)
        brk_binding_free(job->drops[i]);
    free(job->drops);
    hc_http_res_unref(job->res);
    free(job);
}

brk_job_t *brk_job_new(brk_t *b, brk_job_kind_t kind, const brk_inst_t *inst,
                       const brk_binding_t *bd, brk_job_done_fn done)
{
    brk_job_t *job = hc_calloc(1, sizeof(*job));
    job->b = b;
    job->kind = kind;
    job->inst = inst ? brk_inst_dup(inst) : NULL;
    job->bd = bd ? brk_binding_dup(bd) : NULL;
    job->done = done;
    job->work.data = job;
    return job;
}

static void set_descr(brk_inst_t *inst, const char *s)
{
    free(inst->descr);
    inst->descr = s ? hc_strdup(s) : NULL;
}

static int do_provision(brk_job_t *job, const brk_svc_ops_t *ops)
{
    brk_t *b = job->b;
    brk_inst_t *inst = job->inst;
    inst->state = BRK_ST_PROVISIONING;
    set_descr(inst, "provisioning");
    int r = brk_store_put_inst(b, inst, &job->err);
    if (r < 0)
        return r;
    r = ops->provision(b->conf, inst, &job->err);
    hc_err_t serr = {0};
    if (r < 0 && job->res) {
        /* The client sees the error now and may retry: leave no trace. */
        ops->deprovision(b->conf, inst, &serr);
        brk_store_del_inst(b->db, inst->id, &serr);
        return r;
    }
    inst->state = r < 0 ? BRK_ST_FAILED : BRK_ST_READY;
    set_descr(inst, r < 0 ? job->err.msg : "ready");
    int r2 = brk_store_put_inst(b, inst, r < 0 ? &serr : &job->err);
    return r < 0 ? r : r2;
}

static int do_deprovision(brk_job_t *job, const brk_svc_ops_t *ops)
{
    brk_t *b = job->b;
    brk_inst_t *inst = job->inst;
    inst->state = BRK_ST_DEPROVISIONING;
    set_descr(inst, "deprovisioning");
    int r = brk_store_put_inst(b, inst, &job->err);
    for (size_t i = 0; r == 0 && i < job->num_drops; i++) {
        r = ops->unbind(b->conf, inst, job->drops[i], &job->err);
        if (r == 0)
            r = brk_store_del_binding(b->db, job->drops[i]->id, &job->err);
    }
    if (r == 0)
        r = ops->deprovision(b->conf, inst, &job->err);
    if (r == 0)
        return brk_store_del_inst(b->db, inst->id, &job->err);
    /* Still there: it stays usable as far as it is, and a DELETE may be retried. */
    hc_err_t serr = {0};
    inst->state = BRK_ST_READY;
    set_descr(inst, job->err.msg);
    brk_store_put_inst(b, inst, &serr);
    return r;
}

/*
 * The binding is saved without credentials first: a broker killed before the end finds it at
 * start and removes whatever the service had created (brk_resume), so no user leaks.
 */
static int do_bind(brk_job_t *job, const brk_svc_ops_t *ops)
{
    brk_t *b = job->b;
    json_t *creds = NULL;
    hc_err_t serr = {0};
    free(job->bd->creds);
    job->bd->creds = NULL;
    int r = brk_store_put_binding(b, job->bd, &job->err);
    if (r < 0)
        return r;
    r = ops->bind(b->conf, job->inst, job->bd, &creds, &job->err);
    if (r == 0) {
        job->bd->creds = json_dumps(creds, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(creds);
        if (!job->bd->creds)
            r = hc_err_set(&job->err, -ENOMEM, "could not encode the credentials");
    }
    if (r == 0)
        r = brk_store_put_binding(b, job->bd, &job->err);
    if (r < 0) {
        ops->unbind(b->conf, job->inst, job->bd, &serr);
        brk_store_del_binding(b->db, job->bd->id, &serr);
    }
    return r;
}

static void job_work(uv_work_t *w)
{
    brk_job_t *job = w->data;
    const brk_svc_ops_t *ops = brk_svc_ops(job->inst->svc);
    switch (job->kind) {
    case BRK_JOB_PROVISION:
        job->result = do_provision(job, ops);
        break;
    case BRK_JOB_DEPROVISION:
        job->result = do_deprovision(job, ops);
        break;
    case BRK_JOB_BIND:
        job->result = do_bind(job, ops);
        break;
    case BRK_JOB_UNBIND:
        job->result = ops->unbind(job->b->conf, job->inst, job->bd, &job->err);
        if (job->result == 0)
            job->result = brk_store_del_binding(job->b->db, job->bd->id, &job->err);
        break;
    case BRK_JOB_RECORD:
        job->result = brk_store_put_inst(job->b, job->inst, &job->err);
        break;
    case BRK_JOB_RECOVER:
        job->result = ops->recover ? ops->recover(job->b->conf, job->inst, &job->err) : 0;
        break;
    }
}

static void run_next(brk_t *b, int q);

static void job_after(uv_work_t *w, int status)
{
    brk_job_t *job = w->data;
    brk_t *b = job->b;
    int q = job->inst->svc;
    if (status < 0 && job->result == 0)
        job->result = hc_err_set(&job->err, status, "job cancelled");
    b->queues[q].head = job->next;
    if (!b->queues[q].head)
        b->queues[q].tail = NULL;
    b->queues[q].running = false;
    if (job->done)
        job->done(job);
    job_free(job);
    run_next(b, q);
}

static void run_next(brk_t *b, int q)
{
    if (b->queues[q].running || !b->queues[q].head)
        return;
    b->queues[q].running = true;
    int r = uv_queue_work(b->loop, &b->queues[q].head->work, job_work, job_after);
    hc_assert(r == 0);
}

void brk_job_submit(brk_job_t *job)
{
    brk_t *b = job->b;
    int q = job->inst->svc;
    if (b->queues[q].tail)
        b->queues[q].tail->next = job;
    else
        b->queues[q].head = job;
    b->queues[q].tail = job;
    run_next(b, q);
}

size_t brk_jobs_pending(const brk_t *b)
{
    size_t n = 0;
    for (int q = 0; q < BRK_SVC_COUNT; q++)
        for (const brk_job_t *j = b->queues[q].head; j; j = j->next)
            n++;
    return n;
}
