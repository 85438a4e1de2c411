/*
 * ctr.c - container lifecycle requests: create, stop, destroy, info, list, limits, capacity,
 * and the dispatcher for every request type.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "hc_fs.h"
#include "hc_log.h"
#include "hc_uuid.h"
#include "lib/wdn_helper.h"
#include "lib/wdn_rootfs.h"
#include "lib/wdn_util.h"
#include "net_egress.h"
#include "wdn_daemon.h"

#define STOP_GRACE_MS 10000
#define STOP_POLL_MS 50

static const char *const state_names[] = {"born", "active", "stopped", "destroyed"};

wdn_ctr_t *wdn_ctr_find(wdn_daemon_t *d, const char *handle)
{
    if (!handle)
        return NULL;
    for (wdn_ctr_t *c = d->ctrs; c; c = c->next)
        if (strcmp(c->handle, handle) == 0)
            return c;
    return NULL;
}

bool wdn_ctr_alive(const wdn_ctr_t *c)
{
    return c->init_pid > 0 && wdn_proc_starttime(c->init_pid) == c->init_start;
}

void wdn_ctr_save(wdn_ctr_t *c)
{
    json_t *m = json_pack(
        "{s:s, s:i, s:i, s:i, s:I, s:s, s:b, s:{s:I, s:I, s:I, s:I}, s:I, "
        "s:O, s:O, s:O, s:O, s:O, s:I, s:i}",
        "handle", c->handle, "slot", (int)c->slot, "uid", (int)c->uid, "init_pid", (int)c->init_pid,
        "init_start", (json_int_t)c->init_start, "state", state_names[c->state], "network",
        c->network, "limits", "memory", (json_int_t)c->limits.memory, "cpu_shares",
        (json_int_t)c->limits.cpu_shares, "pids", (json_int_t)c->limits.pids, "disk",
        (json_int_t)c->limits.disk, "grace_time", (json_int_t)c->grace_time, "properties",
        c->properties, "env", c->env, "events", c->events, "ports", c->ports, "net_out", c->net_out,
        "oom_seen", (json_int_t)c->oom_seen, "next_job", (int)c->next_job);
    char *s = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    char p[PATH_MAX];
    if (s && wdn_path(p, sizeof(p), "%s/meta.json", c->cdir) == 0) {
        hc_err_t err = {0};
        if (hc_atomic_write_file(AT_FDCWD, p, s, strlen(s), 0600, &err) < 0)
            hc_log_warn("cannot save container state, ignoring", "handle", c->handle, "err",
                        err.msg);
    }
    free(s);
}

void wdn_ctr_check_oom(wdn_ctr_t *c)
{
    wdn_cg_stats_t st;
    hc_err_t err;
    if (c->state == WDN_DESTROYED || c->d->cg.ops->stats(&c->d->cg, c->handle, &st, &err) < 0)
        return;
    if (st.oom_kills > c->oom_seen) {
        c->oom_seen = st.oom_kills;
        bool have = false;
        size_t i;
        json_t *e;
        json_array_foreach(c->events, i, e) have |=
            strcmp(json_string_value(e), "out of memory") == 0;
        if (!have)
            json_array_append_new(c->events, json_string("out of memory"));
        hc_log_warn("container ran out of memory", "handle", c->handle);
        wdn_ctr_save(c);
    }
}

void wdn_ctr_free(wdn_ctr_t *c)
{
    json_decref(c->properties);
    json_decref(c->env);
    json_decref(c->events);
    json_decref(c->ports);
    json_decref(c->net_out);
    free(c);
}

static void grace_closed(uv_handle_t *h)
{
    wdn_ctr_free(h->data);
}

static void unlink_ctr(wdn_daemon_t *d, wdn_ctr_t *c)
{
    for (wdn_ctr_t **pp = &d->ctrs; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    if (c->slot < d->conf.max_containers && d->slots[c->slot] == 1)
        d->slots[c->slot] = 0;
}

/* Fails every call on any connection that waits on this container's jobs. */
static void fail_waiters(wdn_daemon_t *d, wdn_ctr_t *c)
{
    for (wdn_conn_t *k = d->conns; k; k = k->next) {
        wdn_call_t *call = k->call;
        if (call && call->job && call->job->ctr == c) {
            wdn_job_call_abort(call);
            wdn_call_fail(call, -ENOENT, "container destroyed");
        }
    }
}

