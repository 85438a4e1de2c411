/*
 * cgroup.c - detection of the host's cgroup layout and the operations common to both
 * backends (create, attach, list, destroy). Version-specific files live in cgroup_v1.c and
 * cgroup_v2.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wdn_cgroup.h"
#include "wdn_util.h"

uint64_t wdn_cg_shares_to_weight(uint64_t shares)
{
    /* The kernel's own mapping (as runc and crun use): 2..262144 onto 1..10000. */
    if (shares == 0)
        return 100;
    if (shares < 2)
        shares = 2;
    if (shares > 262144)
        shares = 262144;
    return 1 + ((shares - 2) * 9999) / 262142;
}

void wdn_cg_fmt_limit(char *buf, size_t size, uint64_t v)
{
    if (v == 0 || v == UINT64_MAX)
        snprintf(buf, size, "max");
    else
        snprintf(buf, size, "%" PRIu64, v);
}

/* The cgroup path of this process in the hierarchy whose /proc/self/cgroup entry matches. */
static int own_path(const char *ctrl, bool v2, char *out, size_t size)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f)
        return -errno;
    char line[4096];
    int r = -ENOENT;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        const char *ctrls = c1 + 1, *path = c2 + 1;
        bool match = false;
        if (v2) {
            match = ctrls[0] == '\0' && strncmp(line, "0", 1) == 0;
        } else {
            char tmp[256];
            snprintf(tmp, sizeof(tmp), "%s", ctrls);
            char *save = NULL;
            for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save))
                if (strcmp(t, ctrl) == 0)
                    match = true;
        }
        if (match) {
            r = wdn_path(out, size, "%s", strcmp(path, "/") == 0 ? "" : path);
            break;
        }
    }
    fclose(f);
    return r;
}

/* Finds the mount point of the v1 hierarchy holding ctrl, or of the cgroup2 mount. */
static int find_mount(const char *ctrl, bool v2, char *out, size_t size)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return -errno;
    char line[4096];
    int r = -ENOENT;
    while (r == -ENOENT && fgets(line, sizeof(line), f)) {
        char root[1024], mnt[1024];
        if (sscanf(line, "%*s %*s %*s %1023s %1023s", root, mnt) != 2)
            continue;
        char *dash = strstr(line, " - ");
        if (!dash)
            continue;
        char fstype[64], source[256], opts[1024];
        if (sscanf(dash + 3, "%63s %255s %1023s", fstype, source, opts) != 3)
            continue;
        if (v2) {
            if (strcmp(fstype, "cgroup2") == 0)
                r = wdn_path(out, size, "%s", mnt);
            continue;
        }
        if (strcmp(fstype, "cgroup") != 0)
            continue;
        char *save = NULL;
        for (char *t = strtok_r(opts, ",", &save); t; t = strtok_r(NULL, ",", &save))
            if (strcmp(t, ctrl) == 0)
                r = wdn_path(out, size, "%s", mnt);
    }
    fclose(f);
    return r;
}

static int add_dir(wdn_cg_t *cg, const char *ctrl, const char *parent, hc_err_t *err)
{
    char mnt[PATH_MAX], own[PATH_MAX], dir[PATH_MAX];
    bool v2 = cg->ops == &wdn_cg_v2_ops;
    int r = find_mount(ctrl, v2, mnt, sizeof(mnt));
    if (r < 0)
        return r;
    r = own_path(ctrl, v2, own, sizeof(own));
    if (r < 0)
        return hc_err_set(err, r, "cgroup: own path for %s", ctrl);
    if (parent[0] == '/')
        r = wdn_path(dir, sizeof(dir), "%s%s", mnt, parent);
    else
        r = wdn_path(dir, sizeof(dir), "%s%s/%s", mnt, own, parent);
    if (r < 0)
        return hc_err_set(err, r, "cgroup: path for %s", ctrl);
    for (size_t i = 0; i < cg->ndirs; i++)
        if (strcmp(cg->dirs[i], dir) == 0)
            return (int)i;
    if (cg->ndirs == WDN_CG_MAX_DIRS)
        return hc_err_set(err, -E2BIG, "cgroup: too many hierarchies");
    memcpy(cg->dirs[cg->ndirs], dir, strlen(dir) + 1);
    return (int)cg->ndirs++;
}

