/* Safe zip extraction and deterministic zip packing with libarchive. */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>

#include "blob/archive.h"
#include "hc_buf.h"

#define CC_PACK_MTIME 315532800 /* 1980-01-01: the zip epoch; same bytes for same files */
#define CC_MAX_PATH 4096

int cc_path_check(const char *path)
{
    size_t n = strlen(path);
    if (n == 0 || n > CC_MAX_PATH || path[0] == '/' || path[n - 1] == '/')
        return -EINVAL;
    const char *p = path;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return -EINVAL;
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\')
                return -EINVAL;
        p += len;
        if (*p == '/')
            p++;
    }
    return 0;
}

/* Strips trailing slashes (directory entries) into out; then checks like cc_path_check. */
static int entry_path(const char *name, char *out, size_t size)
{
    size_t n = strlen(name);
    while (n && name[n - 1] == '/')
        n--;
    if (n == 0 || n >= size)
        return -EINVAL;
    memcpy(out, name, n);
    out[n] = '\0';
    /* "./x" prefixes are common and harmless. */
    while (out[0] == '.' && out[1] == '/')
        memmove(out, out + 2, strlen(out + 2) + 1);
    return cc_path_check(out);
}

/* True when a symlink at `entry` pointing to `target` stays inside the tree. */
static bool symlink_inside(const char *entry, const char *target)
{
    if (target[0] == '\0' || target[0] == '/' || strlen(target) > CC_MAX_PATH)
        return false;
    int depth = 0;
    for (const char *p = entry; *p; p++) /* the link's directory depth */
        if (*p == '/')
            depth++;
    const char *p = target;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            if (--depth < 0)
                return false;
        } else if (!(len == 0 || (len == 1 && p[0] == '.'))) {
            depth++;
        }
        p += len;
        if (*p == '/')
            p++;
    }
    return true;
}

static int copy_data(struct archive *in, struct archive *out, uint64_t *bytes, uint64_t max,
                     const char *name, hc_err_t *err)
{
    const void *buf;
    size_t size;
    la_int64_t off;
    for (;;) {
        int r = archive_read_data_block(in, &buf, &size, &off);
        if (r == ARCHIVE_EOF)
            return 0;
        if (r < ARCHIVE_WARN)
            return hc_err_set(err, -EINVAL, "`%s`: %s", name, archive_error_string(in));
        *bytes += size;
        if (*bytes > max)
            return hc_err_set(err, HC_ETOOBIG, "unzipped size is over the limit of %llu bytes",
                              (unsigned long long)max);
        if (archive_write_data_block(out, buf, size, off) < ARCHIVE_WARN)
            return hc_err_set(err, -EIO, "`%s`: %s", name, archive_error_string(out));
    }
}