typedef struct net_slot_s {
    wdn_daemon_t *d;
    unsigned slot;
} net_slot_t;

/* The slot (and so its interface names and subnet) is reused only once its teardown ran. */
static void net_teardown_done(void *data, int status, const char *out, const char *errtxt)
{
    net_slot_t *ns = data;
    (void)out;
    if (status != 0)
        hc_log_debug("network teardown failed", "err", errtxt);
    if (ns->slot < ns->d->conf.max_containers)
        ns->d->slots[ns->slot] = 0;
    free(ns);
}

void wdn_ctr_teardown(wdn_daemon_t *d, wdn_ctr_t *c)
{
    c->state = WDN_DESTROYED;
    fail_waiters(d, c);
    if (wdn_ctr_alive(c))
        kill(c->init_pid, SIGKILL);
    char *script = c->network && d->conf.network ? wdn_net_teardown_script(d, c) : NULL;
    if (script) {
        char *argv[] = {"/bin/sh", "-c", script, NULL};
        net_slot_t *ns = hc_malloc(sizeof(*ns));
        *ns = (net_slot_t){d, c->slot};
        if (wdn_run(d, argv, net_teardown_done, ns) < 0) {
            hc_log_warn("network teardown failed to start", "handle", c->handle);
            free(ns);
        } else if (c->slot < d->conf.max_containers) {
            d->slots[c->slot] = 2; /* draining */
        }
        free(script);
    }
    size_t i;
    json_t *p;
    json_array_foreach(c->ports, i, p)
        wdn_port_release(d, (unsigned)json_integer_value(json_object_get(p, "host_port")));
    /* Mounts, directory and cgroups go on the thread pool; the processes are dead already
     * (the init's death ends the pid namespace; the cgroup pass kills any straggler). */
    wdn_drain_start(d, c->handle, c->cdir);
    wdn_job_detach_all(c);
    unlink_ctr(d, c);
    if (c->grace_armed)
        uv_timer_stop(&c->grace);
    c->grace.data = c;
    uv_close((uv_handle_t *)&c->grace, grace_closed);
}

static void on_grace(uv_timer_t *t)
{
    wdn_ctr_t *c = t->data;
    c->grace_armed = false;
    if (c->refs == 0 && c->busy == 0 && c->state != WDN_DESTROYED) {
        hc_log_info("grace time over, destroying", "handle", c->handle);
        wdn_ctr_teardown(c->d, c);
    }
}

void wdn_ctr_grace_arm(wdn_ctr_t *c)
{
    if (c->grace_time == 0 || c->refs > 0 || c->state == WDN_DESTROYED)
        return;
    c->grace.data = c;
    uv_timer_start(&c->grace, on_grace, c->grace_time * 1000, 0);
    c->grace_armed = true;
}

/* Allocates the container struct and registers it (state born). */
wdn_ctr_t *wdn_ctr_new(wdn_daemon_t *d, const char *handle, unsigned slot);
wdn_ctr_t *wdn_ctr_new(wdn_daemon_t *d, const char *handle, unsigned slot)
{
    wdn_ctr_t *c = hc_calloc(1, sizeof(*c));
    c->d = d;
    snprintf(c->handle, sizeof(c->handle), "%s", handle);
    (void)wdn_path(c->cdir, sizeof(c->cdir), "%s/containers/%s", d->conf.data_dir, handle);
    c->slot = slot;
    c->uid = d->conf.uid_base + slot;
    c->properties = json_object();
    c->env = json_array();
    c->events = json_array();
    c->ports = json_array();
    c->net_out = json_array();
    c->next_job = 1;
    uv_timer_init(d->loop, &c->grace);
    c->grace.data = c;
    d->slots[slot] = 1;
    c->next = d->ctrs;
    d->ctrs = c;
    return c;
}

/* ---- create ---- */

