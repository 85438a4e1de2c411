/*
 * redis: one redis-server per instance (own process, loopback port, data directory
 * DATA_DIR/redis/<key>, maxmemory from the plan, the default user disabled, an "admin" ACL
 * user with the instance's secret that only the broker knows). A binding is a Redis 7 ACL
 * user with its own password; ACL DELUSER on unbind cuts its connections at once. The ACL
 * file is saved after every change, so users survive a restart of the server. The servers
 * outlive a broker restart; at start the broker starts any that is not answering.
 * Runs on a worker thread: redis-server and redis-cli are child processes (proc.c).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "broker.h"
#include "creds.h"
#include "proc.h"

#define REDIS_TIMEOUT_MS 20000
#define REDIS_START_WAIT_MS 15000

static char *inst_dir(const brk_conf_t *c, const brk_inst_t *inst)
{
    hc_assert(brk_safe_name(inst->key));
    return hc_asprintf("%s/redis/%s", c->common.data_dir, inst->key);
}

/*
 * Runs one redis-cli command as admin; the reply must start with want ("#": an integer reply,
 * "": anything). redis-cli exits 0 on error replies, so the reply text is what tells.
 */
static int cli(const brk_conf_t *c, const brk_inst_t *inst, const char *want, hc_err_t *err,
               const char *const cmd[])
{
    char port[16], *auth = hc_asprintf("REDISCLI_AUTH=%s", inst->secret);
    const char *argv[24] = {c->redis_cli, "-h",     c->redis_host, "-p",
                            port,         "--user", "admin",       "--no-auth-warning"};
    size_t n = 8;
    for (size_t i = 0; cmd[i]; i++) {
        hc_assert(n + 1 < HC_ARRAY_SIZE(argv));
        argv[n++] = cmd[i];
    }
    argv[n] = NULL;
    snprintf(port, sizeof(port), "%d", inst->port);
    const char *env[] = {auth, NULL};
    hc_buf_t out;
    hc_buf_init(&out, BRK_PROC_MAX_OUTPUT);
    int r = brk_run(argv, env, NULL, REDIS_TIMEOUT_MS, &out, err);
    bool good = strcmp(want, "#") == 0
                    ? out.len > 0 && out.data[0] >= '0' && out.data[0] <= '9'
                    : out.len >= strlen(want) && memcmp(out.data, want, strlen(want)) == 0;
    if (r == 0 && !good) {
        size_t len = out.len;
        while (len > 0 && (out.data[len - 1] == '\n' || out.data[len - 1] == '\r'))
            len--;
        r = brk_err_set(err, -EIO, "redis %s: %.*s", cmd[0], (int)HC_MIN(len, 200), out.data);
    }
    hc_buf_release(&out);
    free(auth);
    return r;
}

static int pick_port(const char *host, int *ret_port, hc_err_t *err)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof(sa);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return hc_err_set(err, -EINVAL, "redis.host: %s is not an IPv4 address", host);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return hc_err_set(err, -errno, "socket");
    int r = 0;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
        r = hc_err_set(err, -errno, "redis: picking a port");
    else
        *ret_port = ntohs(sa.sin_port);
    close(fd);
    return r;
}

static int write_file(const char *path, const char *text, bool keep, hc_err_t *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (keep ? O_EXCL : O_TRUNC), 0600);
    if (fd < 0) {
        if (keep && errno == EEXIST)
            return 0;
        return hc_err_set(err, -errno, "%s", path);
    }
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0) {
            int r = hc_err_set(err, -errno, "%s", path);
            close(fd);
            return r;
        }
        off += (size_t)w;
    }
    return close(fd) < 0 ? hc_err_set(err, -errno, "%s", path) : 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int ping(const brk_conf_t *c, const brk_inst_t *inst, hc_err_t *err)
{
    static const char *const cmd[] = {"PING", NULL};
    return cli(c, inst, "PONG", err, cmd);
}

