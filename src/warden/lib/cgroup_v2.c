/* cgroup_v2.c - the unified-hierarchy backend: memory.max, cpu.weight, pids.max. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wdn_cgroup.h"
#include "wdn_util.h"

/* Enables the controllers we use in dir's subtree_control, the ones the host offers. */
static int enable_controllers(const char *dir)
{
    char p[PATH_MAX], avail[512];
    if (wdn_path(p, sizeof(p), "%s/cgroup.controllers", dir) < 0)
        return -ENAMETOOLONG;
    if (wdn_read_str(p, avail, sizeof(avail)) < 0)
        return -errno;
    if (wdn_path(p, sizeof(p), "%s/cgroup.subtree_control", dir) < 0)
        return -ENAMETOOLONG;
    static const char *want[] = {"memory", "cpu", "pids"};
    for (size_t i = 0; i < HC_ARRAY_SIZE(want); i++) {
        if (!strstr(avail, want[i]))
            continue;
        char v[32];
        snprintf(v, sizeof(v), "+%s", want[i]);
        int r = wdn_write_str(p, v);
        if (r < 0)
            return r;
    }
    return 0;
}

static int v2_prepare(wdn_cg_t *cg, hc_err_t *err)
{
    /* Controllers must be enabled in every ancestor of the container cgroups. Walk from the
     * parent dir upward until the mount root, then enable top-down. */
    char dir[PATH_MAX], chain[16][PATH_MAX];
    size_t n = 0;
    snprintf(dir, sizeof(dir), "%s", cg->dirs[0]);
    while (n < HC_ARRAY_SIZE(chain)) {
        snprintf(chain[n++], PATH_MAX, "%s", dir);
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir)
            break;
        *slash = '\0';
        char probe[PATH_MAX + 32];
        struct stat st;
        snprintf(probe, sizeof(probe), "%s/cgroup.subtree_control", dir);
        if (stat(probe, &st) < 0)
            break;
    }
    for (size_t i = n; i-- > 0;) {
        int r = enable_controllers(chain[i]);
        if (r == -EBUSY && i == 1) {
            /* Our own cgroup holds processes ("no internal processes" rule): move this
             * process into a leaf beside the containers' parent, then retry. */
            char leaf[PATH_MAX], procs[PATH_MAX], num[32];
            if (wdn_path(leaf, sizeof(leaf), "%s/hearth-warden-self", chain[1]) < 0 ||
                wdn_path(procs, sizeof(procs), "%s/cgroup.procs", leaf) < 0)
                return hc_err_set(err, -ENAMETOOLONG, "cgroup path");
            if (mkdir(leaf, 0755) < 0 && errno != EEXIST)
                return hc_err_set(err, -errno, "mkdir `%s`", leaf);
            snprintf(num, sizeof(num), "%d", (int)getpid());
            r = wdn_write_str(procs, num);
            if (r == 0)
                r = enable_controllers(chain[i]);
        }
        if (r < 0 && i <= 1)
            return hc_err_set(err, r, "cgroup v2: enable controllers in `%s`", chain[i]);
    }
    /* What the container cgroups really get: a host may offer fewer controllers (on a hybrid
     * host the unified hierarchy often has none); limits of a missing one are not enforced. */
    char p[PATH_MAX], on[512];
    cg->v2_ctrls = 0;
    if (wdn_path(p, sizeof(p), "%s/cgroup.subtree_control", cg->dirs[0]) == 0 &&
        wdn_read_str(p, on, sizeof(on)) >= 0) {
        if (strstr(on, "memory"))
            cg->v2_ctrls |= WDN_CG_MEMORY;
        if (strstr(on, "cpu"))
            cg->v2_ctrls |= WDN_CG_CPU;
        if (strstr(on, "pids"))
            cg->v2_ctrls |= WDN_CG_PIDS;
    }
    return 0;
}

static int v2_write(wdn_cg_t *cg, const char *handle, const char *file, const char *val,
                    hc_err_t *err)
{
    char p[PATH_MAX];
    if (wdn_path(p, sizeof(p), "%s/%s/%s", cg->dirs[0], handle, file) < 0)
        return hc_err_set(err, -ENAMETOOLONG, "cgroup path");
    int r = wdn_write_str(p, val);
    return r < 0 ? hc_err_set(err, r, "write `%s`", p) : 0;
}

static int v2_set_memory(wdn_cg_t *cg, const char *handle, uint64_t bytes, hc_err_t *err)
{
    char val[32];
    if (!(cg->v2_ctrls & WDN_CG_MEMORY))
        return 0;
    wdn_cg_fmt_limit(val, sizeof(val), bytes);
    int r = v2_write(cg, handle, "memory.max", val, err);
    if (r == 0) {
        hc_err_t ignored;
        (void)v2_write(cg, handle, "memory.swap.max", "0", &ignored);
    }
    return r;
}

static int v2_set_cpu(wdn_cg_t *cg, const char *handle, uint64_t shares, hc_err_t *err)
{
    char val[32];
    if (!(cg->v2_ctrls & WDN_CG_CPU))
        return 0;
    snprintf(val, sizeof(val), "%" PRIu64, wdn_cg_shares_to_weight(shares));
    return v2_write(cg, handle, "cpu.weight", val, err);
}

static int v2_set_pids(wdn_cg_t *cg, const char *handle, uint64_t max, hc_err_t *err)
{
    char val[32];
    if (!(cg->v2_ctrls & WDN_CG_PIDS))
        return 0;
    wdn_cg_fmt_limit(val, sizeof(val), max);
    return v2_write(cg, handle, "pids.max", val, err);
}

static int v2_stats(wdn_cg_t *cg, const char *handle, wdn_cg_stats_t *ret, hc_err_t *err)
{
    char p[PATH_MAX], text[8192];
    wdn_cg_stats_t s = {0};
    const char *d = cg->dirs[0];
    (void)err;
    if (wdn_path(p, sizeof(p), "%s/%s/memory.current", d, handle) == 0)
        (void)wdn_read_u64(p, &s.memory_usage);
    if (wdn_path(p, sizeof(p), "%s/%s/memory.max", d, handle) == 0)
        (void)wdn_read_u64(p, &s.memory_limit);
    if (wdn_path(p, sizeof(p), "%s/%s/memory.stat", d, handle) == 0 &&
        wdn_read_str(p, text, sizeof(text)) > 0) {
        (void)wdn_kv_u64(text, "anon", &s.memory_rss);
        (void)wdn_kv_u64(text, "file", &s.memory_cache);
    }
    if (wdn_path(p, sizeof(p), "%s/%s/memory.events", d, handle) == 0 &&
        wdn_read_str(p, text, sizeof(text)) > 0)
        (void)wdn_kv_u64(text, "oom_kill", &s.oom_kills);
    if (wdn_path(p, sizeof(p), "%s/%s/cpu.stat", d, handle) == 0 &&
        wdn_read_str(p, text, sizeof(text)) > 0 &&
        wdn_kv_u64(text, "usage_usec", &s.cpu_usage_ns) == 0)
        s.cpu_usage_ns *= 1000;
    if (wdn_path(p, sizeof(p), "%s/%s/pids.current", d, handle) == 0)
        (void)wdn_read_u64(p, &s.pids_current);
    *ret = s;
    return 0;
}

const wdn_cg_ops_t wdn_cg_v2_ops = {
    .name = "v2",
    .prepare = v2_prepare,
    .set_memory = v2_set_memory,
    .set_cpu = v2_set_cpu,
    .set_pids = v2_set_pids,
    .stats = v2_stats,
};