static void create_fail(wdn_call_t *call, const char *msg)
{
    wdn_ctr_t *c = call->ctr;
    hc_log_warn("create failed", "handle", c->handle, "err", msg);
    c->busy--;
    wdn_ctr_teardown(call->conn ? call->conn->d : c->d, c);
    wdn_call_fail(call, -EIO, msg);
}

static void create_finish(wdn_call_t *call)
{
    wdn_ctr_t *c = call->ctr;
    c->busy--;
    c->state = WDN_ACTIVE;
    wdn_ctr_save(c);
    hc_log_info("container created", "handle", c->handle);
    /* The creating connection holds the first reference (grace time starts when it closes). */
    if (call->conn && !call->conn->closing) {
        json_array_append_new(call->conn->used, json_string(c->handle));
        c->refs++;
    } else {
        wdn_ctr_grace_arm(c);
    }
    wdn_call_done(call, json_pack("{s:s}", "handle", c->handle));
}

static void create_init_done(void *data, int status, const char *out, const char *errtxt)
{
    wdn_call_t *call = data;
    wdn_ctr_t *c = call->ctr;
    uint64_t pid = 0;
    size_t n = out ? strcspn(out, "\n") : 0;
    if (status != 0 || hc_parse_u64(out, n, INT32_MAX, &pid) < 0 || pid == 0) {
        char msg[600];
        const char *t = errtxt && errtxt[0] ? errtxt : "container init failed";
        if (strncmp(t, "hearth-warden: ", 15) == 0)
            t += 15;
        snprintf(msg, sizeof(msg), "%s", t);
        msg[strcspn(msg, "\n")] = '\0';
        create_fail(call, msg);
        return;
    }
    c->init_pid = (pid_t)pid;
    c->init_start = wdn_proc_starttime(c->init_pid);
    /* The network (veth pair, addresses, route) was plumbed by the init helper; the
     * nftables chain and map entry of the slot exist since warden started. */
    create_finish(call);
}

static int write_config(wdn_daemon_t *d, wdn_ctr_t *c, wdn_req_t *req, hc_err_t *err)
{
    json_t *dirs = json_array();
    for (size_t i = 0; i < d->cg.ndirs; i++)
        json_array_append_new(dirs, json_string(d->cg.dirs[i]));
    json_t *cfg =
        json_pack("{s:s, s:s, s:s, s:b, s:i, s:o, s:o}", "handle", c->handle, "hostname", c->handle,
                  "base", d->base, "overlay", d->overlay, "uid", (int)c->uid, "cgroup_dirs", dirs,
                  "bind_mounts", req->bind_mounts ? json_incref(req->bind_mounts) : json_array());
    if (c->network) {
        char host_if[32], peer_if[32], host_ip[16], ctr_ip[16];
        wdn_net_names(d, c->slot, host_if, peer_if);
        wdn_net_addrs(d, c->slot, host_ip, ctr_ip);
        json_object_set_new(cfg, "net",
                            json_pack("{s:s, s:s, s:s, s:s}", "host_if", host_if, "peer_if",
                                      peer_if, "host_ip", host_ip, "ctr_ip", ctr_ip));
    }
    char *s = json_dumps(cfg, JSON_COMPACT);
    json_decref(cfg);
    char p[PATH_MAX];
    int r = wdn_path(p, sizeof(p), "%s/config.json", c->cdir);
    if (r < 0)
        r = hc_err_set(err, r, "config path");
    else
        r = hc_atomic_write_file(AT_FDCWD, p, s, strlen(s), 0600, err);
    free(s);
    return r;
}

