/* helper.c - the __init and __exec helpers (see wdn_helper.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wdn_cgroup.h"
#include "wdn_helper.h"
#include "wdn_netdev.h"
#include "wdn_rootfs.h"
#include "wdn_sec.h"
#include "wdn_util.h"

int wdn_copy_main(int argc, char **argv);

bool wdn_helper_is(int argc, char **argv)
{
    return argc >= 2 && strncmp(argv[1], "__", 2) == 0;
}

static json_t *load_json(const char *dir, const char *name)
{
    char p[PATH_MAX];
    if (wdn_path(p, sizeof(p), "%s/%s", dir, name) < 0)
        return NULL;
    json_error_t je;
    json_t *j = json_load_file(p, 0, &je);
    if (!j)
        fprintf(stderr, "hearth-warden: %s: %s\n", p, je.text);
    return j;
}

static const char *jstr(json_t *o, const char *k, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : dflt;
}

/* Rebuilds the cgroup dirs written by the daemon into config.json. */
static void cg_from_json(json_t *cfg, wdn_cg_t *cg)
{
    memset(cg, 0, sizeof(*cg));
    json_t *dirs = json_object_get(cfg, "cgroup_dirs");
    size_t i;
    json_t *v;
    json_array_foreach(dirs, i, v)
    {
        if (cg->ndirs < WDN_CG_MAX_DIRS && json_is_string(v))
            snprintf(cg->dirs[cg->ndirs++], PATH_MAX, "%s", json_string_value(v));
    }
}

static void lo_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return;
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags |= IFF_UP;
        (void)ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    close(s);
}

/* pid 1 of the container: reap whatever is orphaned, ignore everything else. */
/*
 * Overwrites this process's command line (the argv area the kernel shows in
 * /proc/PID/cmdline, found through fields 48 and 49 of /proc/self/stat) with `title`, so
 * `ps` inside a container shows a name, never the host paths of the daemon's arguments.
 */
static void set_title(const char *title)
{
    char buf[2048];
    if (wdn_read_str("/proc/self/stat", buf, sizeof(buf)) <= 0)
        return;
    char *p = strrchr(buf, ')');
    for (int field = 2; p && field < 48; field++)
        p = strchr(p + 1, ' ');
    if (!p)
        return;
    unsigned long start = strtoul(p + 1, &p, 10), end = strtoul(p, NULL, 10);
    if (start == 0 || end <= start || end - start > (1u << 20))
        return;
    memset((void *)start, 0, end - start);
    memcpy((void *)start, title, HC_MIN(strlen(title), end - start - 1));
}

static void __attribute__((noreturn)) init_loop(void)
{
    set_title("hearth-init");
    prctl(PR_SET_NAME, "hearth-init", 0, 0, 0);
    int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3; fd++)
        dup2(nul, fd);
    closefrom(3);
    setsid();
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    for (;;) {
        siginfo_t si;
        if (sigwaitinfo(&chld, &si) < 0 && errno != EINTR)
            pause();
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
    }
}

/*
 * The network of a new container, in two halves around unshare(CLONE_NEWNET). Before: an
 * rtnetlink socket and an fd of the host's namespace, and any stale veth of the slot (left by
 * a failed teardown) removed. After: IPv6 off in the new namespace, the veth pair created with
 * its peer directly inside it, eth0 addressed with a default route, then, back in the host's
 * namespace for a moment, the host end addressed and up, its IPv6 off and route_localnet on
 * (so 127.0.0.1:PORT reaches mapped ports).
 */
typedef struct net_fds_s {
    int nl, host_ns;
} net_fds_t;

static int net_before(json_t *net, net_fds_t *f, hc_err_t *err)
{
    f->host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (f->host_ns < 0)
        return hc_err_set(err, -errno, "open the host's network namespace");
    f->nl = wdn_nl_open(err);
    if (f->nl < 0)
        return f->nl;
    int r = wdn_nl_link_del(f->nl, jstr(net, "host_if", ""), err);
    if (r == 0)
        r = wdn_nl_link_del(f->nl, jstr(net, "peer_if", ""), err);
    return r;
}

