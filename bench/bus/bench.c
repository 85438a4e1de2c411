/*
 * bench-bus - a raw-protocol NATS benchmark client (no client library in the way), used by
 * bench/bus/run against hearth-bus and nats-server alike.
 *
 *   bench-bus MODE PORT N SIZE [PID]
 *   MODE: pub      one publisher, no subscriber; msgs/s = N / (first send .. PONG after last)
 *         pubsub   one publisher, one subscriber; msgs/s = N / (first send .. last received)
 *         fanout   one publisher, 4 subscribers; msgs/s delivered = 4N / (.. last received)
 *         queue    one publisher, 4 queue members; msgs/s = N / (.. last received)
 *         reqrep   N synchronous requests through a responder; prints p50/p99 latency in us
 *         subs     N subscriptions on one connection, then prints the server's RSS (PID) in KiB
 * Prints one line: "<value> <unit>".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define RBUF (256 * 1024)

static int g_port;
static long g_n;
static int g_size;
static atomic_long g_received;
static atomic_int g_ready;
static atomic_uint_fast64_t g_last_ns;
static long g_expect;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void die(const char *m)
{
    perror(m);
    exit(1);
}

static void send_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            die("send");
        p += n;
        len -= (size_t)n;
    }
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)g_port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
        die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    const char *c = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n";
    send_all(fd, c, strlen(c));
    return fd;
}

/* A streaming reader that counts MSG frames, answers PINGs and notes PONGs. */
typedef struct reader_s {
    int fd;
    char *buf;
    size_t len, pos;
    size_t skip; /* payload bytes still to skip */
    long msgs, pongs;
    char last_reply[128];
} reader_t;

/* Reads once and processes what came; returns false on EOF. */
static int reader_step(reader_t *r)
{
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->pos = 0;
    }
    ssize_t n = recv(r->fd, r->buf + r->len, RBUF - r->len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 1; /* receive timeout: let the caller re-check its stop condition */
    if (n <= 0)
        return 0;
    r->len += (size_t)n;
    for (;;) {
        if (r->skip) {
            size_t take = r->len - r->pos < r->skip ? r->len - r->pos : r->skip;
            r->pos += take;
            r->skip -= take;
            if (r->skip)
                return 1;
        }
        if (r->pos >= r->len)
            return 1;
        char *start = r->buf + r->pos;
        char *nl = memchr(start, '\n', r->len - r->pos);
        if (!nl)
            return 1;
        size_t line = (size_t)(nl - start) + 1;
        if (start[0] == 'M') {
            /* MSG subject sid [reply] size */
            char *end = nl - 1;
            if (*end == '\r')
                end--;
            char *sp = end;
            while (sp > start && *sp != ' ')
                sp--;
            long size = strtol(sp + 1, NULL, 10);
            /* remember the reply subject (third token when 5 tokens) */
            int spaces = 0;
            for (char *q = start; q < sp; q++)
                spaces += *q == ' ';
            if (spaces == 3) {
                char *q = start;
                for (int k = 0; k < 3; k++)
                    q = memchr(q, ' ', (size_t)(sp - q)) + 1;
                size_t rl = (size_t)(sp - q);
                if (rl < sizeof(r->last_reply)) {
                    memcpy(r->last_reply, q, rl);
                    r->last_reply[rl] = '\0';
                }
            }
            r->pos += line;
            r->skip = (size_t)size + 2;
            r->msgs++;
        } else if (start[0] == 'P' && start[1] == 'I') {
            send_all(r->fd, "PONG\r\n", 6);
            r->pos += line;
        } else if (start[0] == 'P' && start[1] == 'O') {
            r->pongs++;
            r->pos += line;
        } else if (start[0] == '-') {
            fprintf(stderr, "server error: %.*s", (int)line, start);
            r->pos += line;
        } else {
            r->pos += line;
        }
    }
}

static void reader_init(reader_t *r, int fd)
{
    memset(r, 0, sizeof(*r));
    r->fd = fd;
    r->buf = malloc(RBUF);
}

static void wait_pong(reader_t *r)
{
    long want = r->pongs + 1;
    send_all(r->fd, "PING\r\n", 6);
    while (r->pongs < want)
        if (!reader_step(r))
            die("eof");
}

