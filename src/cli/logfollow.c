/*
 * Following a log file by byte offset (peers contract): the DEA rotates an instance log by
 * renaming the full file to NAME.1 and starting an empty one, so a file shorter than what was
 * already printed is a new file, read again from byte 0.
 */
#include "logfollow.h"

cli_lf_action_t cli_log_follow(uint64_t offset, long status, size_t body_len, int64_t size,
                               uint64_t *ret_skip)
{
    *ret_skip = 0;
    switch (status) {
    case 206: /* the bytes from offset on */
        return CLI_LF_PRINT;
    case 200: /* the whole file (a server without Range) */
        if (body_len < offset)
            return CLI_LF_ROTATED_PRINT;
        *ret_skip = offset;
        return CLI_LF_PRINT;
    case 416: /* offset is at or past the end */
        if (offset == 0)
            return CLI_LF_NONE;
        /* At the end: nothing new. Past it: rotated to a shorter file. A server that does
         * not say the size is taken as having rotated (the old file's rest is asked for). */
        if (size >= 0 && (uint64_t)size >= offset)
            return CLI_LF_NONE;
        return CLI_LF_REFETCH;
    default:
        return CLI_LF_NONE;
    }
}
