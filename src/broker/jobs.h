/*
 * jobs.h - the broker's work queue: operations on backing servers and broker.db writes run
 * on the libuv thread pool, one job at a time per service in FIFO order (an instance's jobs
 * always go to its service's queue, so they never overlap). A job owns copies of the
 * instance/binding it works on, so the worker never touches the loop's tables.
 */
#ifndef HEARTH_BROKER_JOBS_H
#define HEARTH_BROKER_JOBS_H

#include "broker.h"

typedef enum brk_job_kind_e {
    BRK_JOB_PROVISION,
    BRK_JOB_DEPROVISION,
    BRK_JOB_BIND,
    BRK_JOB_UNBIND,
    BRK_JOB_RECOVER,
    BRK_JOB_RECORD, /* only saves the instance as it is (before a 202 is sent) */
} brk_job_kind_t;

typedef void (*brk_job_done_fn)(brk_job_t *job);

struct brk_job_s {
    uv_work_t work;
    brk_job_t *next;
    brk_t *b;
    brk_job_kind_t kind;
    brk_inst_t *inst;      /* copy, owned */
    brk_binding_t *bd;     /* copy, owned (bind/unbind) */
    brk_binding_t **drops; /* deprovision: copies of the instance's bindings, owned */
    size_t num_drops;
    hc_http_res_t *res; /* referenced while a client waits (synchronous request), else NULL */
    brk_job_done_fn done;
    /* results, written by the worker */
    int result;
    hc_err_t err;
};

brk_job_t *brk_job_new(brk_t *b, brk_job_kind_t kind, const brk_inst_t *inst,
                       const brk_binding_t *bd, brk_job_done_fn done);
/* Queues the job; it runs after the ones before it. done runs on the loop, then it is freed. */
void brk_job_submit(brk_job_t *job);
/* Jobs queued or running. */
size_t brk_jobs_pending(const brk_t *b);

#endif
