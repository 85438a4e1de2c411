/*
 * ilog.c - an instance's output file (logs/stdout.log or logs/stderr.log) with rotation.
 *
 * Output chunks from warden's stream are queued on the loop thread (bounded) and written by
 * one job at a time on the thread pool, so a slow disk never stalls the loop and the order is
 * kept. When the file has reached max bytes and the last byte written ends a line, it is
 * renamed to NAME.1 (replacing the previous generation) and a new empty NAME is started
 * (spec/README.md contract "Log files on the DEA"). A line is never split by a rotation
 * unless it alone passes 2 x max bytes, so files stay under 2 x max.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dea.h"
#include "hc_fs.h"
#include "hc_log.h"

#define ILOG_MAX_QUEUED ((size_t)8 * 1024 * 1024) /* bytes waiting for the writer */

typedef struct ilog_piece_s {
    struct ilog_piece_s *next;
    size_t len;
    char data[];
} ilog_piece_t;

struct dea_ilog_s {
    uv_loop_t *loop;
    char *path;
    uint64_t max;
    ilog_piece_t *head, *tail; /* queued on the loop thread */
    size_t queued;
    uint64_t dropped;
    /* Owned by the job while `busy`. */
    uv_work_t work;
    ilog_piece_t *batch;
    int fd;
    uint64_t size;
    bool at_bol;
    uint64_t rotations;
    bool busy, closed;
};

dea_ilog_t *dea_ilog_new(uv_loop_t *loop, const char *path, uint64_t max)
{
    dea_ilog_t *l = hc_calloc(1, sizeof(*l));
    l->loop = loop;
    l->path = hc_strdup(path);
    l->max = max;
    l->fd = -1;
    l->at_bol = true;
    return l;
}

static void free_pieces(ilog_piece_t *p)
{
    while (p) {
        ilog_piece_t *n = p->next;
        free(p);
        p = n;
    }
}

static void ilog_free(dea_ilog_t *l)
{
    free_pieces(l->head);
    free_pieces(l->batch);
    if (l->fd >= 0)
        close(l->fd);
    free(l->path);
    free(l);
}

static int open_log(dea_ilog_t *l, int extra)
{
    l->fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | extra, 0644);
    if (l->fd < 0)
        return -errno;
    struct stat st;
    l->size = fstat(l->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    return 0;
}

static void rotate(dea_ilog_t *l)
{
    hc_autofree char *old = hc_asprintf("%s.1", l->path);
    close(l->fd);
    l->fd = -1;
    (void)rename(l->path, old);
    (void)open_log(l, O_TRUNC);
    l->rotations++;
}

/* Thread pool: writes the batch, rotating at line ends once the file is full. */
static void write_work(uv_work_t *w)
{
    dea_ilog_t *l = HC_CONTAINER_OF(w, dea_ilog_t, work);
    if (l->fd < 0 && open_log(l, 0) < 0)
        return;
    for (ilog_piece_t *p = l->batch; p; p = p->next) {
        const char *s = p->data;
        size_t len = p->len;
        while (len) {
            if (l->size >= l->max && (l->at_bol || l->size >= 2 * l->max))
                rotate(l);
            if (l->fd < 0)
                return;
            size_t n;
            if (l->size < l->max) {
                n = len < l->max - l->size ? len : (size_t)(l->max - l->size);
            } else {
                /* Full: finish the current line, then rotate. */
                const char *nl = memchr(s, '\n', len);
                n = nl ? (size_t)(nl - s) + 1 : len;
            }
            (void)hc_write_all(l->fd, s, n);
            l->size += n;
            l->at_bol = s[n - 1] == '\n';
            s += n;
            len -= n;
        }
    }
}

static void kick(dea_ilog_t *l);

static void write_done(uv_work_t *w, int status)
{
    (void)status;
    dea_ilog_t *l = HC_CONTAINER_OF(w, dea_ilog_t, work);
    l->busy = false;
    free_pieces(l->batch);
    l->batch = NULL;
    if (l->closed && !l->head) {
        ilog_free(l);
        return;
    }
    kick(l);
}

static void kick(dea_ilog_t *l)
{
    if (l->busy || !l->head)
        return;
    l->batch = l->head;
    l->head = l->tail = NULL;
    l->queued = 0;
    l->busy = true;
    if (uv_queue_work(l->loop, &l->work, write_work, write_done) < 0) {
        l->busy = false;
        free_pieces(l->batch);
        l->batch = NULL;
    }
}

void dea_ilog_write(dea_ilog_t *l, const char *data, size_t len)
{
    if (!l || !len)
        return;
    if (l->queued + len > ILOG_MAX_QUEUED) {
        if (l->dropped++ == 0)
            hc_log_warn("log writer behind, dropping output", "file", l->path);
        return;
    }
    ilog_piece_t *p = hc_malloc(sizeof(*p) + len);
    p->next = NULL;
    p->len = len;
    memcpy(p->data, data, len);
    if (l->tail)
        l->tail->next = p;
    else
        l->head = p;
    l->tail = p;
    l->queued += len;
    kick(l);
}

bool dea_ilog_idle(const dea_ilog_t *l)
{
    return !l || (!l->busy && !l->head);
}

void dea_ilog_close(dea_ilog_t *l)
{
    if (!l)
        return;
    l->closed = true;
    if (!l->busy && !l->head)
        ilog_free(l);
    /* else write_done frees it once what was queued is written */
}