int cc_archive_extract(const char *zip, const char *dir, const cc_extract_limits_t *lim,
                       uint64_t *ret_files, uint64_t *ret_bytes, hc_err_t *err)
{
    struct archive *in = archive_read_new();
    struct archive *out = archive_write_disk_new();
    struct archive_entry *e;
    uint64_t files = 0, bytes = 0;
    char rel[CC_MAX_PATH + 1];
    hc_buf_t full;
    int r;

    hc_buf_init(&full, CC_MAX_PATH * 2);
    archive_read_support_format_zip(in);
    archive_write_disk_set_options(out, ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                            ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                            ARCHIVE_EXTRACT_NO_OVERWRITE | ARCHIVE_EXTRACT_PERM);
    if (archive_read_open_filename(in, zip, 64 * 1024) != ARCHIVE_OK) {
        r = hc_err_set(err, -EINVAL, "not a zip archive: %s", archive_error_string(in));
        goto out;
    }
    for (;;) {
        r = archive_read_next_header(in, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN) {
            r = hc_err_set(err, -EINVAL, "bad zip archive: %s", archive_error_string(in));
            goto out;
        }
        const char *name = archive_entry_pathname(e);
        if (!name || entry_path(name, rel, sizeof(rel)) < 0) {
            r = hc_err_set(err, -EINVAL, "entry `%.200s`: unsafe path", name ? name : "");
            goto out;
        }
        if (++files > lim->max_files) {
            r = hc_err_set(err, HC_ETOOBIG, "more than %llu files",
                           (unsigned long long)lim->max_files);
            goto out;
        }
        mode_t type = archive_entry_filetype(e);
        if (archive_entry_hardlink(e)) {
            r = hc_err_set(err, -EINVAL, "entry `%.200s`: hard links are not allowed", rel);
            goto out;
        }
        if (type == AE_IFLNK) {
            const char *target = archive_entry_symlink(e);
            if (!target || !symlink_inside(rel, target)) {
                r = hc_err_set(err, -EINVAL, "entry `%.200s`: symlink leaves the app", rel);
                goto out;
            }
        } else if (type == AE_IFREG) {
            archive_entry_set_perm(e, (archive_entry_perm(e) & 0100) ? 0755 : 0644);
        } else if (type == AE_IFDIR) {
            archive_entry_set_perm(e, 0755);
        } else {
            r = hc_err_set(err, -EINVAL, "entry `%.200s`: device, fifo or socket", rel);
            goto out;
        }
        hc_buf_reset(&full);
        hc_buf_appendf(&full, "%s/%s", dir, rel);
        if (full.overflow) {
            r = hc_err_set(err, -EINVAL, "entry `%.200s`: path too long", rel);
            goto out;
        }
        /* A name given twice would overwrite (or, for a symlink, redirect) the first. */
        struct stat st;
        if (lstat(full.data, &st) == 0 && !(type == AE_IFDIR && S_ISDIR(st.st_mode))) {
            r = hc_err_set(err, -EINVAL, "entry `%.200s`: given twice", rel);
            goto out;
        }
        archive_entry_set_pathname(e, full.data);
        archive_entry_set_uid(e, 0);
        archive_entry_set_gid(e, 0);
        if (archive_write_header(out, e) != ARCHIVE_OK) {
            r = hc_err_set(err, -EINVAL, "entry `%.200s`: %s", rel, archive_error_string(out));
            goto out;
        }
        if (type == AE_IFREG) {
            r = copy_data(in, out, &bytes, lim->max_bytes, rel, err);
            if (r < 0)
                goto out;
        }
        if (archive_write_finish_entry(out) < ARCHIVE_WARN) {
            r = hc_err_set(err, -EIO, "entry `%.200s`: %s", rel, archive_error_string(out));
            goto out;
        }
    }
    if (ret_files)
        *ret_files = files;
    if (ret_bytes)
        *ret_bytes = bytes;
    r = 0;
out:
    archive_read_free(in);
    archive_write_free(out);
    hc_buf_release(&full);
    return r;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int pack_file(struct archive *a, int dirfd, const char *name, const char *rel,
                     const struct stat *st, hc_err_t *err)
{
    struct archive_entry *e = archive_entry_new();
    char buf[64 * 1024];
    int r = 0, fd = -1;

    archive_entry_set_pathname(e, rel);
    archive_entry_set_mtime(e, CC_PACK_MTIME, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    if (S_ISLNK(st->st_mode)) {
        char target[CC_MAX_PATH + 1];
        ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
        if (n < 0) {
            r = hc_err_set(err, -errno, "readlink `%s`", rel);
            goto out;
        }
        target[n] = '\0';
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_perm(e, 0777);
        archive_entry_set_symlink(e, target);
    } else if (S_ISDIR(st->st_mode)) {
        archive_entry_set_filetype(e, AE_IFDIR);
        archive_entry_set_perm(e, 0755);
    } else {
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, (st->st_mode & 0100) ? 0755 : 0644);
        archive_entry_set_size(e, st->st_size);
        fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            r = hc_err_set(err, -errno, "open `%s`", rel);
            goto out;
        }
    }
    if (archive_write_header(a, e) < ARCHIVE_WARN) {
        r = hc_err_set(err, -EIO, "zip `%s`: %s", rel, archive_error_string(a));
        goto out;
    }
    while (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = hc_err_set(err, -errno, "read `%s`", rel);
            goto out;
        }
        if (n == 0)
            break;
        if (archive_write_data(a, buf, (size_t)n) < 0) {
            r = hc_err_set(err, -EIO, "zip `%s`: %s", rel, archive_error_string(a));
            goto out;
        }
    }
