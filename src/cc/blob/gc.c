/* The blob store's collector: see gc.h. */
#include "blob/gc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "db/db.h"
#include "hc_log.h"

typedef struct sweep_s {
    cc_blob_t *b;
    char *const *keep;
    size_t n;
    int64_t now, grace_s;
    cc_blob_gc_stats_t *stats;
} sweep_t;

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int on_blob(const char *key, uint64_t size, int64_t mtime, void *ud)
{
    sweep_t *s = ud;
    if (bsearch(&key, s->keep, s->n, sizeof(*s->keep), cmp_key) || s->now - mtime <= s->grace_s) {
        s->stats->kept++;
        return 0;
    }
    hc_err_t err;
    if (s->b->ops->remove(s->b->self, key, &err) < 0) {
        hc_log_warn("blob gc: cannot remove", "key", key, "err", err.msg);
        s->stats->kept++;
        return 0;
    }
    s->stats->removed++;
    s->stats->removed_bytes += size;
    return 0;
}

int cc_blob_gc_sweep(cc_blob_t *b, char *const *keep, size_t n, int64_t now, int64_t grace_s,
                     cc_blob_gc_stats_t *stats, hc_err_t *err)
{
    if (!b->ops->list)
        return 0;
    sweep_t s = {.b = b, .keep = keep, .n = n, .now = now, .grace_s = grace_s, .stats = stats};
    static const char *const kinds[] = {"pkg", "drop"};
    for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++) {
        int r = b->ops->list(b->self, kinds[k], on_blob, &s, err);
        if (r < 0)
            return r;
    }
    return 0;
}

typedef struct gc_s {
    cc_ctx_t *cc;
    uv_timer_t timer;
    bool running, closed;     /* freed once its timer closed and no run is in flight */
    cc_blob_gc_stats_t stats; /* the last run's, written by the worker, read by gc_done */
} gc_t;

/* Adds "pkg/" and "drop/" keys for the two hash columns of every row of res to keys. */
static void add_keys(const cc_db_res_t *res, char **keys, size_t *k)
{
    for (size_t i = 0; i < res->nrows; i++) {
        const char *p = cc_db_cell(res, i, 0), *d = cc_db_cell(res, i, 1);
        if (p && *p)
            keys[(*k)++] = hc_asprintf("pkg/%s", p);
        if (d && *d)
            keys[(*k)++] = hc_asprintf("drop/%s", d);
    }
}

int cc_blob_gc_used_keys(cc_db_t *db, int64_t releases_kept, char ***ret, size_t *n, hc_err_t *err)
{
    cc_db_res_t apps = {0}, rel = {0};
    char kept[24];
    snprintf(kept, sizeof(kept), "%lld", (long long)releases_kept);
    int r = cc_db_exec(db, "SELECT package_hash, droplet_hash FROM apps", NULL, 0, &apps, err);
    /* Versions are 1, 2, 3... per app: the last N are those above the newest minus N. */
    if (r == 0 && releases_kept > 0)
        r = cc_db_exec(db,
                       "SELECT r.package_hash, r.droplet_hash FROM releases r WHERE r.version >"
                       " (SELECT MAX(x.version) FROM releases x WHERE x.app_guid = r.app_guid) - ?",
                       CC_P(kept), &rel, err);
    if (r < 0) {
        cc_db_res_release(&apps);
        return r;
    }
    char **keys = hc_calloc((apps.nrows + rel.nrows) * 2 + 1, sizeof(*keys));
    size_t k = 0, u = 0;
    add_keys(&apps, keys, &k);
    add_keys(&rel, keys, &k);
    cc_db_res_release(&apps);
    cc_db_res_release(&rel);
    qsort(keys, k, sizeof(*keys), cmp_key);
    for (size_t i = 0; i < k; i++) {
        if (u > 0 && strcmp(keys[u - 1], keys[i]) == 0)
            free(keys[i]);
        else
            keys[u++] = keys[i];
    }
    *ret = keys;
    *n = u;
    return 0;
}

static int gc_work(cc_ctx_t *cc, cc_db_t *db, void *data, hc_err_t *err)
{
    gc_t *g = data;
    char **keys = NULL;
    size_t n = 0;
    g->stats = (cc_blob_gc_stats_t){0};
    int r = cc_blob_gc_used_keys(db, cc->conf->blob_releases_kept, &keys, &n, err);
    if (r == 0)
        r = cc_blob_gc_sweep(cc->blob, keys, n, (int64_t)time(NULL),
                             (int64_t)(cc->conf->blob_gc_grace_ms / 1000), &g->stats, err);
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    return r;
}

static void gc_closed(uv_handle_t *h)
{
    gc_t *g = HC_CONTAINER_OF((uv_timer_t *)h, gc_t, timer);
    g->closed = true;
    if (!g->running)
        free(g);
}

static void gc_done(void *data, int r, const hc_err_t *err)
{
    gc_t *g = data;
    g->running = false;
    if (r < 0 && r != UV_ECANCELED)
        hc_log_warn("blob gc failed", "err", err->msg);
    else if (r == 0 && g->stats.removed) {
        char removed[32], bytes[32], kept[32];
        snprintf(removed, sizeof(removed), "%zu", g->stats.removed);
        snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)g->stats.removed_bytes);
        snprintf(kept, sizeof(kept), "%zu", g->stats.kept);
        hc_log_info("blob gc", "removed", removed, "bytes", bytes, "kept", kept);
    }
    if (g->closed)
        free(g);
}

static void gc_tick(uv_timer_t *t)
{
    gc_t *g = HC_CONTAINER_OF(t, gc_t, timer);
    if (g->running)
        return;
    g->running = true;
    cc_queue_db_work(g->cc, gc_work, gc_done, g);
}

void cc_blob_gc_start(cc_ctx_t *cc)
{
    uint64_t every = cc->conf->blob_gc_interval_ms;
    if (!every || !cc->blob || !cc->blob->ops->list)
        return;
    gc_t *g = hc_calloc(1, sizeof(*g));
    g->cc = cc;
    uv_timer_init(cc->loop, &g->timer);
    uv_timer_start(&g->timer, gc_tick, every, every);
    cc->blob_gc = g;
}

void cc_blob_gc_stop(cc_ctx_t *cc)
{
    gc_t *g = cc->blob_gc;
    if (!g)
        return;
    cc->blob_gc = NULL;
    uv_close((uv_handle_t *)&g->timer, gc_closed);
}
