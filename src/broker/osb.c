/* The OSBAPI v2 routes: catalog, provision, deprovision, bind, unbind, last_operation. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hc_json.h"
#include "hc_uuid.h"
#include "jobs.h"
#include "req.h"

#define API_HEADER "X-Broker-API-Version"

static void reply_err(hc_http_res_t *res, int status, const char *error, const char *descr)
{
    json_t *o = hc_json_obj();
    if (error)
        hc_json_set_str(o, "error", error);
    hc_json_set_str(o, "description", descr);
    hc_http_reply_json(res, status, o);
}

static void reply_empty(hc_http_res_t *res, int status)
{
    hc_http_reply_json(res, status, hc_json_obj());
}

static void reply_op(hc_http_res_t *res, const char *op)
{
    json_t *o = hc_json_obj();
    hc_json_set_str(o, "operation", op);
    hc_http_reply_json(res, 202, o);
}

/* Basic auth (constant-time compare), then the API version header. */
static bool gate(brk_t *b, const hc_http_request_t *req, hc_http_res_t *res)
{
    hc_str_t auth = hc_http_req_header(req, "Authorization");
    size_t want = strlen(b->auth);
    /* The scheme is case-insensitive (RFC 9110 §11.1), the credentials are compared in
     * constant time. */
    if (!auth.p || auth.len != want || strncasecmp(auth.p, "Basic ", 6) != 0 ||
        sodium_memcmp(auth.p + 6, b->auth + 6, want - 6) != 0) {
        hc_http_res_set_header(res, "WWW-Authenticate", "Basic realm=\"hearth-broker\"");
        reply_err(res, 401, NULL, "bad or missing credentials");
        return false;
    }
    if (!brk_api_version_ok(hc_http_req_header(req, API_HEADER), b->conf->api_version_min)) {
        char msg[128];
        snprintf(msg, sizeof(msg), API_HEADER " %s or a later 2.x is required",
                 b->conf->api_version_min);
        reply_err(res, 412, NULL, msg);
        return false;
    }
    return true;
}

/* Copies the capture `name` into out when it is a valid id; else replies 400. */
static bool get_id(const hc_http_request_t *req, hc_http_res_t *res, const char *name,
                   char out[BRK_MAX_ID + 1])
{
    hc_str_t v = hc_http_req_param(req, name);
    if (!brk_id_valid(v)) {
        reply_err(res, 400, NULL, "ids are 1..64 characters of [A-Za-z0-9._-]");
        return false;
    }
    memcpy(out, v.p, v.len);
    out[v.len] = '\0';
    return true;
}

static bool accepts_incomplete(const hc_http_request_t *req)
{
    char v[16];
    return brk_query_get(req->query, "accepts_incomplete", v, sizeof(v)) == 1 &&
           strcmp(v, "true") == 0;
}

static void on_catalog(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    brk_t *b = data;
    if (!gate(b, req, res))
        return;
    hc_http_reply(res, 200, "application/json", b->json_catalog, strlen(b->json_catalog));
}

static bool str_eq_null(const char *a, const char *c)
{
    return (!a && !c) || (a && c && strcmp(a, c) == 0);
}

static void provision_done(brk_job_t *job)
{
    brk_t *b = job->b;
    brk_inst_t *inst = brk_inst_find(b, job->inst->id);
    hc_assert(inst);
    inst->busy = false;
    if (job->result < 0) {
        hc_log_warn("provision failed", "instance", inst->id, "err", job->err.msg);
        if (job->res) {
            brk_inst_remove(b, inst);
            reply_err(job->res, 500, NULL, job->err.msg);
            return;
        }
        inst->state = BRK_ST_FAILED;
    } else {
        hc_log_info("provisioned", "instance", inst->id, "service", brk_service(inst->svc)->name);
        inst->state = BRK_ST_READY;
        memcpy(inst->secret, job->inst->secret, sizeof(inst->secret));
        inst->port = job->inst->port;
    }
    free(inst->descr);
    inst->descr = hc_strdup(job->result < 0 ? job->err.msg : "ready");
    if (job->res)
        reply_empty(job->res, 201);
}

