/*
 * proc.h - runs a command-line client (mariadb, redis-cli, redis-server) from a job's worker
 * thread: input on stdin, stdout and stderr captured (bounded), a deadline after which the
 * child is killed. Blocking: never call it on the loop thread.
 */
#ifndef HEARTH_BROKER_PROC_H
#define HEARTH_BROKER_PROC_H

#include "hc_base.h"
#include "hc_buf.h"

#define BRK_PROC_MAX_OUTPUT ((size_t)256 * 1024)

/*
 * Runs argv[0] (looked up in PATH) with argv, the environment plus extra_env ("K=V" strings,
 * NULL-terminated, may be NULL), input on its stdin. out (optional) receives stdout+stderr.
 * Returns 0 when it exits 0; otherwise -EIO with "NAME: exit N: first line of output" (or
 * "killed after T ms"), or -errno when it cannot be started.
 */
int brk_run(const char *const argv[], const char *const extra_env[], const char *input,
            uint64_t timeout_ms, hc_buf_t *out, hc_err_t *err);

#endif
