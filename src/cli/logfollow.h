/* logfollow.h - where the new bytes of a followed log start, rotation included. */
#ifndef HEARTH_CLI_LOGFOLLOW_H
#define HEARTH_CLI_LOGFOLLOW_H

#include <stddef.h>
#include <stdint.h>

typedef enum cli_lf_action_e {
    CLI_LF_NONE,          /* nothing to print (no file yet, an error): keep the offset */
    CLI_LF_PRINT,         /* print the body from *ret_skip on */
    CLI_LF_ROTATED_PRINT, /* rotated: the offset is 0 now, print the whole body */
    CLI_LF_REFETCH,       /* rotated: set the offset to 0 and ask again */
} cli_lf_action_t;

/*
 * Decides what a reply to "GET the file from byte offset" (a Range request when offset > 0)
 * means: status is the HTTP status, body_len the reply's length, size the file's size from
 * the reply's Content-Range (-1 when absent). A file shorter than offset was rotated, and is
 * followed again from byte 0; a 416 for a file exactly offset bytes long has nothing new.
 * Pure; never fails.
 */
cli_lf_action_t cli_log_follow(uint64_t offset, long status, size_t body_len, int64_t size,
                               uint64_t *ret_skip);

#endif