static void record_done(brk_job_t *job)
{
    const char *op = job->inst->state == BRK_ST_DEPROVISIONING ? "deprovision" : "provision";
    if (job->result < 0) {
        /* The operation queued behind still runs; the platform polls last_operation. */
        hc_log_warn("could not save the instance", "instance", job->inst->id, "err", job->err.msg);
    }
    reply_op(job->res, op);
}

/*
 * An asynchronous operation is acknowledged (202) only once broker.db knows about it, so a
 * broker killed right after the 202 finds the operation at start and finishes it.
 */
static void record_then_accept(brk_t *b, brk_inst_t *inst, hc_http_res_t *res)
{
    brk_job_t *job = brk_job_new(b, BRK_JOB_RECORD, inst, NULL, record_done);
    job->res = hc_http_res_ref(res);
    brk_job_submit(job);
}

static void on_provision(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    brk_t *b = data;
    char id[BRK_MAX_ID + 1];
    brk_req_t r = {0};
    hc_err_t err = {0};
    int svc, plan;

    if (!gate(b, req, res) || !get_id(req, res, "id", id))
        return;
    bool async = accepts_incomplete(req);
    if (brk_req_parse(req->body.p, req->body.len, false, &r, &err) < 0) {
        reply_err(res, 400, NULL, err.msg);
        return;
    }
    if (brk_service_find(r.service_id, r.plan_id, &svc, &plan) < 0 || !b->enabled[svc]) {
        reply_err(res, 400, NULL, "unknown service_id or plan_id");
        goto out;
    }
    brk_inst_t *inst = brk_inst_find(b, id);
    if (inst && inst->state != BRK_ST_FAILED) {
        bool same = inst->svc == svc && inst->plan == plan && str_eq_null(inst->org, r.org) &&
                    str_eq_null(inst->space, r.space) && str_eq_null(inst->params, r.params);
        if (!same)
            reply_err(res, 409, NULL, "instance exists with different attributes");
        else if (inst->state == BRK_ST_READY)
            reply_empty(res, 200);
        else if (inst->state == BRK_ST_PROVISIONING && async)
            reply_op(res, "provision");
        else
            reply_err(res, 422, "ConcurrencyError", "another operation is in progress");
        goto out;
    }
    if (inst && inst->busy) {
        reply_err(res, 422, "ConcurrencyError", "another operation is in progress");
        goto out;
    }
    if (!async && b->conf->async_only) {
        reply_err(res, 422, "AsyncRequired", "this broker provisions asynchronously only");
        goto out;
    }
    if (inst) {
        brk_inst_remove(b, inst); /* a failed one is provisioned again */
    } else if (b->num_insts >= (size_t)b->conf->max_instances) {
        reply_err(res, 422, "LimitReached", "too many service instances");
        goto out;
    }
    inst = hc_calloc(1, sizeof(*inst));
    inst->id = hc_strdup(id);
    inst->svc = svc;
    inst->plan = plan;
    inst->org = HC_TAKE_PTR(r.org);
    inst->space = HC_TAKE_PTR(r.space);
    inst->params = HC_TAKE_PTR(r.params);
    inst->state = BRK_ST_PROVISIONING;
    inst->descr = hc_strdup("provisioning");
    inst->busy = true;
    hc_random_hex(inst->key, BRK_KEY_LEN / 2);
    hc_random_hex(inst->secret, BRK_PASS_LEN / 2);
    brk_inst_add(b, inst);
    if (async)
        record_then_accept(b, inst, res);
    brk_job_t *job = brk_job_new(b, BRK_JOB_PROVISION, inst, NULL, provision_done);
    if (!async)
        job->res = hc_http_res_ref(res);
    brk_job_submit(job);
out:
    brk_req_release(&r);
}