static void handle_create(wdn_call_t *call)
{
    wdn_daemon_t *d = call->conn->d;
    wdn_req_t *req = &call->req;
    char handle[WDN_MAX_HANDLE + 1], p[PATH_MAX];
    hc_err_t err = {0};
    if (req->handle) {
        snprintf(handle, sizeof(handle), "%s", req->handle);
    } else {
        char hex[11];
        hc_random_hex(hex, 5);
        snprintf(handle, sizeof(handle), "%s", hex);
    }
    if (wdn_ctr_find(d, handle)) {
        wdn_call_fail(call, -EEXIST, "a container with this handle already exists");
        return;
    }
    /* The last container of this name is still being cleaned up: go on once it is. */
    if (wdn_drain_wait(d, call, handle))
        return;
    if (wdn_drain_pending(d, handle)) {
        wdn_call_fail(call, -EBUSY, "a container with this handle is being destroyed, retry");
        return;
    }
    /* Slots are taken round-robin: the one freed longest ago comes next, so its old veth
     * pair (freed with its network namespace, asynchronously) is normally gone already and
     * the init helper need not remove it while the kernel still tears it down. */
    unsigned n = d->conf.max_containers, slot = n;
    for (unsigned k = 0; k < n; k++) {
        unsigned s = (d->next_slot + k) % n;
        if (!d->slots[s]) {
            slot = s;
            break;
        }
    }
    if (slot == n) {
        wdn_call_fail(call, -ENOSPC, "no capacity: max_containers reached");
        return;
    }
    d->next_slot = (slot + 1) % n;
    wdn_ctr_t *c = wdn_ctr_new(d, handle, slot);
    call->ctr = c;
    c->busy++;
    c->network = d->conf.network && !req->network_none;
    c->limits = req->limits;
    if (!c->limits.memory)
        c->limits.memory = d->conf.default_memory;
    if (!c->limits.disk)
        c->limits.disk = d->conf.default_disk;
    if (!c->limits.pids)
        c->limits.pids = d->conf.default_pids;
    if (!c->limits.cpu_shares)
        c->limits.cpu_shares = d->conf.default_cpu_shares;
    c->grace_time = req->has_grace ? req->grace_time : d->conf.grace_time;
    if (req->properties)
        json_object_update(c->properties, req->properties);
    if (req->env)
        json_array_extend(c->env, req->env);
    int r = wdn_mkdir_p(c->cdir, 0700);
    if (r == 0 && (r = wdn_rootfs_mount_state(c->cdir, &err)) < 0)
        goto fail;
    if (r == 0 && (r = wdn_path(p, sizeof(p), "%s/jobs", c->cdir)) == 0)
        r = wdn_mkdir_p(p, 0700);
    if (r == 0 && (r = wdn_path(p, sizeof(p), "%s/rootfs", c->cdir)) == 0)
        r = wdn_mkdir_p(p, 0755);
    if (r < 0) {
        hc_err_set(&err, r, "mkdir `%s`", c->cdir);
        goto fail;
    }
    wdn_ctr_save(c);
    if ((r = write_config(d, c, req, &err)) < 0)
        goto fail;
    (void)wdn_path(p, sizeof(p), "%s/disk", c->cdir);
    if ((r = wdn_rootfs_mount_disk(p, d->base, c->limits.disk, c->uid, d->overlay, &err)) < 0)
        goto fail;
    if (c->network) {
        (void)wdn_path(p, sizeof(p), "%s/disk/%s/etc", c->cdir, d->overlay ? "upper" : "root");
        if ((r = wdn_netx_resolv(d, c, p, &err)) < 0)
            goto fail;
    }
    /* Job output lives on the container's tmpfs, so it counts against the disk quota. */
    (void)wdn_path(p, sizeof(p), "%s/disk/jobs", c->cdir);
    if ((r = wdn_mkdir_p(p, 0700)) < 0) {
        hc_err_set(&err, r, "mkdir `%s`", p);
        goto fail;
    }
    if ((r = wdn_cg_create(&d->cg, handle, &err)) < 0 ||
        (r = d->cg.ops->set_memory(&d->cg, handle, c->limits.memory, &err)) < 0 ||
        (r = d->cg.ops->set_cpu(&d->cg, handle, c->limits.cpu_shares, &err)) < 0 ||
        (r = d->cg.ops->set_pids(&d->cg, handle, c->limits.pids, &err)) < 0)
        goto fail;
    /* The __init helper's body, in a raw fork of the daemon: no exec, no dynamic linking. */
    if ((r = wdn_run_fork(d, wdn_helper_init, c->cdir, create_init_done, call)) < 0) {
        hc_err_set(&err, r, "spawn init helper");
        goto fail;
    }
    return;
fail:
    create_fail(call, err.msg);
}

