/* zip.h - the zip of the files the cloud lacks (libarchive). */
#ifndef HEARTH_CLI_PUSH_ZIP_H
#define HEARTH_CLI_PUSH_ZIP_H

#include "push/walk.h"

/*
 * Writes a zip at out_path with the files of fs whose want[i] is true, read from root.
 * Symlinks are stored as links. Returns 0 or -errno with err set.
 */
int cli_zip_write(const char *root, const cli_files_t *fs, const bool *want, const char *out_path,
                  hc_err_t *err);

#endif
