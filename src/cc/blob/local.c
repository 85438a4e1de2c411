/*
 * The local-directory blob backend. Layout: ROOT/<kind>/<2 hex>/<2 hex>/<sha1>, so no
 * directory grows past 65,536 entries per level. A put copies into ROOT/tmp/<random> with
 * fsync, then renames into place: a crash leaves at worst a stray temp file, which the
 * next open sweeps, never a partial blob under a real name. A batch (blob.h) writes all its
 * temp files first, makes them durable with one syncfs, and only then renames them.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "blob/blob.h"
#include "hc_fs.h"
#include "hc_uuid.h"

typedef struct local_s {
    char *root;
    int root_fd; /* O_PATH descriptor of root: stat resolves paths from here, not from "/" */
} local_t;

/* key "kind/sha1" -> ROOT/kind/ab/cd/sha1; refuses keys that are not of that form. */
static int key_path(const local_t *l, const char *key, char *out, size_t size, char *dir,
                    size_t dsize)
{
    const char *slash = strchr(key, '/');
    if (!slash || slash == key || slash - key > 16 || !cc_sha1_valid(slash + 1))
        return -EINVAL;
    for (const char *p = key; p < slash; p++)
        if (*p < 'a' || *p > 'z')
            return -EINVAL;
    const char *h = slash + 1;
    int n = snprintf(dir, dsize, "%s/%.*s/%.2s/%.2s", l->root, (int)(slash - key), key, h, h + 2);
    if (n < 0 || (size_t)n >= dsize)
        return -ENAMETOOLONG;
    n = snprintf(out, size, "%s/%s", dir, h);
    if (n < 0 || (size_t)n >= size)
        return -ENAMETOOLONG;
    return 0;
}

static int copy_fd(int in, int out)
{
    char buf[64 * 1024];
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return 0;
        int r = hc_write_all(out, buf, (size_t)n);
        if (r < 0)
            return r;
    }
}

/*
 * Copies src to a new temp file in the store (its path into tmp), with an fsync when sync is
 * set. On failure the temp file is removed.
 */
static int copy_to_tmp(const local_t *l, const char *src, bool sync, char tmp[4096], hc_err_t *err)
{
    char rnd[17];
    hc_autoclose int in = -1;
    hc_autoclose int out = -1;
    int r;

    hc_random_hex(rnd, 8);
    snprintf(tmp, 4096, "%s/tmp/%s", l->root, rnd);
    in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return hc_err_set(err, -errno, "open `%s`", src);
    out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (out < 0)
        return hc_err_set(err, -errno, "create `%s`", tmp);
    r = copy_fd(in, out);
    if (r < 0) {
        hc_err_set(err, r, "write `%s`", tmp);
        goto fail;
    }
    if (sync && (r = hc_fsync(out)) < 0) {
        hc_err_set(err, r, "fsync `%s`", tmp);
        goto fail;
    }
    return 0;
fail:
    unlink(tmp);
    return r;
}

/* Moves the temp file tmp to dst (creating its directory dir). */
static int move_into_place(const char *tmp, const char *dir, const char *dst, hc_err_t *err)
{
    int r = hc_mkdir_p(AT_FDCWD, dir, 0750, err);
    if (r < 0)
        return r;
    r = hc_renameat(AT_FDCWD, tmp, AT_FDCWD, dst);
    if (r < 0)
        return hc_err_set(err, r, "rename to `%s`", dst);
    return 0;
}

/* Copies src to a temp file in the store and renames it to dst (which lives in dir). */
static int copy_atomic(const local_t *l, const char *src, const char *dir, const char *dst,
                       hc_err_t *err)
{
    char tmp[4096];
    int r = copy_to_tmp(l, src, true, tmp, err);
    if (r < 0)
        return r;
    r = move_into_place(tmp, dir, dst, err);
    if (r < 0)
        unlink(tmp);
    return r;
}

static int local_put(void *self, const char *key, const char *src, hc_err_t *err)
{
    local_t *l = self;
    char path[4096], dir[4096];
    struct stat st;
    int r = key_path(l, key, path, sizeof(path), dir, sizeof(dir));
    if (r < 0)
        return hc_err_set(err, r, "blob key `%s`", key);
    if (stat(path, &st) == 0) {
        utimensat(AT_FDCWD, path, NULL, 0); /* put again: young for gc.h */
        return 0;
    }
    return copy_atomic(l, src, dir, path, err);
}

static int local_stage(void *self, const char *key, const char *src, char **ret_tmp, char **ret_dst,
                       hc_err_t *err)
{
    local_t *l = self;
    char path[4096], dir[4096], tmp[4096];
    struct stat st;
    int r = key_path(l, key, path, sizeof(path), dir, sizeof(dir));
    if (r < 0)
        return hc_err_set(err, r, "blob key `%s`", key);
    if (stat(path, &st) == 0) {
        utimensat(AT_FDCWD, path, NULL, 0); /* put again: young for gc.h */
        return 1;
    }
    r = copy_to_tmp(l, src, false, tmp, err);
    if (r < 0)
        return r;
    *ret_tmp = hc_strdup(tmp);
    *ret_dst = hc_strdup(path);
    return 0;
}