static int net_after(json_t *net, net_fds_t *f, hc_err_t *err)
{
    const char *host_if = jstr(net, "host_if", ""), *peer_if = jstr(net, "peer_if", "");
    const char *host_ip = jstr(net, "host_ip", "");
    char p[128];
    /* /proc/sys/net shows the writer's namespace: these touch only the container's. */
    (void)wdn_write_str("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
    (void)wdn_write_str("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
    int ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (ns < 0)
        return hc_err_set(err, -errno, "open own network namespace");
    int r = wdn_nl_veth_add(f->nl, host_if, peer_if, ns, err);
    if (r == 0)
        r = wdn_if_rename(peer_if, "eth0", err);
    if (r == 0)
        r = wdn_if_addr_up("eth0", jstr(net, "ctr_ip", ""), 30, err);
    if (r == 0)
        r = wdn_route_default(host_ip, err);
    if (r == 0 && setns(f->host_ns, CLONE_NEWNET) < 0)
        r = hc_err_set(err, -errno, "enter the host's network namespace");
    if (r == 0) {
        r = wdn_if_addr_up(host_if, host_ip, 30, err);
        if (wdn_path(p, sizeof(p), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", host_if) == 0)
            (void)wdn_write_str(p, "1");
        int q = wdn_path(p, sizeof(p), "/proc/sys/net/ipv4/conf/%s/route_localnet", host_if);
        if (r == 0 && (q < 0 || (q = wdn_write_str(p, "1")) < 0))
            r = hc_err_set(err, q, "write `%s`", p);
        if (setns(ns, CLONE_NEWNET) < 0 && r == 0)
            r = hc_err_set(err, -errno, "re-enter the container's network namespace");
    }
    close(ns);
    return r;
}

static int init_main(const char *cdir)
{
    json_t *cfg = load_json(cdir, "config.json");
    if (!cfg)
        return 1;
    wdn_cg_t cg;
    cg_from_json(cfg, &cg);
    const char *handle = jstr(cfg, "handle", "");
    const char *hostname = jstr(cfg, "hostname", handle);
    const char *base = jstr(cfg, "base", "");
    bool overlay = json_is_true(json_object_get(cfg, "overlay"));
    char disk[PATH_MAX], rootfs[PATH_MAX];
    snprintf(disk, sizeof(disk), "%s/disk", cdir);
    snprintf(rootfs, sizeof(rootfs), "%s/rootfs", cdir);
    static wdn_bind_mount_t binds[WDN_MAX_BIND_MOUNTS];
    size_t nbinds = 0, i;
    json_t *b;
    json_array_foreach(json_object_get(cfg, "bind_mounts"), i, b)
    {
        if (nbinds == WDN_MAX_BIND_MOUNTS)
            break;
        snprintf(binds[nbinds].src, sizeof(binds[nbinds].src), "%s", jstr(b, "src_path", ""));
        snprintf(binds[nbinds].dst, sizeof(binds[nbinds].dst), "%s", jstr(b, "dst_path", ""));
        binds[nbinds].rw = strcmp(jstr(b, "mode", "ro"), "rw") == 0;
        nbinds++;
    }
    int fds[WDN_CG_MAX_DIRS];
    int nfds = wdn_cg_open_procs(&cg, handle, fds);
    if (nfds < 0) {
        fprintf(stderr, "hearth-warden: open cgroup of `%s`: %s\n", handle, strerror(-nfds));
        return 1;
    }
    int sync_p[2], ready_p[2];
    if (pipe2(sync_p, O_CLOEXEC) < 0 || pipe2(ready_p, O_CLOEXEC) < 0) {
        perror("hearth-warden: pipe");
        return 1;
    }
    json_t *net = json_object_get(cfg, "net");
    hc_err_t nerr = {0};
    net_fds_t nf = {-1, -1};
    if (json_is_object(net) && net_before(net, &nf, &nerr) < 0) {
        fprintf(stderr, "hearth-warden: network setup: %s\n", nerr.msg);
        return 1;
    }
    if (unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID) < 0) {
        perror("hearth-warden: unshare");
        return 1;
    }
    if (json_is_object(net)) {
        int r = net_after(net, &nf, &nerr);
        close(nf.nl);
        close(nf.host_ns);
        if (r < 0) {
            fprintf(stderr, "hearth-warden: network setup: %s\n", nerr.msg);
            return 1;
        }
    }
    /* A raw clone, not fork(): fork() runs the daemon's atfork handlers, and libuv's closes
     * the descriptor numbers of its signal pipe, which this process has reused (for the sync
     * pipes above) since it closed everything it inherited. */
    pid_t pid = wdn_raw_fork();
    if (pid < 0) {
        perror("hearth-warden: fork");
        return 1;
    }
    if (pid == 0) {
        close(sync_p[1]);
        close(ready_p[0]);
        char c;
        if (read(sync_p[0], &c, 1) != 1)
            _exit(1);
        close(sync_p[0]);
        hc_err_t err = {0};
        int r = 0;
        if (sethostname(hostname, strlen(hostname)) < 0)
            r = hc_err_set(&err, -errno, "sethostname");
        /* No IPv6 in the container: warden's firewall rules are IPv4 only. /proc/sys/net
         * shows the network namespace of the writer, so this touches only ours; it must
         * happen before the pivot, after which /proc/sys is read-only. */
        (void)wdn_write_str("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
        /* The OOM killer must pick the app, never the init that holds the namespaces. */
        (void)wdn_write_str("/proc/self/oom_score_adj", "-1000");
        (void)wdn_write_str("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
        if (r == 0)
            r = wdn_rootfs_enter(base, disk, rootfs, overlay, binds, nbinds, &err);
        if (r < 0) {
            char msg[600];
            int n = snprintf(msg, sizeof(msg), "E%s", err.msg);
            (void)!write(ready_p[1], msg, (size_t)(n < 0 ? 1 : HC_MIN((size_t)n, sizeof(msg))));
            _exit(1);
        }
        lo_up();

        (void)!write(ready_p[1], "K", 1);
        close(ready_p[1]);
        init_loop();
    }
    close(sync_p[0]);
    close(ready_p[1]);
    int r = wdn_cg_attach_fds(fds, nfds, pid);
    if (r < 0) {
        fprintf(stderr, "hearth-warden: attach init to cgroup: %s\n", strerror(-r));
        kill(pid, SIGKILL);
        return 1;
    }
    (void)!write(sync_p[1], "G", 1);
    close(sync_p[1]);
    char msg[601];
    ssize_t n = read(ready_p[0], msg, sizeof(msg) - 1);
    if (n <= 0 || msg[0] != 'K') {
        msg[n > 0 ? n : 0] = '\0';
        fprintf(stderr, "hearth-warden: container setup: %s\n", n > 1 ? msg + 1 : "init died");
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return 1;
    }
    printf("%d\n", (int)pid);
    fflush(stdout);
    json_decref(cfg);
    return 0;
}

static const struct {
    const char *name;
    int res;
} rlimit_names[] = {
    {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},
    {"cpu", RLIMIT_CPU},         {"data", RLIMIT_DATA},
    {"fsize", RLIMIT_FSIZE},     {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE},
    {"nice", RLIMIT_NICE},       {"nofile", RLIMIT_NOFILE},
    {"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},   {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
};

static char **str_array(json_t *arr, const char *first)
{
    size_t n = json_array_size(arr), k = 0;
    char **v = hc_calloc(n + 2, sizeof(char *));
    if (first)
        v[k++] = (char *)first;
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (s)
            v[k++] = (char *)s;
    }
    v[k] = NULL;
    return v;
}

static int open_ns(pid_t pid, const char *ns)
{
    char p[64];
    snprintf(p, sizeof(p), "/proc/%d/ns/%s", (int)pid, ns);
    return open(p, O_RDONLY | O_CLOEXEC);
}

static void write_status(int jfd, int status)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%d\n", status);
    int fd = openat(jfd, "status.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    (void)!write(fd, buf, (size_t)n);
    close(fd);
    (void)renameat(jfd, "status.tmp", jfd, "status");
}

/* Child side of __exec: becomes the job. Never returns. */
static void __attribute__((noreturn)) exec_child(json_t *spec, int errfd)
{
    uid_t uid = (uid_t)json_integer_value(json_object_get(spec, "uid"));
    const char *path = jstr(spec, "path", "/bin/sh");
    const char *dir = jstr(spec, "dir", "/home/vcap");
    char **argv = str_array(json_object_get(spec, "args"), path);
    char **envp = str_array(json_object_get(spec, "env"), NULL);
    json_t *rl = json_object_get(spec, "rlimits");
    setsid();
    for (size_t i = 0; i < HC_ARRAY_SIZE(rlimit_names); i++) {
        json_t *v = json_object_get(rl, rlimit_names[i].name);
        if (json_is_integer(v)) {
            struct rlimit r = {(rlim_t)json_integer_value(v), (rlim_t)json_integer_value(v)};
            (void)setrlimit(rlimit_names[i].res, &r);
        }
    }
    const char *step = "drop capabilities";
    int r = wdn_caps_drop_bounding();
    if (r == 0) {
        step = "set user";
        if (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0)
            r = -errno;
    }
    if (r == 0) {
        step = "clear capabilities";
        r = wdn_caps_clear();
    }
    if (r == 0 && chdir(dir) < 0 && chdir("/") < 0) {
        step = "chdir";
        r = -errno;
    }
    if (r == 0) {
        step = "seccomp";
        r = wdn_sec_lock();
    }
    if (r == 0) {
        environ = envp;
        execvp(path, argv);
        r = -errno;
        step = "exec";
        dprintf(errfd, "hearth-warden: exec `%s`: %s\n", path, strerror(-r));
        _exit(r == -ENOENT ? 127 : 126);
    }
    dprintf(errfd, "hearth-warden: %s: %s\n", step, strerror(-r));
    _exit(126);
}

int wdn_helper_init(const char *cdir)
{
    return init_main(cdir);
}

pid_t wdn_raw_fork(void)
{
    return (pid_t)syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
}

int wdn_helper_exec_job(const char *cdir, const char *job)
{
    char jdir[PATH_MAX];
    char odir[PATH_MAX];
    if (wdn_path(jdir, sizeof(jdir), "%s/jobs/%s", cdir, job) < 0 ||
        wdn_path(odir, sizeof(odir), "%s/disk/jobs/%s", cdir, job) < 0)
        return 1;
    int jfd = open(jdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    json_t *cfg = load_json(cdir, "config.json");
    json_t *spec = load_json(jdir, "spec.json");
    if (jfd < 0 || !cfg || !spec)
        return 1;
    wdn_cg_t cg;
    cg_from_json(cfg, &cg);
    pid_t init = (pid_t)json_integer_value(json_object_get(spec, "init_pid"));
    /* Output goes to the container's disk; when it is full, to /dev/null. */
    int ofd = open(odir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int out = openat(ofd, "stdout", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int errf = openat(ofd, "stderr", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (out < 0)
        out = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (errf < 0)
        errf = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (ofd >= 0)
        close(ofd);
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int fds[WDN_CG_MAX_DIRS];
    int nfds = wdn_cg_open_procs(&cg, jstr(cfg, "handle", ""), fds);
    static const char *const nss[] = {"ipc", "uts", "net", "pid", "mnt"};
    int nsfd[5];
    for (int i = 0; i < 5; i++)
        nsfd[i] = open_ns(init, nss[i]);
    int sync_p[2];
    if (out < 0 || errf < 0 || in < 0 || nfds < 0 || pipe2(sync_p, O_CLOEXEC) < 0) {
        dprintf(errf >= 0 ? errf : 2, "hearth-warden: prepare job: %s\n", strerror(errno));
        write_status(jfd, 126);
        return 1;
    }
    for (int i = 0; i < 5; i++) {
        if (nsfd[i] < 0 || setns(nsfd[i], 0) < 0) {
            dprintf(errf, "hearth-warden: enter %s namespace: %s\n", nss[i], strerror(errno));
            write_status(jfd, 126);
            return 1;
        }
        close(nsfd[i]);
    }
    /* A raw clone: no atfork handlers, which in a fork of the daemon would belong to libuv
     * and close descriptors it no longer owns. */
    pid_t pid = wdn_raw_fork();
    if (pid < 0) {
        write_status(jfd, 126);
        return 1;
    }
    if (pid == 0) {
        close(sync_p[1]);
        char c;
        if (read(sync_p[0], &c, 1) != 1)
            _exit(126);
        dup2(in, 0);
        dup2(out, 1);
        dup2(errf, 2);
        exec_child(spec, 2);
    }
    close(sync_p[0]);
    if (wdn_cg_attach_fds(fds, nfds, pid) < 0) {
        kill(pid, SIGKILL);
        dprintf(errf, "hearth-warden: attach job to cgroup: %s\n", strerror(errno));
    }
    char pidbuf[32];
    int n = snprintf(pidbuf, sizeof(pidbuf), "%d\n", (int)pid);
    int pfd = openat(jfd, "pid", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (pfd >= 0) {
        (void)!write(pfd, pidbuf, (size_t)n);
        close(pfd);
    }
    (void)!write(sync_p[1], "G", 1);
    close(sync_p[1]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    write_status(jfd, code);
    json_decref(cfg);
    json_decref(spec);
    return 0;
}

/*
 * Helpers leave with the raw exit syscall: after unshare(CLONE_NEWPID) or setns a helper must
 * not run exit-time hooks (a sanitizer's leak checker forks a tracer, which would land in the
 * container's pid namespace, unable to see its parent; sanitizers hook _exit too).
 */
static void __attribute__((noreturn)) helper_exit(int code)
{
    fflush(stdout);
    fflush(stderr);
    syscall(SYS_exit_group, code);
    _exit(code);
}

int wdn_helper_main(int argc, char **argv)
{
    if (strcmp(argv[1], "__init") == 0 && argc == 3)
        helper_exit(init_main(argv[2]));
    if (strcmp(argv[1], "__exec") == 0 && argc == 4)
        helper_exit(wdn_helper_exec_job(argv[2], argv[3]));
    if (strncmp(argv[1], "__copy", 6) == 0)
        helper_exit(wdn_copy_main(argc, argv));
    fprintf(stderr, "hearth-warden: unknown helper `%s`\n", argv[1]);
    return 2;
}
