/*
 * snapshot.json: the live instances, rewritten atomically (on the thread pool) after each
 * change; on start the DEA re-attaches to their containers and reports the others crashed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "dea.h"
#include "hc_fs.h"
#include "hc_json.h"
#include "hc_log.h"

typedef struct snap_job_s {
    uv_work_t work;
    dea_t *dea;
    char *path;
    char *data;
    int rc;
    hc_err_t err;
} snap_job_t;

json_t *dea_snapshot_json(const dea_t *dea)
{
    json_t *arr = hc_json_arr();
    for (const dea_inst_t *in = dea->insts; in; in = in->next) {
        if (in->state != DEA_STARTING && in->state != DEA_RUNNING)
            continue;
        if (!in->job_id)
            continue;
        json_t *o = hc_json_obj();
        hc_json_set_str(o, "instance_id", in->id);
        hc_json_set_str(o, "handle", in->handle);
        hc_json_set_str(o, "state", dea_state_name(in->state));
        hc_json_set_real(o, "state_timestamp", in->state_ts);
        hc_json_set_real(o, "start_timestamp", in->start_ts);
        hc_json_set_int(o, "host_port", in->host_port);
        hc_json_set_int(o, "container_port", in->container_port);
        hc_json_set_int(o, "job_id", in->job_id);
        hc_json_set_str(o, "start_command", in->start_cmd ? in->start_cmd : "");
        hc_json_set_new(o, "start_message", json_deep_copy(in->s.msg));
        json_array_append_new(arr, o);
    }
    json_t *root = hc_json_obj();
    hc_json_set_new(root, "instances", arr);
    hc_json_set_new(root, "pool", dea_pool_json(dea));
    return root;
}

static void snap_work(uv_work_t *w)
{
    snap_job_t *j = HC_CONTAINER_OF(w, snap_job_t, work);
    j->rc = hc_atomic_write_file(AT_FDCWD, j->path, j->data, strlen(j->data), 0600, &j->err);
}

static void snap_done(uv_work_t *w, int status)
{
    snap_job_t *j = HC_CONTAINER_OF(w, snap_job_t, work);
    (void)status;
    if (j->rc < 0)
        hc_log_error("snapshot write failed", "err", j->err.msg);
    dea_t *dea = j->dea;
    dea->snap_writing = false;
    free(j->path);
    free(j->data);
    free(j);
    if (dea->snap_again && !dea->stopped) {
        dea->snap_again = false;
        dea_snapshot_save(dea);
    }
}

void dea_snapshot_save(dea_t *dea)
{
    if (dea->stopped)
        return;
    if (dea->snap_writing) {
        dea->snap_again = true;
        return;
    }
    json_t *root = dea_snapshot_json(dea);
    char *data = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!data)
        return;
    snap_job_t *j = hc_calloc(1, sizeof(*j));
    j->dea = dea;
    j->data = data;
    j->path = hc_asprintf("%s/snapshot.json", dea->conf->common.data_dir);
    if (uv_queue_work(dea->loop, &j->work, snap_work, snap_done) < 0) {
        free(j->path);
        free(j->data);
        free(j);
        return;
    }
    dea->snap_writing = true;
    dea->snapshot_dirty = false;
}
