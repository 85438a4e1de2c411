/* rootfs.c - base image, per-container tmpfs layer, and the pivot into the container root. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "hc_fs.h"
#include "wdn_rootfs.h"
#include "wdn_util.h"

#define DEFAULT_DISK_BYTES ((uint64_t)1 << 30)

/* Host top-level entries exposed read-only (as mount points, or symlinks when they are). */
static const char *const host_dirs[] = {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"};

/* /etc entries that hold secrets or host identity and never enter a container. */
static bool etc_secret(const char *rel)
{
    static const char *const deny[] = {
        "shadow", "shadow-",     "gshadow",          "gshadow-",   "sudoers", "sudoers.d",
        "ssh",    "ssl/private", "security/opasswd", "machine-id", "hearth",  "krb5.keytab",
    };
    for (size_t i = 0; i < HC_ARRAY_SIZE(deny); i++)
        if (strcmp(rel, deny[i]) == 0)
            return true;
    return false;
}

static int copy_file(int sfd, const char *sname, int dfd, const char *dname, mode_t mode)
{
    int in = openat(sfd, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0)
        return errno == EACCES || errno == ENOENT ? 0 : -errno;
    int out = openat(dfd, dname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777);
    if (out < 0) {
        int e = -errno;
        close(in);
        return e == -EEXIST ? 0 : e;
    }
    char buf[16384];
    ssize_t n;
    int r = 0;
    while ((n = read(in, buf, sizeof(buf))) > 0) {
        if (write(out, buf, (size_t)n) != n) {
            r = -EIO;
            break;
        }
    }
    if (n < 0)
        r = -errno;
    close(in);
    close(out);
    return r;
}

/* Copies the tree at src into dst; with `filter`, skips secrets and non world-readable files. */
static int copy_tree(int sfd, int dfd, const char *prefix, bool filter, int depth)
{
    if (depth > 32)
        return 0;
    DIR *d = fdopendir(dup(sfd));
    if (!d)
        return -errno;
    struct dirent *de;
    int r = 0;
    while (r == 0 && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char rel[PATH_MAX];
        if (wdn_path(rel, sizeof(rel), "%s%s%s", prefix, prefix[0] ? "/" : "", de->d_name) < 0)
            continue;
        struct stat st;
        if (fstatat(sfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (filter && (etc_secret(rel) || (!S_ISLNK(st.st_mode) && !(st.st_mode & S_IROTH))))
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (mkdirat(dfd, de->d_name, st.st_mode & 07777) < 0 && errno != EEXIST) {
                r = -errno;
                break;
            }
            int s2 = openat(sfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int d2 = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (s2 >= 0 && d2 >= 0)
                r = copy_tree(s2, d2, rel, filter, depth + 1);
            if (s2 >= 0)
                close(s2);
            if (d2 >= 0)
                close(d2);
        } else if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t n = readlinkat(sfd, de->d_name, target, sizeof(target) - 1);
            if (n < 0)
                continue;
            target[n] = '\0';
            if (symlinkat(target, dfd, de->d_name) < 0 && errno != EEXIST)
                r = -errno;
        } else if (S_ISREG(st.st_mode) && st.st_size <= 4 * 1024 * 1024) {
            r = copy_file(sfd, de->d_name, dfd, de->d_name, st.st_mode);
        }
    }
    closedir(d);
    return r;
}

static int build_into(const char *dir, hc_err_t *err)
{
    int r = wdn_mkdir_p(dir, 0755);
    if (r < 0)
        return hc_err_set(err, r, "mkdir `%s`", dir);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return hc_err_set(err, -errno, "open `%s`", dir);
    for (size_t i = 0; i < HC_ARRAY_SIZE(host_dirs); i++) {
        char hp[64], target[PATH_MAX];
        struct stat st;
        snprintf(hp, sizeof(hp), "/%s", host_dirs[i]);
        if (lstat(hp, &st) < 0)
            continue;
        if (S_ISLNK(st.st_mode)) {
            ssize_t n = readlink(hp, target, sizeof(target) - 1);
            if (n > 0) {
                target[n] = '\0';
                (void)!symlinkat(target, dfd, host_dirs[i]);
            }
        } else if (S_ISDIR(st.st_mode)) {
            (void)mkdirat(dfd, host_dirs[i], 0755);
        }
    }
    static const struct {
        const char *path;
        mode_t mode;
    } dirs[] = {{"proc", 0555}, {"dev", 0755},  {"sys", 0555},     {"tmp", 01777},
                {"home", 0755}, {"app", 0755},  {"var", 0755},     {"var/tmp", 01777},
                {"run", 0755},  {"root", 0700}, {"mnt", 0755},     {"etc", 0755},
                {"opt", 0755},  {"srv", 0755},  {"var/log", 0755}, {"var/lib", 0755}};
    for (size_t i = 0; i < HC_ARRAY_SIZE(dirs); i++) {
        if (mkdirat(dfd, dirs[i].path, dirs[i].mode) < 0 && errno != EEXIST) {
            r = hc_err_set(err, -errno, "mkdir `%s/%s`", dir, dirs[i].path);
            goto out;
        }
        (void)!fchmodat(dfd, dirs[i].path, dirs[i].mode, 0);
    }
    int src = open("/etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int etc = openat(dfd, "etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    r = src >= 0 && etc >= 0 ? copy_tree(src, etc, "", true, 0) : -errno;
    if (src >= 0)
        close(src);
    if (etc >= 0)
        close(etc);
    if (r < 0)
        hc_err_set(err, r, "copy /etc into `%s`", dir);
out:
    close(dfd);
    return r;
}

int wdn_rootfs_build_base(const char *base, hc_err_t *err)
{
    struct stat st;
    if (stat(base, &st) == 0)
        return 0;
    char tmp[PATH_MAX];
    if (wdn_path(tmp, sizeof(tmp), "%s.tmp", base) < 0)
        return hc_err_set(err, -ENAMETOOLONG, "base path");
    (void)wdn_rm_rf(tmp);
    int r = build_into(tmp, err);
    if (r == 0 && rename(tmp, base) < 0)
        r = hc_err_set(err, -errno, "rename `%s`", tmp);
    if (r < 0)
        (void)wdn_rm_rf(tmp);
    return r;
}

bool wdn_rootfs_have_overlay(void)
{
    char buf[4096];
    return wdn_read_str("/proc/filesystems", buf, sizeof(buf)) > 0 && strstr(buf, "\toverlay\n");
}

static int append_user(const char *base, const char *upper, const char *file, const char *line)
{
    char src[PATH_MAX], dst[PATH_MAX], text[65536];
    if (wdn_path(src, sizeof(src), "%s/etc/%s", base, file) < 0 ||
        wdn_path(dst, sizeof(dst), "%s/etc/%s", upper, file) < 0)
        return -ENAMETOOLONG;
    ssize_t n = wdn_read_str(src, text, sizeof(text) - 256);
    if (n < 0)
        n = 0;
    if (n > 0 && text[n - 1] != '\n')
        text[n++] = '\n';
    size_t l = strlen(line);
    memcpy(text + n, line, l);
    hc_err_t err = {0};
    return hc_atomic_write_file(AT_FDCWD, dst, text, (size_t)n + l, 0644, &err);
}

int wdn_rootfs_mount_disk(const char *disk_dir, const char *base, uint64_t bytes, uid_t uid,
                          bool overlay, hc_err_t *err)
{
    if (bytes == 0)
        bytes = DEFAULT_DISK_BYTES;
    int r = wdn_mkdir_p(disk_dir, 0700);
    if (r < 0)
        return hc_err_set(err, r, "mkdir `%s`", disk_dir);
    char opts[128];
    /* One inode per 4 KiB of quota, at least 4096, like a default ext4. */
    uint64_t inodes = bytes / 4096 < 4096 ? 4096 : bytes / 4096;
    snprintf(opts, sizeof(opts), "size=%" PRIu64 ",nr_inodes=%" PRIu64 ",mode=0755", bytes, inodes);
    if (mount("hearth-disk", disk_dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
        return hc_err_set(err, -errno, "mount tmpfs on `%s`", disk_dir);
    char upper[PATH_MAX], p[PATH_MAX];
    if (wdn_path(upper, sizeof(upper), "%s/%s", disk_dir, overlay ? "upper" : "root") < 0)
        return hc_err_set(err, -ENAMETOOLONG, "upper path");
    r = wdn_mkdir_p(upper, 0755);
    if (r == 0 && overlay) {
        (void)wdn_path(p, sizeof(p), "%s/work", disk_dir);
        r = wdn_mkdir_p(p, 0700);
    }
    if (r == 0 && !overlay) {
        int s = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int d = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        r = s >= 0 && d >= 0 ? copy_tree(s, d, "", false, 0) : -errno;
        if (s >= 0)
            close(s);
        if (d >= 0)
            close(d);
    }
    if (r < 0)
        return hc_err_set(err, r, "prepare `%s`", upper);
    (void)wdn_path(p, sizeof(p), "%s/etc", upper);
    (void)mkdir(p, 0755);
    (void)wdn_path(p, sizeof(p), "%s/home", upper);
    (void)mkdir(p, 0755);
    (void)wdn_path(p, sizeof(p), "%s/home/vcap", upper);
    if (mkdir(p, 0755) < 0 && errno != EEXIST)
        return hc_err_set(err, -errno, "mkdir `%s`", p);
    if (chown(p, uid, uid) < 0)
        return hc_err_set(err, -errno, "chown `%s`", p);
    (void)wdn_path(p, sizeof(p), "%s/app", upper);
    if (mkdir(p, 0755) == 0 || errno == EEXIST)
        (void)!chown(p, uid, uid);
    char line[256];
    snprintf(line, sizeof(line), "vcap:x:%u:%u:vcap:/home/vcap:/bin/sh\n", (unsigned)uid,
             (unsigned)uid);
    r = append_user(base, upper, "passwd", line);
    if (r == 0) {
        snprintf(line, sizeof(line), "vcap:x:%u:\n", (unsigned)uid);
        r = append_user(base, upper, "group", line);
    }
    if (r < 0)
        return hc_err_set(err, r, "write passwd in `%s`", upper);
    return 0;
}

int wdn_rootfs_mount_state(const char *cdir, hc_err_t *err)
{
    /* Sized for many jobs' specs (a script may be 1 MiB); tmpfs uses only what is written. */
    if (mount("hearth-state", cdir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "size=64m,nr_inodes=65536,mode=0700") < 0)
        return hc_err_set(err, -errno, "mount state tmpfs on `%s`", cdir);
    return 0;
}

int wdn_rootfs_resize_disk(const char *disk_dir, uint64_t bytes, hc_err_t *err)
{
    char opts[96];
    if (bytes == 0)
        bytes = DEFAULT_DISK_BYTES;
    uint64_t inodes = bytes / 4096 < 4096 ? 4096 : bytes / 4096;
    snprintf(opts, sizeof(opts), "size=%" PRIu64 ",nr_inodes=%" PRIu64, bytes, inodes);
    if (mount("hearth-disk", disk_dir, "tmpfs", MS_REMOUNT | MS_NOSUID | MS_NODEV, opts) < 0)
        return hc_err_set(err, -errno, "resize tmpfs `%s`", disk_dir);
    return 0;
}

int wdn_rootfs_disk_usage(const char *disk_dir, uint64_t *ret_bytes, uint64_t *ret_inodes,
                          uint64_t *ret_limit)
{
    struct statvfs s;
    if (statvfs(disk_dir, &s) < 0)
        return -errno;
    *ret_bytes = (uint64_t)(s.f_blocks - s.f_bfree) * s.f_frsize;
    *ret_inodes = (uint64_t)(s.f_files - s.f_ffree);
    *ret_limit = (uint64_t)s.f_blocks * s.f_frsize;
    return 0;
}

int wdn_rootfs_umount_disk(const char *disk_dir)
{
    if (umount2(disk_dir, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        return -errno;
    return 0;
}

bool wdn_rootfs_path_ok(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n >= 1024 || p[0] != '/')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c == 0x7f)
            return false;
        if (c == '/' && p[i + 1] == '/')
            return false;
        if (c == '/' && p[i + 1] == '.' && p[i + 2] == '.' && (p[i + 3] == '/' || p[i + 3] == '\0'))
            return false;
    }
    return true;
}

/* ---- inside the container's init: no allocation from here on ---- */

static int bind_ro(const char *src, const char *dst, bool rw, hc_err_t *err)
{
    if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
        return hc_err_set(err, -errno, "bind `%s` on `%s`", src, dst);
    unsigned long fl = MS_BIND | MS_REMOUNT | MS_NOSUID | (rw ? 0 : MS_RDONLY);
    if (mount(NULL, dst, NULL, fl, NULL) < 0 && mount(NULL, dst, NULL, fl | MS_NODEV, NULL) < 0)
        return hc_err_set(err, -errno, "remount `%s` read-only", dst);
    return 0;
}

static int mkdirs_in(const char *root, const char *rel, char *out, size_t size)
{
    if (wdn_path(out, size, "%s%s", root, rel) < 0)
        return -ENAMETOOLONG;
    return wdn_mkdir_p(out, 0755);
}

static int setup_dev(const char *root, hc_err_t *err)
{
    char dev[PATH_MAX], p[PATH_MAX];
    (void)wdn_path(dev, sizeof(dev), "%s/dev", root);
    if (mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=65536") < 0)
        return hc_err_set(err, -errno, "mount /dev");
    static const char *const nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
    for (size_t i = 0; i < HC_ARRAY_SIZE(nodes); i++) {
        char src[64];
        snprintf(src, sizeof(src), "/dev/%s", nodes[i]);
        (void)wdn_path(p, sizeof(p), "%s/%s", dev, nodes[i]);
        int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
        if (fd < 0)
            return hc_err_set(err, -errno, "create `%s`", p);
        close(fd);
        if (mount(src, p, NULL, MS_BIND, NULL) < 0)
            return hc_err_set(err, -errno, "bind `%s`", src);
    }
    (void)wdn_path(p, sizeof(p), "%s/pts", dev);
    (void)mkdir(p, 0755);
    if (mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") <
        0)
        return hc_err_set(err, -errno, "mount devpts");
    (void)wdn_path(p, sizeof(p), "%s/shm", dev);
    (void)mkdir(p, 01777);
    if (mount("shm", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=67108864") < 0)
        return hc_err_set(err, -errno, "mount /dev/shm");
    static const char *const links[][2] = {{"pts/ptmx", "ptmx"},
                                           {"/proc/self/fd", "fd"},
                                           {"/proc/self/fd/0", "stdin"},
                                           {"/proc/self/fd/1", "stdout"},
                                           {"/proc/self/fd/2", "stderr"}};
    for (size_t i = 0; i < HC_ARRAY_SIZE(links); i++) {
        (void)wdn_path(p, sizeof(p), "%s/%s", dev, links[i][1]);
        (void)!symlink(links[i][0], p);
    }
    return 0;
}

static int setup_proc(const char *root, hc_err_t *err)
{
    char p[PATH_MAX];
    (void)wdn_path(p, sizeof(p), "%s/proc", root);
    if (mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return hc_err_set(err, -errno, "mount /proc");
    /* Kernel knobs stay read-only; files that leak or poke the host are masked. */
    (void)wdn_path(p, sizeof(p), "%s/proc/sys", root);
    int r = bind_ro(p, p, false, err);
    if (r < 0)
        return r;
    static const char *const masked[] = {"kcore", "sysrq-trigger", "keys", "timer_list",
                                         "sched_debug"};
    for (size_t i = 0; i < HC_ARRAY_SIZE(masked); i++) {
        (void)wdn_path(p, sizeof(p), "%s/proc/%s", root, masked[i]);
        (void)mount("/dev/null", p, NULL, MS_BIND, NULL);
    }
    return 0;
}

int wdn_rootfs_enter(const char *base, const char *disk_dir, const char *rootfs_dir, bool overlay,
                     const wdn_bind_mount_t *binds, size_t nbinds, hc_err_t *err)
{
    char p[PATH_MAX], opts[3 * PATH_MAX + 64];
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return hc_err_set(err, -errno, "make / private");
    if (overlay) {
        if (wdn_path(opts, sizeof(opts), "lowerdir=%s,upperdir=%s/upper,workdir=%s/work", base,
                     disk_dir, disk_dir) < 0)
            return hc_err_set(err, -ENAMETOOLONG, "overlay options");
        if (mount("overlay", rootfs_dir, "overlay", MS_NOSUID, opts) < 0)
            return hc_err_set(err, -errno, "mount overlay on `%s`", rootfs_dir);
    } else {
        (void)wdn_path(p, sizeof(p), "%s/root", disk_dir);
        if (mount(p, rootfs_dir, NULL, MS_BIND, NULL) < 0)
            return hc_err_set(err, -errno, "bind `%s`", p);
    }
    for (size_t i = 0; i < HC_ARRAY_SIZE(host_dirs); i++) {
        char hp[64];
        struct stat st;
        snprintf(hp, sizeof(hp), "/%s", host_dirs[i]);
        if (lstat(hp, &st) < 0 || !S_ISDIR(st.st_mode))
            continue;
        (void)wdn_path(p, sizeof(p), "%s/%s", rootfs_dir, host_dirs[i]);
        (void)mkdir(p, 0755);
        int r = bind_ro(hp, p, false, err);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < nbinds; i++) {
        struct stat st;
        if (stat(binds[i].src, &st) < 0)
            return hc_err_set(err, -errno, "bind mount source `%s`", binds[i].src);
        int r;
        if (S_ISDIR(st.st_mode)) {
            r = mkdirs_in(rootfs_dir, binds[i].dst, p, sizeof(p));
        } else {
            char parent[PATH_MAX];
            r = mkdirs_in(rootfs_dir, binds[i].dst, p, sizeof(p));
            if (r == 0) {
                (void)rmdir(p);
                snprintf(parent, sizeof(parent), "%s", p);
                int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
                if (fd >= 0)
                    close(fd);
            }
        }
        if (r < 0)
            return hc_err_set(err, r, "bind mount target `%s`", binds[i].dst);
        r = bind_ro(binds[i].src, p, binds[i].rw, err);
        if (r < 0)
            return r;
    }
    int r = setup_proc(rootfs_dir, err);
    if (r == 0)
        r = setup_dev(rootfs_dir, err);
    if (r < 0)
        return r;
    if (chdir(rootfs_dir) < 0)
        return hc_err_set(err, -errno, "chdir `%s`", rootfs_dir);
    /* pivot_root(".", "."): the old root ends up stacked under the new one and is detached
     * at once, so nothing of the host's tree stays reachable. */
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return hc_err_set(err, -errno, "pivot_root");
    if (umount2(".", MNT_DETACH) < 0)
        return hc_err_set(err, -errno, "detach old root");
    if (chdir("/") < 0)
        return hc_err_set(err, -errno, "chdir /");
    return 0;
}
