/*
 * wdn_rootfs.h - the container root filesystem.
 *
 * Base: <data>/base, built once by warden (wdn_rootfs_build_base): a read-only view of the
 * host made of mount points for /usr, /bin, /sbin, /lib* (bind-mounted read-only inside each
 * container, symlinks kept as symlinks on merged-/usr hosts) and a filtered copy of /etc
 * without secrets (only world-readable files; shadow, gshadow, sudoers, ssh host keys and
 * ssl/private are skipped), plus empty /home, /tmp, /proc, /dev, /app, /var and /root (0700).
 *
 * Writable layer and disk quota: each container gets a tmpfs of `disk_limit` bytes (and an
 * inode cap) at <cdir>/disk, mounted in warden's mount namespace so warden can read usage
 * (statvfs), resize it at runtime (remount size=) and copy files while processes run. The
 * root is an overlayfs (lower = base, upper/work on that tmpfs) mounted inside the
 * container's own mount namespace. Without overlayfs the base is copied into the tmpfs
 * (slow, but works). tmpfs pages are charged to the container's memory cgroup, so disk
 * writes also count against the memory limit: this is the documented price of a quota
 * scheme that needs no kernel quota support (this host's kernel lacks CONFIG_QUOTA).
 */
#ifndef HEARTH_WARDEN_ROOTFS_H
#define HEARTH_WARDEN_ROOTFS_H

#include <stdbool.h>
#include <stdint.h>

#include "hc_base.h"

#define WDN_MAX_BIND_MOUNTS 16

typedef struct wdn_bind_mount_s {
    char src[1024]; /* host path */
    char dst[1024]; /* absolute path inside the container, no ".." */
    bool rw;
} wdn_bind_mount_t;

/* Builds <data>/base if missing (idempotent). Returns 0 or -errno with err set. */
int wdn_rootfs_build_base(const char *base, hc_err_t *err);
/* True when the kernel offers overlayfs. */
bool wdn_rootfs_have_overlay(void);
/*
 * Mounts the container's tmpfs at disk_dir with the byte and inode limits (0 = default of
 * 1 GiB) and prepares upper/, work/ and the per-container /etc/passwd entry for uid.
 */
int wdn_rootfs_mount_disk(const char *disk_dir, const char *base, uint64_t bytes, uid_t uid,
                          bool overlay, hc_err_t *err);
/*
 * Mounts the small tmpfs that holds a container's own state (meta.json, config.json, job
 * specs, pids and statuses, the rootfs mount point) on its directory cdir, which must exist.
 * Keeping these files off the data dir's filesystem spares a journal commit per file on
 * every create, run and destroy, and they are not charged to the container's disk quota, so a
 * full disk never stops warden from tracking its jobs. It outlives a warden restart like the
 * container does.
 */
int wdn_rootfs_mount_state(const char *cdir, hc_err_t *err);
/* Changes the tmpfs size at runtime. */
int wdn_rootfs_resize_disk(const char *disk_dir, uint64_t bytes, hc_err_t *err);
/* Bytes and inodes used on the container's tmpfs. */
int wdn_rootfs_disk_usage(const char *disk_dir, uint64_t *ret_bytes, uint64_t *ret_inodes,
                          uint64_t *ret_limit);
/* Lazily unmounts the tmpfs (no error when not mounted). */
int wdn_rootfs_umount_disk(const char *disk_dir);

/*
 * Runs in the container's init (pid 1 of new mount and pid namespaces): builds the root at
 * rootfs_dir and pivots into it. Allocation-free; on failure fills err and returns < 0.
 */
int wdn_rootfs_enter(const char *base, const char *disk_dir, const char *rootfs_dir, bool overlay,
                     const wdn_bind_mount_t *binds, size_t nbinds, hc_err_t *err);

/* Validates a container path: absolute, no "..", no "//", printable, < 1024 bytes. */
bool wdn_rootfs_path_ok(const char *p);

#endif