int wdn_cg_init(wdn_cg_t *cg, const char *parent, const char *force, hc_err_t *err)
{
    memset(cg, 0, sizeof(*cg));
    cg->roles = (wdn_cg_roles_t){-1, -1, -1, -1};
    char tmp[PATH_MAX];
    bool v1 = find_mount("memory", false, tmp, sizeof(tmp)) == 0;
    if (force && strcmp(force, "v2") == 0)
        v1 = false;
    else if (force && strcmp(force, "v1") == 0)
        v1 = true;
    if (v1) {
        cg->ops = &wdn_cg_v1_ops;
        static const char *ctrls[] = {"memory", "cpu", "cpuacct", "pids"};
        int *roles[] = {&cg->roles.memory, &cg->roles.cpu, &cg->roles.cpuacct, &cg->roles.pids};
        for (size_t i = 0; i < HC_ARRAY_SIZE(ctrls); i++) {
            int r = add_dir(cg, ctrls[i], parent, err);
            if (r == -ENOENT)
                continue; /* the host lacks this controller: that limit is not enforced */
            if (r < 0)
                return r;
            *roles[i] = r;
        }
        if (cg->roles.memory < 0)
            return hc_err_set(err, -ENOENT, "cgroup v1: no memory hierarchy mounted");
    } else {
        cg->ops = &wdn_cg_v2_ops;
        int r = add_dir(cg, "", parent, err);
        if (r < 0)
            return r == -ENOENT ? hc_err_set(err, r, "cgroup: no cgroup2 mount") : r;
        cg->roles = (wdn_cg_roles_t){0, 0, 0, 0};
    }
    for (size_t i = 0; i < cg->ndirs; i++) {
        int r = wdn_mkdir_p(cg->dirs[i], 0755);
        if (r < 0)
            return hc_err_set(err, r, "cgroup: mkdir `%s`", cg->dirs[i]);
    }
    return cg->ops->prepare(cg, err);
}

void wdn_cg_fini(wdn_cg_t *cg)
{
    for (size_t i = 0; i < cg->ndirs; i++)
        (void)rmdir(cg->dirs[i]); /* fails, harmlessly, while a container cgroup is inside */
}

int wdn_cg_create(wdn_cg_t *cg, const char *handle, hc_err_t *err)
{
    for (size_t i = 0; i < cg->ndirs; i++) {
        char p[PATH_MAX];
        int r = wdn_path(p, sizeof(p), "%s/%s", cg->dirs[i], handle);
        if (r < 0)
            return hc_err_set(err, r, "cgroup path");
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            return hc_err_set(err, -errno, "mkdir `%s`", p);
    }
    return 0;
}

bool wdn_cg_exists(wdn_cg_t *cg, const char *handle)
{
    char p[PATH_MAX];
    struct stat st;
    return wdn_path(p, sizeof(p), "%s/%s", cg->dirs[0], handle) == 0 && stat(p, &st) == 0;
}

int wdn_cg_attach(wdn_cg_t *cg, const char *handle, pid_t pid)
{
    char num[32];
    snprintf(num, sizeof(num), "%d", (int)pid);
    for (size_t i = 0; i < cg->ndirs; i++) {
        char p[PATH_MAX];
        if (wdn_path(p, sizeof(p), "%s/%s/cgroup.procs", cg->dirs[i], handle) < 0)
            return -ENAMETOOLONG;
        int r = wdn_write_str(p, num);
        if (r < 0)
            return r;
    }
    return 0;
}

int wdn_cg_open_procs(wdn_cg_t *cg, const char *handle, int *fds)
{
    for (size_t i = 0; i < cg->ndirs; i++) {
        char p[PATH_MAX];
        int fd = -1;
        if (wdn_path(p, sizeof(p), "%s/%s/cgroup.procs", cg->dirs[i], handle) == 0)
            fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
            int e = errno ? -errno : -ENAMETOOLONG;
            while (i-- > 0)
                close(fds[i]);
            return e;
        }
        fds[i] = fd;
    }
    return (int)cg->ndirs;
}