static void deprovision_done(brk_job_t *job)
{
    brk_t *b = job->b;
    brk_inst_t *inst = brk_inst_find(b, job->inst->id);
    hc_assert(inst);
    for (size_t i = 0; i < job->num_drops; i++) {
        brk_binding_t *bd = brk_binding_find(b, job->drops[i]->id);
        if (bd)
            bd->busy = false;
    }
    if (job->result < 0) {
        hc_log_warn("deprovision failed", "instance", inst->id, "err", job->err.msg);
        inst->busy = false;
        inst->state = BRK_ST_READY;
        free(inst->descr);
        inst->descr = hc_strdup(job->err.msg);
        if (job->res)
            reply_err(job->res, 500, NULL, job->err.msg);
        return;
    }
    for (size_t i = 0; i < job->num_drops; i++) {
        brk_binding_t *bd = brk_binding_find(b, job->drops[i]->id);
        if (bd)
            brk_binding_remove(b, bd);
    }
    hc_log_info("deprovisioned", "instance", inst->id);
    brk_inst_remove(b, inst);
    if (job->res)
        reply_empty(job->res, 200);
}

/* service_id and plan_id are required on DELETE (as query parameters). */
static bool delete_query_ok(const hc_http_request_t *req, hc_http_res_t *res)
{
    char v[256];
    if (brk_query_get(req->query, "service_id", v, sizeof(v)) != 1 ||
        brk_query_get(req->query, "plan_id", v, sizeof(v)) != 1) {
        reply_err(res, 400, NULL, "service_id and plan_id query parameters are required");
        return false;
    }
    return true;
}

/*
 * Queues a deprovision of inst (with its bindings). res: a synchronous client waiting for the
 * end; accept_res: an asynchronous one that gets its 202 once the state is saved.
 */
static void start_deprovision(brk_t *b, brk_inst_t *inst, hc_http_res_t *res,
                              hc_http_res_t *accept_res)
{
    brk_job_t *job = brk_job_new(b, BRK_JOB_DEPROVISION, inst, NULL, deprovision_done);
    size_t n = 0;
    for (brk_binding_t *bd = b->bindings; bd; bd = bd->next)
        n += strcmp(bd->inst_id, inst->id) == 0;
    job->drops = hc_calloc(n ? n : 1, sizeof(*job->drops));
    for (brk_binding_t *bd = b->bindings; bd; bd = bd->next) {
        if (strcmp(bd->inst_id, inst->id) == 0) {
            bd->busy = true;
            job->drops[job->num_drops++] = brk_binding_dup(bd);
        }
    }
    inst->busy = true;
    inst->state = BRK_ST_DEPROVISIONING;
    free(inst->descr);
    inst->descr = hc_strdup("deprovisioning");
    if (accept_res)
        record_then_accept(b, inst, accept_res);
    job->res = res ? hc_http_res_ref(res) : NULL;
    brk_job_submit(job);
}

static bool inst_bindings_busy(brk_t *b, const char *inst_id)
{
    for (brk_binding_t *bd = b->bindings; bd; bd = bd->next)
        if (bd->busy && strcmp(bd->inst_id, inst_id) == 0)
            return true;
    return false;
}

static void on_deprovision(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    brk_t *b = data;
    char id[BRK_MAX_ID + 1];

    if (!gate(b, req, res) || !get_id(req, res, "id", id) || !delete_query_ok(req, res))
        return;
    bool async = accepts_incomplete(req);
    brk_inst_t *inst = brk_inst_find(b, id);
    if (!inst) {
        reply_empty(res, 410);
        return;
    }
    if (inst->busy || inst_bindings_busy(b, id)) {
        if (inst->state == BRK_ST_DEPROVISIONING && async)
            reply_op(res, "deprovision");
        else
            reply_err(res, 422, "ConcurrencyError", "another operation is in progress");
        return;
    }
    if (!async && b->conf->async_only) {
        reply_err(res, 422, "AsyncRequired", "this broker deprovisions asynchronously only");
        return;
    }
    start_deprovision(b, inst, async ? NULL : res, async ? res : NULL);
}

