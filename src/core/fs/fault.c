/*
 * Test-only fault injection for the fs syscall wrappers (STYLE R28). Process-wide atomics,
 * so a fault armed by a test also hits writes made on libuv's thread pool.
 */
#include <stdatomic.h>

#include "fs_internal.h"

#define HC_FS_SHORT_WRITE_MAX 7

static atomic_uint fault_calls[HC_FS_OP_COUNT_];
static atomic_uint fault_nth[HC_FS_OP_COUNT_];
static atomic_int fault_errno[HC_FS_OP_COUNT_];
static atomic_bool fault_short;

void hc_fs_fault_set(hc_fs_op_t op, unsigned n, int errnum)
{
    hc_assert(op >= 0 && op < HC_FS_OP_COUNT_);
    atomic_store(&fault_nth[op], 0);
    atomic_store(&fault_calls[op], 0);
    atomic_store(&fault_errno[op], errnum);
    atomic_store(&fault_nth[op], n);
}

void hc_fs_fault_short_writes(bool on)
{
    atomic_store(&fault_short, on);
}

unsigned hc_fs_fault_calls(hc_fs_op_t op)
{
    hc_assert(op >= 0 && op < HC_FS_OP_COUNT_);
    return atomic_load(&fault_calls[op]);
}

void hc_fs_fault_reset(void)
{
    for (int i = 0; i < HC_FS_OP_COUNT_; i++)
        hc_fs_fault_set((hc_fs_op_t)i, 0, 0);
    atomic_store(&fault_short, false);
}

int hc__fs_fault_hit(hc_fs_op_t op)
{
    unsigned call = atomic_fetch_add(&fault_calls[op], 1) + 1;
    unsigned nth = atomic_load(&fault_nth[op]);
    if (nth == 0 || call != nth)
        return 0;
    atomic_store(&fault_nth[op], 0);
    return atomic_load(&fault_errno[op]);
}

size_t hc__fs_fault_write_len(size_t len)
{
    if (atomic_load(&fault_short) && len > HC_FS_SHORT_WRITE_MAX)
        return HC_FS_SHORT_WRITE_MAX;
    return len;
}
