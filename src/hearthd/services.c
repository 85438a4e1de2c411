/*
 * The backing services of the micro cloud: PostgreSQL, MariaDB and RabbitMQ (with its own
 * epmd) run as supervised children with their data in DATA/services/NAME, on ports derived
 * from --port-base; the broker runs one redis-server per instance itself, so Redis only
 * needs its binary. Servers that refuse root (PostgreSQL) or drop to their own user (MariaDB)
 * run as the user their Debian package made, when hearthd runs as root.
 */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hc_fs.h"
#include "hc_uuid.h"
#include "hd.h"

#define HD_SETPRIV "/usr/bin/setpriv"

/* True when names (hearthd's "services" list) asks for name. */
static bool svc_wanted(const hd_t *hd, const char *name)
{
    for (char **s = hd->conf->services; s && *s; s++)
        if (strcmp(*s, name) == 0)
            return true;
    return false;
}

/* Resolves prog (absolute, or looked up in PATH) to an executable path, or NULL. */
static char *svc_which(const char *prog)
{
    if (!prog || !*prog)
        return NULL;
    if (strchr(prog, '/'))
        return access(prog, X_OK) == 0 ? hc_strdup(prog) : NULL;
    const char *path = secure_getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    const char *p = path;
    while (*p) {
        size_t n = strcspn(p, ":");
        char *cand = hc_asprintf("%.*s/%s", (int)n, p, prog);
        if (n > 0 && access(cand, X_OK) == 0)
            return cand;
        free(cand);
        p += n;
        if (*p == ':')
            p++;
    }
    return NULL;
}

/* The newest /usr/lib/postgresql/N/bin that has a postgres binary, or NULL. */
static char *svc_pg_bin_dir(const hd_t *hd)
{
    if (hd->conf->pg_bin_dir)
        return hc_strdup(hd->conf->pg_bin_dir);
    glob_t g;
    char *best = NULL;
    long best_v = -1;
    if (glob("/usr/lib/postgresql/*/bin/postgres", 0, NULL, &g) != 0)
        return NULL;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *v = g.gl_pathv[i] + strlen("/usr/lib/postgresql/");
        long n = strtol(v, NULL, 10);
        if (n > best_v) {
            best_v = n;
            free(best);
            best = hc_strndup(g.gl_pathv[i], strlen(g.gl_pathv[i]) - strlen("/postgres"));
        }
    }
    globfree(&g);
    return best;
}

/*
 * True when uid/gid may search every directory from / down to path, so a server running as
 * that user can reach its data dir. Root may always.
 */
static bool svc_reachable(const char *path, uid_t uid, gid_t gid)
{
    if (uid == 0)
        return true;
    char *copy = hc_strdup(path);
    bool ok = true;
    for (char *slash = copy; ok && slash;) {
        slash = strchr(slash + 1, '/');
        if (slash)
            *slash = '\0';
        struct stat st;
        if (stat(copy[0] ? copy : "/", &st) < 0)
            ok = false;
        else if (st.st_uid == uid)
            ok = st.st_mode & S_IXUSR;
        else if (st.st_gid == gid)
            ok = st.st_mode & S_IXGRP;
        else
            ok = st.st_mode & S_IXOTH;
        if (slash)
            *slash = '/';
    }
    free(copy);
    return ok;
}

static int svc_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT)
        hc_log_warn("could not remove, ignoring", "path", path, "err", strerror(errno));
    return 0;
}

