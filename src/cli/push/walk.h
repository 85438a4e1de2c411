/*
 * walk.h - the files of an app folder: every regular file and symlink not ignored, with its
 * size, mode and SHA-1 (regular files), sorted by path so pushes are deterministic.
 */
#ifndef HEARTH_CLI_PUSH_WALK_H
#define HEARTH_CLI_PUSH_WALK_H

#include <stdint.h>

#include "push/ignore.h"

#define CLI_MAX_FILES 200000
#define CLI_MAX_DEPTH 64

typedef struct cli_file_s {
    char *rel; /* '/'-separated path relative to the root */
    uint64_t size;
    int mode;  /* permission bits */
    bool link; /* a symlink (uploaded as such, never matched) */
    char sha1[41];
} cli_file_t;

typedef struct cli_files_s {
    cli_file_t *v;
    size_t n, cap;
    uint64_t bytes;
} cli_files_t;

/* Lists root's files. Returns 0, or -errno / HC_ETOOBIG with err naming the file. */
int cli_walk(const char *root, const cli_ignore_t *ig, cli_files_t *ret, hc_err_t *err);
void cli_files_release(cli_files_t *fs);
/* SHA-1 (hex) and size of one file. Returns 0 or -errno. */
int cli_sha1_file(const char *path, char out[41], uint64_t *ret_size, hc_err_t *err);

#endif
