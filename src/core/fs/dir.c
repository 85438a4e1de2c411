/* Directory creation and bounded whole-file reads. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "hc_buf.h"
#include "hc_fs.h"

static int mkdir_one(int dirfd, const char *path, mode_t mode)
{
    if (mkdirat(dirfd, path, mode) == 0)
        return 0;
    int e = errno;
    if (e != EEXIST)
        return -e;
    struct stat st;
    if (fstatat(dirfd, path, &st, 0) < 0)
        return -errno;
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int hc_mkdir_p(int dirfd, const char *path, mode_t mode, hc_err_t *err)
{
    if (!path || !*path)
        return hc_err_set(err, -EINVAL, "mkdir: empty path");
    hc_autofree char *copy = hc_strdup(path);
    size_t n = strlen(copy);
    /* Each '/' after a non-'/' ends a component: create the prefix up to it. */
    for (size_t i = 1; i <= n; i++) {
        if (i < n && (copy[i] != '/' || copy[i - 1] == '/'))
            continue;
        char saved = copy[i];
        copy[i] = '\0';
        int r = mkdir_one(dirfd, copy, mode);
        copy[i] = saved;
        if (r < 0) {
            copy[i] = '\0';
            return hc_err_set(err, r, "mkdir `%s`", copy);
        }
    }
    return 0;
}

int hc_read_file(int dirfd, const char *path, size_t max, char **ret_data, size_t *ret_len,
                 hc_err_t *err)
{
    hc_autoclose int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return hc_err_set(err, -errno, "read `%s`", path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return hc_err_set(err, -errno, "read `%s`", path);
    if (!S_ISREG(st.st_mode))
        return hc_err_set(err, -EINVAL, "read `%s`: not a regular file", path);
    if (max == 0)
        max = HC_FS_READ_DEFAULT_MAX;
    if ((uint64_t)st.st_size > max)
        return hc_err_set(err, HC_ETOOBIG, "read `%s`: larger than %zu bytes", path, max);

    /* The size can change while we read, so the limit is enforced on what is read. */
    size_t cap = (size_t)st.st_size + 1, len = 0;
    char *data = hc_malloc(cap + 1);
    for (;;) {
        if (len == cap) {
            if (cap > max) {
                free(data);
                return hc_err_set(err, HC_ETOOBIG, "read `%s`: larger than %zu bytes", path, max);
            }
            cap = HC_MIN(cap * 2, max + 1);
            data = hc_realloc(data, cap + 1);
        }
        ssize_t r = read(fd, data + len, cap - len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = -errno;
            free(data);
            return hc_err_set(err, e, "read `%s`", path);
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    if (len > max) {
        free(data);
        return hc_err_set(err, HC_ETOOBIG, "read `%s`: larger than %zu bytes", path, max);
    }
    data[len] = '\0';
    *ret_data = data;
    *ret_len = len;
    return 0;
}