static void on_last_operation(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    brk_t *b = data;
    char id[BRK_MAX_ID + 1];

    if (!gate(b, req, res) || !get_id(req, res, "id", id))
        return;
    brk_inst_t *inst = brk_inst_find(b, id);
    if (!inst) {
        reply_empty(res, 410);
        return;
    }
    const char *state = inst->state == BRK_ST_READY    ? "succeeded"
                        : inst->state == BRK_ST_FAILED ? "failed"
                                                       : "in progress";
    json_t *o = hc_json_obj();
    hc_json_set_str(o, "state", state);
    hc_json_set_str(o, "description", inst->descr ? inst->descr : "");
    hc_http_reply_json(res, 200, o);
}

static void reply_binding(hc_http_res_t *res, int status, const brk_binding_t *bd)
{
    json_t *creds = json_loads(bd->creds ? bd->creds : "{}", 0, NULL);
    json_t *o = hc_json_obj();
    hc_json_set_new(o, "credentials", creds ? creds : hc_json_obj());
    hc_http_reply_json(res, status, o);
}

static void bind_done(brk_job_t *job)
{
    brk_t *b = job->b;
    brk_binding_t *bd = brk_binding_find(b, job->bd->id);
    brk_inst_t *inst = brk_inst_find(b, job->inst->id);
    hc_assert(bd && inst);
    if (job->result < 0) {
        hc_log_warn("bind failed", "binding", bd->id, "err", job->err.msg);
        brk_binding_remove(b, bd);
        reply_err(job->res, 500, NULL, job->err.msg);
        return;
    }
    hc_log_info("bound", "binding", bd->id, "instance", inst->id);
    bd->busy = false;
    bd->creds = HC_TAKE_PTR(job->bd->creds);
    reply_binding(job->res, 201, bd);
}

static void on_bind(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    brk_t *b = data;
    char id[BRK_MAX_ID + 1], bid[BRK_MAX_ID + 1];
    brk_req_t r = {0};
    hc_err_t err = {0};
    int svc, plan;

    if (!gate(b, req, res) || !get_id(req, res, "id", id) || !get_id(req, res, "bid", bid))
        return;
    if (brk_req_parse(req->body.p, req->body.len, true, &r, &err) < 0) {
        reply_err(res, 400, NULL, err.msg);
        return;
    }
    brk_inst_t *inst = brk_inst_find(b, id);
    if (brk_service_find(r.service_id, r.plan_id, &svc, &plan) < 0 ||
        (inst && (svc != inst->svc || plan != inst->plan))) {
        reply_err(res, 400, NULL, "unknown service_id or plan_id for this instance");
        goto out;
    }
    if (!inst) {
        reply_err(res, 404, NULL, "no such service instance");
        goto out;
    }
    brk_binding_t *bd = brk_binding_find(b, bid);
    if (bd) {
        bool same = strcmp(bd->inst_id, id) == 0 && str_eq_null(bd->app_guid, r.app_guid) &&
                    str_eq_null(bd->params, r.params);
        if (!same)
            reply_err(res, 409, NULL, "binding exists with different attributes");
        else if (bd->busy)
            reply_err(res, 422, "ConcurrencyError", "another operation is in progress");
        else
            reply_binding(res, 200, bd);
        goto out;
    }
    if (inst->busy || inst->state != BRK_ST_READY) {
        reply_err(res, 422, "ConcurrencyError", "the instance is not ready");
        goto out;
    }
    if (b->num_bindings >= (size_t)b->conf->max_bindings) {
        reply_err(res, 422, "LimitReached", "too many service bindings");
        goto out;
    }
    bd = hc_calloc(1, sizeof(*bd));
    bd->id = hc_strdup(bid);
    bd->inst_id = hc_strdup(id);
    bd->app_guid = HC_TAKE_PTR(r.app_guid);
    bd->params = HC_TAKE_PTR(r.params);
    hc_random_hex(bd->key, BRK_KEY_LEN / 2);
    hc_random_hex(bd->password, BRK_PASS_LEN / 2);
    bd->busy = true; /* also keeps a deprovision of the instance away until it is done */
    brk_binding_add(b, bd);
    brk_job_t *job = brk_job_new(b, BRK_JOB_BIND, inst, bd, bind_done);
    job->res = hc_http_res_ref(res);
    brk_job_submit(job);
out:
    brk_req_release(&r);
}

