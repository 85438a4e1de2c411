/*
 * recover.c - restart recovery (DESIGN §4): every container dir is either re-adopted (its
 * init is alive: same pid and start time as recorded) or torn down; cgroups under our parent
 * that no container claims are killed and removed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hc_log.h"
#include "lib/wdn_rootfs.h"
#include "lib/wdn_util.h"
#include "wdn_daemon.h"

wdn_ctr_t *wdn_ctr_new(wdn_daemon_t *d, const char *handle, unsigned slot);

static uint64_t ju(json_t *o, const char *k)
{
    json_int_t v = json_integer_value(json_object_get(o, k));
    return v < 0 ? 0 : (uint64_t)v;
}

static void adopt_jobs(wdn_ctr_t *c)
{
    char p[PATH_MAX];
    (void)wdn_path(p, sizeof(p), "%s/jobs", c->cdir);
    DIR *dir = opendir(p);
    if (!dir)
        return;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        uint64_t id;
        if (hc_parse_u64(de->d_name, strlen(de->d_name), UINT32_MAX, &id) == 0 && id > 0)
            wdn_job_adopt(c, (uint32_t)id);
    }
    closedir(dir);
}

static void recover_one(wdn_daemon_t *d, const char *name)
{
    char cdir[PATH_MAX], p[PATH_MAX];
    (void)wdn_path(cdir, sizeof(cdir), "%s/containers/%s", d->conf.data_dir, name);
    (void)wdn_path(p, sizeof(p), "%s/meta.json", cdir);
    json_t *m = json_load_file(p, 0, NULL);
    uint64_t slot = ju(m, "slot");
    if (!m || !wdn_handle_ok(name) || slot >= d->conf.max_containers || d->slots[slot] ||
        wdn_ctr_find(d, name)) {
        hc_log_warn("removing unreadable container dir", "path", cdir);
        hc_err_t err;
        if (wdn_handle_ok(name))
            (void)wdn_cg_destroy(&d->cg, name, &err);
        (void)wdn_path(p, sizeof(p), "%s/disk", cdir);
        (void)wdn_rootfs_umount_disk(p);
        (void)wdn_rootfs_umount_disk(cdir);
        (void)wdn_rm_rf(cdir);
        json_decref(m);
        return;
    }
    wdn_ctr_t *c = wdn_ctr_new(d, name, (unsigned)slot);
    c->uid = (uid_t)ju(m, "uid");
    c->init_pid = (pid_t)ju(m, "init_pid");
    c->init_start = ju(m, "init_start");
    c->network = json_is_true(json_object_get(m, "network"));
    json_t *l = json_object_get(m, "limits");
    c->limits = (wdn_limits_t){ju(l, "memory"), ju(l, "cpu_shares"), ju(l, "pids"), ju(l, "disk")};
    c->grace_time = ju(m, "grace_time");
    c->oom_seen = ju(m, "oom_seen");
    c->next_job = (uint32_t)ju(m, "next_job");
    if (c->next_job == 0)
        c->next_job = 1;
    static const char *const keys[] = {"properties", "env", "events", "ports", "net_out"};
    json_t **fields[] = {&c->properties, &c->env, &c->events, &c->ports, &c->net_out};
    for (size_t i = 0; i < HC_ARRAY_SIZE(keys); i++) {
        json_t *v = json_object_get(m, keys[i]);
        if (v && json_typeof(v) == json_typeof(*fields[i])) {
            json_decref(*fields[i]);
            *fields[i] = json_incref(v);
        }
    }
    const char *state = json_string_value(json_object_get(m, "state"));
    size_t i;
    json_t *port;
    json_array_foreach(c->ports, i, port)(void) wdn_port_alloc(d, (unsigned)ju(port, "host_port"));
    if (state && strcmp(state, "born") != 0 && wdn_ctr_alive(c)) {
        c->state = strcmp(state, "stopped") == 0 ? WDN_STOPPED : WDN_ACTIVE;
        adopt_jobs(c);
        hc_log_info("re-adopted container", "handle", name);
        wdn_ctr_grace_arm(c);
    } else {
        hc_log_info("cleaning up dead container", "handle", name);
        wdn_ctr_teardown(d, c);
    }
    json_decref(m);
}

static void orphan_cgroup(const char *name, void *data)
{
    wdn_daemon_t *d = data;
    if (wdn_ctr_find(d, name))
        return;
    hc_err_t err;
    hc_log_info("removing orphaned cgroup", "name", name);
    if (wdn_cg_destroy(&d->cg, name, &err) < 0)
        hc_log_warn("cannot remove orphaned cgroup, ignoring", "name", name, "err", err.msg);
}

void wdn_recover(wdn_daemon_t *d)
{
    char p[PATH_MAX];
    (void)wdn_path(p, sizeof(p), "%s/containers", d->conf.data_dir);
    DIR *dir = opendir(p);
    if (dir) {
        struct dirent *de;
        while ((de = readdir(dir)) != NULL) {
            if (de->d_name[0] == '.')
                continue;
            recover_one(d, de->d_name);
        }
        closedir(dir);
    }
    wdn_cg_list(&d->cg, orphan_cgroup, d);
}
