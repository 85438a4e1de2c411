/*
 * bench-warden: latency of create + run /bin/true + destroy through hearth-warden's socket,
 * and warden's memory with many containers alive.
 *
 *   bench-warden cycle SOCKET ROUNDS [veth]   prints median and p99 in ms
 *   bench-warden alive SOCKET COUNT WARDEN_PID  prints warden RSS per container in KiB
 *   bench-warden exec ROUNDS CMD [ARG...]      times CMD the same way (the runc side), with
 *                                              "%d" in an argument replaced by the round
 *
 * Blocking socket I/O on purpose: the client must add as little as possible to the figure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hc_base.h"
#include "hc_time.h"

static int sock_connect(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        perror("connect");
        exit(1);
    }
    return fd;
}

/* Sends one request line and reads one response line; exits on an error response. */
static void call(int fd, const char *req)
{
    size_t n = strlen(req);
    if (write(fd, req, n) != (ssize_t)n) {
        perror("write");
        exit(1);
    }
    static char buf[65536];
    size_t len = 0;
    for (;;) {
        ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (r <= 0) {
            fprintf(stderr, "warden closed the connection\n");
            exit(1);
        }
        len += (size_t)r;
        buf[len] = '\0';
        if (memchr(buf, '\n', len))
            break;
        if (len == sizeof(buf) - 1) {
            len = 0; /* a long line we do not need to keep */
        }
    }
    if (strstr(buf, "\"type\":\"error\"")) {
        fprintf(stderr, "request %.*s failed: %s", (int)(n - 1), req, buf);
        exit(1);
    }
}