static void unbind_done(brk_job_t *job)
{
    brk_t *b = job->b;
    brk_binding_t *bd = brk_binding_find(b, job->bd->id);
    hc_assert(bd);
    if (job->result < 0) {
        hc_log_warn("unbind failed", "binding", bd->id, "err", job->err.msg);
        bd->busy = false;
        reply_err(job->res, 500, NULL, job->err.msg);
        return;
    }
    hc_log_info("unbound", "binding", bd->id);
    brk_binding_remove(b, bd);
    reply_empty(job->res, 200);
}

static void on_unbind(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    brk_t *b = data;
    char id[BRK_MAX_ID + 1], bid[BRK_MAX_ID + 1];

    if (!gate(b, req, res) || !get_id(req, res, "id", id) || !get_id(req, res, "bid", bid) ||
        !delete_query_ok(req, res))
        return;
    brk_binding_t *bd = brk_binding_find(b, bid);
    brk_inst_t *inst = brk_inst_find(b, id);
    if (!bd || !inst || strcmp(bd->inst_id, id) != 0) {
        reply_empty(res, 410);
        return;
    }
    if (bd->busy || inst->state == BRK_ST_DEPROVISIONING) {
        reply_err(res, 422, "ConcurrencyError", "another operation is in progress");
        return;
    }
    bd->busy = true;
    brk_job_t *job = brk_job_new(b, BRK_JOB_UNBIND, inst, bd, unbind_done);
    job->res = hc_http_res_ref(res);
    brk_job_submit(job);
}

static void cleanup_done(brk_job_t *job)
{
    brk_binding_t *bd = brk_binding_find(job->b, job->bd->id);
    if (!bd)
        return;
    if (job->result < 0) {
        /* Stays busy (so unusable) until the next start tries again. */
        hc_log_warn("could not clean up an unfinished bind", "binding", bd->id, "err",
                    job->err.msg);
        return;
    }
    hc_log_info("removed an unfinished bind", "binding", bd->id);
    brk_binding_remove(job->b, bd);
}

void brk_resume(brk_t *b)
{
    for (brk_binding_t *bd = b->bindings; bd; bd = bd->next) {
        brk_inst_t *inst = brk_inst_find(b, bd->inst_id);
        if (bd->creds || !inst)
            continue;
        bd->busy = true;
        brk_job_submit(brk_job_new(b, BRK_JOB_UNBIND, inst, bd, cleanup_done));
    }
    for (brk_inst_t *inst = b->insts; inst; inst = inst->next) {
        if (inst->state == BRK_ST_PROVISIONING) {
            inst->busy = true;
            brk_job_submit(brk_job_new(b, BRK_JOB_PROVISION, inst, NULL, provision_done));
        } else if (inst->state == BRK_ST_DEPROVISIONING) {
            start_deprovision(b, inst, NULL, NULL);
        } else if (inst->state == BRK_ST_READY) {
            brk_job_submit(brk_job_new(b, BRK_JOB_RECOVER, inst, NULL, NULL));
        }
    }
}

void brk_routes(brk_t *b)
{
    hc_http_server_route(b->http, "GET", "/v2/catalog", on_catalog, b);
    hc_http_server_route(b->http, "GET", "/v2/service_instances/:id/last_operation",
                         on_last_operation, b);
    hc_http_server_route(b->http, "PUT", "/v2/service_instances/:id/service_bindings/:bid", on_bind,
                         b);
    hc_http_server_route(b->http, "DELETE", "/v2/service_instances/:id/service_bindings/:bid",
                         on_unbind, b);
    hc_http_server_route(b->http, "PUT", "/v2/service_instances/:id", on_provision, b);
    hc_http_server_route(b->http, "DELETE", "/v2/service_instances/:id", on_deprovision, b);
}
