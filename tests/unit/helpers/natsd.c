/* Starting and stopping a real NATS-protocol server for tests; see natsd.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hc_base.h"
#include "hc_time.h"
#include "natsd.h"

#define NATSD_READY_TIMEOUT_MS 10000
#define NATSD_STOP_TIMEOUT_MS 5000

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int hc_test_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int r = -EIO;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        r = ntohs(a.sin_port);
    close(fd);
    return r;
}

static int connect_local(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    return fd;
}

bool hc_test_port_open(int port)
{
    int fd = connect_local(port);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

/* Ready = accepts and sends "INFO " within a short read timeout. */
static bool server_ready(int port)
{
    int fd = connect_local(port);
    if (fd < 0)
        return false;
    char buf[8] = {0};
    size_t got = 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (got < 5 && poll(&p, 1, 500) > 0) {
        ssize_t n = read(fd, buf + got, 5 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    return got == 5 && memcmp(buf, "INFO ", 5) == 0;
}

/* Builds argv into args (strings owned by store). Returns argc. */
static int build_argv(hc_test_natsd_t *d, char **args, int max, char *store, size_t store_size)
{
    int argc = 0;
    const char *bus = getenv("HEARTH_TEST_BUS");
    char port[16];
    snprintf(port, sizeof(port), "%d", d->port);
    if (bus && *bus) {
        snprintf(d->bin, sizeof(d->bin), "%s", bus);
        args[argc++] = d->bin;
        const char *tmpl = getenv("HEARTH_TEST_BUS_ARGS");
        if (!tmpl || !*tmpl)
            tmpl = "-a 127.0.0.1 -p {port}";
        /* Expand {port} and {dir}, then split on spaces. */
        size_t o = 0;
        for (const char *p = tmpl; *p && o + 1 < store_size;) {
            const char *rep = NULL;
            if (strncmp(p, "{port}", 6) == 0) {
                rep = port;
                p += 6;
            } else if (strncmp(p, "{dir}", 5) == 0) {
                rep = d->dir;
                p += 5;
            }
            if (rep) {
                size_t l = strlen(rep);
                if (o + l + 1 >= store_size)
                    break;
                memcpy(store + o, rep, l);
                o += l;
            } else {
                store[o++] = *p++;
            }
        }
        store[o] = '\0';
        char *save = NULL;
        for (char *tok = strtok_r(store, " ", &save); tok && argc < max - 1;
             tok = strtok_r(NULL, " ", &save))
            args[argc++] = tok;
    } else {
        snprintf(d->bin, sizeof(d->bin), "%s", "nats-server");
        snprintf(store, store_size, "%s", port);
        args[argc++] = d->bin;
        args[argc++] = (char *)"-a";
        args[argc++] = (char *)"127.0.0.1";
        args[argc++] = (char *)"-p";
        args[argc++] = store;
    }
    for (int i = 0; i < d->nextra && argc < max - 1; i++)
        args[argc++] = d->extra[i];
    args[argc] = NULL;
    return argc;
}

static int spawn(hc_test_natsd_t *d)
{
    char *args[HC_TEST_NATSD_MAX_ARGS * 2 + 8];
    char store[1024];
    build_argv(d, args, (int)HC_ARRAY_SIZE(args), store, sizeof(store));
    char log[128];
    snprintf(log, sizeof(log), "%s/server.log", d->dir);
    int logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logfd < 0)
        return -errno;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = -errno;
        close(logfd);
        return e;
    }
    if (pid == 0) {
        /* Child: only async-signal-safe calls until exec. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(logfd, STDOUT_FILENO);
        dup2(logfd, STDERR_FILENO);
        if (chdir(d->dir) < 0)
            _exit(127);
        execvp(args[0], args);
        _exit(127);
    }
    close(logfd);
    d->pid = pid;
    snprintf(d->url, sizeof(d->url), "nats://127.0.0.1:%d", d->port);

    uint64_t deadline = hc_now_ms() + NATSD_READY_TIMEOUT_MS;
    while (hc_now_ms() < deadline) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            d->pid = 0;
            return -ECHILD; /* it exited: see DIR/server.log */
        }
        if (server_ready(d->port))
            return 0;
        sleep_ms(10);
    }
    hc_test_natsd_stop(d);
    return -ETIMEDOUT;
}

int hc_test_natsd_start(hc_test_natsd_t *d, int port, const char *const *extra)
{
    memset(d, 0, sizeof(*d));
    snprintf(d->dir, sizeof(d->dir), "/tmp/hc-test-natsd-XXXXXX");
    if (!mkdtemp(d->dir))
        return -errno;
    for (int i = 0; extra && extra[i] && d->nextra < HC_TEST_NATSD_MAX_ARGS; i++)
        d->extra[d->nextra++] = hc_strdup(extra[i]);
    d->port = port > 0 ? port : hc_test_free_port();
    if (d->port < 0)
        return d->port;
    return spawn(d);
}

int hc_test_natsd_resume(hc_test_natsd_t *d)
{
    if (d->pid > 0)
        return 0;
    return spawn(d);
}

int hc_test_natsd_stop(hc_test_natsd_t *d)
{
    if (d->pid <= 0)
        return 0;
    if (kill(d->pid, SIGTERM) < 0 && errno != ESRCH)
        return -errno;
    uint64_t deadline = hc_now_ms() + NATSD_STOP_TIMEOUT_MS;
    for (;;) {
        int status;
        pid_t r = waitpid(d->pid, &status, WNOHANG);
        if (r == d->pid || (r < 0 && errno == ECHILD))
            break;
        if (hc_now_ms() >= deadline) {
            kill(d->pid, SIGKILL);
            waitpid(d->pid, &status, 0);
            break;
        }
        sleep_ms(5);
    }
    d->pid = 0;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    remove(path); /* best effort: keep going */
    return 0;
}

void hc_test_natsd_cleanup(hc_test_natsd_t *d)
{
    hc_test_natsd_stop(d);
    for (int i = 0; i < d->nextra; i++)
        free(d->extra[i]);
    d->nextra = 0;
    if (d->dir[0]) {
        nftw(d->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        d->dir[0] = '\0';
    }
}
