/* cgroup_v1.c - the cgroup v1 backend: memory.limit_in_bytes, cpu.shares, pids.max. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "wdn_cgroup.h"
#include "wdn_util.h"

static int v1_file(wdn_cg_t *cg, int role, const char *handle, const char *file, char *out,
                   size_t size)
{
    if (role < 0)
        return -ENOENT;
    return wdn_path(out, size, "%s/%s/%s", cg->dirs[role], handle, file);
}

static int v1_prepare(wdn_cg_t *cg, hc_err_t *err)
{
    (void)err;
    /* Hierarchical accounting is always on for kernels >= 6; older ones need use_hierarchy. */
    char p[PATH_MAX];
    if (wdn_path(p, sizeof(p), "%s/memory.use_hierarchy", cg->dirs[cg->roles.memory]) == 0)
        (void)wdn_write_str(p, "1");
    return 0;
}

static int v1_set_memory(wdn_cg_t *cg, const char *handle, uint64_t bytes, hc_err_t *err)
{
    char mem[PATH_MAX], memsw[PATH_MAX], val[32];
    if (v1_file(cg, cg->roles.memory, handle, "memory.limit_in_bytes", mem, sizeof(mem)) < 0 ||
        v1_file(cg, cg->roles.memory, handle, "memory.memsw.limit_in_bytes", memsw, sizeof(memsw)) <
            0)
        return hc_err_set(err, -ENAMETOOLONG, "memory cgroup path");
    if (bytes == 0 || bytes == UINT64_MAX)
        snprintf(val, sizeof(val), "-1");
    else
        snprintf(val, sizeof(val), "%" PRIu64, bytes);
    /* memsw must stay >= the memory limit: order the two writes so it always does. */
    int r = wdn_write_str(mem, val);
    int s = wdn_write_str(memsw, val);
    if (r < 0 && s == 0)
        r = wdn_write_str(mem, val);
    if (r < 0)
        return hc_err_set(err, r, "write `%s`", mem);
    return 0;
}

static int v1_set_cpu(wdn_cg_t *cg, const char *handle, uint64_t shares, hc_err_t *err)
{
    char p[PATH_MAX], val[32];
    if (cg->roles.cpu < 0)
        return 0;
    if (v1_file(cg, cg->roles.cpu, handle, "cpu.shares", p, sizeof(p)) < 0)
        return hc_err_set(err, -ENAMETOOLONG, "cpu cgroup path");
    snprintf(val, sizeof(val), "%" PRIu64, shares < 2 ? 2 : shares > 262144 ? 262144 : shares);
    int r = wdn_write_str(p, val);
    return r < 0 ? hc_err_set(err, r, "write `%s`", p) : 0;
}

static int v1_set_pids(wdn_cg_t *cg, const char *handle, uint64_t max, hc_err_t *err)
{
    char p[PATH_MAX], val[32];
    if (cg->roles.pids < 0)
        return 0;
    if (v1_file(cg, cg->roles.pids, handle, "pids.max", p, sizeof(p)) < 0)
        return hc_err_set(err, -ENAMETOOLONG, "pids cgroup path");
    wdn_cg_fmt_limit(val, sizeof(val), max);
    int r = wdn_write_str(p, val);
    return r < 0 ? hc_err_set(err, r, "write `%s`", p) : 0;
}

static int v1_stats(wdn_cg_t *cg, const char *handle, wdn_cg_stats_t *ret, hc_err_t *err)
{
    char p[PATH_MAX], text[8192];
    wdn_cg_stats_t s = {0};
    if (v1_file(cg, cg->roles.memory, handle, "memory.usage_in_bytes", p, sizeof(p)) == 0)
        (void)wdn_read_u64(p, &s.memory_usage);
    if (v1_file(cg, cg->roles.memory, handle, "memory.limit_in_bytes", p, sizeof(p)) == 0)
        (void)wdn_read_u64(p, &s.memory_limit);
    if (s.memory_limit >= (UINT64_MAX >> 2))
        s.memory_limit = UINT64_MAX;
    if (v1_file(cg, cg->roles.memory, handle, "memory.stat", p, sizeof(p)) == 0 &&
        wdn_read_str(p, text, sizeof(text)) > 0) {
        (void)wdn_kv_u64(text, "rss", &s.memory_rss);
        (void)wdn_kv_u64(text, "cache", &s.memory_cache);
    }
    if (v1_file(cg, cg->roles.memory, handle, "memory.oom_control", p, sizeof(p)) == 0 &&
        wdn_read_str(p, text, sizeof(text)) > 0)
        (void)wdn_kv_u64(text, "oom_kill", &s.oom_kills);
    if (v1_file(cg, cg->roles.cpuacct, handle, "cpuacct.usage", p, sizeof(p)) == 0)
        (void)wdn_read_u64(p, &s.cpu_usage_ns);
    if (v1_file(cg, cg->roles.pids, handle, "pids.current", p, sizeof(p)) == 0)
        (void)wdn_read_u64(p, &s.pids_current);
    (void)err;
    *ret = s;
    return 0;
}

const wdn_cg_ops_t wdn_cg_v1_ops = {
    .name = "v1",
    .prepare = v1_prepare,
    .set_memory = v1_set_memory,
    .set_cpu = v1_set_cpu,
    .set_pids = v1_set_pids,
    .stats = v1_stats,
};
