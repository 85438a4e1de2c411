/*
 * The droplet cache's eviction runs (droplet_gc.h): after each new droplet is stored, every
 * DEA_GC_INTERVAL_MS, and once at start (which also removes stray temp files older than an
 * hour). The loop only collects the SHA-1s its live instances use; the scan and the removals
 * run on the thread pool. Starts that arrive meanwhile wait for the run to end (droplet.c), so
 * no start reads a droplet the run is removing.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "dea.h"
#include "droplet_gc.h"
#include "hc_log.h"
#include "hc_time.h"

#define DEA_GC_INTERVAL_MS ((uint64_t)10 * 60 * 1000)
#define DEA_GC_MAX_FILES ((size_t)1 << 20) /* droplets looked at per run */

typedef struct gc_job_s {
    uv_work_t work;
    dea_t *dea;
    char *dir;
    dea_sha1_t *in_use;
    size_t n_in_use;
    uint64_t max_size, min_age_ms;
    bool sweep_temp;
    /* out */
    dea_sha1_t *evicted;
    size_t n_evicted, n_kept, n_temp;
    uint64_t evicted_bytes, kept_bytes;
    hc_err_t err;
    int rc;
} gc_job_t;

static int64_t mtime_ms(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000;
}

/* Lists the droplets of dfd (removing old temp files when asked) into *ret. */
static size_t scan(gc_job_t *j, DIR *d, int64_t now, dea_gc_entry_t **ret)
{
    dea_gc_entry_t *e = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < DEA_GC_MAX_FILES) {
        char sha1[HC_SHA1_HEX + 1];
        struct stat st;
        dea_gc_kind_t kind = dea_gc_kind(de->d_name, sha1);
        if (kind == DEA_GC_OTHER || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISREG(st.st_mode))
            continue;
        if (kind == DEA_GC_TEMP) {
            if (j->sweep_temp && now - mtime_ms(&st) > DEA_GC_TEMP_MAX_AGE_MS &&
                unlinkat(dirfd(d), de->d_name, 0) == 0)
                j->n_temp++;
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            e = hc_reallocarray(e, cap, sizeof(*e));
        }
        memcpy(e[n].sha1, sha1, sizeof(sha1));
        e[n].size = (uint64_t)st.st_size;
        e[n].mtime_ms = mtime_ms(&st);
        n++;
    }
    *ret = e;
    return n;
}

static void gc_work(uv_work_t *w)
{
    gc_job_t *j = HC_CONTAINER_OF(w, gc_job_t, work);
    DIR *d = opendir(j->dir);
    if (!d) {
        j->rc = hc_err_set(&j->err, -errno, "opendir %s", j->dir);
        return;
    }
    int64_t now = hc_wall_ms();
    dea_gc_entry_t *e = NULL;
    size_t n = scan(j, d, now, &e);
    dea_gc_select(e, n, j->in_use, j->n_in_use, j->max_size, j->min_age_ms, now, NULL);
    j->evicted = hc_calloc(n ? n : 1, sizeof(*j->evicted));
    for (size_t i = 0; i < n; i++) {
        char name[HC_SHA1_HEX + 8];
        snprintf(name, sizeof(name), "%s.tgz", e[i].sha1);
        if (e[i].evict && (unlinkat(dirfd(d), name, 0) == 0 || errno == ENOENT)) {
            memcpy(j->evicted[j->n_evicted++].hex, e[i].sha1, HC_SHA1_HEX + 1);
            j->evicted_bytes += e[i].size;
        } else {
            j->n_kept++;
            j->kept_bytes += e[i].size;
        }
    }
    free(e);
    closedir(d);
}

static void gc_run(dea_t *dea, bool sweep_temp);

static void gc_done(uv_work_t *w, int status)
{
    gc_job_t *j = HC_CONTAINER_OF(w, gc_job_t, work);
    dea_t *dea = j->dea;
    dea->gc_running = false;
    if (status < 0 || j->rc < 0) {
        hc_log_warn("droplet cache eviction failed", "err", status < 0 ? "cancelled" : j->err.msg);
    } else {
        for (size_t i = 0; i < j->n_evicted; i++)
            dea_droplet_forget(dea, j->evicted[i].hex);
        char fields[5][24];
        snprintf(fields[0], sizeof(fields[0]), "%zu", j->n_evicted);
        snprintf(fields[1], sizeof(fields[1]), "%llu", (unsigned long long)j->evicted_bytes);
        snprintf(fields[2], sizeof(fields[2]), "%zu", j->n_kept);
        snprintf(fields[3], sizeof(fields[3]), "%llu", (unsigned long long)j->kept_bytes);
        snprintf(fields[4], sizeof(fields[4]), "%zu", j->n_temp);
        bool news = j->n_evicted || j->n_temp || j->kept_bytes > j->max_size;
        HC_LOG(news ? HC_LOG_INFO : HC_LOG_DEBUG, "droplet cache", "evicted", fields[0],
               "evicted_bytes", fields[1], "kept", fields[2], "kept_bytes", fields[3],
               "temp_removed", fields[4], "over_limit",
               j->kept_bytes > j->max_size ? "true" : "false");
    }
    free(j->dir);
    free(j->in_use);
    free(j->evicted);
    free(j);
    dea_droplet_resume(dea); /* the starts held meanwhile */
    if (dea->gc_again && !dea->stopped) {
        dea->gc_again = false;
        gc_run(dea, false);
    }
}

static void gc_run(dea_t *dea, bool sweep_temp)
{
    if (dea->stopped)
        return;
    if (dea->gc_running) {
        dea->gc_again = true;
        return;
    }
    gc_job_t *j = hc_calloc(1, sizeof(*j));
    j->dea = dea;
    j->dir = hc_asprintf("%s/droplets", dea->conf->common.data_dir);
    j->max_size = dea->conf->droplet_cache_max;
    j->min_age_ms = dea->conf->droplet_cache_min_age_ms;
    j->sweep_temp = sweep_temp;
    j->in_use = hc_calloc(dea->num_insts ? dea->num_insts : 1, sizeof(*j->in_use));
    for (dea_inst_t *in = dea->insts; in && j->n_in_use < dea->num_insts; in = in->next)
        if (in->state == DEA_STARTING || in->state == DEA_RUNNING || in->state == DEA_STOPPING)
            snprintf(j->in_use[j->n_in_use++].hex, HC_SHA1_HEX + 1, "%s", in->s.sha1);
    if (uv_queue_work(dea->loop, &j->work, gc_work, gc_done) < 0) {
        free(j->dir);
        free(j->in_use);
        free(j);
        return;
    }
    dea->gc_running = true;
}

void dea_droplet_gc(dea_t *dea)
{
    gc_run(dea, false);
}

static void on_gc_timer(uv_timer_t *t)
{
    gc_run(t->data, false);
}

void dea_droplet_gc_start(dea_t *dea)
{
    uv_timer_init(dea->loop, &dea->gc_timer);
    dea->gc_timer.data = dea;
    uv_timer_start(&dea->gc_timer, on_gc_timer, DEA_GC_INTERVAL_MS, DEA_GC_INTERVAL_MS);
    gc_run(dea, true);
}