/* Writes the config (and the ACL file the first time), starts the server, waits for PONG. */
static int start_server(const brk_conf_t *c, const brk_inst_t *inst, hc_err_t *err)
{
    char *dir = inst_dir(c, inst), *conf = hc_asprintf("%s/redis.conf", dir);
    char *acl = hc_asprintf("%s/users.acl", dir), *text = NULL, *users = NULL;
    int r;

    text = hc_asprintf("bind %s\nport %d\ndaemonize yes\npidfile %s/redis.pid\ndir %s\n"
                       "logfile %s/redis.log\naclfile %s\nmaxmemory %llu\n"
                       "maxmemory-policy noeviction\nsave 60 1\nappendonly no\n",
                       c->redis_host, inst->port, dir, dir, dir, acl,
                       (unsigned long long)brk_service(BRK_SVC_REDIS)->plans[inst->plan].maxmemory);
    users = hc_asprintf("user default off\nuser admin on >%s ~* &* +@all\n", inst->secret);
    if ((r = write_file(conf, text, false, err)) < 0 || (r = write_file(acl, users, true, err)) < 0)
        goto out;
    const char *argv[] = {c->redis_server, conf, NULL};
    if ((r = brk_run(argv, NULL, NULL, REDIS_TIMEOUT_MS, NULL, err)) < 0)
        goto out;
    for (int waited = 0;; waited += 100) {
        hc_err_t perr = {0};
        if ((r = ping(c, inst, &perr)) == 0)
            break;
        if (waited >= REDIS_START_WAIT_MS) {
            r = brk_err_set(err, -ETIMEDOUT, "redis-server on port %d did not start: %s",
                            inst->port, perr.msg);
            break;
        }
        sleep_ms(100);
    }
out:
    free(dir);
    free(conf);
    free(acl);
    if (text)
        free(text);
    free(users);
    return r;
}

/* The port in the instance's redis.conf, or 0. */
static int conf_port(const brk_conf_t *c, const brk_inst_t *inst)
{
    char *dir = inst_dir(c, inst), *path = hc_asprintf("%s/redis.conf", dir), buf[4096] = {0};
    int fd = open(path, O_RDONLY | O_CLOEXEC), port = 0;
    free(dir);
    free(path);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    const char *p = n > 0 ? strstr(buf, "\nport ") : NULL;
    if (p) {
        uint64_t v;
        size_t len = strspn(p + 6, "0123456789");
        if (hc_parse_u64(p + 6, len, 65535, &v) == 0)
            port = (int)v;
    }
    return port;
}

static int redis_provision(const brk_conf_t *c, brk_inst_t *inst, hc_err_t *err)
{
    char *top = hc_asprintf("%s/redis", c->common.data_dir), *dir = inst_dir(c, inst);
    int r = 0;
    if ((mkdir(top, 0700) < 0 && errno != EEXIST) || (mkdir(dir, 0700) < 0 && errno != EEXIST))
        r = hc_err_set(err, -errno, "%s", dir);
    free(top);
    free(dir);
    if (r < 0)
        return r;
    /*
     * Run again after a broker crash, the port may not have been saved yet, but the server
     * may be running: its config says which port it has, so it is found, not doubled.
     */
    if (inst->port == 0)
        inst->port = conf_port(c, inst);
    if (inst->port == 0 && (r = pick_port(c->redis_host, &inst->port, err)) < 0)
        return r;
    hc_err_t perr = {0};
    if (ping(c, inst, &perr) == 0)
        return 0; /* already running (a provision that is run again) */
    return start_server(c, inst, err);
}