/* Removes what an interrupted first-start step left, so it can run again from scratch. */
static void svc_rm_tree(const char *path)
{
    if (nftw(path, svc_rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
        hc_log_warn("could not remove, ignoring", "path", path, "err", strerror(errno));
}

/* The user a service runs as: its own (Debian's) user when hearthd is root, else ours. */
typedef struct svc_user_s {
    bool switch_user; /* run through setpriv as uid/gid */
    uid_t uid;
    gid_t gid;
} svc_user_t;

static bool svc_user(const char *name, svc_user_t *u)
{
    *u = (svc_user_t){.uid = geteuid(), .gid = getegid()};
    if (u->uid != 0)
        return true;
    struct passwd *pw = getpwnam(name);
    if (!pw)
        return false;
    *u = (svc_user_t){.switch_user = true, .uid = pw->pw_uid, .gid = pw->pw_gid};
    return true;
}

/* Makes dir (0700) owned by u. Returns 0 or -errno with err set. */
static int svc_mkdir(const char *dir, const svc_user_t *u, hc_err_t *err)
{
    int r = hc_mkdir_p(AT_FDCWD, dir, 0700, err);
    if (r < 0)
        return r;
    if (u->switch_user && chown(dir, u->uid, u->gid) < 0)
        return hc_err_set(err, -errno, "chown `%s`", dir);
    return 0;
}

/* Writes a file the service reads, owned by u, 0600. */
static int svc_write(const char *path, const char *text, const svc_user_t *u, hc_err_t *err)
{
    int r = hc_atomic_write_file(AT_FDCWD, path, text, strlen(text), 0600, err);
    if (r == 0 && u->switch_user && chown(path, u->uid, u->gid) < 0)
        r = hc_err_set(err, -errno, "chown `%s`", path);
    return r;
}

/* Starts argv (main or init) with setpriv to u when needed. */
static void svc_exec_as(hd_child_t *c, bool init, const svc_user_t *u)
{
    if (!u->switch_user)
        return;
    hd_child_arg(c, init, "%s", HD_SETPRIV);
    hd_child_arg(c, init, "--reuid=%u", (unsigned)u->uid);
    hd_child_arg(c, init, "--regid=%u", (unsigned)u->gid);
    hd_child_arg(c, init, "--init-groups");
    hd_child_arg(c, init, "--");
}

static void svc_skip(const char *name, const char *why)
{
    hc_log_warn("backing service not started, the broker will not offer it", "service", name,
                "reason", why);
}

static bool svc_plan_pg(hd_t *hd, const char *top)
{
    char *bindir = svc_pg_bin_dir(hd), *dir = hc_asprintf("%s/postgresql", top);
    char *postgres = bindir ? hc_asprintf("%s/postgres", bindir) : NULL;
    char *initdb = bindir ? hc_asprintf("%s/initdb", bindir) : NULL;
    char *pw = hc_asprintf("%s/pwfile", dir), *run = hc_asprintf("%s/run", dir);
    svc_user_t u;
    hc_err_t err;
    bool ok = false;

    if (!postgres || access(postgres, X_OK) != 0 || access(initdb, X_OK) != 0) {
        svc_skip("postgresql", "postgres/initdb not installed");
        goto out;
    }
    if (!svc_user("postgres", &u)) {
        svc_skip("postgresql", "no user `postgres` to run it as (it refuses root)");
        goto out;
    }
    if (u.switch_user && access(HD_SETPRIV, X_OK) != 0) {
        svc_skip("postgresql", HD_SETPRIV " not installed");
        goto out;
    }
    if (svc_mkdir(dir, &u, &err) < 0 || svc_mkdir(run, &u, &err) < 0 ||
        svc_write(pw, hd->secrets.services_password, &u, &err) < 0) {
        svc_skip("postgresql", err.msg);
        goto out;
    }
    if (!svc_reachable(dir, u.uid, u.gid)) {
        svc_skip("postgresql", "user `postgres` cannot reach the data dir (a parent directory is "
                               "not searchable); use a --data-dir it can reach, such as under "
                               "/var/lib");
        goto out;
    }
    hd_child_t *c =
        hd_child_add(hd, "postgresql", hc_strdup(u.switch_user ? HD_SETPRIV : postgres));
    c->service = true;
    c->stop_signal = SIGINT; /* fast shutdown: clients are disconnected, not waited for */
    c->init_tmp = hc_asprintf("%s/data.init", dir);
    c->init_done = hc_asprintf("%s/data", dir);
    svc_exec_as(c, true, &u);
    hd_child_arg(c, true, "%s", initdb);
    hd_child_arg(c, true, "--pgdata=%s", c->init_tmp);
    hd_child_arg(c, true, "--username=postgres");
    hd_child_arg(c, true, "--pwfile=%s", pw);
    hd_child_arg(c, true, "--auth-host=scram-sha-256");
    hd_child_arg(c, true, "--auth-local=peer");
    hd_child_arg(c, true, "--encoding=UTF8");
    svc_exec_as(c, false, &u);
    hd_child_arg(c, false, "%s", postgres);
    hd_child_arg(c, false, "-D");
    hd_child_arg(c, false, "%s", c->init_done);
    hd_child_arg(c, false, "-p");
    hd_child_arg(c, false, "%d", hd->ports.pg);
    hd_child_arg(c, false, "-k");
    hd_child_arg(c, false, "%s", run);
    hd_child_arg(c, false, "-c");
    hd_child_arg(c, false, "listen_addresses=127.0.0.1");
    hd_child_arg(c, false, "-c");
    hd_child_arg(c, false, "max_connections=100");
    ok = true;
out:
    free(bindir);
    free(dir);
    free(postgres);
    free(initdb);
    free(pw);
    free(run);
    return ok;
}

static bool svc_plan_mysql(hd_t *hd, const char *top)
{
    char *mariadbd = svc_which(hd->conf->mariadbd);
    char *install = svc_which(hd->conf->mariadb_install_db);
    char *dir = hc_asprintf("%s/mysql", top), *run = hc_asprintf("%s/run", dir);
    char *init = hc_asprintf("%s/init.sql", dir), *sql = NULL;
    svc_user_t u;
    hc_err_t err;
    bool ok = false;

    if (!mariadbd || !install) {
        svc_skip("mysql", "mariadbd/mariadb-install-db not installed");
        goto out;
    }
    /* mariadbd drops to --user itself; as root without a reachable mysql user, it stays root. */
    if (!svc_user("mysql", &u) || (u.switch_user && !svc_reachable(dir, u.uid, u.gid)))
        u = (svc_user_t){.uid = geteuid(), .gid = getegid()};
    /*
     * Run at every start: the administrator the broker uses exists with the current password,
     * and nobody logs in anonymously. Names are fixed and the password is hex, so nothing here
     * needs quoting beyond the single quotes.
     */
    sql = hc_asprintf("DELETE FROM mysql.global_priv WHERE User = '';\n"
                      "CREATE USER IF NOT EXISTS 'hearth'@'%%' IDENTIFIED BY '%s';\n"
                      "ALTER USER 'hearth'@'%%' IDENTIFIED BY '%s';\n"
                      "GRANT ALL ON *.* TO 'hearth'@'%%' WITH GRANT OPTION;\n"
                      "FLUSH PRIVILEGES;\n",
                      hd->secrets.services_password, hd->secrets.services_password);
    if (svc_mkdir(dir, &u, &err) < 0 || svc_mkdir(run, &u, &err) < 0 ||
        svc_write(init, sql, &u, &err) < 0) {
        svc_skip("mysql", err.msg);
        goto out;
    }
    const char *user = u.uid == 0 ? "root" : NULL;
    struct passwd *pw = u.uid != 0 && geteuid() == 0 ? getpwuid(u.uid) : NULL;
    if (pw)
        user = pw->pw_name;
    hd_child_t *c = hd_child_add(hd, "mysql", hc_strdup(mariadbd));
    c->service = true;
    c->init_tmp = hc_asprintf("%s/data.init", dir);
    c->init_done = hc_asprintf("%s/data", dir);
    hd_child_arg(c, true, "%s", install);
    hd_child_arg(c, true, "--no-defaults");
    hd_child_arg(c, true, "--datadir=%s", c->init_tmp);
    if (user)
        hd_child_arg(c, true, "--user=%s", user);
    hd_child_arg(c, true, "--auth-root-authentication-method=normal");
    hd_child_arg(c, true, "--skip-test-db");
    hd_child_arg(c, false, "%s", mariadbd);
    hd_child_arg(c, false, "--no-defaults");
    hd_child_arg(c, false, "--datadir=%s", c->init_done);
    if (user)
        hd_child_arg(c, false, "--user=%s", user);
    hd_child_arg(c, false, "--port=%d", hd->ports.mysql);
    hd_child_arg(c, false, "--bind-address=127.0.0.1");
    hd_child_arg(c, false, "--socket=%s/sock", run);
    hd_child_arg(c, false, "--pid-file=%s/pid", run);
    hd_child_arg(c, false, "--skip-name-resolve");
    hd_child_arg(c, false, "--init-file=%s", init);
    hd_child_arg(c, false, "--innodb-buffer-pool-size=16M");
    ok = true;
out:
    free(mariadbd);
    free(install);
    free(dir);
    free(run);
    free(init);
    free(sql);
    return ok;
}

static bool svc_plan_rabbitmq(hd_t *hd, const char *top)
{
    char *server = svc_which(hd->conf->rabbitmq_server), *epmd = svc_which(hd->conf->epmd);
    char *dir = hc_asprintf("%s/rabbitmq", top), *conf = NULL, *path = NULL, *cookie = NULL;
    svc_user_t u = {.uid = geteuid(), .gid = getegid()};
    hc_err_t err;
    bool ok = false;
    static const char *const subdirs[] = {"home", "mnesia", "log"};

    if (!server || !epmd) {
        svc_skip("rabbitmq", "rabbitmq-server/epmd not installed");
        goto out;
    }
    for (size_t i = 0; i < HC_ARRAY_SIZE(subdirs); i++) {
        free(path);
        path = hc_asprintf("%s/%s", dir, subdirs[i]);
        if (svc_mkdir(path, &u, &err) < 0) {
            svc_skip("rabbitmq", err.msg);
            goto out;
        }
    }
    /* default_user is created on the first boot only; the password never changes after. */
    conf = hc_asprintf("listeners.tcp.default = 127.0.0.1:%d\n"
                       "management.tcp.port = %d\n"
                       "management.tcp.ip = 127.0.0.1\n"
                       "default_user = hearth\n"
                       "default_pass = %s\n"
                       "loopback_users = none\n",
                       hd->ports.amqp, hd->ports.amqp_mgmt, hd->secrets.services_password);
    free(path);
    path = hc_asprintf("%s/rabbitmq.conf", dir);
    if (svc_write(path, conf, &u, &err) < 0)
        goto fail;
    free(path);
    path = hc_asprintf("%s/plugins", dir);
    if (svc_write(path, "[rabbitmq_management].\n", &u, &err) < 0)
        goto fail;
    free(path);
    path = hc_asprintf("%s/home/.erlang.cookie", dir);
    if (access(path, F_OK) != 0) {
        cookie = hc_malloc(41);
        hc_random_hex(cookie, 20);
        if (hc_atomic_write_file(AT_FDCWD, path, cookie, strlen(cookie), 0400, &err) < 0)
            goto fail;
    }

    /* Its own epmd on its own port: nothing outlives the cloud, no clash with another one. */
    hd_child_t *e = hd_child_add(hd, "epmd", hc_strdup(epmd));
    e->service = true;
    e->stop_last = true; /* RabbitMQ talks to it while it shuts down */
    hd_child_arg(e, false, "%s", epmd);
    hd_child_arg(e, false, "-port");
    hd_child_arg(e, false, "%d", hd->ports.epmd);
    hd_child_arg(e, false, "-address");
    hd_child_arg(e, false, "127.0.0.1");

    hd_child_t *c = hd_child_add(hd, "rabbitmq", hc_strdup(server));
    c->service = true;
    hd_child_arg(c, false, "%s", server);
    char value[256];
    hd_child_setenv(c, "HOME", (snprintf(value, sizeof(value), "%s/home", dir), value));
    snprintf(value, sizeof(value), "%d", hd->ports.epmd);
    hd_child_setenv(c, "ERL_EPMD_PORT", value);
    snprintf(value, sizeof(value), "hearth%d@localhost", hd->ports.amqp);
    hd_child_setenv(c, "RABBITMQ_NODENAME", value);
    snprintf(value, sizeof(value), "%d", hd->ports.amqp_dist);
    hd_child_setenv(c, "RABBITMQ_DIST_PORT", value);
    static const struct {
        const char *key, *file;
    } files[] = {
        {"RABBITMQ_MNESIA_BASE", "mnesia"},
        {"RABBITMQ_LOG_BASE", "log"},
        {"RABBITMQ_CONFIG_FILE", "rabbitmq.conf"},
        {"RABBITMQ_ENABLED_PLUGINS_FILE", "plugins"},
        {"RABBITMQ_PID_FILE", "pid"},
        {"RABBITMQ_CONF_ENV_FILE", "none"},
        {"RABBITMQ_ADVANCED_CONFIG_FILE", "advanced.config"},
    };
    for (size_t i = 0; i < HC_ARRAY_SIZE(files); i++) {
        snprintf(value, sizeof(value), "%s/%s", dir, files[i].file);
        hd_child_setenv(c, files[i].key, value);
    }
    /* epmd is ours (above); an erl that started its own would escape supervision. */
    hd_child_setenv(c, "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-start_epmd false");
    ok = true;
    goto out;
fail:
    svc_skip("rabbitmq", err.msg);
out:
    free(server);
    free(epmd);
    free(dir);
    free(conf);
    free(path);
    free(cookie);
    return ok;
}

void hd_services_plan(hd_t *hd)
{
    char *top = hc_asprintf("%s/services", hd->conf->data_dir);
    hc_err_t err;
    /*
     * Servers that run as their own user must be able to search DATA and DATA/services; what
     * is secret in DATA (secrets.json, config/) has modes of its own.
     */
    if (hc_mkdir_p(AT_FDCWD, top, 0711, &err) < 0) {
        hc_log_error("no services dir, no backing services", "err", err.msg);
        free(top);
        return;
    }
    chmod(hd->conf->data_dir, 0711);
    chmod(top, 0711);
    if (svc_wanted(hd, "postgresql"))
        hd->svc.pg = svc_plan_pg(hd, top);
    if (svc_wanted(hd, "mysql"))
        hd->svc.mysql = svc_plan_mysql(hd, top);
    if (svc_wanted(hd, "redis")) {
        char *redis = svc_which(hd->conf->redis_server);
        hd->svc.redis = redis != NULL;
        if (!redis)
            svc_skip("redis", "redis-server not installed");
        free(redis);
    }
    if (svc_wanted(hd, "rabbitmq"))
        hd->svc.rabbitmq = svc_plan_rabbitmq(hd, top);
    free(top);
}

/* A pid read from a pid file, or -1. */
static pid_t svc_read_pid(const char *path)
{
    char *text = NULL;
    size_t len = 0;
    uint64_t v;
    hc_err_t err;
    pid_t pid = -1;
    if (hc_read_file(AT_FDCWD, path, 64, &text, &len, &err) < 0)
        return -1;
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
        len--;
    if (hc_parse_u64(text, len, 1u << 22, &v) == 0 && v > 1)
        pid = (pid_t)v;
    free(text);
    return pid;
}

/* True when pid is a redis-server (a stale pid file never makes us signal a stranger). */
static bool svc_is_redis(pid_t pid)
{
    char path[64], *comm = NULL;
    size_t len = 0;
    hc_err_t err;
    snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
    if (hc_read_file(AT_FDCWD, path, 64, &comm, &len, &err) < 0)
        return false;
    bool yes = len >= 12 && strncmp(comm, "redis-server", 12) == 0;
    free(comm);
    return yes;
}

void hd_services_stop_redis(hd_t *hd)
{
    char *top = hc_asprintf("%s/broker/redis", hd->conf->data_dir);
    DIR *d = opendir(top);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char *pidfile = hc_asprintf("%s/%s/redis.pid", top, de->d_name);
        pid_t pid = svc_read_pid(pidfile);
        /* SIGTERM: redis-server saves (save 60 1) and exits; the broker restarts it next time. */
        if (pid > 0 && svc_is_redis(pid) && kill(pid, SIGTERM) == 0) {
            char text[32];
            snprintf(text, sizeof(text), "%d", (int)pid);
            hc_log_info("stopping a broker's redis-server", "pid", text);
        }
        free(pidfile);
    }
    if (d)
        closedir(d);
    free(top);
}

void hd_services_clear_init(hd_child_t *c)
{
    if (c->init_tmp)
        svc_rm_tree(c->init_tmp);
}