/* One syncfs for the whole batch: the file system the store lives on. */
static int local_sync(void *self, hc_err_t *err)
{
    local_t *l = self;
    hc_autoclose int fd = open(l->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return hc_err_set(err, -errno, "open `%s`", l->root);
    if (syncfs(fd) < 0)
        return hc_err_set(err, -errno, "syncfs `%s`", l->root);
    return 0;
}

static int local_publish(void *self, const char *tmp, const char *dst, hc_err_t *err)
{
    (void)self;
    char dir[4096];
    const char *slash = strrchr(dst, '/');
    if (!slash || (size_t)(slash - dst) >= sizeof(dir))
        return hc_err_set(err, -EINVAL, "blob path `%s`", dst);
    memcpy(dir, dst, (size_t)(slash - dst));
    dir[slash - dst] = '\0';
    return move_into_place(tmp, dir, dst, err);
}

static int local_get(void *self, const char *key, int out, hc_err_t *err)
{
    local_t *l = self;
    char path[4096], dir[4096];
    hc_autoclose int in = -1;
    int r = key_path(l, key, path, sizeof(path), dir, sizeof(dir));
    if (r < 0)
        return hc_err_set(err, r, "blob key `%s`", key);
    in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return hc_err_set(err, -errno, "blob `%s`", key);
    r = copy_fd(in, out);
    if (r < 0)
        return hc_err_set(err, r, "copy blob `%s`", key);
    return 0;
}

static int local_stat(void *self, const char *key, uint64_t *ret_size, hc_err_t *err)
{
    local_t *l = self;
    char path[4096], dir[4096];
    struct stat st;
    int r = key_path(l, key, path, sizeof(path), dir, sizeof(dir));
    if (r < 0)
        return hc_err_set(err, r, "blob key `%s`", key);
    /* Resource matching stats thousands of keys per request: walk from the store's root. */
    const char *rel = path + strlen(l->root) + 1;
    if (fstatat(l->root_fd, rel, &st, 0) < 0) {
        if (errno == ENOENT)
            return 0;
        return hc_err_set(err, -errno, "stat blob `%s`", key);
    }
    if (ret_size)
        *ret_size = (uint64_t)st.st_size;
    return 1;
}

static int local_remove(void *self, const char *key, hc_err_t *err)
{
    local_t *l = self;
    char path[4096], dir[4096];
    int r = key_path(l, key, path, sizeof(path), dir, sizeof(dir));
    if (r < 0)
        return hc_err_set(err, r, "blob key `%s`", key);
    if (unlink(path) < 0 && errno != ENOENT)
        return hc_err_set(err, -errno, "remove blob `%s`", key);
    return 0;
}

/* Every ROOT/kind/ab/cd/<sha1>: two levels of two hex digits, then the blobs. */
static int local_list(void *self, const char *kind,
                      int (*cb)(const char *key, uint64_t size, int64_t mtime, void *ud), void *ud,
                      hc_err_t *err)
{
    local_t *l = self;
    char dirs[3][4096];
    int n = snprintf(dirs[0], sizeof(dirs[0]), "%s/%s", l->root, kind);
    if (n < 0 || (size_t)n >= sizeof(dirs[0]))
        return hc_err_set(err, -ENAMETOOLONG, "blob kind `%s`", kind);
    DIR *d0 = opendir(dirs[0]), *d1 = NULL, *d2 = NULL;
    if (!d0)
        return errno == ENOENT ? 0 : hc_err_set(err, -errno, "list `%s`", dirs[0]);
    struct dirent *e0, *e1, *e2;
    int r = 0;
    while (r == 0 && (e0 = readdir(d0))) {
        if (strlen(e0->d_name) != 2 || e0->d_name[0] == '.')
            continue;
        snprintf(dirs[1], sizeof(dirs[1]), "%.4000s/%.2s", dirs[0], e0->d_name);
        if (!(d1 = opendir(dirs[1])))
            continue;
        while (r == 0 && (e1 = readdir(d1))) {
            if (strlen(e1->d_name) != 2 || e1->d_name[0] == '.')
                continue;
            snprintf(dirs[2], sizeof(dirs[2]), "%.4000s/%.2s", dirs[1], e1->d_name);
            if (!(d2 = opendir(dirs[2])))
                continue;
            while (r == 0 && (e2 = readdir(d2))) {
                struct stat st;
                char key[64];
                if (!cc_sha1_valid(e2->d_name) ||
                    fstatat(dirfd(d2), e2->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !S_ISREG(st.st_mode))
                    continue;
                snprintf(key, sizeof(key), "%.16s/%.40s", kind, e2->d_name);
                r = cb(key, (uint64_t)st.st_size, (int64_t)st.st_mtim.tv_sec, ud);
            }
            closedir(d2);
        }
        closedir(d1);
    }
    closedir(d0);
    return r < 0 ? r : 0;
}

static void local_free(void *self)
{
    local_t *l = self;
    if (l->root_fd >= 0)
        close(l->root_fd);
    free(l->root);
    free(l);
}

static const cc_blob_ops_t local_ops = {
    .put = local_put,
    .get = local_get,
    .stat = local_stat,
    .remove = local_remove,
    .list = local_list,
    .free = local_free,
    .stage = local_stage,
    .sync = local_sync,
    .publish = local_publish,
};

/* Removes temp files a crashed process left behind. */
static void sweep_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    int fd = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            unlinkat(fd, e->d_name, 0);
    closedir(d);
}

int cc_blob_local_new(const char *dir, cc_blob_t **ret, hc_err_t *err)
{
    hc_autofree char *tmp = hc_asprintf("%s/tmp", dir);
    int r = hc_mkdir_p(AT_FDCWD, tmp, 0750, err);
    if (r < 0)
        return r;
    sweep_tmp(tmp);
    local_t *l = hc_calloc(1, sizeof(*l));
    l->root = hc_strdup(dir);
    l->root_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (l->root_fd < 0) {
        r = hc_err_set(err, -errno, "open `%s`", dir);
        local_free(l);
        return r;
    }
    cc_blob_t *b = hc_calloc(1, sizeof(*b));
    b->ops = &local_ops;
    b->self = l;
    *ret = b;
    return 0;
}