int wdn_cg_attach_fds(const int *fds, int n, pid_t pid)
{
    char num[24];
    int len = 0;
    unsigned v = (unsigned)pid;
    char rev[24];
    do {
        rev[len++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int i = 0; i < len; i++)
        num[i] = rev[len - 1 - i];
    for (int i = 0; i < n; i++)
        if (write(fds[i], num, (size_t)len) != len)
            return -errno;
    return 0;
}

int wdn_cg_pids(wdn_cg_t *cg, const char *handle, pid_t *pids, size_t cap)
{
    char p[PATH_MAX];
    int idx = cg->roles.pids >= 0 ? cg->roles.pids : 0;
    if (wdn_path(p, sizeof(p), "%s/%s/cgroup.procs", cg->dirs[idx], handle) < 0)
        return -ENAMETOOLONG;
    FILE *f = fopen(p, "re");
    if (!f)
        return -errno;
    size_t n = 0;
    int v;
    while (n < cap && fscanf(f, "%d", &v) == 1)
        pids[n++] = v;
    fclose(f);
    return (int)n;
}

/*
 * SIGKILLs every pid listed in a cgroup.procs file; no allocation (thread-pool safe).
 * Returns the number of pids seen or -errno.
 */
static int kill_listed(const char *procs)
{
    int seen = 0;
    int fd = open(procs, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char buf[4096];
    long v = -1;
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (ssize_t k = 0; k < n; k++) {
            if (buf[k] >= '0' && buf[k] <= '9') {
                v = (v < 0 ? 0 : v * 10) + (buf[k] - '0');
                if (v > INT32_MAX)
                    v = INT32_MAX;
            } else {
                if (v > 0) {
                    kill((pid_t)v, SIGKILL);
                    seen++;
                }
                v = -1;
            }
        }
    }
    if (v > 0) {
        kill((pid_t)v, SIGKILL);
        seen++;
    }
    close(fd);
    return seen;
}

int wdn_cg_kill_all(wdn_cg_t *cg, const char *handle)
{
    int left = 0;
    for (size_t i = 0; i < cg->ndirs; i++) {
        char procs[PATH_MAX];
        if (wdn_path(procs, sizeof(procs), "%s/%s/cgroup.procs", cg->dirs[i], handle) < 0)
            return -ENAMETOOLONG;
        int n = kill_listed(procs);
        if (n > 0)
            left += n;
    }
    return left;
}

int wdn_cg_remove_once(wdn_cg_t *cg, const char *handle, hc_err_t *err)
{
    int r = 0;
    bool busy = false;
    for (size_t i = 0; i < cg->ndirs; i++) {
        char p[PATH_MAX], procs[PATH_MAX];
        if (wdn_path(p, sizeof(p), "%s/%s", cg->dirs[i], handle) < 0 ||
            wdn_path(procs, sizeof(procs), "%s/cgroup.procs", p) < 0)
            return hc_err_set(err, -ENAMETOOLONG, "cgroup path");
        /* Kill what is there: a fork racing this pass is caught by the next one. */
        int q = kill_listed(procs);
        if (q == -ENOENT)
            continue;
        if (q < 0) {
            r = hc_err_set(err, q, "read `%s`", procs);
            continue;
        }
        /* Dead processes leave cgroup.procs only once reaped: EBUSY until then. */
        if (rmdir(p) == 0 || errno == ENOENT)
            continue;
        if (errno == EBUSY)
            busy = true;
        else if (r == 0)
            r = hc_err_set(err, -errno, "rmdir `%s`", p);
    }
    if (r == 0 && busy)
        r = hc_err_set(err, -EBUSY, "cgroup `%s` still busy", handle);
    return r;
}

int wdn_cg_destroy(wdn_cg_t *cg, const char *handle, hc_err_t *err)
{
    int r = 0;
    for (int attempt = 0; attempt < 2000; attempt++) {
        r = wdn_cg_remove_once(cg, handle, err);
        if (r != -EBUSY)
            break;
        struct timespec ts = {0, 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return r;
}

void wdn_cg_list(wdn_cg_t *cg, void (*fn)(const char *handle, void *data), void *data)
{
    DIR *d = opendir(cg->dirs[0]);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_type == DT_DIR && de->d_name[0] != '.')
            fn(de->d_name, data);
    }
    closedir(d);
}
