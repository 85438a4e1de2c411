/*
 * archive.h - safe extraction of uploaded zips and deterministic packing of app trees, on
 * libarchive. Blocking: thread pool only. Thread-safe (no chdir, no global state).
 */
#ifndef HEARTH_CC_ARCHIVE_H
#define HEARTH_CC_ARCHIVE_H

#include "hc_base.h"

typedef struct cc_extract_limits_s {
    uint64_t max_bytes; /* sum of the bytes actually decompressed */
    uint64_t max_files; /* entries of any type */
} cc_extract_limits_t;

/*
 * Extracts the zip at `zip` into the existing directory `dir`. Refused with -EINVAL and a
 * message naming the entry: absolute paths, `..` components, empty names, device files,
 * fifos, sockets, hard links, symlinks whose target is absolute or leaves the tree, writes
 * through a symlink, a name given twice. Over a limit: HC_ETOOBIG (counted while
 * decompressing, so a zip bomb stops at the limit whatever its headers claim). Regular files
 * get mode 0644 or 0755 (owner-executable kept), never setuid. On error dir may hold part
 * of the tree: the caller removes it. *ret_files / *ret_bytes (may be NULL) get the totals.
 */
int cc_archive_extract(const char *zip, const char *dir, const cc_extract_limits_t *lim,
                       uint64_t *ret_files, uint64_t *ret_bytes, hc_err_t *err);

/*
 * Writes a zip of the tree under dir to `zip`: entries sorted by name, fixed timestamps,
 * owner and modes normalised, so the same files always give the same bytes (and SHA-1).
 * Symlinks are stored as symlinks. Returns 0 or negative with err set.
 */
int cc_archive_pack(const char *dir, const char *zip, hc_err_t *err);

/*
 * Checks a relative path from a client (an upload's resource `fn`): not empty, not absolute,
 * no `.`/`..`/empty components, no NUL or control bytes, at most 4096 bytes. Returns 0 or
 * -EINVAL.
 */
int cc_path_check(const char *path);

/*
 * Creates dir/rel's parent directories without following symlinks, then creates the file
 * itself exclusively (O_EXCL | O_NOFOLLOW). rel must pass cc_path_check. Returns an fd open
 * for writing, or -errno (-EEXIST when the name exists, -ELOOP for a symlink on the way).
 */
int cc_open_beneath(const char *dir, const char *rel, mode_t mode);

/* rm -rf dir (no symlinks followed). Returns 0 or -errno. */
int cc_rm_rf(const char *dir);

#endif
