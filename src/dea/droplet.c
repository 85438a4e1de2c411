/*
 * Droplet cache: data_dir/droplets/<sha1>.tgz, filled by an HTTP GET of the start message's
 * executableUri, kept only when its SHA-1 matches. File work runs on the libuv thread pool.
 * A start that finds its droplet in the cache sets the file's mtime: the cache is kept under
 * droplet_cache.max_size least recently used first (droplet_gc.c), and starts wait while an
 * eviction run is under way.
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dea.h"
#include "hc_fs.h"
#include "hc_log.h"

/*
 * Droplets verified by this process (SHA-1 and start command), keyed by SHA-1 with the file's
 * size and mtime: a later start of the same droplet skips re-hashing and re-reading the tgz
 * (both grow with the droplet) as long as the cached file is the one that was verified.
 */
#define MEMO_MAX 64

typedef struct memo_s {
    char sha1[HC_SHA1_HEX + 1];
    char *cmd;
    off_t size;
    struct timespec mtime;
} memo_t;

typedef struct fetch_s {
    uv_work_t work;
    struct fetch_s *next; /* held while an eviction runs */
    memo_t memo; /* in: a remembered verification (cmd NULL: none); out: the one to remember */
    bool verified;
    dea_inst_t *in;
    dea_droplet_cb cb;
    char *path;
    char *body; /* downloaded bytes to store, or NULL: look in the cache */
    size_t body_len;
    bool hit;
    bool stored; /* a new droplet went into the cache */
    char *cmd;
    hc_err_t err;
    int rc;
} fetch_t;

/* Reads the start command from the droplet's staging_info.yml. */
static char *read_cmd(const char *path, hc_err_t *err)
{
    struct archive *a = archive_read_new();
    struct archive_entry *e;
    char *cmd = NULL;
    archive_read_support_filter_gzip(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
        hc_err_set(err, -EIO, "droplet: %s", archive_error_string(a));
        goto out;
    }
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        const char *n = archive_entry_pathname(e);
        if (strncmp(n, "./", 2) == 0)
            n += 2;
        if (strcmp(n, "staging_info.yml") != 0)
            continue;
        char buf[16384];
        la_ssize_t len = archive_read_data(a, buf, sizeof(buf) - 1);
        if (len > 0)
            cmd = dea_staging_info_cmd(buf, (size_t)len);
        break;
    }
    if (!cmd)
        hc_err_set(err, -EINVAL, "droplet has no start_command in staging_info.yml");
out:
    archive_read_free(a);
    return cmd;
}

/* The file as verified now, for the memo (its mtime is part of what a later start checks). */
static void remember(fetch_t *f)
{
    struct stat st;
    if (stat(f->path, &st) == 0) {
        f->verified = true;
        f->memo.size = st.st_size;
        f->memo.mtime = st.st_mtim;
    }
}

static void fetch_work(uv_work_t *w)
{
    fetch_t *f = HC_CONTAINER_OF(w, fetch_t, work);
    char sum[HC_SHA1_HEX + 1] = {0};
    if (f->body) {
        hc_autofree char *tmp = hc_asprintf("%s.%d.pending", f->path, (int)getpid());
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || hc_write_all(fd, f->body, f->body_len) < 0) {
            f->rc = hc_err_set(&f->err, -errno, "writing the droplet: %s", strerror(errno));
            if (fd >= 0)
                close(fd);
            unlink(tmp);
            return;
        }
        close(fd);
        if ((f->rc = hc_sha1_file(tmp, O_NOFOLLOW, sum, NULL, &f->err)) < 0 ||
            strcmp(sum, f->in->s.sha1) != 0) {
            if (f->rc == 0)
                f->rc = hc_err_set(&f->err, -EINVAL, "droplet SHA-1 mismatch: got %s", sum);
            unlink(tmp);
            return;
        }
        if (rename(tmp, f->path) < 0) {
            f->rc = hc_err_set(&f->err, -errno, "rename: %s", strerror(errno));
            unlink(tmp);
            return;
        }
    } else {
        struct stat st;
        if (stat(f->path, &st) < 0)
            return; /* miss */
        bool known = f->memo.cmd && st.st_size == f->memo.size &&
                     st.st_mtim.tv_sec == f->memo.mtime.tv_sec &&
                     st.st_mtim.tv_nsec == f->memo.mtime.tv_nsec;
        if (!known && (hc_sha1_file(f->path, O_NOFOLLOW, sum, NULL, &f->err) < 0 ||
                       strcmp(sum, f->in->s.sha1) != 0)) {
            unlink(f->path); /* corrupt cache entry: fetch again */
            return;
        }
        utimensat(AT_FDCWD, f->path, NULL, AT_SYMLINK_NOFOLLOW); /* used now (LRU) */
        if (known) {
            f->hit = true; /* verified earlier by this process, unchanged since */
            f->cmd = hc_strdup(f->memo.cmd);
            remember(f);
            return;
        }
    }
    f->stored = f->body != NULL;
    f->hit = true;
    if (!(f->cmd = read_cmd(f->path, &f->err))) {
        f->rc = -EINVAL;
        return;
    }
    remember(f);
}

