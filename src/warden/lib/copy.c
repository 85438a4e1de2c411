/*
 * copy.c - the __copy-in and __copy-out helpers: tar streams in and out of a container.
 * The helper opens the host file first, then enters the container's mount namespace and
 * becomes the container user (no capabilities, no_new_privs, seccomp) before libarchive
 * reads or writes a single path, so even an archive that slipped past libarchive's secure
 * flags (no "..", no absolute paths, no writing through symlinks) cannot reach the host.
 * With "-" as the host file the tar comes from stdin or goes to stdout: the daemon relays it
 * over its socket (src/warden/xfer.c). An archive bomb stops at the container's disk quota.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wdn_sec.h"
#include "wdn_util.h"

#define COPY_MAX_ENTRIES 200000

int wdn_copy_main(int argc, char **argv);

static int enter(pid_t init, uid_t uid)
{
    char p[64];
    snprintf(p, sizeof(p), "/proc/%d/ns/mnt", (int)init);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNS) < 0) {
        fprintf(stderr, "hearth-warden: enter container: %s\n", strerror(errno));
        return -1;
    }
    close(fd);
    int r = wdn_caps_drop_bounding();
    if (r == 0 && (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0))
        r = -errno;
    if (r == 0)
        r = wdn_caps_clear();
    if (r == 0)
        r = wdn_sec_lock();
    if (r < 0) {
        fprintf(stderr, "hearth-warden: drop privileges: %s\n", strerror(-r));
        return -1;
    }
    return 0;
}

static int copy_in(pid_t init, uid_t uid, const char *tar, const char *dst)
{
    /* "-": the tar streams in on stdin (the daemon relays it from its client). */
    int fd = strcmp(tar, "-") == 0 ? 0 : open(tar, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "hearth-warden: open `%s`: %s\n", tar, strerror(errno));
        return 1;
    }
    if (enter(init, uid) < 0)
        return 1;
    if (wdn_mkdir_p(dst, 0755) < 0 || chdir(dst) < 0) {
        fprintf(stderr, "hearth-warden: destination `%s`: %s\n", dst, strerror(errno));
        return 1;
    }
    struct archive *in = archive_read_new();
    struct archive *out = archive_write_disk_new();
    archive_read_support_format_tar(in);
    archive_read_support_format_gnutar(in);
    archive_read_support_filter_gzip(in);
    archive_write_disk_set_options(
        out, ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS |
                 ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME);
    int rc = 1;
    if (archive_read_open_fd(in, fd, 65536) != ARCHIVE_OK) {
        fprintf(stderr, "hearth-warden: read archive: %s\n", archive_error_string(in));
        goto out;
    }
    struct archive_entry *e;
    int count = 0, r;
    while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
        if (++count > COPY_MAX_ENTRIES) {
            fprintf(stderr, "hearth-warden: archive has more than %d entries\n", COPY_MAX_ENTRIES);
            goto out;
        }
        const char *name = archive_entry_pathname(e);
        const char *link = archive_entry_hardlink(e);
        /* Hard links to absolute or parent paths are refused like the entries themselves. */
        if (link && (link[0] == '/' || strstr(link, ".."))) {
            fprintf(stderr, "hearth-warden: unsafe hard link `%s`\n", name ? name : "");
            goto out;
        }
        /* Device nodes are refused outright (the container user could not make them
         * anyway); setuid and setgid bits are dropped. */
        mode_t type = archive_entry_filetype(e);
        if (type == AE_IFCHR || type == AE_IFBLK) {
            fprintf(stderr, "hearth-warden: refused device node `%s`\n", name ? name : "");
            goto out;
        }
        archive_entry_set_perm(e, archive_entry_perm(e) & 01777);
        if (archive_write_header(out, e) != ARCHIVE_OK) {
            fprintf(stderr, "hearth-warden: refused `%s`: %s\n", name ? name : "",
                    archive_error_string(out));
            goto out;
        }
        const void *buf;
        size_t len;
        la_int64_t off;
        while ((r = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK) {
            if (archive_write_data_block(out, buf, len, off) != ARCHIVE_OK) {
                fprintf(stderr, "hearth-warden: write `%s`: %s\n", name ? name : "",
                        archive_error_string(out));
                goto out;
            }
        }
        if (r != ARCHIVE_EOF) {
            fprintf(stderr, "hearth-warden: read archive: %s\n", archive_error_string(in));
            goto out;
        }
        if (archive_write_finish_entry(out) != ARCHIVE_OK) {
            fprintf(stderr, "hearth-warden: finish `%s`: %s\n", name ? name : "",
                    archive_error_string(out));
            goto out;
        }
    }
    if (r != ARCHIVE_EOF) {
        fprintf(stderr, "hearth-warden: read archive: %s\n", archive_error_string(in));
        goto out;
    }
    rc = archive_write_close(out) == ARCHIVE_OK ? 0 : 1;