static void *sub_thread(void *arg)
{
    const char *queue = arg;
    reader_t r;
    char line[128];
    reader_init(&r, dial());
    struct timeval tv = {0, 50000};
    setsockopt(r.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    snprintf(line, sizeof(line), "SUB bench %s 1\r\n", queue ? queue : "");
    send_all(r.fd, line, strlen(line));
    wait_pong(&r);
    atomic_fetch_add(&g_ready, 1);
    long before = 0;
    while (atomic_load(&g_received) < g_expect) {
        if (!reader_step(&r))
            break;
        if (r.msgs != before) {
            atomic_fetch_add(&g_received, r.msgs - before);
            before = r.msgs;
            atomic_store(&g_last_ns, now_ns());
        }
    }
    close(r.fd);
    free(r.buf);
    return NULL;
}

/* Publishes g_n messages of g_size bytes in large batches; returns the start time. */
static uint64_t publish(reader_t *r, const char *subject)
{
    char head[64];
    int hl = snprintf(head, sizeof(head), "PUB %s %d\r\n", subject, g_size);
    size_t one = (size_t)hl + (size_t)g_size + 2;
    size_t per = (64 * 1024) / one + 1;
    char *batch = malloc(per * one);
    for (size_t i = 0; i < per; i++) {
        char *p = batch + i * one;
        memcpy(p, head, (size_t)hl);
        memset(p + hl, 'x', (size_t)g_size);
        memcpy(p + hl + g_size, "\r\n", 2);
    }
    uint64_t t0 = now_ns();
    long left = g_n;
    while (left > 0) {
        size_t k = (size_t)left < per ? (size_t)left : per;
        send_all(r->fd, batch, k * one);
        left -= (long)k;
    }
    free(batch);
    return t0;
}

static double run_pubsub(int nsubs, const char *queue)
{
    pthread_t th[8];
    g_expect = queue ? g_n : g_n * nsubs;
    for (int i = 0; i < nsubs; i++)
        pthread_create(&th[i], NULL, sub_thread, (void *)queue);
    while (atomic_load(&g_ready) < nsubs)
        usleep(1000);
    reader_t r;
    reader_init(&r, dial());
    wait_pong(&r);
    uint64_t t0 = publish(&r, "bench");
    wait_pong(&r);
    uint64_t tpub = now_ns();
    if (nsubs == 0)
        return (double)g_n / ((double)(tpub - t0) / 1e9);
    for (int i = 0; i < nsubs; i++)
        pthread_join(th[i], NULL);
    return (double)g_expect / ((double)(atomic_load(&g_last_ns) - t0) / 1e9);
}

static void *responder(void *arg)
{
    reader_t *r = arg;
    char *out = malloc(256 + (size_t)g_size);
    long answered = 0;
    memset(out + 200, 'y', (size_t)g_size);
    for (;;) {
        if (!reader_step(r))
            break;
        while (answered < r->msgs) {
            int hl = snprintf(out, 200, "PUB %s %d\r\n", r->last_reply, g_size);
            memmove(out + hl, out + 200, (size_t)g_size);
            memcpy(out + hl + g_size, "\r\n", 2);
            send_all(r->fd, out, (size_t)hl + (size_t)g_size + 2);
            memset(out + 200, 'y', (size_t)g_size);
            answered++;
        }
    }
    free(out);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void run_reqrep(void)
{
    reader_t rs, rq;
    pthread_t th;
    reader_init(&rs, dial());
    send_all(rs.fd, "SUB req 1\r\n", 11);
    wait_pong(&rs);
    pthread_create(&th, NULL, responder, &rs);
    reader_init(&rq, dial());
    send_all(rq.fd, "SUB _INBOX.bench.* 1\r\n", 22);
    wait_pong(&rq);
    char *msg = malloc(256 + (size_t)g_size);
    uint64_t *lat = calloc((size_t)g_n, sizeof(*lat));
    for (long i = 0; i < g_n; i++) {
        int hl = snprintf(msg, 200, "PUB req _INBOX.bench.%ld %d\r\n", i, g_size);
        memset(msg + hl, 'x', (size_t)g_size);
        memcpy(msg + hl + g_size, "\r\n", 2);
        long want = rq.msgs + 1;
        uint64_t t0 = now_ns();
        send_all(rq.fd, msg, (size_t)hl + (size_t)g_size + 2);
        while (rq.msgs < want || rq.skip)
            if (!reader_step(&rq))
                die("eof");
        lat[i] = now_ns() - t0;
    }
    qsort(lat, (size_t)g_n, sizeof(*lat), cmp_u64);
    printf("%.1f %.1f us(p50,p99)\n", (double)lat[g_n / 2] / 1e3,
           (double)lat[g_n * 99 / 100] / 1e3);
    fflush(stdout);
    shutdown(rs.fd, SHUT_RDWR);
    pthread_join(th, NULL);
    close(rs.fd);
    close(rq.fd);
}

static void run_subs(int pid)
{
    reader_t r;
    reader_init(&r, dial());
    size_t cap = (size_t)g_n * 40 + 64, len = 0;
    char *buf = malloc(cap);
    for (long i = 0; i < g_n; i++) {
        /* mostly literal subjects, some wildcards, like a busy platform */
        if (i % 10 == 0)
            len += (size_t)sprintf(buf + len, "SUB app.%ld.* %ld\r\n", i, i + 1);
        else
            len += (size_t)sprintf(buf + len, "SUB app.%ld.status %ld\r\n", i, i + 1);
    }
    send_all(r.fd, buf, len);
    wait_pong(&r);
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    long rss = -1;
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmRSS:", 6))
            rss = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    printf("%ld KiB\n", rss);
    close(r.fd);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: bench-bus pub|pubsub|fanout|queue|reqrep|subs PORT N SIZE [PID]\n");
        return 2;
    }
    const char *mode = argv[1];
    g_port = atoi(argv[2]);
    g_n = atol(argv[3]);
    g_size = atoi(argv[4]);
    if (!strcmp(mode, "pub"))
        printf("%.0f msgs/s\n", run_pubsub(0, NULL));
    else if (!strcmp(mode, "pubsub"))
        printf("%.0f msgs/s\n", run_pubsub(1, NULL));
    else if (!strcmp(mode, "fanout"))
        printf("%.0f msgs/s\n", run_pubsub(4, NULL));
    else if (!strcmp(mode, "queue"))
        printf("%.0f msgs/s\n", run_pubsub(4, "q"));
    else if (!strcmp(mode, "reqrep"))
        run_reqrep();
    else if (!strcmp(mode, "subs") && argc > 5)
        run_subs(atoi(argv[5]));
    else
        return 2;
    return 0;
}
