/* Private to src/core/fs: the fault-injection hooks the syscall wrappers consult. */
#ifndef HEARTH_CORE_FS_INTERNAL_H
#define HEARTH_CORE_FS_INTERNAL_H

#include <stddef.h>

#include "hc_fs.h"

/* Counts one call of op; returns the errno to inject for this call, or 0. */
int hc__fs_fault_hit(hc_fs_op_t op);
/* Caps a write(2) length when short writes are being injected. */
size_t hc__fs_fault_write_len(size_t len);

#endif