out:
    if (fd >= 0)
        close(fd);
    archive_entry_free(e);
    return r;
}

/* Adds every entry under dirfd (prefix rel) in name order, depth first. */
static int pack_dir(struct archive *a, int dirfd, const char *prefix, int depth, hc_err_t *err)
{
    DIR *d = NULL;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int r = 0;

    if (depth > 64)
        return hc_err_set(err, -ELOOP, "directories nested too deep at `%s`", prefix);
    int fd = dup(dirfd);
    if (fd < 0 || !(d = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        return hc_err_set(err, -errno, "open directory `%s`", prefix);
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            names = hc_reallocarray(names, cap, sizeof(*names));
        }
        names[n++] = hc_strdup(de->d_name);
    }
    if (n)
        qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n && r == 0; i++) {
        struct stat st;
        hc_autofree char *rel =
            prefix[0] ? hc_asprintf("%s/%s", prefix, names[i]) : hc_strdup(names[i]);
        if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
            r = hc_err_set(err, -errno, "stat `%s`", rel);
            break;
        }
        if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
            continue; /* sockets and the like are not part of an app */
        if (S_ISDIR(st.st_mode)) {
            hc_autofree char *drel = hc_asprintf("%s/", rel);
            r = pack_file(a, dirfd, names[i], drel, &st, err);
            if (r < 0)
                break;
            int sub = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0) {
                r = hc_err_set(err, -errno, "open `%s`", rel);
                break;
            }
            r = pack_dir(a, sub, rel, depth + 1, err);
            close(sub);
        } else {
            r = pack_file(a, dirfd, names[i], rel, &st, err);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return r;
}

int cc_archive_pack(const char *dir, const char *zip, hc_err_t *err)
{
    struct archive *a = archive_write_new();
    int r, dfd = -1;

    archive_write_set_format_zip(a);
    archive_write_zip_set_compression_deflate(a);
    if (archive_write_open_filename(a, zip) != ARCHIVE_OK) {
        r = hc_err_set(err, -EIO, "create `%s`: %s", zip, archive_error_string(a));
        goto out;
    }
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        r = hc_err_set(err, -errno, "open `%s`", dir);
        goto out;
    }
    r = pack_dir(a, dfd, "", 0, err);
    if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
        r = hc_err_set(err, -EIO, "write `%s`: %s", zip, archive_error_string(a));
out:
    if (dfd >= 0)
        close(dfd);
    archive_write_free(a);
    return r;
}

int cc_open_beneath(const char *dir, const char *rel, mode_t mode)
{
    if (cc_path_check(rel) < 0)
        return -EINVAL;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    const char *p = rel;
    for (;;) {
        const char *slash = strchr(p, '/');
        if (!slash)
            break;
        char comp[256];
        size_t len = (size_t)(slash - p);
        if (len >= sizeof(comp)) {
            close(fd);
            return -ENAMETOOLONG;
        }
        memcpy(comp, p, len);
        comp[len] = '\0';
        if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
            int e = -errno;
            close(fd);
            return e;
        }
        int next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int e = -errno;
        close(fd);
        if (next < 0)
            return e == -ENOTDIR ? -ELOOP : e;
        fd = next;
        p = slash + 1;
    }
    int f = openat(fd, p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    int e = -errno;
    close(fd);
    return f < 0 ? e : f;
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

int cc_rm_rf(const char *dir)
{
    if (nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
        return -errno;
    return 0;
}
