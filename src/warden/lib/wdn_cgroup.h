/*
 * wdn_cgroup.h - container cgroups behind an ops table (STYLE R2): a cgroup v1 backend
 * (one hierarchy per controller, as on this kind of host: memory, cpu, cpuacct, pids) and a
 * cgroup v2 backend (one unified hierarchy). Each container gets one cgroup named by its
 * handle under a parent ("hearth-warden" by default) created below the warden's own cgroup,
 * so warden never writes outside the subtree it was started in.
 */
#ifndef HEARTH_WARDEN_CGROUP_H
#define HEARTH_WARDEN_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hc_base.h"

#define WDN_CG_MAX_DIRS 6

typedef struct wdn_cg_stats_s {
    uint64_t memory_usage; /* bytes */
    uint64_t memory_limit; /* bytes, UINT64_MAX when unlimited */
    uint64_t memory_rss;   /* anon bytes */
    uint64_t memory_cache; /* file bytes */
    uint64_t cpu_usage_ns; /* total cpu time */
    uint64_t oom_kills;    /* processes the kernel killed for this cgroup's limit */
    uint64_t pids_current;
} wdn_cg_stats_t;

typedef struct wdn_cg_s wdn_cg_t;

typedef struct wdn_cg_ops_s {
    const char *name; /* "v1" or "v2" */
    /* Called once after the parent dirs are known (v2 enables controllers). */
    int (*prepare)(wdn_cg_t *cg, hc_err_t *err);
    int (*set_memory)(wdn_cg_t *cg, const char *handle, uint64_t bytes, hc_err_t *err);
    int (*set_cpu)(wdn_cg_t *cg, const char *handle, uint64_t shares, hc_err_t *err);
    int (*set_pids)(wdn_cg_t *cg, const char *handle, uint64_t max, hc_err_t *err);
    int (*stats)(wdn_cg_t *cg, const char *handle, wdn_cg_stats_t *ret, hc_err_t *err);
} wdn_cg_ops_t;

/* Which parent dir serves which role; -1 when the host lacks that controller. */
typedef struct wdn_cg_roles_s {
    int memory, cpu, cpuacct, pids;
} wdn_cg_roles_t;

struct wdn_cg_s {
    const wdn_cg_ops_t *ops;
    size_t ndirs;
    char dirs[WDN_CG_MAX_DIRS][PATH_MAX]; /* parent dir in each hierarchy we use */
    wdn_cg_roles_t roles;
    unsigned v2_ctrls; /* v2: WDN_CG_MEMORY|CPU|PIDS enabled for container cgroups */
};

#define WDN_CG_MEMORY 1u
#define WDN_CG_CPU 2u
#define WDN_CG_PIDS 4u

extern const wdn_cg_ops_t wdn_cg_v1_ops;
extern const wdn_cg_ops_t wdn_cg_v2_ops;

/*
 * Detects the host's cgroup layout from /proc/self/mountinfo and /proc/self/cgroup and
 * fills *cg with parent dirs named `parent` below the warden's own cgroup. `force` may be
 * NULL, "v1" or "v2". Creates the parent dirs. Returns 0 or a negative errno with err set.
 */
int wdn_cg_init(wdn_cg_t *cg, const char *parent, const char *force, hc_err_t *err);
/* Removes the parent dirs made by wdn_cg_init where they are empty. */
void wdn_cg_fini(wdn_cg_t *cg);
/* Creates the container's cgroup in every hierarchy. */
int wdn_cg_create(wdn_cg_t *cg, const char *handle, hc_err_t *err);
/* True when the container's cgroup exists (in the first hierarchy). */
bool wdn_cg_exists(wdn_cg_t *cg, const char *handle);
/*
 * Moves pid into the container's cgroup in every hierarchy. Async-signal-safe apart from
 * snprintf, so a helper may call it between fork and exec.
 */
int wdn_cg_attach(wdn_cg_t *cg, const char *handle, pid_t pid);
/*
 * Opens the cgroup.procs file of the container in every hierarchy (O_WRONLY|O_CLOEXEC) into
 * fds (capacity WDN_CG_MAX_DIRS), so a helper can attach a child after it left the host's
 * mount namespace. Returns the count or -errno.
 */
int wdn_cg_open_procs(wdn_cg_t *cg, const char *handle, int *fds);
/* Writes pid to each fd from wdn_cg_open_procs. Async-signal-safe. Returns 0 or -errno. */
int wdn_cg_attach_fds(const int *fds, int n, pid_t pid);
/* Fills pids (capacity cap) with the processes of the container's cgroup; returns the count. */
int wdn_cg_pids(wdn_cg_t *cg, const char *handle, pid_t *pids, size_t cap);
/*
 * One non-blocking pass: SIGKILLs every process of the container's cgroups and removes the
 * ones that are empty. Returns 0 once none is left, -EBUSY while killed processes are not yet
 * reaped (call again later), or another -errno with err set. Allocates nothing, so it may run
 * on the daemon's thread pool (removing a memory cgroup can wait for an RCU grace period).
 */
int wdn_cg_remove_once(wdn_cg_t *cg, const char *handle, hc_err_t *err);
/*
 * SIGKILLs every process listed in the container's cgroups and returns how many were listed
 * (0: every process is gone and reaped, or the cgroups are), or -errno. No allocation.
 */
int wdn_cg_kill_all(wdn_cg_t *cg, const char *handle);
/*
 * SIGKILLs every process of the cgroup, waits for it to empty (bounded, sleeping 1 ms per
 * try: start-up and tools only, never on the loop), removes it.
 */
int wdn_cg_destroy(wdn_cg_t *cg, const char *handle, hc_err_t *err);
/* Calls fn for each container cgroup name found under the parent (restart recovery). */
void wdn_cg_list(wdn_cg_t *cg, void (*fn)(const char *handle, void *data), void *data);

/* Pure helpers, unit-tested: cpu shares (v1, 2..262144, default 1024) to cpu.weight (1..10000). */
uint64_t wdn_cg_shares_to_weight(uint64_t shares);
/* Formats a byte limit for memory.max / pids.max: "max" when v is 0 or UINT64_MAX. */
void wdn_cg_fmt_limit(char *buf, size_t size, uint64_t v);

#endif