out:
    archive_read_free(in);
    archive_write_free(out);
    return rc;
}

static int copy_out(pid_t init, uid_t uid, const char *src, const char *tar)
{
    /* "-": the tar goes to stdout, which the daemon relays to its client. */
    int fd = strcmp(tar, "-") == 0 ? 1 : open(tar, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "hearth-warden: create `%s`: %s\n", tar, strerror(errno));
        return 1;
    }
    if (enter(init, uid) < 0)
        return 1;
    char dircopy[PATH_MAX], basecopy[PATH_MAX];
    snprintf(dircopy, sizeof(dircopy), "%s", src);
    snprintf(basecopy, sizeof(basecopy), "%s", src);
    if (chdir(dirname(dircopy)) < 0) {
        fprintf(stderr, "hearth-warden: source `%s`: %s\n", src, strerror(errno));
        return 1;
    }
    const char *name = basename(basecopy);
    struct archive *disk = archive_read_disk_new();
    struct archive *out = archive_write_new();
    archive_read_disk_set_standard_lookup(disk);
    archive_read_disk_set_symlink_physical(disk);
    archive_write_set_format_pax_restricted(out);
    int rc = 1;
    if (archive_write_open_fd(out, fd) != ARCHIVE_OK ||
        archive_read_disk_open(disk, name) != ARCHIVE_OK) {
        fprintf(stderr, "hearth-warden: open `%s`: %s\n", src, archive_error_string(disk));
        goto out;
    }
    struct archive_entry *e;
    int r;
    for (;;) {
        e = archive_entry_new();
        r = archive_read_next_header2(disk, e);
        if (r == ARCHIVE_EOF) {
            archive_entry_free(e);
            break;
        }
        if (r != ARCHIVE_OK) {
            fprintf(stderr, "hearth-warden: walk `%s`: %s\n", src, archive_error_string(disk));
            archive_entry_free(e);
            goto out;
        }
        archive_read_disk_descend(disk);
        if (archive_write_header(out, e) != ARCHIVE_OK) {
            archive_entry_free(e);
            goto out;
        }
        if (archive_entry_filetype(e) == AE_IFREG) {
            int f = open(archive_entry_sourcepath(e), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            char buf[65536];
            ssize_t n;
            while (f >= 0 && (n = read(f, buf, sizeof(buf))) > 0)
                archive_write_data(out, buf, (size_t)n);
            if (f >= 0)
                close(f);
        }
        archive_entry_free(e);
    }
    rc = archive_write_close(out) == ARCHIVE_OK ? 0 : 1;
out:
    archive_read_free(disk);
    archive_write_free(out);
    return rc;
}

int wdn_copy_main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: hearth-warden __copy-in|__copy-out PID UID SRC DST\n");
        return 2;
    }
    pid_t init = (pid_t)strtol(argv[2], NULL, 10);
    uid_t uid = (uid_t)strtoul(argv[3], NULL, 10);
    if (strcmp(argv[1], "__copy-in") == 0)
        return copy_in(init, uid, argv[4], argv[5]);
    if (strcmp(argv[1], "__copy-out") == 0)
        return copy_out(init, uid, argv[4], argv[5]);
    fprintf(stderr, "hearth-warden: unknown helper `%s`\n", argv[1]);
    return 2;
}
