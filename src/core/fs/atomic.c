/*
 * Atomic replacement of a file: temp file in the same directory, full write, fsync,
 * rename over the real name, fsync of the directory (DESIGN §4: a crash never leaves a
 * half blob or snapshot under a real name).
 */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fs_internal.h"
#include "hc_time.h"

/* Opens the directory part of path (relative to dirfd) and points *ret_base at the name. */
static int open_parent(int dirfd, const char *path, const char **ret_base, hc_err_t *err)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        *ret_base = path;
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return hc_err_set(err, -errno, "open directory of `%s`", path);
        return fd;
    }
    hc_autofree char *dir = hc_strndup(path, slash == path ? 1 : (size_t)(slash - path));
    *ret_base = slash + 1;
    int fd = openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return hc_err_set(err, -errno, "open directory `%s`", dir);
    return fd;
}

/* Creates a fresh temp file next to base; writes its name into tmp. */
static int create_temp(int dfd, const char *base, char *tmp, size_t tmp_size)
{
    static atomic_uint seq;
    for (int attempt = 0; attempt < 16; attempt++) {
        unsigned n = atomic_fetch_add(&seq, 1);
        int w = snprintf(tmp, tmp_size, ".%s.tmp-%d-%u-%llx", base, (int)getpid(), n,
                         (unsigned long long)(hc_now_ns() & 0xffffff));
        if (w < 0 || (size_t)w >= tmp_size)
            return -ENAMETOOLONG;
        int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST)
            return -errno;
    }
    return -EEXIST;
}

int hc_atomic_write_file(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
                         hc_err_t *err)
{
    const char *base = NULL;
    char tmp[512];
    int fd = -1;
    bool tmp_exists = false;
    int r;

    if (!path || !*path || path[strlen(path) - 1] == '/')
        return hc_err_set(err, -EINVAL, "write `%s`: not a file name", path ? path : "");
    int dfd = open_parent(dirfd, path, &base, err);
    if (dfd < 0)
        return hc_err_wrap(err, "write `%s`", path);

    fd = create_temp(dfd, base, tmp, sizeof(tmp));
    if (fd < 0) {
        r = hc_err_set(err, fd, "write `%s`: create temp file", path);
        goto out;
    }
    tmp_exists = true;
    if (fchmod(fd, mode & 07777) < 0) {
        r = hc_err_set(err, -errno, "write `%s`: chmod", path);
        goto out;
    }
    r = hc_write_all(fd, data, len);
    if (r < 0) {
        hc_err_set(err, r, "write `%s`", path);
        goto out;
    }
    r = hc_fsync(fd);
    if (r < 0) {
        hc_err_set(err, r, "write `%s`: fsync", path);
        goto out;
    }
    int c = close(fd);
    fd = -1;
    if (c < 0 && errno != EINTR) {
        r = hc_err_set(err, -errno, "write `%s`: close", path);
        goto out;
    }
    r = hc_renameat(dfd, tmp, dfd, base);
    if (r < 0) {
        hc_err_set(err, r, "write `%s`: rename", path);
        goto out;
    }
    tmp_exists = false;
    /* The new content is in place; only its durability across a crash is at stake now. */
    r = hc_fsync(dfd);
    if (r < 0)
        hc_err_set(err, r, "write `%s`: fsync directory", path);
out:
    if (fd >= 0)
        close(fd);
    if (tmp_exists)
        unlinkat(dfd, tmp, 0);
    close(dfd);
    return r;
}
