/*
 * test_bus_common.h - helpers shared by the hearth-bus e2e programs: start hearth-bus or Debian's
 * nats-server on free loopback ports (the same test runs against both, so any difference is
 * ours), raw protocol sockets, and a tiny HTTP GET for the monitoring port. Static functions
 * only, included by each test_bus_*.c.
 */
#ifndef HEARTH_TEST_BUS_COMMON_H
#define HEARTH_TEST_BUS_COMMON_H

#define HC_UNUSED_T __attribute__((unused))

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef enum tb_kind_e { TB_HEARTH = 0, TB_NATS = 1 } tb_kind_t;

typedef struct tb_srv_s {
    tb_kind_t kind;
    int slot; /* index in tb_reg, so a failed test's teardown can still stop it */
    pid_t pid;
    int port, http_port;
    char dir[64];
    char conf[128];
    char *args[24];
    int nargs;
} tb_srv_t;

/*
 * Every started server is also recorded here by value: a failing cmocka assertion jumps out of
 * the test function (its tb_srv_t on the stack is gone), and tb_teardown stops what is left.
 */
typedef struct tb_reg_s {
    pid_t pid;
    char dir[64];
    char conf[128];
    int used;
} tb_reg_t;
static tb_reg_t tb_reg[64];

static HC_UNUSED_T void tb_reg_stop(tb_reg_t *r)
{
    if (r->pid > 0) {
        int st;
        kill(r->pid, SIGKILL);
        waitpid(r->pid, &st, 0);
    }
    if (r->conf[0])
        unlink(r->conf);
    if (r->dir[0])
        rmdir(r->dir);
    memset(r, 0, sizeof(*r));
}

/* cmocka teardown (per test) and atexit hook: stops every server a test left behind. */
static HC_UNUSED_T int tb_teardown(void **state)
{
    for (size_t i = 0; i < sizeof(tb_reg) / sizeof(tb_reg[0]); i++)
        if (tb_reg[i].used)
            tb_reg_stop(&tb_reg[i]);
    return 0;
}

static HC_UNUSED_T void tb_teardown_atexit(void)
{
    tb_teardown(NULL);
}

static HC_UNUSED_T const char *tb_name(tb_kind_t k)
{
    return k == TB_HEARTH ? "hearth-bus" : "nats-server";
}

static HC_UNUSED_T const char *tb_nats_server(void)
{
    static const char *const paths[] = {"/usr/sbin/nats-server", "/usr/bin/nats-server"};
    for (size_t i = 0; i < 2; i++)
        if (access(paths[i], X_OK) == 0)
            return paths[i];
    return NULL;
}

static HC_UNUSED_T int tb_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &l) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static HC_UNUSED_T uint64_t tb_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static HC_UNUSED_T void tb_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Connects to 127.0.0.1:port; -1 on failure. */
static HC_UNUSED_T int tb_dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/* (Re)starts the server with the same ports and arguments; returns 0 when it accepts. */
static HC_UNUSED_T int tb_srv_spawn(tb_srv_t *s)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0 && !getenv("TB_VERBOSE")) {
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        execv(s->args[0], s->args);
        _exit(127);
    }
    s->pid = pid;
    tb_reg[s->slot].pid = pid;
    for (int i = 0; i < 200; i++) {
        int fd = tb_dial(s->port);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            s->pid = 0;
            tb_reg[s->slot].pid = 0;
            return -1;
        }
        tb_sleep_ms(25);
    }
    return -1;
}

/*
 * Starts kind with the extra arguments (NULL-terminated) and, when conf is not NULL, a config
 * file holding conf. Returns 0 or -1.
 */