/* ---- stop ---- */

static int kill_all_but_init(wdn_ctr_t *c, int sig)
{
    pid_t pids[4096];
    int n = wdn_cg_pids(&c->d->cg, c->handle, pids, HC_ARRAY_SIZE(pids));
    int others = 0;
    for (int i = 0; i < n; i++) {
        if (pids[i] == c->init_pid)
            continue;
        others++;
        kill(pids[i], sig);
    }
    return others;
}

static void stop_tick(uv_timer_t *t)
{
    wdn_call_t *call = HC_CONTAINER_OF(t, wdn_call_t, timer);
    wdn_ctr_t *c = call->ctr;
    call->off[0] += STOP_POLL_MS;
    if (c->state == WDN_DESTROYED) {
        wdn_call_done(call, json_object());
        return;
    }
    int sig = call->off[0] >= STOP_GRACE_MS ? SIGKILL : 0;
    int left = kill_all_but_init(c, sig);
    if (left == 0 || call->off[0] >= STOP_GRACE_MS + 2000) {
        uv_timer_stop(t);
        c->busy--;
        wdn_ctr_check_oom(c);
        wdn_call_done(call, json_object());
    }
}

static void handle_stop(wdn_call_t *call, wdn_ctr_t *c)
{
    c->state = WDN_STOPPED;
    wdn_ctr_save(c);
    int left = kill_all_but_init(c, call->req.kill ? SIGKILL : SIGTERM);
    if (call->req.background || left == 0) {
        if (left > 0 && !call->req.kill)
            kill_all_but_init(c, SIGTERM);
        wdn_call_done(call, json_object());
        return;
    }
    c->busy++;
    call->ctr = c;
    uv_timer_init(c->d->loop, &call->timer);
    call->timer_on = true;
    uv_timer_start(&call->timer, stop_tick, STOP_POLL_MS, STOP_POLL_MS);
}

/* ---- info / list / limits / capacity ---- */

static json_t *ctr_info(wdn_ctr_t *c)
{
    wdn_daemon_t *d = c->d;
    wdn_cg_stats_t st = {0};
    hc_err_t err;
    wdn_ctr_check_oom(c);
    if (c->state == WDN_ACTIVE && !wdn_ctr_alive(c)) {
        /* Someone killed the init from the host: every process of the container is gone. */
        c->state = WDN_STOPPED;
        json_array_append_new(c->events, json_string("container init exited"));
        wdn_ctr_save(c);
    }
    (void)d->cg.ops->stats(&d->cg, c->handle, &st, &err);
    uint64_t used = 0, inodes = 0, limit = 0;
    char p[PATH_MAX], host_ip[16] = "", ctr_ip[16] = "";
    (void)wdn_path(p, sizeof(p), "%s/disk", c->cdir);
    (void)wdn_rootfs_disk_usage(p, &used, &inodes, &limit);
    if (c->network)
        wdn_net_addrs(d, c->slot, host_ip, ctr_ip);
    json_t *jobs = json_array();
    for (wdn_job_t *j = c->jobs; j; j = j->next)
        json_array_append_new(jobs, json_integer(j->id));
    pid_t pids[1024];
    int n = wdn_cg_pids(&d->cg, c->handle, pids, HC_ARRAY_SIZE(pids));
    json_t *procs = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(procs, json_integer(pids[i]));
    (void)wdn_path(p, sizeof(p), "%s/rootfs", c->cdir);
    return json_pack(
        "{s:s, s:s, s:O, s:s, s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I}, s:{s:I}, "
        "s:{s:I, s:I, s:I}, s:o, s:o, s:O, s:O, s:{s:I, s:I, s:I, s:I}, s:O}",
        "handle", c->handle, "state", state_names[c->state], "events", c->events, "host_ip",
        host_ip, "container_ip", ctr_ip, "container_path", p, "memory_stat", "usage_in_bytes",
        (json_int_t)st.memory_usage, "limit_in_bytes",
        (json_int_t)(st.memory_limit == UINT64_MAX ? 0 : st.memory_limit), "rss",
        (json_int_t)st.memory_rss, "cache", (json_int_t)st.memory_cache, "pids_current",
        (json_int_t)st.pids_current, "cpu_stat", "usage", (json_int_t)st.cpu_usage_ns, "disk_stat",
        "bytes_used", (json_int_t)used, "inodes_used", (json_int_t)inodes, "byte_limit",
        (json_int_t)limit, "job_ids", jobs, "process_ids", procs, "properties", c->properties,
        "mapped_ports", c->ports, "limits", "memory_in_bytes", (json_int_t)c->limits.memory,
        "cpu_shares", (json_int_t)c->limits.cpu_shares, "pids", (json_int_t)c->limits.pids,
        "disk_in_bytes", (json_int_t)c->limits.disk, "net_out", c->net_out);
}

