/* The syscall wrappers the rest of libhearth writes files through (STYLE R22, R28). */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "fs_internal.h"

int hc_write_all(int fd, const void *p, size_t len)
{
    const char *c = p;
    while (len > 0) {
        int inject = hc__fs_fault_hit(HC_FS_OP_WRITE);
        ssize_t n;
        if (inject) {
            errno = inject;
            n = -1;
        } else {
            n = write(fd, c, hc__fs_fault_write_len(len));
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EIO; /* write(2) of > 0 bytes returning 0: treat as an I/O error */
        c += n;
        len -= (size_t)n;
    }
    return 0;
}

int hc_fsync(int fd)
{
    for (;;) {
        int inject = hc__fs_fault_hit(HC_FS_OP_FSYNC);
        if (inject == EINTR)
            continue;
        if (inject)
            return -inject;
        if (fsync(fd) == 0)
            return 0;
        if (errno != EINTR)
            return -errno;
    }
}

int hc_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
    for (;;) {
        int inject = hc__fs_fault_hit(HC_FS_OP_RENAME);
        if (inject == EINTR)
            continue;
        if (inject)
            return -inject;
        if (renameat(olddirfd, oldpath, newdirfd, newpath) == 0)
            return 0;
        if (errno != EINTR)
            return -errno;
    }
}
