/*
 * bench-router relay / relay-uring: see relay.h. A bound for the benchmark, not a proxy: the
 * backend connection is made with a blocking connect (loopback), and a write the kernel cannot
 * take at once is retried in a loop (never seen with the benchmark's 13-byte responses).
 */
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define RELAY_BUF 16384

static const int one = 1;

int bench_listen(int port, int reuseport)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (reuseport)
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1024) < 0) {
        perror("bench-router: listen");
        close(fd);
        return -1;
    }
    return fd;
}

/* A blocking loopback connect, then non-blocking; -1 when the backend refuses. */
static int relay_dial(int port)
{
    struct sockaddr_in b = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&b, sizeof(b)) < 0) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/* Runs loop(port, backend_port) in `workers` processes (one stays this process when 1). */
static int relay_fork(int port, int backend_port, int workers, int (*loop)(int, int, int))
{
    if (workers <= 1)
        return loop(port, backend_port, 0);
    pid_t parent = getpid();
    for (int i = 0; i < workers; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("bench-router relay: fork");
            return 1;
        }
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (getppid() != parent)
                _exit(0);
            _exit(loop(port, backend_port, 1));
        }
    }
    while (wait(NULL) > 0 || errno == EINTR)
        ;
    return 0;
}

/* ---- epoll ---- */

typedef struct side_s {
    int fd;
    struct side_s *peer;
} side_t;

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void epoll_pair_close(int ep, side_t *s)
{
    side_t *first = s < s->peer ? s : s->peer;
    epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
    epoll_ctl(ep, EPOLL_CTL_DEL, s->peer->fd, NULL);
    close(s->fd);
    close(s->peer->fd);
    free(first);
}

static int epoll_accept(int ep, int lfd, int backend_port)
{
    int fd;
    while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        int bfd = relay_dial(backend_port);
        side_t *s = bfd < 0 ? NULL : calloc(2, sizeof(*s));
        if (s == NULL) {
            close(fd);
            if (bfd >= 0)
                close(bfd);
            continue;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        s[0] = (side_t){.fd = fd, .peer = &s[1]};
        s[1] = (side_t){.fd = bfd, .peer = &s[0]};
        struct epoll_event e0 = {.events = EPOLLIN, .data.ptr = &s[0]};
        struct epoll_event e1 = {.events = EPOLLIN, .data.ptr = &s[1]};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e0) < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, bfd, &e1) < 0)
            epoll_pair_close(ep, &s[0]);
    }
    return errno == EAGAIN ? 0 : -1;
}

static int epoll_loop(int port, int backend_port, int reuseport)
{
    static char buf[RELAY_BUF];
    struct epoll_event evs[256];
    int lfd = bench_listen(port, reuseport), ep = epoll_create1(EPOLL_CLOEXEC);
    if (lfd < 0 || ep < 0)
        return 1;
    fcntl(lfd, F_SETFL, O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            side_t *s = evs[i].data.ptr;
            if (s == NULL) {
                epoll_accept(ep, lfd, backend_port);
                continue;
            }
            /* One read per wakeup unless it filled the buffer (as libuv does). */
            ssize_t r;
            do {
                r = read(s->fd, buf, sizeof(buf));
                if (r < 0 && errno == EAGAIN)
                    break;
                if (r <= 0 || write_all(s->peer->fd, buf, (size_t)r) < 0) {
                    epoll_pair_close(ep, s);
                    /* Its peer may be further on in evs: drop those events. */
                    for (int j = i + 1; j < n; j++)
                        if (evs[j].data.ptr == s->peer || evs[j].data.ptr == s)
                            evs[j].data.ptr = NULL, evs[j].events = 0;
                    break;
                }
            } while (r == (ssize_t)sizeof(buf));
        }
    }
}

int relay_epoll(int port, int backend_port, int workers)
{
    return relay_fork(port, backend_port, workers, epoll_loop);
}

/* ---- io_uring ---- */

#define URING_BUFS 1024 /* provided buffers of URING_BUFSZ bytes, one group */
#define URING_BUFSZ 4096

enum { OP_ACCEPT = 1, OP_RECV = 2, OP_SEND = 3 };

typedef struct {
    int fd[2];    /* client, backend; also their slots in the registered file table */
    int inflight; /* requests whose final completion is still to come */
    int dead;
} upair_t;

typedef struct {
    struct io_uring ring;
    struct io_uring_buf_ring *br;
    char *bufs;
    int lfd;
    int backend_port;
} uring_t;

/* user_data: the pair's pointer, the op in bits 0-1, the side in bit 2, a buffer id above 48. */
static uint64_t ud_make(upair_t *p, int op, int side, unsigned bid)
{
    return (uint64_t)(uintptr_t)p | (uint64_t)op | ((uint64_t)side << 2) | ((uint64_t)bid << 48);
}

static struct io_uring_sqe *uring_sqe(uring_t *u)
{
    struct io_uring_sqe *s = io_uring_get_sqe(&u->ring);
    if (s == NULL) {
        io_uring_submit(&u->ring);
        s = io_uring_get_sqe(&u->ring);
    }
    return s;
}

static void uring_give(uring_t *u, unsigned bid)
{
    io_uring_buf_ring_add(u->br, u->bufs + (size_t)bid * URING_BUFSZ, URING_BUFSZ,
                          (unsigned short)bid, io_uring_buf_ring_mask(URING_BUFS), 0);
    io_uring_buf_ring_advance(u->br, 1);
}

static void uring_recv(uring_t *u, upair_t *p, int side)
{
    struct io_uring_sqe *s = uring_sqe(u);
    io_uring_prep_recv_multishot(s, p->fd[side], NULL, 0, 0);
    s->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
    s->buf_group = 0;
    io_uring_sqe_set_data64(s, ud_make(p, OP_RECV, side, 0));
    p->inflight++;
}

