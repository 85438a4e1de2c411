/*
 * pool.c - warm containers (conf warm_containers, 0 = off). Creating a container is the
 * largest part of an instance start that does not depend on the app (rootfs, cgroups,
 * network: tens of ms), so the DEA keeps a few created ahead with generous limits; a start
 * takes one, sets the app's memory and disk limits on it (limit_memory, limit_disk) and
 * goes on as with a new one; the pool is refilled once that instance runs. Handles of pool
 * containers (ready or being created) are kept in snapshot.json; a restarted DEA destroys them
 * (they are cheap to make again).
 */
#include <stdio.h>
#include <string.h>

#include "dea.h"
#include "hc_json.h"
#include "hc_log.h"
#include "hc_uuid.h"

#define POOL_MEMORY ((json_int_t)1 << 30)
#define POOL_DISK ((json_int_t)1 << 30)

typedef struct pool_job_s {
    dea_t *dea;
    char handle[40];
} pool_job_t;

static dea_pool_ent_t *find(dea_t *dea, const char *handle)
{
    for (size_t i = 0; i < dea->pool_n; i++)
        if (strcmp(dea->pool[i].handle, handle) == 0)
            return &dea->pool[i];
    return NULL;
}

static void drop(dea_t *dea, dea_pool_ent_t *e)
{
    size_t i = (size_t)(e - dea->pool);
    memmove(&dea->pool[i], &dea->pool[i + 1], (dea->pool_n - i - 1) * sizeof(*e));
    dea->pool_n--;
    dea_snapshot_save(dea);
}

static void on_created(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    (void)resp, (void)more;
    pool_job_t *j = data;
    dea_t *dea = j->dea;
    dea_pool_ent_t *e = find(dea, j->handle);
    if (e && error) {
        hc_log_warn("cannot create a warm container", "err", error);
        drop(dea, e);
    } else if (e) {
        e->ready = true;
    }
    hc_warden_free(w);
    free(j);
}

static void on_connect(hc_warden_t *w, int status, void *data)
{
    pool_job_t *j = data;
    dea_t *dea = j->dea;
    if (!w || status < 0 || dea->stopped) {
        dea_pool_ent_t *e = find(dea, j->handle);
        if (e && !dea->stopped)
            drop(dea, e);
        hc_warden_free(w);
        free(j);
        return;
    }
    json_t *req = json_pack("{s:s, s:s, s:{s:I, s:I, s:I}, s:{s:s, s:s, s:s}}", "type", "create",
                            "handle", j->handle, "limits", "memory_in_bytes", POOL_MEMORY,
                            "disk_in_bytes", POOL_DISK, "pids", (json_int_t)dea->conf->pids,
                            "properties", "owner", "hearth-dea", "dea", dea->id, "pool", "warm");
    if (hc_warden_request(w, req, on_created, j) < 0)
        on_created(w, NULL, false, "warden refused create", j);
}

void dea_pool_fill(dea_t *dea)
{
    while (!dea->stopping && dea->pool_n < dea->conf->warm_containers &&
           dea->pool_n < DEA_POOL_MAX) {
        pool_job_t *j = hc_calloc(1, sizeof(*j));
        j->dea = dea;
        char hex[17];
        hc_random_hex(hex, 8);
        snprintf(j->handle, sizeof(j->handle), "dea-w%s", hex);
        dea_pool_ent_t *e = &dea->pool[dea->pool_n++];
        memset(e, 0, sizeof(*e));
        snprintf(e->handle, sizeof(e->handle), "%s", j->handle);
        dea_snapshot_save(dea); /* listed before it exists: never leaked by a restart */
        dea_warden_connect(dea, on_connect, j);
    }
}

bool dea_pool_take(dea_t *dea, char *handle, size_t size)
{
    for (size_t i = 0; i < dea->pool_n; i++)
        if (dea->pool[i].ready) {
            snprintf(handle, size, "%s", dea->pool[i].handle);
            drop(dea, &dea->pool[i]);
            /* No refill here: making a container now would compete for the CPU with the app
             * that is booting; the DEA refills once it runs (or at the next stats tick). */
            return true;
        }
    return false;
}

json_t *dea_pool_json(const dea_t *dea)
{
    json_t *arr = hc_json_arr();
    for (size_t i = 0; i < dea->pool_n; i++)
        hc_json_append_str(arr, dea->pool[i].handle);
    return arr;
}

static void on_reaped(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    (void)w, (void)resp, (void)more, (void)error, (void)data;
}

void dea_pool_reap(dea_t *dea, const json_t *handles)
{
    size_t i;
    json_t *h;
    json_array_foreach(handles, i, h)
    {
        const char *s = json_string_value(h);
        if (!s || strncmp(s, "dea-w", 5) != 0 || strlen(s) >= 40)
            continue;
        json_t *req = json_pack("{s:s, s:s}", "type", "destroy", "handle", s);
        dea_wctl_request(dea, req, on_reaped, NULL);
    }
}
