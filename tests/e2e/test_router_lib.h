/*
 * test_router_lib.h - what the router's end-to-end tests share: free loopback ports,
 * starting and stopping nats-server and hearth-router, a raw HTTP/1.1 client, and tiny
 * backends served by threads of the test process. Included by test_router_*.c only.
 */
#ifndef HEARTH_TEST_ROUTER_LIB_H
#define HEARTH_TEST_ROUTER_LIB_H

#pragma GCC diagnostic ignored "-Wunused-function"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hc_buf.h"
#include "hc_http.h"

/* ---- processes ---- */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &l) < 0)
        abort();
    close(fd);
    return ntohs(a.sin_port);
}

static void msleep(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static pid_t spawn(char *const argv[], const char *log_path)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        setpgid(0, 0);
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static void stop_pid(pid_t *pid)
{
    if (*pid <= 0)
        return;
    kill(*pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(*pid, NULL, WNOHANG) == *pid) {
            *pid = -1;
            return;
        }
        msleep(50);
    }
    kill(*pid, SIGKILL);
    waitpid(*pid, NULL, 0);
    *pid = -1;
}

/* The common end of a test file: the bus connection, the router, nats-server and the
 * temp dir (kept, and named, with KEEP_LOGS set). Returns 0 or -1. */
static int rt_teardown_all(natsConnection **nc, pid_t *rt_pid, pid_t *nats_pid, const char *dir)
{
    if (*nc)
        natsConnection_Destroy(*nc);
    *nc = NULL;
    stop_pid(rt_pid);
    stop_pid(nats_pid);
    if (getenv("KEEP_LOGS") != NULL) {
        fprintf(stderr, "logs in %s\n", dir);
        return 0;
    }
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct timeval tv = {20, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static bool wait_port(int port, int ms)
{
    for (int waited = 0; waited < ms; waited += 50) {
        int fd = tcp_connect(port);
        if (fd >= 0) {
            close(fd);
            return true;
        }
        msleep(50);
    }
    return false;
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* ---- HTTP client ---- */

typedef struct resp_s {
    int status;
    char head[16384];
    hc_buf_t body;
    uint64_t body_len; /* counted even when not kept */
    bool closed;       /* the server closed after the response */
} resp_t;

typedef struct conn_s {
    int fd;
    char buf[65536];
    size_t len;
} conn_t;

static bool conn_open(conn_t *c, int port)
{
    c->len = 0;
    c->fd = tcp_connect(port);
    return c->fd >= 0;
}

static void conn_close(conn_t *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static ssize_t conn_fill(conn_t *c)
{
    if (c->len == sizeof(c->buf))
        return -1;
    ssize_t n;
    do
        n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        c->len += (size_t)n;
    return n;
}

static void conn_consume(conn_t *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

/* Reads one response; keeps up to `keep` body bytes in r->body. Returns 0 or -1. */
static int conn_read_resp(conn_t *c, resp_t *r, bool head_req, size_t keep)
{
    hc_http_header_t hs[100];
    hc_http_resp_t p;
    int n;
    memset(r, 0, sizeof(*r));
    hc_buf_init(&r->body, 0);
    for (;;) {
        memset(&p, 0, sizeof(p));
        p.headers = hs;
        p.num_headers = 100;
        n = hc_http_parse_response(c->buf, c->len, 0, head_req, &p);
        if (n > 0)
            break;
        if (n != HC_AGAIN || conn_fill(c) <= 0)
            return -1;
    }
    r->status = p.status_code;
    snprintf(r->head, sizeof(r->head), "%.*s", n, c->buf);
    hc_http_body_t body = p.body;
    uint64_t left = p.content_length;
    conn_consume(c, (size_t)n);
    hc_http_chunked_t ch;
    hc_http_chunked_init(&ch);
    for (;;) {
        if (body == HC_HTTP_BODY_NONE || (body == HC_HTTP_BODY_LENGTH && left == 0) ||
            (body == HC_HTTP_BODY_CHUNKED && ch.done))
            break;
        if (c->len == 0) {
            ssize_t got = conn_fill(c);
            if (got <= 0) {
                r->closed = true;
                if (body == HC_HTTP_BODY_UNTIL_CLOSE)
                    break;
                return -1;
            }
        }
        size_t take = c->len, data = c->len;
        if (body == HC_HTTP_BODY_LENGTH) {
            take = data = HC_MIN(c->len, left);
            left -= take;
        } else if (body == HC_HTTP_BODY_CHUNKED) {
            int64_t used = hc_http_chunked_decode(&ch, c->buf, c->len, &data);
            if (used < 0)
                return -1;
            take = (size_t)used;
        }
        r->body_len += data;
        if (r->body.len < keep)
            hc_buf_append(&r->body, c->buf, HC_MIN(data, keep - r->body.len));
        conn_consume(c, take);
    }
    return 0;
}

static void resp_free(resp_t *r)
{
    hc_buf_release(&r->body);
}

/* The value of header `name` in a response head ("" when absent), copied into out. */
static const char *resp_header(const resp_t *r, const char *name, char *out, size_t size)
{
    out[0] = '\0';
    size_t nl = strlen(name);
    for (const char *p = strstr(r->head, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            snprintf(out, size, "%.*s", (int)(e - v), v);
            return out;
        }
    }
    return out;
}

/* One request on a fresh connection. */
static int http_get(int port, const char *host, const char *path, const char *extra, resp_t *r)
{
    conn_t *c = malloc(sizeof(*c));
    if (!conn_open(c, port)) {
        free(c);
        return -1;
    }
    char req[4096];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", path, host,
                     extra ? extra : "");
    int rc = write_all(c->fd, req, (size_t)n) == 0 ? conn_read_resp(c, r, false, 1 << 20) : -1;
    conn_close(c);
    free(c);
    return rc;
}

/* ---- backends ---- */

#define MAX_BE_CONNS 256

typedef struct backend_s {
    char name[32];
    int port, lfd;
    pthread_t thread;
    pthread_mutex_t lock;
    int conns[MAX_BE_CONNS];
    volatile int dead;
    volatile int requests;
    /* 1: a kept-alive connection is closed, unread (RST), as its next request arrives;
     * 2: the next request is read, then the connection closed (FIN) without an answer.
     * Either is a backend's idle timeout racing the router's reuse of the connection.
     * 3: a kept-alive connection idle for 150 ms is closed (a plain keep-alive timeout). */
    volatile int drop_reused;
    /* Set: every other request is read and its connection closed without an answer. */
    volatile int hiccup, hiccups;
} backend_t;

typedef struct be_conn_s {
    backend_t *be;
    int fd;
} be_conn_t;

static void be_track(backend_t *be, int fd, bool add)
{
    pthread_mutex_lock(&be->lock);
    for (int i = 0; i < MAX_BE_CONNS; i++) {
        if (add && be->conns[i] < 0) {
            be->conns[i] = fd;
            break;
        }
        if (!add && be->conns[i] == fd) {
            be->conns[i] = -1;
            break;
        }
    }
    pthread_mutex_unlock(&be->lock);
}

static void be_send_headers_echo(backend_t *be, conn_t *c, hc_http_req_t *req, uint64_t body)
{
    hc_buf_t b;
    hc_buf_init(&b, 0);
    hc_buf_appendf(&b, "backend=%s\npath=%.*s\nbody=%llu\n", be->name, (int)req->target.len,
                   req->target.p, (unsigned long long)body);
    for (size_t i = 0; i < req->num_headers; i++)
        hc_buf_appendf(&b, "%.*s: %.*s\n", (int)req->headers[i].name.len, req->headers[i].name.p,
                       (int)req->headers[i].value.len, req->headers[i].value.p);
    bool cookie = req->target.len >= 7 && memcmp(req->target.p, "/cookie", 7) == 0;
    char head[512];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                     "%sX-Backend: %s\r\n\r\n",
                     b.len, cookie ? "Set-Cookie: JSESSIONID=s1; Path=/app; HttpOnly\r\n" : "",
                     be->name);
    write_all(c->fd, head, (size_t)n);
    write_all(c->fd, b.data, b.len);
    hc_buf_release(&b);
}

/* Serves requests on one connection: /big?N (N bytes, length), /chunked?N (N bytes in 1000-
 * byte chunks), /close (until close), /ws (101, then echo), anything else echoes the request
 * headers; request bodies are read (length or chunked) and counted. "/expect" requests
 * get a 100 Continue first. */
static void *be_conn_main(void *arg)
{
    be_conn_t *bc = arg;
    backend_t *be = bc->be;
    conn_t *c = malloc(sizeof(*c));
    c->fd = bc->fd;
    c->len = 0;
    free(bc);
    static char block[65536];
    memset(block, 'x', sizeof(block));
    for (int served = 0;; served++) {
        hc_http_header_t hs[100];
        hc_http_req_t req;
        int n;
        if (served && be->drop_reused == 3 && c->len == 0) {
            struct pollfd pfd = {c->fd, POLLIN, 0};
            int pr;
            while ((pr = poll(&pfd, 1, 150)) < 0 && errno == EINTR)
                ;
            if (pr == 0)
                goto out;
        } else if (served && be->drop_reused) {
            struct pollfd pfd = {c->fd, POLLIN, 0};
            while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
                ;
            if (be->drop_reused == 2 && conn_fill(c) > 0)
                __sync_fetch_and_add(&be->requests, 1);
            goto out;
        }
        for (;;) {
            memset(&req, 0, sizeof(req));
            req.headers = hs;
            req.num_headers = 100;
            n = hc_http_parse_request(c->buf, c->len, 0, &req);
            if (n > 0)
                break;
            if (n != HC_AGAIN || conn_fill(c) <= 0)
                goto out;
        }
        __sync_fetch_and_add(&be->requests, 1);
        if (be->hiccup && __sync_fetch_and_add(&be->hiccups, 1) % 2 == 0)
            goto out;
        char path[256];
        snprintf(path, sizeof(path), "%.*s", (int)req.target.len, req.target.p);
        /* Body: the head slices point into c->buf, so copy what we need first. */
        hc_http_req_t copy = req;
        char headcopy[16384];
        size_t hl = HC_MIN((size_t)n, sizeof(headcopy));
        memcpy(headcopy, c->buf, hl);
        for (size_t i = 0; i < copy.num_headers; i++) {
            hs[i].name.p = headcopy + (hs[i].name.p - c->buf);
            hs[i].value.p = headcopy + (hs[i].value.p - c->buf);
        }
        copy.target.p = headcopy + (req.target.p - c->buf);
        copy.method.p = headcopy + (req.method.p - c->buf);
        copy.headers = hs;
        conn_consume(c, (size_t)n);
        if (strncmp(path, "/slower", 7) == 0)
            msleep(3500);
        else if (strncmp(path, "/slow", 5) == 0)
            msleep(1500);
        if (strncmp(path, "/expect", 7) == 0)
            write_all(c->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
        uint64_t body = 0;
        if (copy.body == HC_HTTP_BODY_LENGTH) {
            uint64_t left = copy.content_length;
            while (left) {
                if (c->len == 0 && conn_fill(c) <= 0)
                    goto out;
                size_t t = HC_MIN(c->len, left);
                body += t;
                left -= t;
                conn_consume(c, t);
            }
        } else if (copy.body == HC_HTTP_BODY_CHUNKED) {
            hc_http_chunked_t ch;
            hc_http_chunked_init(&ch);
            while (!ch.done) {
                if (c->len == 0 && conn_fill(c) <= 0)
                    goto out;
                size_t data;
                int64_t used = hc_http_chunked_decode(&ch, c->buf, c->len, &data);
                if (used < 0)
                    goto out;
                body += data;
                conn_consume(c, (size_t)used);
            }
        }
        if (strncmp(path, "/big?", 5) == 0 || strncmp(path, "/chunked?", 9) == 0) {
            bool chunked = path[1] == 'c';
            unsigned long long total = strtoull(strchr(path, '?') + 1, NULL, 10);
            char head[256];
            int hlen = chunked ? snprintf(head, sizeof(head),
                                          "HTTP/1.1 200 OK\r\n"
                                          "Transfer-Encoding: chunked\r\n\r\n")
                               : snprintf(head, sizeof(head),
                                          "HTTP/1.1 200 OK\r\nContent-Length: %llu\r\n\r\n", total);
            if (write_all(c->fd, head, (size_t)hlen) < 0)
                goto out;
            bool is_head = copy.method.len == 4 && memcmp(copy.method.p, "HEAD", 4) == 0;
            while (total && !is_head) {
                size_t t = HC_MIN(total, chunked ? 1000 : sizeof(block));
                if (chunked) {
                    char cl[32];
                    int m = snprintf(cl, sizeof(cl), "%zx\r\n", t);
                    if (write_all(c->fd, cl, (size_t)m) < 0)
                        goto out;
                }
                if (write_all(c->fd, block, t) < 0 || (chunked && write_all(c->fd, "\r\n", 2) < 0))
                    goto out;
                total -= t;
            }
            if (chunked && !is_head)
                write_all(c->fd, "0\r\n\r\n", 5);
        } else if (strcmp(path, "/close") == 0) {
            const char r[] = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil-close body";
            write_all(c->fd, r, sizeof(r) - 1);
            goto out;
        } else if (strcmp(path, "/ws") == 0) {
            const char r[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n";
            write_all(c->fd, r, sizeof(r) - 1);
            for (;;) {
                if (c->len == 0 && conn_fill(c) <= 0)
                    goto out;
                if (write_all(c->fd, c->buf, c->len) < 0)
                    goto out;
                c->len = 0;
            }
        } else {
            be_send_headers_echo(be, c, &copy, body);
        }
        if (!copy.keep_alive)
            goto out;
    }
out:
    be_track(be, c->fd, false);
    close(c->fd);
    free(c);
    return NULL;
}

static void *be_main(void *arg)
{
    backend_t *be = arg;
    for (;;) {
        int fd = accept4(be->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (be->dead)
                return NULL;
            continue;
        }
        if (be->dead) {
            close(fd);
            return NULL;
        }
        be_track(be, fd, true);
        be_conn_t *bc = malloc(sizeof(*bc));
        bc->be = be;
        bc->fd = fd;
        pthread_t t;
        pthread_create(&t, NULL, be_conn_main, bc);
        pthread_detach(t);
    }
}

static backend_t *backend_start(const char *name)
{
    backend_t *be = calloc(1, sizeof(*be));
    snprintf(be->name, sizeof(be->name), "%s", name);
    pthread_mutex_init(&be->lock, NULL);
    for (int i = 0; i < MAX_BE_CONNS; i++)
        be->conns[i] = -1;
    be->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(be->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof(a);
    if (bind(be->lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(be->lfd, 128) < 0 ||
        getsockname(be->lfd, (struct sockaddr *)&a, &l) < 0)
        abort();
    be->port = ntohs(a.sin_port);
    pthread_create(&be->thread, NULL, be_main, be);
    return be;
}

/* Kills the backend like a crash: the listener and every connection reset. */
static void backend_kill(backend_t *be)
{
    be->dead = 1;
    shutdown(be->lfd, SHUT_RDWR);
    pthread_join(be->thread, NULL);
    close(be->lfd);
    pthread_mutex_lock(&be->lock);
    for (int i = 0; i < MAX_BE_CONNS; i++) {
        if (be->conns[i] >= 0) {
            struct linger lg = {1, 0};
            setsockopt(be->conns[i], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
            shutdown(be->conns[i], SHUT_RDWR);
        }
    }
    pthread_mutex_unlock(&be->lock);
}

/* ---- the bus ---- */

static natsConnection *bus_connect(int port)
{
    char url[64];
    natsConnection *nc = NULL;
    snprintf(url, sizeof(url), "nats://127.0.0.1:%d", port);
    for (int i = 0; i < 100 && natsConnection_ConnectTo(&nc, url) != NATS_OK; i++)
        msleep(50);
    return nc;
}

static void bus_route(natsConnection *nc, const char *subject, int port, const char *uri,
                      const char *app, const char *inst, int index, int ttl)
{
    char msg[1024];
    snprintf(msg, sizeof(msg),
             "{\"host\":\"127.0.0.1\",\"port\":%d,\"uris\":[\"%s\"],\"app\":\"%s\","
             "\"private_instance_id\":\"%s\",\"private_instance_index\":%d,"
             "\"tags\":{\"component\":\"test\"}%s%.0d}",
             port, uri, app, inst, index, ttl ? ",\"stale_threshold_in_seconds\":" : "", ttl);
    natsConnection_PublishString(nc, subject, msg);
    natsConnection_Flush(nc);
}

/* Body of GET status_port/path into out (malloc'd) or NULL. */
static char *status_get(int status_port, const char *path)
{
    resp_t r;
    if (http_get(status_port, "status", path, NULL, &r) < 0)
        return NULL;
    char *s = hc_buf_detach(&r.body, NULL);
    return s;
}

/* Waits until GET host/ through the router answers `status`. */
static bool wait_status(int port, const char *host, int status, int ms)
{
    for (int waited = 0; waited < ms; waited += 50) {
        resp_t r;
        if (http_get(port, host, "/", NULL, &r) == 0) {
            int s = r.status;
            resp_free(&r);
            if (s == status)
                return true;
        }
        msleep(50);
    }
    return false;
}

static long rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    long kb = -1;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

#endif
