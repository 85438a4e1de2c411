/*
 * Archive re-packing for staging (libarchive): the CC's package (zip) becomes a tar of app/
 * for warden's copy_in, and warden's copy_out of the staged tree becomes the droplet tgz.
 * Only plain paths, regular files, directories and relative symlinks that stay inside pass; size
 * and entry counts are bounded. Blocking: thread pool only.
 */
#include <archive.h>
#include <archive_entry.h>
#include <string.h>

#include "pack.h"

static bool safe_path(const char *p)
{
    if (!*p || p[0] == '/')
        return false;
    for (const char *s = p; *s;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 2 && s[0] == '.' && s[1] == '.')
            return false;
        s += n + (e ? 1 : 0);
    }
    return true;
}

bool dea_link_inside(const char *name, const char *target)
{
    if (!target || !*target || target[0] == '/')
        return false;
    long depth = 0; /* directories between the root and the link */
    for (const char *s = name; (s = strchr(s, '/')) != NULL; s++)
        if (s[1] && s[1] != '/')
            depth++;
    for (const char *s = target; *s;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 2 && s[0] == '.' && s[1] == '.') {
            if (--depth < 0)
                return false;
        } else if (n > 0 && !(n == 1 && s[0] == '.')) {
            depth++;
        }
        s += n + (e ? 1 : 0);
    }
    return true;
}

int dea_repack(const char *in_path, const char *out_path, const char *strip, const char *add,
               bool gzip, const dea_pack_limits_t *lim, hc_err_t *err)
{
    struct archive *in = archive_read_new(), *out = archive_write_new();
    struct archive_entry *e;
    uint64_t total = 0, count = 0;
    int rc = 0, r;
    char buf[65536];
    archive_read_support_format_zip(in);
    archive_read_support_format_tar(in);
    archive_read_support_format_gnutar(in);
    archive_read_support_filter_gzip(in);
    archive_write_set_format_pax_restricted(out);
    if (gzip)
        archive_write_add_filter_gzip(out);
    if (archive_read_open_filename(in, in_path, 65536) != ARCHIVE_OK) {
        rc = hc_err_set(err, -EINVAL, "%s: %s", in_path, archive_error_string(in));
        goto out;
    }
    if (archive_write_open_filename(out, out_path) != ARCHIVE_OK) {
        rc = hc_err_set(err, -EIO, "%s: %s", out_path, archive_error_string(out));
        goto out;
    }
    size_t sl = strip ? strlen(strip) : 0;
    while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(e);
        if (!name)
            continue;
        while (name[0] == '.' && name[1] == '/')
            name += 2;
        if (sl) {
            if (strncmp(name, strip, sl) != 0)
                continue;
            name += sl;
        }
        if (!*name || strcmp(name, ".") == 0)
            continue;
        if (!safe_path(name)) {
            rc = hc_err_set(err, -EINVAL, "unsafe path in archive: %s", name);
            goto out;
        }
        mode_t type = archive_entry_filetype(e);
        if (archive_entry_hardlink(e))
            continue;
        if (type == AE_IFLNK) {
            const char *t = archive_entry_symlink(e);
            if (!dea_link_inside(name, t)) {
                rc = hc_err_set(err, -EINVAL, "unsafe symlink in archive: %s", name);
                goto out;
            }
        } else if (type != AE_IFREG && type != AE_IFDIR) {
            continue;
        }
        if (++count > lim->max_entries) {
            rc = hc_err_set(err, -EFBIG, "archive has more than %llu entries",
                            (unsigned long long)lim->max_entries);
            goto out;
        }
        hc_autofree char *full = hc_asprintf("%s%s", add ? add : "", name);
        archive_entry_set_pathname(e, full);
        archive_entry_set_uid(e, 0);
        archive_entry_set_gid(e, 0);
        archive_entry_set_uname(e, NULL);
        archive_entry_set_gname(e, NULL);
        if (type == AE_IFDIR)
            archive_entry_set_perm(e, 0755);
        else if (type == AE_IFREG)
            archive_entry_set_perm(e, (archive_entry_perm(e) & 0111) ? 0755 : 0644);
        if (archive_write_header(out, e) != ARCHIVE_OK) {
            rc = hc_err_set(err, -EIO, "write %s: %s", full, archive_error_string(out));
            goto out;
        }
        if (type != AE_IFREG)
            continue;
        la_ssize_t n;
        while ((n = archive_read_data(in, buf, sizeof(buf))) > 0) {
            total += (uint64_t)n;
            if (total > lim->max_bytes) {
                rc = hc_err_set(err, -EFBIG, "archive content over %llu bytes",
                                (unsigned long long)lim->max_bytes);
                goto out;
            }
            if (archive_write_data(out, buf, (size_t)n) < 0) {
                rc = hc_err_set(err, -EIO, "write: %s", archive_error_string(out));
                goto out;
            }
        }
        if (n < 0) {
            rc = hc_err_set(err, -EINVAL, "%s: %s", in_path, archive_error_string(in));
            goto out;
        }
    }
    if (r != ARCHIVE_EOF) {
        rc = hc_err_set(err, -EINVAL, "%s: %s", in_path, archive_error_string(in));
        goto out;
    }
    if (archive_write_close(out) != ARCHIVE_OK)
        rc = hc_err_set(err, -EIO, "%s: %s", out_path, archive_error_string(out));
out:
    archive_read_free(in);
    archive_write_free(out);
    return rc;
}
