/*
 * bench-router: helpers for bench/router/run.
 *   bench-router serve PORT            a minimal keep-alive HTTP backend (epoll, one thread)
 *   bench-router relay PORT BACKEND [WORKERS]
 *   bench-router relay-uring PORT BACKEND [WORKERS]
 *                                      the floor of any proxy here, with epoll or io_uring
 * (relay.h) bench-router register URL PORT HOST [EXTRA] publishes router.register for HOST ->
 * 127.0.0.1:PORT and EXTRA more routes (app-N.bench.test), then exits
 */
#include <errno.h>
#include <fcntl.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hc_base.h"
#include "relay.h"

#define BUF 16384

typedef struct conn_s {
    int fd;
    size_t len;
    char buf[BUF];
} conn_t;

static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n"
                            "\r\nhello, world\n";

static void serve_conn(int ep, conn_t *c)
{
    for (;;) {
        ssize_t n = read(c->fd, c->buf + c->len, BUF - c->len);
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0)
            goto close;
        c->len += (size_t)n;
        /* One canned response per complete head (benchmark requests have no body). */
        char out[sizeof(reply) * 32];
        size_t olen = 0, off = 0;
        char *end;
        while ((end = memmem(c->buf + off, c->len - off, "\r\n\r\n", 4)) != NULL) {
            off = (size_t)(end - c->buf) + 4;
            if (olen + sizeof(reply) - 1 > sizeof(out)) {
                if (write(c->fd, out, olen) != (ssize_t)olen)
                    goto close;
                olen = 0;
            }
            memcpy(out + olen, reply, sizeof(reply) - 1);
            olen += sizeof(reply) - 1;
        }
        memmove(c->buf, c->buf + off, c->len - off);
        c->len -= off;
        if (c->len == BUF)
            goto close;
        if (olen && write(c->fd, out, olen) != (ssize_t)olen)
            goto close;
    }
close:
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c);
}

static int serve(int port)
{
    int lfd = bench_listen(port, 0), one = 1;
    if (lfd < 0)
        return 1;
    fcntl(lfd, F_SETFL, O_NONBLOCK);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL) {
                int fd;
                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                    conn_t *c = hc_calloc(1, sizeof(*c));
                    c->fd = fd;
                    struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
                }
                continue;
            }
            serve_conn(ep, evs[i].data.ptr);
        }
    }
}

static int reg(const char *url, int port, const char *host, long extra)
{
    natsConnection *nc = NULL;
    if (natsConnection_ConnectTo(&nc, url) != NATS_OK) {
        fprintf(stderr, "bench-router: cannot connect to %s\n", url);
        return 1;
    }
    char msg[512];
    snprintf(msg, sizeof(msg),
             "{\"host\":\"127.0.0.1\",\"port\":%d,\"uris\":[\"%s\"],\"app\":\"bench\","
             "\"private_instance_id\":\"bench-0\",\"private_instance_index\":0}",
             port, host);
    natsConnection_PublishString(nc, "router.register", msg);
    for (long i = 0; i < extra; i++) {
        snprintf(msg, sizeof(msg),
                 "{\"host\":\"127.0.0.2\",\"port\":%ld,\"uris\":[\"app-%ld.bench.test\","
                 "\"app-%ld.bench.test/api\"],\"app\":\"a%ld\",\"private_instance_id\":\"i%ld\"}",
                 1 + i % 60000, i, i, i, i);
        natsConnection_PublishString(nc, "router.register", msg);
        if (i % 1000 == 0)
            natsConnection_Flush(nc);
    }
    natsConnection_Flush(nc);
    natsConnection_Destroy(nc);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc == 3 && strcmp(argv[1], "serve") == 0)
        return serve(atoi(argv[2]));
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "relay") == 0)
        return relay_epoll(atoi(argv[2]), atoi(argv[3]), argc == 5 ? atoi(argv[4]) : 1);
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "relay-uring") == 0)
        return relay_uring(atoi(argv[2]), atoi(argv[3]), argc == 5 ? atoi(argv[4]) : 1);
    if ((argc == 5 || argc == 6) && strcmp(argv[1], "register") == 0)
        return reg(argv[2], atoi(argv[3]), argv[4], argc == 6 ? atol(argv[5]) : 0);
    fprintf(stderr, "usage: bench-router serve PORT | relay PORT BACKEND [WORKERS] |\n"
                    "       relay-uring PORT BACKEND [WORKERS] | register URL PORT HOST [EXTRA]\n");
    return 2;
}
