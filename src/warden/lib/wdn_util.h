/*
 * wdn_util.h - small file helpers libwarden uses for cgroupfs and /proc. None of them
 * allocate except wdn_rm_rf's directory walk, so the container's init and the helpers may use
 * them between fork and exec (state files are written with hc_fs.h's atomic writer).
 */
#ifndef HEARTH_WARDEN_UTIL_H
#define HEARTH_WARDEN_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hc_base.h"

/* Writes `s` to an existing file (no O_CREAT: cgroupfs control files). Returns 0 or -errno. */
int wdn_write_str(const char *path, const char *s);
/*
 * Reads at most size-1 bytes of `path` into buf and NUL-terminates it. Returns the byte count
 * or -errno.
 */
ssize_t wdn_read_str(const char *path, char *buf, size_t size);
/* Reads a file holding one unsigned decimal ("max" reads as UINT64_MAX). Returns 0 or -errno. */
int wdn_read_u64(const char *path, uint64_t *ret);
/*
 * Finds "key value" in a flat-keyed text (memory.stat, memory.events, cpu.stat,
 * memory.oom_control). Returns 0 and *ret, or -ENOENT.
 */
int wdn_kv_u64(const char *text, const char *key, uint64_t *ret);
/* mkdir -p with mode for every created component. Returns 0 or -errno. */
int wdn_mkdir_p(const char *path, mode_t mode);
/* Removes a tree without crossing mount points. Returns 0 or the first -errno. */
int wdn_rm_rf(const char *path);
/* snprintf that reports truncation: returns 0 or -ENAMETOOLONG. */
int wdn_path(char *buf, size_t size, const char *fmt, ...) HC_PRINTF(3, 4);
/* Process start time (field 22 of /proc/PID/stat); 0 if the process is gone or a zombie. */
uint64_t wdn_proc_starttime(pid_t pid);

#endif