static void memo_add(dea_t *dea, const fetch_t *f)
{
    memo_t *m = NULL;
    for (size_t i = 0; i < dea->num_memo && !m; i++)
        if (strcmp(dea->memo[i].sha1, f->in->s.sha1) == 0)
            m = &dea->memo[i];
    if (!m) {
        if (dea->num_memo == MEMO_MAX) {
            free(dea->memo[0].cmd); /* the oldest goes */
            memmove(&dea->memo[0], &dea->memo[1], (MEMO_MAX - 1) * sizeof(memo_t));
            dea->num_memo--;
        }
        if (!dea->memo)
            dea->memo = hc_calloc(MEMO_MAX, sizeof(memo_t));
        m = &dea->memo[dea->num_memo++];
        snprintf(m->sha1, sizeof(m->sha1), "%s", f->in->s.sha1);
    } else {
        free(m->cmd);
    }
    m->cmd = hc_strdup(f->cmd);
    m->size = f->memo.size;
    m->mtime = f->memo.mtime;
}

void dea_droplet_forget(dea_t *dea, const char *sha1)
{
    for (size_t i = 0; i < dea->num_memo; i++)
        if (strcmp(dea->memo[i].sha1, sha1) == 0) {
            free(dea->memo[i].cmd);
            memmove(&dea->memo[i], &dea->memo[i + 1], (dea->num_memo - i - 1) * sizeof(memo_t));
            dea->num_memo--;
            return;
        }
}

void dea_droplet_memo_free(dea_t *dea)
{
    for (size_t i = 0; i < dea->num_memo; i++)
        free(dea->memo[i].cmd);
    free(dea->memo);
    dea->memo = NULL;
    dea->num_memo = 0;
}

static void fetch_free(fetch_t *f)
{
    dea_inst_unref(f->in);
    free(f->path);
    free(f->body);
    free(f->cmd);
    free(f->memo.cmd);
    free(f);
}

static void on_http(const hc_http_client_result_t *res, void *data);

static void fetch_done(uv_work_t *w, int status)
{
    fetch_t *f = HC_CONTAINER_OF(w, fetch_t, work);
    if (status < 0) {
        f->cb(f->in, NULL, NULL, "cancelled");
    } else if (f->rc < 0) {
        f->cb(f->in, NULL, NULL, f->err.msg);
    } else if (f->hit) {
        if (f->verified && !f->in->dea->stopped)
            memo_add(f->in->dea, f);
        char *cmd = f->cmd;
        f->cmd = NULL;
        f->cb(f->in, f->path, cmd, NULL);
    } else if (!f->body) {
        hc_err_t err;
        hc_http_client_opts_t o = {.url = f->in->s.uri,
                                   .max_response = DEA_MAX_DROPLET,
                                   .timeout_ms = 600000,
                                   .connect_timeout_ms = 10000};
        if (hc_http_client_request(f->in->dea->http, &o, on_http, f, NULL, &err) == 0)
            return;
        f->cb(f->in, NULL, NULL, err.msg);
    } else {
        f->cb(f->in, NULL, NULL, "droplet download failed");
    }
    if (f->stored)
        dea_droplet_gc(f->in->dea); /* the new droplet may take the cache over its bound */
    fetch_free(f);
}

static void queue(fetch_t *f)
{
    if (uv_queue_work(f->in->dea->loop, &f->work, fetch_work, fetch_done) < 0) {
        f->cb(f->in, NULL, NULL, "cannot queue work");
        fetch_free(f);
    }
}

static void on_http(const hc_http_client_result_t *res, void *data)
{
    fetch_t *f = data;
    char msg[256];
    if (res->error || res->status != 200) {
        snprintf(msg, sizeof(msg), "droplet download failed: %s",
                 res->error ? res->error : "bad HTTP status");
        if (!res->error)
            snprintf(msg, sizeof(msg), "droplet download failed: HTTP %d", res->status);
        f->cb(f->in, NULL, NULL, msg);
        fetch_free(f);
        return;
    }
    f->body = hc_memdup(res->body, res->body_len);
    f->body_len = res->body_len;
    queue(f);
}

void dea_droplet_fetch(dea_inst_t *in, dea_droplet_cb cb)
{
    dea_t *dea = in->dea;
    fetch_t *f = hc_calloc(1, sizeof(*f));
    f->in = dea_inst_ref(in);
    f->cb = cb;
    f->path = hc_asprintf("%s/droplets/%s.tgz", dea->conf->common.data_dir, in->s.sha1);
    for (size_t i = 0; i < dea->num_memo; i++)
        if (strcmp(dea->memo[i].sha1, in->s.sha1) == 0) {
            memo_t *m = &dea->memo[i];
            f->memo = *m;
            f->memo.cmd = hc_strdup(m->cmd);
        }
    if (!dea->gc_running) {
        queue(f);
        return;
    }
    fetch_t **pp = &dea->fetch_wait;
    while (*pp)
        pp = &(*pp)->next;
    *pp = f;
}

void dea_droplet_resume(dea_t *dea)
{
    while (dea->fetch_wait && !dea->gc_running) {
        fetch_t *f = dea->fetch_wait;
        dea->fetch_wait = f->next;
        f->next = NULL;
        queue(f);
    }
}
