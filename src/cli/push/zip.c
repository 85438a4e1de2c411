/* Zipping the missing files of an app (see zip.h). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "push/zip.h"

static int add_file(struct archive *a, const char *root, const cli_file_t *f, hc_err_t *err)
{
    hc_autofree char *full = hc_asprintf("%s/%s", root, f->rel);
    struct archive_entry *e = archive_entry_new();
    char target[4096];
    int r = 0;
    hc_autoclose int fd = -1;

    archive_entry_set_pathname(e, f->rel);
    archive_entry_set_perm(e, (mode_t)(f->mode & 0777));
    archive_entry_set_mtime(e, 0, 0);
    if (f->link) {
        ssize_t n = readlink(full, target, sizeof(target) - 1);
        if (n < 0) {
            r = hc_err_set(err, -errno, "read link `%s`", full);
            goto out;
        }
        target[n] = '\0';
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, target);
        archive_entry_set_size(e, 0);
    } else {
        fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            r = hc_err_set(err, -errno, "open `%s`", full);
            goto out;
        }
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, (la_int64_t)f->size);
    }
    if (archive_write_header(a, e) != ARCHIVE_OK) {
        r = hc_err_set(err, -EIO, "zip `%s`: %s", f->rel, archive_error_string(a));
        goto out;
    }
    if (fd >= 0) {
        char buf[65536];
        uint64_t left = f->size;
        while (left > 0) {
            ssize_t n = read(fd, buf, sizeof(buf) < left ? sizeof(buf) : (size_t)left);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                r = hc_err_set(err, n < 0 ? -errno : -EIO, "read `%s` (did it change?)", full);
                goto out;
            }
            if (archive_write_data(a, buf, (size_t)n) != n) {
                r = hc_err_set(err, -EIO, "zip `%s`: %s", f->rel, archive_error_string(a));
                goto out;
            }
            left -= (uint64_t)n;
        }
    }
out:
    archive_entry_free(e);
    return r;
}

int cli_zip_write(const char *root, const cli_files_t *fs, const bool *want, const char *out_path,
                  hc_err_t *err)
{
    struct archive *a = archive_write_new();
    int r = 0;
    archive_write_set_format_zip(a);
    if (archive_write_open_filename(a, out_path) != ARCHIVE_OK) {
        r = hc_err_set(err, -EIO, "create `%s`: %s", out_path, archive_error_string(a));
        goto out;
    }
    for (size_t i = 0; i < fs->n && r == 0; i++)
        if (want[i])
            r = add_file(a, root, &fs->v[i], err);
    if (archive_write_close(a) != ARCHIVE_OK && r == 0)
        r = hc_err_set(err, -EIO, "write `%s`: %s", out_path, archive_error_string(a));
out:
    archive_write_free(a);
    return r;
}
