/* upload.h - sending an app's bits: resource matching, then the zip of what is missing. */
#ifndef HEARTH_CLI_PUSH_UPLOAD_H
#define HEARTH_CLI_PUSH_UPLOAD_H

#include "cli.h"

typedef struct cli_upload_stats_s {
    size_t files, matched, sent;
    uint64_t bytes, sent_bytes;
} cli_upload_stats_t;

/*
 * Uploads folder dir as app name's package: walks it (ignore rules applied), asks
 * PUT /resources which files the cloud has, zips the others and sends the multipart
 * PUT /apps/NAME/application. Prints a summary line. Returns 0 or -1 after printing.
 */
int cli_upload(cli_t *cli, const char *name, const char *dir, cli_upload_stats_t *ret);

#endif
