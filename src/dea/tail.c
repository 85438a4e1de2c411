/*
 * tail.c - a live tail of an instance file over chunked HTTP, in constant memory: one buffer
 * per tail, one read (on the thread pool) or one write in flight at a time. At the end of the
 * file it checks whether the path now names another file (rotation: logs/stdout.log renamed to
 * stdout.log.1 and started anew); the old file has then been read to its end, and the tail
 * continues from byte 0 of the new one. At the end of the file with nothing to read, it polls
 * every TAIL_POLL_MS; once the instance is over and its output written, the response ends.
 * The number of tails is bounded by the `max_tailers` setting (then 503).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hc_log.h"
#include "web.h"

#define TAIL_CHUNK ((size_t)64 * 1024)
#define TAIL_HDR 16 /* room for "%zx\r\n" before the data */
#define TAIL_POLL_MS 100

struct dea_tail_s {
    dea_web_conn_t *c; /* NULL once the connection is gone */
    dea_web_t *web;
    dea_inst_t *in;
    char *path;
    uv_work_t work;
    uv_timer_t timer;
    int fd;
    dev_t dev;
    ino_t ino;
    uint64_t off;
    ssize_t n; /* bytes read by the last job */
    bool busy, timer_open, ending;
    char buf[TAIL_HDR + TAIL_CHUNK + 2];
};

static void tail_free(dea_tail_t *t)
{
    if (t->busy || t->timer_open)
        return;
    if (t->fd >= 0)
        close(t->fd);
    dea_inst_unref(t->in);
    free(t->path);
    free(t);
}

static bool open_path(dea_tail_t *t)
{
    int fd = open(t->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return false;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return false;
    }
    if (t->fd >= 0)
        close(t->fd);
    t->fd = fd;
    t->dev = st.st_dev;
    t->ino = st.st_ino;
    /* An offset past the end: the file was rotated since it was read (contract: go on from 0). */
    if (t->off > (uint64_t)st.st_size)
        t->off = 0;
    return true;
}

/* Thread pool: the next bytes, switching to the new file after a rotation. */
static void read_work(uv_work_t *w)
{
    dea_tail_t *t = HC_CONTAINER_OF(w, dea_tail_t, work);
    t->n = 0;
    if (t->fd < 0 && !open_path(t))
        return;
    t->n = pread(t->fd, t->buf + TAIL_HDR, TAIL_CHUNK, (off_t)t->off);
    if (t->n != 0)
        return;
    struct stat st;
    if (stat(t->path, &st) == 0 && (st.st_ino != t->ino || st.st_dev != t->dev)) {
        t->off = 0;
        if (open_path(t))
            t->n = pread(t->fd, t->buf + TAIL_HDR, TAIL_CHUNK, 0);
    }
}

static void next(dea_tail_t *t);

static void on_sent(dea_web_conn_t *c, void *data)
{
    (void)c;
    next(data);
}

static bool instance_over(const dea_inst_t *in)
{
    return (in->state == DEA_STOPPED || in->state == DEA_CRASHED) && dea_ilog_idle(in->out) &&
           dea_ilog_idle(in->err);
}

static void on_timer(uv_timer_t *timer)
{
    next(timer->data);
}

static void on_timer_closed(uv_handle_t *h)
{
    dea_tail_t *t = h->data;
    t->timer_open = false;
    tail_free(t);
}

static void read_done(uv_work_t *w, int status)
{
    dea_tail_t *t = HC_CONTAINER_OF(w, dea_tail_t, work);
    t->busy = false;
    if (!t->c) {
        tail_free(t);
        return;
    }
    if (status < 0 || t->n < 0) {
        dea_web_finish(t->c);
        return;
    }
    if (t->n > 0) {
        size_t n = (size_t)t->n;
        t->off += n;
        char hdr[TAIL_HDR];
        int hl = snprintf(hdr, sizeof(hdr), "%zx\r\n", n);
        char *start = t->buf + TAIL_HDR - hl;
        memcpy(start, hdr, (size_t)hl);
        memcpy(t->buf + TAIL_HDR + n, "\r\n", 2);
        dea_web_send(t->c, start, (size_t)hl + n + 2, false, on_sent, t);
        return;
    }
    if (t->ending) {
        /* Over, and everything written has been sent. */
        static char last[] = "0\r\n\r\n";
        dea_web_send(t->c, last, sizeof(last) - 1, false, NULL, NULL);
        dea_web_finish(t->c);
        return;
    }
    if (instance_over(t->in)) {
        t->ending = true; /* one more read catches what was written last */
        next(t);
        return;
    }
    uv_timer_start(&t->timer, on_timer, TAIL_POLL_MS, 0);
}

static void next(dea_tail_t *t)
{
    if (!t->c || t->busy)
        return;
    t->busy = true;
    if (uv_queue_work(t->web->dea->loop, &t->work, read_work, read_done) < 0) {
        t->busy = false;
        dea_web_finish(t->c);
    }
}

static void head_sent(dea_web_conn_t *c, void *data)
{
    (void)c;
    next(data);
}

void dea_tail_start(dea_web_conn_t *c, dea_inst_t *in, const char *rel, uint64_t offset)
{
    dea_web_t *web = c->web;
    static char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                         "Content-Length: 15\r\nConnection: close\r\n\r\ntoo many tails\n";
    if (web->num_tails >= web->dea->conf->max_tailers) {
        dea_web_send(c, busy, sizeof(busy) - 1, false, NULL, NULL);
        dea_web_finish(c);
        return;
    }
    dea_tail_t *t = hc_calloc(1, sizeof(*t));
    t->c = c;
    t->web = web;
    t->in = dea_inst_ref(in);
    t->path = hc_asprintf("%s/%s", in->dir, rel);
    t->fd = -1;
    t->off = offset;
    uv_timer_init(web->dea->loop, &t->timer);
    t->timer.data = t;
    t->timer_open = true;
    c->tail = t;
    web->num_tails++;
    static char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                         "Transfer-Encoding: chunked\r\nCache-Control: no-cache\r\n"
                         "Connection: close\r\n\r\n";
    dea_web_send(c, head, sizeof(head) - 1, false, head_sent, t);
}

void dea_tail_detach(dea_tail_t *t)
{
    t->c = NULL;
    t->web->num_tails--;
    uv_timer_stop(&t->timer);
    uv_close((uv_handle_t *)&t->timer, on_timer_closed);
    /* tail_free runs once the timer is closed and no read is in flight */
}