static bool props_match(json_t *have, json_t *want)
{
    const char *k;
    json_t *v;
    json_object_foreach(want, k, v)
    {
        json_t *h = json_object_get(have, k);
        if (!h || !json_equal(h, v))
            return false;
    }
    return true;
}

static void handle_list(wdn_call_t *call)
{
    json_t *handles = json_array();
    for (wdn_ctr_t *c = call->conn->d->ctrs; c; c = c->next) {
        if (c->state == WDN_DESTROYED)
            continue;
        if (call->req.properties && !props_match(c->properties, call->req.properties))
            continue;
        json_array_append_new(handles, json_string(c->handle));
    }
    wdn_call_done(call, json_pack("{s:o}", "handles", handles));
}

static void handle_capacity(wdn_call_t *call)
{
    wdn_daemon_t *d = call->conn->d;
    char text[4096];
    uint64_t mem_kb = 0;
    if (wdn_read_str("/proc/meminfo", text, sizeof(text)) > 0) {
        const char *p = strstr(text, "MemTotal:");
        if (p)
            mem_kb = strtoull(p + 9, NULL, 10);
    }
    struct statvfs s;
    uint64_t disk = 0;
    if (statvfs(d->conf.data_dir, &s) == 0)
        disk = (uint64_t)s.f_blocks * s.f_frsize;
    unsigned used = 0;
    for (wdn_ctr_t *c = d->ctrs; c; c = c->next)
        used++;
    wdn_call_done(call,
                  json_pack("{s:I, s:I, s:i, s:i}", "memory_in_bytes", (json_int_t)(mem_kb * 1024),
                            "disk_in_bytes", (json_int_t)disk, "max_containers",
                            (int)d->conf.max_containers, "containers", (int)used));
}

static void handle_limit(wdn_call_t *call, wdn_ctr_t *c)
{
    wdn_daemon_t *d = c->d;
    wdn_req_t *req = &call->req;
    hc_err_t err = {0};
    int r = 0;
    char p[PATH_MAX];
    (void)wdn_path(p, sizeof(p), "%s/disk", c->cdir);
    switch (req->type) {
    case WDN_REQ_LIMIT_MEMORY:
        if (req->has_limit && (r = d->cg.ops->set_memory(&d->cg, c->handle, req->limit, &err)) == 0)
            c->limits.memory = req->limit;
        break;
    case WDN_REQ_LIMIT_CPU:
        if (req->has_limit && (r = d->cg.ops->set_cpu(&d->cg, c->handle, req->limit, &err)) == 0)
            c->limits.cpu_shares = req->limit;
        break;
    default:
        if (req->has_limit && (r = wdn_rootfs_resize_disk(p, req->limit, &err)) == 0)
            c->limits.disk = req->limit;
        break;
    }
    if (r < 0) {
        wdn_call_fail(call, r, err.msg);
        return;
    }
    wdn_ctr_save(c);
    json_t *resp;
    if (req->type == WDN_REQ_LIMIT_MEMORY) {
        wdn_cg_stats_t st = {0};
        (void)d->cg.ops->stats(&d->cg, c->handle, &st, &err);
        resp = json_pack("{s:I}", "limit_in_bytes",
                         (json_int_t)(st.memory_limit == UINT64_MAX ? 0 : st.memory_limit));
    } else if (req->type == WDN_REQ_LIMIT_CPU) {
        resp = json_pack("{s:I}", "limit_in_shares", (json_int_t)c->limits.cpu_shares);
    } else {
        uint64_t used = 0, inodes = 0, limit = 0;
        (void)wdn_rootfs_disk_usage(p, &used, &inodes, &limit);
        resp = json_pack("{s:I, s:I, s:I}", "byte_limit", (json_int_t)limit, "bytes_used",
                         (json_int_t)used, "inodes_used", (json_int_t)inodes);
    }
    wdn_call_done(call, resp);
}

