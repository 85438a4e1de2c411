/* raw_http.c - see raw_http.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "hc_http.h"
#include "loop_clean.h"
#include "raw_http.h"

/* Bytes read past the responses returned so far, kept for the next raw_read on that fd. */
static __thread char rbuf[1 << 18];
static __thread size_t rbuf_len;
static __thread int rbuf_fd = -1;

int raw_connect(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct timeval tv = {.tv_sec = 5};
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return -1;
    }
    if (fd == rbuf_fd)
        rbuf_len = 0;
    return fd;
}

int raw_send(int fd, const void *p, size_t len)
{
    const char *s = p;
    while (len) {
        ssize_t n = send(fd, s, len, MSG_NOSIGNAL);
        if (n < 0)
            return -1;
        s += n;
        len -= (size_t)n;
    }
    return 0;
}

int raw_send_str(int fd, const char *s)
{
    return raw_send(fd, s, strlen(s));
}

int raw_read(int fd, raw_resp_t *out, int n)
{
    char *buf = rbuf;
    size_t len = fd == rbuf_fd ? rbuf_len : 0;
    int got = 0;
    bool eof = false;

    while (got < n) {
        /* Try to take complete responses from the front of the buffer. */
        while (got < n && len > 0) {
            hc_http_header_t hdrs[HC_HTTP_MAX_HEADERS];
            hc_http_resp_t resp = {.headers = hdrs, .num_headers = HC_HTTP_MAX_HEADERS};
            int r = hc_http_parse_response(buf, len, 0, false, &resp);
            if (r < 0)
                break;
            size_t body = 0;
            if (resp.body == HC_HTTP_BODY_LENGTH)
                body = (size_t)resp.content_length;
            else if (resp.body == HC_HTTP_BODY_UNTIL_CLOSE)
                body = eof ? len - (size_t)r : SIZE_MAX;
            if (body == SIZE_MAX || (size_t)r + body > len)
                break;
            raw_resp_t *o = &out[got++];
            o->status = resp.status_code;
            o->keep_alive = resp.keep_alive;
            snprintf(o->head, sizeof(o->head), "%.*s", r, buf);
            o->body_len = HC_MIN(body, sizeof(o->body) - 1);
            memcpy(o->body, buf + r, o->body_len);
            o->body[o->body_len] = '\0';
            memmove(buf, buf + (size_t)r + body, len - (size_t)r - body);
            len -= (size_t)r + body;
        }
        if (got >= n || eof || len == sizeof(rbuf))
            break;
        ssize_t k = recv(fd, buf + len, sizeof(rbuf) - len, 0);
        if (k <= 0)
            eof = true;
        else
            len += (size_t)k;
    }
    rbuf_fd = fd;
    rbuf_len = len;
    return got;
}

bool raw_wait_eof(int fd)
{
    char b[4096];
    for (;;) {
        ssize_t k = recv(fd, b, sizeof(b), 0);
        if (k == 0)
            return true;
        if (k < 0)
            return errno == ECONNRESET;
    }
}

const char *raw_header(const raw_resp_t *r, const char *name, char *buf, size_t size)
{
    size_t nlen = strlen(name);
    const char *p = strstr(r->head, "\r\n");

    buf[0] = '\0';
    while (p && p[2] != '\r' && p[2] != '\0') {
        p += 2;
        const char *eol = strstr(p, "\r\n");
        if (!eol)
            break;
        if ((size_t)(eol - p) > nlen && p[nlen] == ':' && strncasecmp(p, name, nlen) == 0) {
            const char *v = p + nlen + 1;
            while (*v == ' ')
                v++;
            snprintf(buf, size, "%.*s", (int)(eol - v), v);
            return buf;
        }
        p = eol;
    }
    return buf;
}

typedef struct thread_job_s {
    void (*fn)(void *);
    void *arg;
    uv_async_t async;
    bool done;
} thread_job_t;

static void *thread_main(void *p)
{
    thread_job_t *j = p;
    j->fn(j->arg);
    uv_async_send(&j->async);
    return NULL;
}

static void on_async(uv_async_t *a)
{
    thread_job_t *j = a->data;
    j->done = true;
}

bool raw_run_thread(uv_loop_t *loop, void (*fn)(void *), void *arg, uint64_t max_ms)
{
    thread_job_t j = {.fn = fn, .arg = arg};
    pthread_t th;

    uv_async_init(loop, &j.async, on_async);
    j.async.data = &j;
    if (pthread_create(&th, NULL, thread_main, &j) != 0) {
        uv_close((uv_handle_t *)&j.async, NULL);
        return false;
    }
    bool done = hc_test_run_until(loop, &j.done, max_ms);
    pthread_join(th, NULL);
    uv_close((uv_handle_t *)&j.async, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return done;
}