static HC_UNUSED_T int tb_srv_start(tb_srv_t *s, tb_kind_t kind, const char *conf,
                                    const char *const *extra)
{
    const char *bindir = getenv("HEARTH_BIN_DIR");
    static char bin[512];

    memset(s, 0, sizeof(*s));
    static int hooked;
    if (!hooked) {
        atexit(tb_teardown_atexit);
        hooked = 1;
    }
    s->slot = -1;
    for (int i = 0; i < (int)(sizeof(tb_reg) / sizeof(tb_reg[0])); i++) {
        if (!tb_reg[i].used) {
            s->slot = i;
            break;
        }
    }
    if (s->slot < 0)
        return -1;
    tb_reg[s->slot].used = 1;
    s->kind = kind;
    s->port = tb_free_port();
    s->http_port = tb_free_port();
    snprintf(s->dir, sizeof(s->dir), "/tmp/hearth-bus-test-XXXXXX");
    if (!mkdtemp(s->dir))
        return -1;
    memcpy(tb_reg[s->slot].dir, s->dir, sizeof(s->dir));
    if (kind == TB_HEARTH) {
        snprintf(bin, sizeof(bin), "%s/hearth-bus", bindir ? bindir : "build/bin");
        s->args[s->nargs++] = strdup(bin);
    } else {
        const char *ns = tb_nats_server();
        if (!ns)
            return -1;
        s->args[s->nargs++] = strdup(ns);
    }
    char port[16], hport[16];
    snprintf(port, sizeof(port), "%d", s->port);
    snprintf(hport, sizeof(hport), "%d", s->http_port);
    const char *base[] = {"-a", "127.0.0.1", "-p", port, "-m", hport};
    for (size_t i = 0; i < 6; i++)
        s->args[s->nargs++] = strdup(base[i]);
    if (conf) {
        snprintf(s->conf, sizeof(s->conf), "%s/bus.conf", s->dir);
        memcpy(tb_reg[s->slot].conf, s->conf, sizeof(s->conf));
        FILE *f = fopen(s->conf, "w");
        if (!f)
            return -1;
        fputs(conf, f);
        fclose(f);
        s->args[s->nargs++] = strdup("-c");
        s->args[s->nargs++] = strdup(s->conf);
    }
    for (size_t i = 0; extra && extra[i] && s->nargs < 22; i++)
        s->args[s->nargs++] = strdup(extra[i]);
    s->args[s->nargs] = NULL;
    return tb_srv_spawn(s);
}

/* Stops the server with sig and reaps it; returns its wait status. */
static HC_UNUSED_T int tb_srv_kill(tb_srv_t *s, int sig)
{
    int st = 0;
    if (s->pid > 0) {
        kill(s->pid, sig);
        for (int i = 0; i < 400; i++) {
            if (waitpid(s->pid, &st, WNOHANG) == s->pid)
                break;
            if (i == 399) {
                kill(s->pid, SIGKILL);
                waitpid(s->pid, &st, 0);
            }
            tb_sleep_ms(25);
        }
        s->pid = 0;
        tb_reg[s->slot].pid = 0;
    }
    return st;
}

static HC_UNUSED_T void tb_srv_stop(tb_srv_t *s)
{
    tb_srv_kill(s, SIGKILL);
    if (s->slot >= 0)
        tb_reg_stop(&tb_reg[s->slot]);
    for (int i = 0; i < s->nargs; i++)
        free(s->args[i]);
    s->nargs = 0;
    s->slot = -1;
}

static HC_UNUSED_T int tb_send(int fd, const void *p, size_t len)
{
    const char *c = p;
    while (len > 0) {
        ssize_t n = send(fd, c, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        c += n;
        len -= (size_t)n;
    }
    return 0;
}

static HC_UNUSED_T int tb_sends(int fd, const char *s)
{
    return tb_send(fd, s, strlen(s));
}

/*
 * Reads for up to ms milliseconds, or until EOF/error, or until `until` (if not NULL) appears.
 * Returns bytes read into buf (NUL-terminated); *closed = 1 on EOF or reset.
 */
static HC_UNUSED_T size_t tb_read(int fd, char *buf, size_t cap, int ms, const char *until,
                                  int *closed)
{
    size_t len = 0;
    uint64_t end = tb_now_ms() + (uint64_t)ms;
    *closed = 0;
    buf[0] = '\0';
    while (len + 1 < cap) {
        uint64_t now = tb_now_ms();
        if (now >= end)
            break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)(end - now));
        if (r <= 0)
            break;
        ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n <= 0) {
            *closed = 1;
            break;
        }
        len += (size_t)n;
        buf[len] = '\0';
        if (until && strstr(buf, until))
            break;
    }
    return len;
}

/* Connects and reads the INFO line into info (if not NULL). Returns the fd or -1. */
static HC_UNUSED_T int tb_connect(int port, char *info, size_t cap)
{
    char tmp[4096];
    int closed;
    int fd = tb_dial(port);
    if (fd < 0)
        return -1;
    tb_read(fd, info ? info : tmp, info ? cap : sizeof(tmp), 2000, "\r\n", &closed);
    return fd;
}

/* GET http://127.0.0.1:port/path; returns a malloc'd body (caller frees) or NULL. */
static HC_UNUSED_T char *tb_http_get(int port, const char *path)
{
    int fd = tb_dial(port);
    char req[256];
    int closed;
    if (fd < 0)
        return NULL;
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
             path);
    tb_sends(fd, req);
    size_t cap = 4 * 1024 * 1024;
    char *buf = malloc(cap);
    size_t n = 0;
    for (;;) {
        size_t got = tb_read(fd, buf + n, cap - n, 3000, NULL, &closed);
        n += got;
        if (closed || got == 0 || n + 1 >= cap)
            break;
    }
    close(fd);
    buf[n] = '\0';
    char *body = strstr(buf, "\r\n\r\n");
    if (!body) {
        free(buf);
        return NULL;
    }
    char *out = strdup(body + 4);
    free(buf);
    return out;
}

#endif