/* ---- net and copy ---- */

static void helper_reply(void *data, int status, const char *out, const char *errtxt)
{
    (void)out;
    wdn_call_t *call = data;
    if (call->ctr)
        call->ctr->busy--;
    if (status != 0) {
        char msg[512];
        const char *t = errtxt && errtxt[0] ? errtxt : "helper failed";
        if (strncmp(t, "hearth-warden: ", 15) == 0)
            t += 15;
        snprintf(msg, sizeof(msg), "%s", t);
        msg[strcspn(msg, "\n")] = '\0';
        if (call->req.type == WDN_REQ_NET_IN && call->off[0])
            wdn_port_release(call->ctr->d, (unsigned)call->off[0]);
        wdn_call_fail(call, -EIO, msg);
        return;
    }
    wdn_ctr_t *c = call->ctr;
    json_t *resp = json_object();
    if (call->req.type == WDN_REQ_NET_IN) {
        json_t *m = json_pack("{s:I, s:I}", "host_port", (json_int_t)call->off[0], "container_port",
                              (json_int_t)call->off[1]);
        json_array_append(c->ports, m);
        json_object_update(resp, m);
        json_decref(m);
        wdn_ctr_save(c);
    } else if (call->req.type == WDN_REQ_NET_OUT) {
        json_t *rule = json_pack("{s:s?, s:I, s:s?}", "network", call->req.network, "port",
                                 (json_int_t)call->req.port, "protocol", call->req.protocol);
        json_array_append_new(c->net_out, rule);
        wdn_ctr_save(c);
    }
    wdn_call_done(call, resp);
}

static void run_helper(wdn_call_t *call, wdn_ctr_t *c, char *const argv[])
{
    call->ctr = c;
    c->busy++;
    if (wdn_run(c->d, argv, helper_reply, call) < 0) {
        c->busy--;
        wdn_call_fail(call, -EIO, "cannot start helper");
    }
}

static void handle_net(wdn_call_t *call, wdn_ctr_t *c)
{
    wdn_daemon_t *d = c->d;
    if (!c->network) {
        wdn_call_fail(call, -ENOTSUP, "container has no network");
        return;
    }
    char *script;
    if (call->req.type == WDN_REQ_NET_IN) {
        int hp = wdn_port_alloc(d, call->req.host_port);
        if (hp < 0) {
            wdn_call_fail(call, hp,
                          hp == -EADDRINUSE ? "host port in use" : "no host port free in the pool");
            return;
        }
        unsigned cp = call->req.container_port ? call->req.container_port : (unsigned)hp;
        call->off[0] = (uint64_t)hp;
        call->off[1] = cp;
        script = wdn_net_in_script(d, c, (unsigned)hp, cp);
    } else {
        hc_err_t err = {0};
        script = wdn_net_out_script(d, c, &call->req, &err);
        if (!script) {
            wdn_call_fail(call, err.code, err.msg);
            return;
        }
    }
    char *argv[] = {"/bin/sh", "-c", script, NULL};
    run_helper(call, c, argv);
    free(script);
}

static void handle_copy(wdn_call_t *call, wdn_ctr_t *c)
{
    /* Without a host path the tar streams over the connection (xfer.c). */
    if (call->req.type == WDN_REQ_COPY_IN ? !call->req.src_path : !call->req.dst_path) {
        wdn_xfer_start(call, c);
        return;
    }
    char pid[16], uid[16];
    snprintf(pid, sizeof(pid), "%d", (int)c->init_pid);
    snprintf(uid, sizeof(uid), "%u", (unsigned)c->uid);
    bool in = call->req.type == WDN_REQ_COPY_IN;
    char *argv[] = {c->d->self_exe,
                    in ? "__copy-in" : "__copy-out",
                    pid,
                    uid,
                    (char *)call->req.src_path,
                    (char *)call->req.dst_path,
                    NULL};
    run_helper(call, c, argv);
}

