/*
 * hc_fs.h - file helpers every daemon needs: full writes, atomic replace of a file
 * (temp + fsync + rename + fsync of the directory, so a crash never leaves a half file
 * under the real name), mkdir -p, bounded whole-file reads, and a fault-injection
 * switch for tests (STYLE R28).
 *
 * Paths are resolved relative to a directory fd (AT_FDCWD for the working directory), so
 * callers holding a directory open never race on string paths. Every fd created here is
 * close-on-exec. All functions may be called from any thread (uv_queue_work included);
 * they block, so daemons call them off the loop thread or for small files only.
 */
#ifndef HEARTH_CORE_FS_H
#define HEARTH_CORE_FS_H

#include <sys/types.h>

#include "hc_base.h"

/* Bytes of the largest file hc_read_file() accepts when max is 0. */
#define HC_FS_READ_DEFAULT_MAX ((size_t)16 * 1024 * 1024)

/*
 * Writes all len bytes to fd, retrying EINTR and continuing after short writes.
 * Returns 0 or -errno (-EAGAIN on a non-blocking fd that is full; some bytes may then
 * have been written).
 */
int hc_write_all(int fd, const void *p, size_t len);
/* fsync(2) retrying EINTR. Returns 0 or -errno. */
int hc_fsync(int fd);
/* renameat(2) retrying EINTR. Returns 0 or -errno. */
int hc_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);

/*
 * Replaces dirfd/path with exactly [data, data+len) and permission bits `mode` (umask is
 * not applied): writes a temp file ".NAME.tmp-XXXX" in the same directory, fsyncs it,
 * renames it over NAME and fsyncs the directory. path may contain directories (they must
 * exist) or be absolute. On any failure the temp file is removed and NAME holds either its
 * old content (failure before the rename) or the complete new one (only the final
 * directory fsync failed). Returns 0 or -errno with err set ("write `path`: ...").
 */
int hc_atomic_write_file(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
                         hc_err_t *err);

/*
 * mkdir -p relative to dirfd: creates every missing component with `mode` (subject to
 * umask); existing directories are fine, an existing non-directory is -ENOTDIR.
 * Returns 0 or -errno with err set.
 */
int hc_mkdir_p(int dirfd, const char *path, mode_t mode, hc_err_t *err);

/*
 * Reads the whole regular file dirfd/path into a new malloc'd buffer the caller frees,
 * NUL-terminated (the NUL is not counted in *ret_len). A file longer than max bytes
 * (0: HC_FS_READ_DEFAULT_MAX) gives HC_ETOOBIG without reading it all. Writes *ret_data
 * and *ret_len only on success. Returns 0 or -errno with err set.
 */
int hc_read_file(int dirfd, const char *path, size_t max, char **ret_data, size_t *ret_len,
                 hc_err_t *err);

#define HC_SHA1_HEX 40

/*
 * SHA-1 of a file's content as 40 lowercase hex digits and its NUL in out; its size in
 * *ret_size when not NULL. open_flags are added to O_RDONLY | O_CLOEXEC (O_NOFOLLOW to refuse
 * a link). Blocking: run it off the loop for large files. Returns 0 or -errno with err set.
 */
int hc_sha1_file(const char *path, int open_flags, char out[HC_SHA1_HEX + 1], uint64_t *ret_size,
                 hc_err_t *err);
/* SHA-1 of a buffer as hex, like hc_sha1_file. */
void hc_sha1_hex(const void *data, size_t len, char out[HC_SHA1_HEX + 1]);

/*
 * Fault injection, for tests only. hc_fs_fault_set(op, n, errnum) makes the n-th call
 * (counted from this call, starting at 1) of `op` fail with errnum, once; n == 0 disarms
 * it. HC_FS_OP_WRITE counts each write(2) made inside hc_write_all, so with short writes
 * on a fault can land in the middle of a file. An injected EINTR exercises the retry
 * paths. hc_fs_fault_short_writes(true) makes every write(2) write at most 7 bytes.
 * hc_fs_fault_calls(op) tells how many calls of op happened since the last set/reset.
 * hc_fs_fault_reset() disarms everything. The state is process-wide.
 */
typedef enum hc_fs_op_e {
    HC_FS_OP_WRITE = 0,
    HC_FS_OP_FSYNC = 1,
    HC_FS_OP_RENAME = 2,
    HC_FS_OP_COUNT_ = 3,
} hc_fs_op_t;

void hc_fs_fault_set(hc_fs_op_t op, unsigned n, int errnum);
void hc_fs_fault_short_writes(bool on);
unsigned hc_fs_fault_calls(hc_fs_op_t op);
void hc_fs_fault_reset(void);

#endif