/* With BENCH_SAMPLES=FILE, appends every round's time in ms to FILE (one per line). */
static void print_samples(const uint64_t *t, int n)
{
    const char *path = getenv("BENCH_SAMPLES");
    FILE *f = path ? fopen(path, "ae") : NULL;
    for (int i = 0; f && i < n; i++)
        fprintf(f, "%.3f\n", t[i] / 1e6);
    if (f)
        fclose(f);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int cycle(const char *path, int rounds, bool veth)
{
    int fd = sock_connect(path);
    uint64_t *t = hc_calloc((size_t)rounds, sizeof(uint64_t));
    char req[256];
    uint64_t phase[3] = {0};
    for (int i = 0; i < rounds; i++) {
        uint64_t t0 = hc_now_ns(), ta, tb;
        snprintf(req, sizeof(req),
                 "{\"type\":\"create\",\"handle\":\"bench%d\",\"limits\":{\"memory_in_bytes\":"
                 "134217728,\"pids\":128}%s}\n",
                 i, veth ? "" : ",\"network\":\"none\"");
        call(fd, req);
        ta = hc_now_ns();
        snprintf(req, sizeof(req),
                 "{\"type\":\"run\",\"handle\":\"bench%d\",\"path\":\"/bin/true\"}\n", i);
        call(fd, req);
        tb = hc_now_ns();
        snprintf(req, sizeof(req), "{\"type\":\"destroy\",\"handle\":\"bench%d\"}\n", i);
        call(fd, req);
        t[i] = hc_now_ns() - t0;
        phase[0] += ta - t0;
        phase[1] += tb - ta;
        phase[2] += t0 + t[i] - tb;
    }
    print_samples(t, rounds);
    /* With BENCH_PHASES=FILE, appends "create run destroy" sums in ns and the round count. */
    const char *pp = getenv("BENCH_PHASES");
    FILE *pf = pp ? fopen(pp, "ae") : NULL;
    if (pf) {
        fprintf(pf, "%llu %llu %llu %d\n", (unsigned long long)phase[0],
                (unsigned long long)phase[1], (unsigned long long)phase[2], rounds);
        fclose(pf);
    }
    qsort(t, (size_t)rounds, sizeof(uint64_t), cmp_u64);
    size_t p99 = (size_t)((rounds * 99 + 99) / 100) - 1;
    printf("median_ms=%.2f p99_ms=%.2f rounds=%d mean_create_ms=%.2f mean_run_ms=%.2f "
           "mean_destroy_ms=%.2f\n",
           t[rounds / 2] / 1e6, t[p99] / 1e6, rounds, phase[0] / 1e6 / rounds,
           phase[1] / 1e6 / rounds, phase[2] / 1e6 / rounds);
    free(t);
    close(fd);
    return 0;
}

static long rss_kib(int pid)
{
    char p[64], line[256];
    snprintf(p, sizeof(p), "/proc/%d/status", pid);
    FILE *f = fopen(p, "re");
    long v = -1;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            v = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

static int alive(const char *path, int count, int pid)
{
    int fd = sock_connect(path);
    char req[256];
    long before = rss_kib(pid);
    uint64_t t0 = hc_now_ns();
    for (int i = 0; i < count; i++) {
        snprintf(req, sizeof(req),
                 "{\"type\":\"create\",\"handle\":\"alive%d\",\"limits\":{\"memory_in_bytes\":"
                 "67108864,\"disk_in_bytes\":16777216}}\n",
                 i);
        call(fd, req);
    }
    uint64_t t1 = hc_now_ns();
    snprintf(req, sizeof(req), "{\"type\":\"run\",\"handle\":\"alive%d\",\"path\":\"/bin/true\"}\n",
             count - 1);
    call(fd, req);
    long after = rss_kib(pid);
    for (int i = 0; i < count; i++) {
        snprintf(req, sizeof(req), "{\"type\":\"destroy\",\"handle\":\"alive%d\"}\n", i);
        call(fd, req);
    }
    printf("alive=%d create_all_s=%.2f warden_rss_before_kib=%ld warden_rss_after_kib=%ld "
           "per_container_kib=%.1f\n",
           count, (t1 - t0) / 1e9, before, after, (double)(after - before) / count);
    close(fd);
    return 0;
}

static int exec_rounds(int rounds, int argc, char **argv)
{
    uint64_t *t = hc_calloc((size_t)rounds, sizeof(uint64_t));
    char **args = hc_calloc((size_t)argc + 1, sizeof(char *));
    char bufs[16][256];
    for (int i = 0; i < rounds; i++) {
        for (int k = 0; k < argc; k++) {
            args[k] = argv[k];
            const char *pct = strstr(argv[k], "%d");
            if (k < 16 && pct) {
                snprintf(bufs[k], sizeof(bufs[k]), "%.*s%d%s", (int)(pct - argv[k]), argv[k], i,
                         pct + 2);
                args[k] = bufs[k];
            }
        }
        uint64_t t0 = hc_now_ns();
        pid_t pid = fork();
        if (pid == 0) {
            execvp(args[0], args);
            _exit(127);
        }
        int st;
        waitpid(pid, &st, 0);
        t[i] = hc_now_ns() - t0;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "round %d: %s failed\n", i, args[0]);
            return 1;
        }
    }
    print_samples(t, rounds);
    qsort(t, (size_t)rounds, sizeof(uint64_t), cmp_u64);
    size_t p99 = (size_t)((rounds * 99 + 99) / 100) - 1;
    printf("median_ms=%.2f p99_ms=%.2f rounds=%d\n", t[rounds / 2] / 1e6, t[p99] / 1e6, rounds);
    free(t);
    free(args);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "exec") == 0)
        return exec_rounds(atoi(argv[2]) > 0 ? atoi(argv[2]) : 1, argc - 3, argv + 3);
    if (argc >= 4 && strcmp(argv[1], "cycle") == 0)
        return cycle(argv[2], atoi(argv[3]) > 0 ? atoi(argv[3]) : 1,
                     argc > 4 && strcmp(argv[4], "veth") == 0);
    if (argc == 5 && strcmp(argv[1], "alive") == 0)
        return alive(argv[2], atoi(argv[3]) > 0 ? atoi(argv[3]) : 1, atoi(argv[4]));
    fprintf(stderr, "usage: bench-warden cycle SOCKET ROUNDS [veth] | alive SOCKET COUNT PID\n");
    return 2;
}