/* ---- dispatch ---- */

void wdn_handle(wdn_call_t *call)
{
    wdn_daemon_t *d = call->conn->d;
    wdn_req_t *req = &call->req;
    switch (req->type) {
    case WDN_REQ_PING:
        wdn_call_done(call, json_object());
        return;
    case WDN_REQ_CAPACITY:
        handle_capacity(call);
        return;
    case WDN_REQ_LIST:
        handle_list(call);
        return;
    case WDN_REQ_CREATE:
        handle_create(call);
        return;
    default:
        break;
    }
    wdn_ctr_t *c = wdn_ctr_find(d, req->handle);
    if (!c || c->state == WDN_DESTROYED) {
        wdn_call_fail(call, -ENOENT, "unknown handle");
        return;
    }
    if (c->state == WDN_BORN) {
        wdn_call_fail(call, -EBUSY, "container is being created");
        return;
    }
    switch (req->type) {
    case WDN_REQ_INFO:
        wdn_call_done(call, ctr_info(c));
        return;
    case WDN_REQ_DESTROY:
        /* A streamed copy waits on its client, which may stall: destroy ends it instead. */
        wdn_xfer_detach_ctr(d, c);
        if (c->busy > 0) {
            wdn_call_fail(call, -EBUSY, "container is busy, retry");
            return;
        }
        hc_log_info("destroying container", "handle", c->handle);
        wdn_ctr_teardown(d, c);
        /* Answered once no process of it runs any more (drain.c). */
        if (!wdn_drain_when_dead(d, req->handle, call))
            wdn_call_done(call, json_object());
        return;
    case WDN_REQ_STOP:
        handle_stop(call, c);
        return;
    case WDN_REQ_LIMIT_MEMORY:
    case WDN_REQ_LIMIT_CPU:
    case WDN_REQ_LIMIT_DISK:
        handle_limit(call, c);
        return;
    case WDN_REQ_LINK:
    case WDN_REQ_STREAM:
    case WDN_REQ_SIGNAL: {
        wdn_job_t *j = wdn_job_find(c, (uint32_t)req->job_id);
        if (!j) {
            wdn_call_fail(call, -ENOENT, "unknown job_id");
            return;
        }
        call->job = j;
        call->ctr = c;
        if (req->type == WDN_REQ_LINK)
            wdn_job_link_reply(call);
        else if (req->type == WDN_REQ_STREAM)
            wdn_job_stream_start(call);
        else {
            int r = wdn_job_signal(c, j, req->signal);
            call->job = NULL;
            if (r < 0)
                wdn_call_fail(call, r, "job is not running");
            else
                wdn_call_done(call, json_object());
        }
        return;
    }
    default:
        break;
    }
    if (c->state != WDN_ACTIVE || !wdn_ctr_alive(c)) {
        wdn_call_fail(call, -ESRCH, "container is not running");
        return;
    }
    switch (req->type) {
    case WDN_REQ_SPAWN:
    case WDN_REQ_RUN: {
        hc_err_t err = {0};
        wdn_job_t *j = NULL;
        if (wdn_job_start(c, req, &j, &err) < 0) {
            wdn_call_fail(call, err.code, err.msg);
            return;
        }
        if (req->type == WDN_REQ_SPAWN) {
            wdn_call_done(call, json_pack("{s:i}", "job_id", (int)j->id));
            return;
        }
        call->job = j;
        call->ctr = c;
        wdn_job_link_reply(call);
        return;
    }
    case WDN_REQ_NET_IN:
    case WDN_REQ_NET_OUT:
        handle_net(call, c);
        return;
    case WDN_REQ_COPY_IN:
    case WDN_REQ_COPY_OUT:
        handle_copy(call, c);
        return;
    default:
        wdn_call_fail(call, -EINVAL, "unsupported request");
        return;
    }
}