static void uring_accept(uring_t *u)
{
    struct io_uring_sqe *s = uring_sqe(u);
    io_uring_prep_multishot_accept(s, u->lfd, NULL, NULL, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(s, OP_ACCEPT);
}

static void uring_kill(uring_t *u, upair_t *p)
{
    if (!p->dead) {
        p->dead = 1; /* pending receives end with 0, sends with an error */
        shutdown(p->fd[0], SHUT_RDWR);
        shutdown(p->fd[1], SHUT_RDWR);
    }
    if (p->inflight > 0)
        return;
    int none[2] = {-1, -1};
    io_uring_register_files_update(&u->ring, (unsigned)p->fd[0], &none[0], 1);
    io_uring_register_files_update(&u->ring, (unsigned)p->fd[1], &none[1], 1);
    close(p->fd[0]);
    close(p->fd[1]);
    free(p);
}

static void uring_accepted(uring_t *u, int fd)
{
    int bfd = relay_dial(u->backend_port);
    upair_t *p = bfd < 0 ? NULL : aligned_alloc(16, sizeof(*p));
    if (p == NULL) {
        close(fd);
        if (bfd >= 0)
            close(bfd);
        return;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    *p = (upair_t){.fd = {fd, bfd}};
    /* A descriptor's slot is its number: the table is as large as RLIMIT_NOFILE. */
    if (io_uring_register_files_update(&u->ring, (unsigned)fd, &p->fd[0], 1) != 1 ||
        io_uring_register_files_update(&u->ring, (unsigned)bfd, &p->fd[1], 1) != 1) {
        close(fd);
        close(bfd);
        free(p);
        return;
    }
    uring_recv(u, p, 0);
    uring_recv(u, p, 1);
}

static void uring_complete(uring_t *u, struct io_uring_cqe *c)
{
    uint64_t d = c->user_data;
    int op = (int)(d & 3), side = (int)((d >> 2) & 1);
    upair_t *p = (upair_t *)(uintptr_t)(d & 0x0000fffffffffff0ull);
    if (op == OP_ACCEPT) {
        if (c->res >= 0)
            uring_accepted(u, c->res);
        if (!(c->flags & IORING_CQE_F_MORE))
            uring_accept(u);
        return;
    }
    int final = !(c->flags & IORING_CQE_F_MORE);
    if (final)
        p->inflight--;
    if (op == OP_SEND) {
        uring_give(u, (unsigned)(d >> 48));
        if (c->res < 0 || p->dead)
            uring_kill(u, p);
        return;
    }
    if (c->res <= 0 || p->dead) {
        if (c->res > 0)
            uring_give(u, c->flags >> IORING_CQE_BUFFER_SHIFT);
        uring_kill(u, p);
        return;
    }
    unsigned bid = c->flags >> IORING_CQE_BUFFER_SHIFT;
    struct io_uring_sqe *s = uring_sqe(u);
    io_uring_prep_send(s, p->fd[!side], u->bufs + (size_t)bid * URING_BUFSZ, (size_t)c->res, 0);
    s->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(s, ud_make(p, OP_SEND, side, bid));
    p->inflight++;
    if (final) /* the multishot receive ended (no buffer left, for one): post it again */
        uring_recv(u, p, side);
}

static int uring_loop(int port, int backend_port, int reuseport)
{
    uring_t u = {.backend_port = backend_port};
    struct io_uring_params params = {.flags = IORING_SETUP_SINGLE_ISSUER |
                                              IORING_SETUP_DEFER_TASKRUN |
                                              IORING_SETUP_COOP_TASKRUN};
    struct rlimit rl;
    u.lfd = bench_listen(port, reuseport);
    if (u.lfd < 0 || getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 1;
    int rc = io_uring_queue_init_params(1024, &u.ring, &params);
    if (rc < 0) {
        fprintf(stderr, "bench-router relay-uring: io_uring: %s\n", strerror(-rc));
        return 1;
    }
    unsigned nfiles = rl.rlim_cur > 65536 ? 65536 : (unsigned)rl.rlim_cur;
    u.br = aligned_alloc(4096, URING_BUFS * sizeof(struct io_uring_buf));
    u.bufs = aligned_alloc(4096, (size_t)URING_BUFS * URING_BUFSZ);
    if (u.br == NULL || u.bufs == NULL)
        return 1;
    memset(u.br, 0, URING_BUFS * sizeof(struct io_uring_buf));
    io_uring_buf_ring_init(u.br);
    struct io_uring_buf_reg reg = {
        .ring_addr = (uintptr_t)u.br, .ring_entries = URING_BUFS, .bgid = 0};
    if ((rc = io_uring_register_files_sparse(&u.ring, nfiles)) < 0 ||
        (rc = io_uring_register_buf_ring(&u.ring, &reg, 0)) < 0) {
        fprintf(stderr, "bench-router relay-uring: register: %s\n", strerror(-rc));
        return 1;
    }
    for (unsigned i = 0; i < URING_BUFS; i++)
        uring_give(&u, i);
    uring_accept(&u);
    for (;;) {
        io_uring_submit_and_wait(&u.ring, 1);
        struct io_uring_cqe *c;
        unsigned head, n = 0;
        io_uring_for_each_cqe(&u.ring, head, c)
        {
            n++;
            uring_complete(&u, c);
        }
        io_uring_cq_advance(&u.ring, n);
    }
}

int relay_uring(int port, int backend_port, int workers)
{
    return relay_fork(port, backend_port, workers, uring_loop);
}