static int redis_recover(const brk_conf_t *c, const brk_inst_t *inst, hc_err_t *err)
{
    hc_err_t perr = {0};
    if (ping(c, inst, &perr) == 0)
        return 0;
    hc_log_info("starting redis-server again", "key", inst->key);
    return start_server(c, inst, err);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

static pid_t read_pid(const char *path)
{
    char buf[32] = {0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    uint64_t v;
    size_t len = n > 0 ? (size_t)n : 0;
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
        len--;
    return hc_parse_u64(buf, len, 1u << 22, &v) == 0 && v > 1 ? (pid_t)v : -1;
}

/* True while pid runs; an exited child waiting to be reaped by init (a zombie) is gone. */
static bool alive(pid_t pid)
{
    char path[64], stat[256] = {0};
    if (kill(pid, 0) < 0)
        return false;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, stat, sizeof(stat) - 1);
    close(fd);
    const char *rp = n > 0 ? strrchr(stat, ')') : NULL; /* "pid (comm) S ..." */
    return !(rp && rp[1] == ' ' && rp[2] == 'Z');
}

/* True when pid is a redis-server (so a stale pid file never makes us signal a stranger). */
static bool is_redis(pid_t pid)
{
    char path[64], comm[32] = {0};
    snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, comm, sizeof(comm) - 1);
    close(fd);
    return n > 0 && strncmp(comm, "redis-server", 12) == 0;
}

static int redis_deprovision(const brk_conf_t *c, const brk_inst_t *inst, hc_err_t *err)
{
    static const char *const cmd[] = {"SHUTDOWN", "NOSAVE", NULL};
    char *dir = inst_dir(c, inst), *pidfile = hc_asprintf("%s/redis.pid", dir);
    pid_t pid = read_pid(pidfile);
    hc_err_t serr = {0};
    int r = 0;

    if (pid > 0 && !is_redis(pid))
        pid = -1; /* a stale pid file: that pid is not ours any more */
    cli(c, inst, "", &serr, cmd);
    /*
     * After SHUTDOWN NOSAVE nothing is left to write, but redis-server takes over a second to
     * exit; it is ours (its pid file, its name), so end it and wait until it is gone.
     */
    for (int i = 0; pid > 0 && i < 4 && alive(pid); i++)
        sleep_ms(50);
    if (pid > 0 && alive(pid) && is_redis(pid))
        kill(pid, SIGKILL);
    for (int i = 0; pid > 0 && i < 100 && alive(pid); i++)
        sleep_ms(50);
    if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
        r = hc_err_set(err, -errno, "%s", dir);
    free(pidfile);
    free(dir);
    return r;
}

static int redis_bind(const brk_conf_t *c, const brk_inst_t *inst, const brk_binding_t *b,
                      json_t **ret_creds, hc_err_t *err)
{
    char user[BRK_KEY_LEN + 2], name[BRK_KEY_LEN + 2], *pass = hc_asprintf(">%s", b->password);
    brk_name(user, 'u', b->key);
    brk_name(name, 'r', inst->key);
    hc_assert(brk_safe_name(user) && brk_safe_name(b->password));
    const char *const setuser[] = {"ACL", "SETUSER", user,    "reset",   "on", pass,
                                   "~*",  "&*",      "+@all", "-@admin", NULL};
    static const char *const save[] = {"ACL", "SAVE", NULL};
    int r = cli(c, inst, "OK", err, setuser);
    free(pass);
    if (r == 0)
        r = cli(c, inst, "OK", err, save);
    if (r < 0)
        return r;
    json_t *creds = brk_creds_new("redis", c->redis_host, inst->port, name, user, b->password);
    char *uri = hc_asprintf("redis://%s:%s@%s:%d/0", user, b->password, c->redis_host, inst->port);
    json_object_set_new(creds, "uri", json_string(uri));
    free(uri);
    *ret_creds = creds;
    return 0;
}

static int redis_unbind(const brk_conf_t *c, const brk_inst_t *inst, const brk_binding_t *b,
                        hc_err_t *err)
{
    char user[BRK_KEY_LEN + 2];
    brk_name(user, 'u', b->key);
    hc_assert(brk_safe_name(user));
    /* DELUSER also closes every connection authenticated as that user. */
    const char *const del[] = {"ACL", "DELUSER", user, NULL};
    static const char *const save[] = {"ACL", "SAVE", NULL};
    int r = cli(c, inst, "#", err, del);
    if (r == 0)
        r = cli(c, inst, "OK", err, save);
    return r;
}

const brk_svc_ops_t brk_redis_ops = {
    .provision = redis_provision,
    .deprovision = redis_deprovision,
    .bind = redis_bind,
    .unbind = redis_unbind,
    .recover = redis_recover,
};
